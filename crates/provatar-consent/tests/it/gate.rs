//! The gate's checks, one failure mode per test.

use chrono::{DateTime, Duration, TimeZone as _, Utc};
use ed25519_dalek::SigningKey;
use provatar_consent::did::did_key;
use provatar_consent::{
    ConsentCredential, ConsentLimits, ConsentRequest, Doc, Gate, GateError, IntegratorLicense,
    LicenseFeatures, Policy, Portrait, PortraitMatch, Request, RevocationList, Signed, TrustStore,
    phash::perceptual_hash, sha256_hex,
};
use provatar_types::Frame;

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

fn t(days: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).unwrap() + Duration::days(days)
}

const ISSUER: u8 = 1;
const VENDOR: u8 = 2;
const SIGNER: u8 = 3;
const STRANGER: u8 = 9;

struct World {
    trust: TrustStore,
    policy: Policy,
    portrait: Vec<u8>,
    pixels: Frame,
    consent: Signed<ConsentCredential>,
    license: Signed<IntegratorLicense>,
}

fn pixels() -> Frame {
    let mut rgb = Vec::new();
    for y in 0..64u32 {
        for x in 0..64u32 {
            rgb.extend_from_slice(&[(x * 4) as u8, (y * 4) as u8, ((x ^ y) * 4) as u8]);
        }
    }
    Frame::from_rgb(64, 64, rgb).unwrap()
}

fn consent_for(
    portrait: &[u8],
    licensee: &str,
    limits: ConsentLimits,
    by: u8,
) -> Signed<ConsentCredential> {
    ConsentCredential::issue(
        ConsentRequest {
            portrait_sha256: sha256_hex(portrait),
            perceptual_hash: Some(format!("{:016x}", perceptual_hash(&pixels()))),
            subject: "urn:provatar:subject:7f3a".into(),
            licensee: licensee.into(),
            valid_from: t(0),
            valid_until: t(30),
            limits,
        },
        &key(by),
        t(0),
    )
    .unwrap()
}

fn license_with(features: LicenseFeatures, by: u8) -> Signed<IntegratorLicense> {
    IntegratorLicense::issue(
        "acme-avatars",
        &key(SIGNER).verifying_key(),
        features,
        (t(0), t(365)),
        &key(by),
        t(0),
    )
    .unwrap()
}

const FEATURES: LicenseFeatures = LicenseFeatures {
    max_resolution: 1024,
    streaming: true,
    max_duration_seconds: 300,
};

fn world() -> World {
    let mut trust = TrustStore::empty();
    trust.add_issuer(&did_key(&key(ISSUER).verifying_key()));
    trust.add_vendor(&did_key(&key(VENDOR).verifying_key()));
    let portrait = b"\x89PNG pretend portrait bytes".to_vec();
    World {
        trust,
        policy: Policy::default_policy(),
        consent: consent_for(&portrait, "acme-avatars", ConsentLimits::default(), ISSUER),
        license: license_with(FEATURES, VENDOR),
        portrait,
        pixels: pixels(),
    }
}

fn request() -> Request {
    Request {
        clip_seconds: 20.0,
        emotion: "happy".into(),
        emotion_strength: 0.7,
        size: 512,
        streaming: false,
    }
}

impl World {
    fn admit_at(
        &self,
        now: DateTime<Utc>,
        req: &Request,
    ) -> Result<provatar_consent::Admission, GateError> {
        Gate::new(&self.trust, &self.policy).at(now).admit(
            &Portrait {
                bytes: &self.portrait,
                pixels: Some(&self.pixels),
            },
            Some(&self.consent),
            &self.license,
            req,
        )
    }

    fn admit(&self) -> Result<provatar_consent::Admission, GateError> {
        self.admit_at(t(1), &request())
    }
}

/// Re-reads a signed document from its JSON after `edit`.
fn edited<T: serde::de::DeserializeOwned + serde::Serialize>(
    doc: &Signed<T>,
    what: Doc,
    edit: impl FnOnce(&mut serde_json::Value),
) -> Result<Signed<T>, GateError> {
    let mut v: serde_json::Value = serde_json::from_str(&doc.to_json()).unwrap();
    edit(&mut v);
    Signed::parse(what, serde_json::to_string(&v).unwrap().as_bytes())
}

#[test]
fn a_valid_request_is_admitted_with_the_facts_the_manifest_needs() {
    let w = world();
    let a = w.admit().unwrap();
    let c = a.consent().unwrap();
    assert_eq!(c.id, w.consent.doc.id);
    assert_eq!(c.issuer, did_key(&key(ISSUER).verifying_key()));
    assert_eq!(c.licensee, "acme-avatars");
    assert_eq!(a.license().integrator, "acme-avatars");
    assert_eq!(a.portrait_sha256(), sha256_hex(&w.portrait));
    assert_eq!(
        a.max_clip_seconds(),
        300,
        "the license's limit is the tightest"
    );
    a.check_signer(&did_key(&key(SIGNER).verifying_key()))
        .unwrap();
    assert!(matches!(
        a.check_signer(&did_key(&key(STRANGER).verifying_key())),
        Err(GateError::SignerNotLicensed { .. })
    ));
    assert!(matches!(
        a.check_face(40),
        Err(GateError::FaceTooSmall {
            pixels: 40,
            min: 80
        })
    ));
    a.check_face(95).unwrap();
    // It survives a round trip through its file form.
    let reread =
        Signed::<ConsentCredential>::parse(Doc::Consent, w.consent.to_json().as_bytes()).unwrap();
    assert_eq!(reread.doc, w.consent.doc);
}

#[test]
fn consent_is_required_unless_the_policy_says_otherwise() {
    let mut w = world();
    let go = |w: &World| {
        Gate::new(&w.trust, &w.policy).at(t(1)).admit(
            &Portrait {
                bytes: &w.portrait,
                pixels: None,
            },
            None,
            &w.license,
            &request(),
        )
    };
    assert_eq!(go(&w).unwrap_err(), GateError::ConsentRequired);
    w.policy.require_consent = false;
    assert!(go(&w).unwrap().consent().is_none());
}

#[test]
fn a_changed_field_breaks_the_signature() {
    let mut w = world();
    w.consent = edited(&w.consent, Doc::Consent, |v| {
        v["credentialSubject"]["licensee"] = "acme-avatars ".into();
    })
    .unwrap();
    assert_eq!(
        w.admit().unwrap_err(),
        GateError::BadSignature { what: Doc::Consent }
    );
    let mut w = world();
    w.consent = edited(&w.consent, Doc::Consent, |v| {
        v["validUntil"] = "2099-01-01T00:00:00Z".into();
    })
    .unwrap();
    assert_eq!(
        w.admit().unwrap_err(),
        GateError::BadSignature { what: Doc::Consent }
    );
}

#[test]
fn a_flipped_signature_byte_is_caught() {
    let mut w = world();
    w.consent = edited(&w.consent, Doc::Consent, |v| {
        let value = v["proof"]["proofValue"].as_str().unwrap().to_string();
        let mut sig = bs58::decode(&value[1..]).into_vec().unwrap();
        sig[31] ^= 0x01;
        v["proof"]["proofValue"] = format!("z{}", bs58::encode(sig).into_string()).into();
    })
    .unwrap();
    assert_eq!(
        w.admit().unwrap_err(),
        GateError::BadSignature { what: Doc::Consent }
    );
}

#[test]
fn an_unsigned_or_strangely_shaped_credential_is_refused() {
    let w = world();
    let unsigned = edited(&w.consent, Doc::Consent, |v| {
        v.as_object_mut().unwrap().remove("proof");
    })
    .unwrap();
    let mut w2 = world();
    w2.consent = unsigned;
    assert_eq!(
        w2.admit().unwrap_err(),
        GateError::Unsigned { what: Doc::Consent }
    );
    // Unknown members and duplicates are malformed, not ignored.
    assert!(matches!(
        edited(&w.consent, Doc::Consent, |v| v["extra"] = 1.into()),
        Err(GateError::Malformed { .. })
    ));
    let json = w.consent.to_json();
    let dup = json.replacen("\"issuer\":", "\"issuer\": \"did:key:zX\", \"issuer\":", 1);
    assert!(matches!(
        Signed::<ConsentCredential>::parse(Doc::Consent, dup.as_bytes()),
        Err(GateError::Malformed { .. })
    ));
    for bad in [&b""[..], b"{", b"[]", b"null", &[0xff, 0xfe, 0x00][..]] {
        assert!(Signed::<ConsentCredential>::parse(Doc::Consent, bad).is_err());
    }
    let huge = vec![b' '; 70 * 1024];
    assert!(matches!(
        Signed::<ConsentCredential>::parse(Doc::Consent, &huge),
        Err(GateError::Malformed { .. })
    ));
}

#[test]
fn an_untrusted_issuer_is_refused() {
    let mut w = world();
    w.consent = consent_for(
        &w.portrait,
        "acme-avatars",
        ConsentLimits::default(),
        STRANGER,
    );
    let err = w.admit().unwrap_err();
    assert!(matches!(err, GateError::UntrustedIssuer { .. }), "{err}");
    // A trusted issuer that the policy does not list is refused too.
    let mut w = world();
    w.policy.trusted_issuers = vec![did_key(&key(STRANGER).verifying_key())];
    assert!(matches!(w.admit(), Err(GateError::UntrustedIssuer { .. })));
}

#[test]
fn a_document_naming_another_issuer_than_its_signer_is_refused() {
    let mut w = world();
    // Signed by a stranger, but claiming the trusted issuer.
    w.consent = edited(&w.consent, Doc::Consent, |v| {
        v.as_object_mut().unwrap().remove("proof");
    })
    .map(|s| {
        let mut doc = s.doc;
        doc.issuer = did_key(&key(ISSUER).verifying_key());
        Signed::sign(Doc::Consent, &doc, &key(STRANGER), t(0)).unwrap()
    })
    .unwrap();
    let err = w.admit().unwrap_err();
    assert!(
        matches!(
            err,
            GateError::WrongSigner {
                what: Doc::Consent,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn a_credential_for_another_licensee_is_refused() {
    let mut w = world();
    w.consent = consent_for(
        &w.portrait,
        "other-studio",
        ConsentLimits::default(),
        ISSUER,
    );
    let err = w.admit().unwrap_err();
    assert_eq!(
        err,
        GateError::LicenseeMismatch {
            credential: "other-studio".into(),
            requested: "acme-avatars".into()
        }
    );
    assert!(err.to_string().contains("other-studio"));
}

#[test]
fn a_revoked_credential_is_refused_and_a_forged_list_does_not_load() {
    let mut w = world();
    let list = RevocationList::empty(&did_key(&key(ISSUER).verifying_key()))
        .revoke(&w.consent.doc.id, &key(ISSUER), t(2))
        .unwrap();
    w.trust
        .add_revocations_bytes(list.to_json().as_bytes())
        .unwrap();
    // Revocation applies from the moment the list is in the trust store.
    let err = w.admit_at(t(3), &request()).unwrap_err();
    assert!(matches!(err, GateError::Revoked { .. }), "{err}");
    assert!(err.to_string().contains("revoked"));
    // Someone else cannot sign the issuer's list.
    assert!(
        RevocationList::empty(&did_key(&key(ISSUER).verifying_key()))
            .revoke("urn:uuid:x", &key(STRANGER), t(2))
            .is_err()
    );
    // A list with a removed entry no longer verifies.
    let forged = edited(&list, Doc::Revocations, |v| {
        v["revoked"] = serde_json::json!([]);
    })
    .unwrap();
    let mut trust = TrustStore::empty();
    assert_eq!(
        trust
            .add_revocations_bytes(forged.to_json().as_bytes())
            .unwrap_err(),
        GateError::BadSignature {
            what: Doc::Revocations
        }
    );
}

/// Issue 18 (finding 9): a revocation list saved without `.json` was silently skipped, so the
/// consent it revokes looked valid. Anything but a `.json` file (or a hidden one) in
/// `revocations/` now stops the trust store from loading, naming the file.
#[test]
fn a_revocation_list_under_another_name_is_refused_not_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let revocations = dir.path().join("revocations");
    std::fs::create_dir(&revocations).unwrap();
    std::fs::write(revocations.join(".keep"), b"").unwrap();
    TrustStore::load(dir.path()).unwrap();
    let list = RevocationList::empty(&did_key(&key(ISSUER).verifying_key()))
        .revoke("urn:uuid:x", &key(ISSUER), t(2))
        .unwrap();
    let misnamed = revocations.join("issuer-revocations.txt");
    std::fs::write(&misnamed, list.to_json()).unwrap();
    let err = TrustStore::load(dir.path()).unwrap_err();
    assert!(matches!(err, GateError::Trust(_)), "{err}");
    assert!(err.to_string().contains("issuer-revocations.txt"), "{err}");
    std::fs::rename(&misnamed, revocations.join("issuer-revocations.json")).unwrap();
    TrustStore::load(dir.path()).unwrap();
}

#[test]
fn dates_are_checked_with_a_small_clock_skew_allowance() {
    let w = world();
    let skew = i64::from(w.policy.clock_skew_seconds);
    // validUntil is t(30): a minute after is within the skew, ten minutes after is not.
    w.admit_at(t(30) + Duration::seconds(skew - 60), &request())
        .unwrap();
    let err = w
        .admit_at(t(30) + Duration::seconds(skew + 60), &request())
        .unwrap_err();
    // The license outlives the consent, so the consent's expiry is what is reported.
    assert_eq!(
        err,
        GateError::Expired {
            what: Doc::Consent,
            until: "2026-12-01T12:00:00Z".into()
        }
    );
    assert_eq!(
        err.to_string(),
        "the consent credential expired on 2026-12-01T12:00:00Z"
    );
    w.admit_at(t(0) - Duration::seconds(skew - 60), &request())
        .unwrap();
    let err = w
        .admit_at(t(0) - Duration::seconds(skew + 60), &request())
        .unwrap_err();
    assert!(matches!(err, GateError::NotYetValid { .. }), "{err}");
}

#[test]
fn the_portrait_must_be_the_consented_one() {
    let mut w = world();
    w.portrait.push(b'!');
    let err = w.admit().unwrap_err();
    assert!(matches!(err, GateError::PortraitMismatch { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("does not match the consent credential (the credential covers sha256")
    );
    // A policy that accepts a re-saved copy matches the pixels instead...
    w.policy.portrait_match = PortraitMatch::Perceptual;
    w.admit().unwrap();
    // ...but not another picture.
    w.pixels = Frame::from_rgb(
        64,
        64,
        (0..64 * 64 * 3)
            .map(|i| ((i * 37 + i / 191 * 11) % 256) as u8)
            .collect(),
    )
    .unwrap();
    let err = w.admit().unwrap_err();
    assert!(matches!(err, GateError::PortraitNotSimilar { .. }), "{err}");
}

#[test]
fn the_use_must_be_talking_avatars() {
    let mut w = world();
    let mut doc = w.consent.doc.clone();
    doc.credential_subject.permitted_use = "advertising".into();
    doc.proof = None;
    w.consent = Signed::sign(Doc::Consent, &doc, &key(ISSUER), t(0)).unwrap();
    assert!(matches!(w.admit(), Err(GateError::UseNotPermitted { .. })));
}

#[test]
fn the_license_is_checked() {
    let mut w = world();
    w.license = license_with(FEATURES, STRANGER);
    assert!(matches!(w.admit(), Err(GateError::UntrustedVendor { .. })));
    let mut w = world();
    w.license = edited(&w.license, Doc::License, |v| {
        v["credentialSubject"]["features"]["maxResolution"] = 4096.into();
    })
    .unwrap();
    assert_eq!(
        w.admit().unwrap_err(),
        GateError::BadSignature { what: Doc::License }
    );
    let w = world();
    let err = w.admit_at(t(366), &request()).unwrap_err();
    // Both have expired by then; the license is checked first.
    assert!(
        matches!(
            err,
            GateError::Expired {
                what: Doc::License,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn requests_are_held_to_the_tightest_limit() {
    let mut w = world();
    let big = Request {
        size: 2048,
        ..request()
    };
    assert_eq!(
        w.admit_at(t(1), &big).unwrap_err(),
        GateError::ResolutionNotLicensed {
            size: 2048,
            max: 1024
        }
    );
    let long = Request {
        clip_seconds: 400.0,
        ..request()
    };
    assert!(matches!(
        w.admit_at(t(1), &long),
        Err(GateError::ClipTooLong {
            max: 300,
            by: "integrator license",
            ..
        })
    ));
    let strong = Request {
        emotion_strength: 0.9,
        ..request()
    };
    w.policy = Policy::parse(provatar_consent::STRICT_POLICY).unwrap();
    assert!(matches!(
        w.admit_at(t(1), &strong),
        Err(GateError::EmotionTooStrong { .. })
    ));
    let angry = Request {
        emotion: "angry".into(),
        emotion_strength: 0.5,
        ..request()
    };
    assert!(matches!(
        w.admit_at(t(1), &angry),
        Err(GateError::EmotionNotAllowed { by: "policy", .. })
    ));
    // The person's own limits.
    let mut w = world();
    w.consent = consent_for(
        &w.portrait,
        "acme-avatars",
        ConsentLimits {
            max_clip_seconds: Some(10),
            allowed_emotions: Some(vec!["neutral".into()]),
        },
        ISSUER,
    );
    assert!(matches!(
        w.admit(),
        Err(GateError::ClipTooLong {
            max: 10,
            by: "consent credential",
            ..
        })
    ));
    let short = Request {
        clip_seconds: 5.0,
        ..request()
    };
    assert!(matches!(
        w.admit_at(t(1), &short),
        Err(GateError::EmotionNotAllowed {
            by: "consent credential",
            ..
        })
    ));
    // Streaming needs the license feature.
    let mut w = world();
    w.license = license_with(
        LicenseFeatures {
            streaming: false,
            ..FEATURES
        },
        VENDOR,
    );
    let stream = Request {
        streaming: true,
        clip_seconds: 0.0,
        ..request()
    };
    assert_eq!(
        w.admit_at(t(1), &stream).unwrap_err(),
        GateError::StreamingNotLicensed
    );
}

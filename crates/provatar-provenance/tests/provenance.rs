//! Signing and reading real MP4s with the development keys.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "tests"
)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use provatar_provenance::{
    ConsentRef, Error, ExternalSigner, Generation, Ingredient, ManifestSpec, ManifestState,
    ManifestStore, Signer, TRAINED_ALGORITHMIC_MEDIA, TrustAnchors, read, read_bytes, sign,
};
use provatar_types::{ContentId, Frame};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn dev_signer() -> Signer {
    Signer::from_dir(&repo().join("keys/dev")).unwrap()
}

fn dev_trust() -> TrustAnchors {
    TrustAnchors::from_dir(&repo().join("keys/dev/trust")).unwrap()
}

/// A short MP4 made with provatar's own writer.
fn mp4(path: &Path) {
    let settings = provatar_media::EncoderSettings::new(128, 128, 25);
    let mut writer = provatar_media::VideoWriter::create(path, settings, None).unwrap();
    for i in 0..10u8 {
        let rgb: Vec<u8> = (0..128 * 128 * 3)
            .map(|k| ((k / 3) % 128) as u8 ^ i.wrapping_mul(17))
            .collect();
        writer
            .push_frame(&Frame::from_rgb(128, 128, rgb).unwrap())
            .unwrap();
    }
    writer.finish().unwrap();
}

/// `DIR/plain.mp4` and its signed copy `DIR/signed.mp4` (dev keys), with the manifest.
fn signed_sample(dir: &Path) -> (PathBuf, PathBuf, Vec<u8>) {
    let (plain, signed) = (dir.join("plain.mp4"), dir.join("signed.mp4"));
    mp4(&plain);
    let manifest = sign(&plain, &signed, &spec(), &dev_signer()).unwrap();
    (plain, signed, manifest)
}

fn spec() -> ManifestSpec {
    ManifestSpec {
        title: "signed.mp4".into(),
        content_id: ContentId::new(0x0123_4567_89ab_cdef),
        generation: Generation {
            emotion: "happy".into(),
            emotion_strength: 0.7,
            gaze_degrees: [5.0, -2.0],
            seed: 42,
        },
        portrait: Ingredient {
            title: "portrait.png".into(),
            format: "image/png".into(),
            sha256: "ab".repeat(32),
        },
        audio: Ingredient {
            title: "speech.wav".into(),
            format: "audio/wav".into(),
            sha256: "cd".repeat(32),
        },
        consent: ConsentRef {
            credential_id: "urn:uuid:11111111-2222-3333-4444-555555555555".into(),
            issuer: "did:key:z6MkDevIssuer".into(),
            licensee: "provatar-demo".into(),
            license_id: Some("urn:uuid:66666666-7777-8888-9999-000000000000".into()),
        },
        allow_ai_training: false,
        stream: None,
        sound_fingerprint: None,
        picture_fingerprint: None,
    }
}

#[test]
fn signed_video_is_trusted_with_the_dev_anchor_and_valid_untrusted_without() {
    let dir = tempfile::tempdir().unwrap();
    let (plain, signed, manifest) = signed_sample(dir.path());
    assert!(!manifest.is_empty());

    let report = read(&signed, &dev_trust()).unwrap();
    assert_eq!(report.state, ManifestState::Trusted, "{report:?}");
    assert_eq!(report.content_id, Some(spec().content_id));
    assert_eq!(report.consent, Some(spec().consent));
    assert_eq!(
        report.digital_source_type.as_deref(),
        Some(TRAINED_ALGORITHMIC_MEDIA)
    );
    assert_eq!(report.ai_training.as_deref(), Some("notAllowed"));
    assert_eq!(report.title.as_deref(), Some("signed.mp4"));
    assert!(
        report
            .signer
            .as_deref()
            .is_some_and(|s| s.contains("provatar")),
        "{report:?}"
    );

    let untrusted = read(&signed, &TrustAnchors::none()).unwrap();
    assert_eq!(untrusted.state, ManifestState::ValidUntrusted);
    assert!(
        untrusted
            .codes
            .iter()
            .any(|c| c == "signingCredential.untrusted"),
        "{untrusted:?}"
    );
    // The unsigned original has no manifest.
    assert_eq!(
        read(&plain, &dev_trust()).unwrap().state,
        ManifestState::Absent
    );
}

/// The offset of the first `mdat` box's payload.
fn mdat_payload(bytes: &[u8]) -> usize {
    let mut at = 0;
    while at + 8 <= bytes.len() {
        let size = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        if &bytes[at + 4..at + 8] == b"mdat" {
            return at + 8;
        }
        assert!(size >= 8, "unexpected box size");
        at += size;
    }
    panic!("no mdat");
}

#[test]
fn one_flipped_media_byte_makes_the_manifest_invalid() {
    let dir = tempfile::tempdir().unwrap();
    let (_, signed, _) = signed_sample(dir.path());
    let mut bytes = std::fs::read(&signed).unwrap();
    let at = mdat_payload(&bytes) + 40;
    bytes[at] ^= 0x01;
    let report = read_bytes(bytes, "video/mp4", &dev_trust()).unwrap();
    assert_eq!(report.state, ManifestState::Invalid, "{report:?}");
    assert!(
        report.codes.iter().any(|c| c.contains("mismatch")),
        "{report:?}"
    );
}

#[test]
fn garbage_and_truncated_files_are_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let (_, signed, _) = signed_sample(dir.path());
    let bytes = std::fs::read(&signed).unwrap();
    for cut in [0, 7, 100, bytes.len() / 2, bytes.len() - 1] {
        // Either an error or a non-trusted verdict; never a panic, never "trusted".
        if let Ok(r) = read_bytes(bytes[..cut].to_vec(), "video/mp4", &dev_trust()) {
            assert_ne!(r.state, ManifestState::Trusted, "cut at {cut}: {r:?}");
        }
    }
    assert!(read_bytes(b"not an mp4 at all".to_vec(), "video/mp4", &dev_trust()).is_err());
    assert!(matches!(
        read(&dir.path().join("missing.mp4"), &dev_trust()),
        Err(Error::Io { .. })
    ));
}

#[test]
fn the_store_recovers_a_manifest_by_content_id() {
    let dir = tempfile::tempdir().unwrap();
    let (_, signed, manifest) = signed_sample(dir.path());
    // A remux (`ffmpeg -c copy`) drops the manifest...
    let remux = dir.path().join("remux.mp4");
    let status = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-i"])
        .arg(&signed)
        .args(["-c", "copy"])
        .arg(&remux)
        .status()
        .expect("ffmpeg is needed (scripts/test installs it)");
    assert!(status.success());
    assert_eq!(
        read(&remux, &dev_trust()).unwrap().state,
        ManifestState::Absent
    );
    // ... and the store gives it back by the content id the watermark carries.
    let store = ManifestStore::open(&dir.path().join("store")).unwrap();
    store.put(spec().content_id, &manifest).unwrap();
    let found = store.recover(spec().content_id).unwrap().unwrap();
    assert_eq!(found, manifest);
    assert!(store.recover(ContentId::new(7)).unwrap().is_none());
    // Read alone, the manifest's signature and assertions check; its hard binding (the
    // hash of the MP4 it was made for) cannot match — the only failure code.
    let report = read_bytes(found, "application/c2pa", &dev_trust()).unwrap();
    assert_eq!(report.codes, ["assertion.bmffHash.mismatch"], "{report:?}");
    assert!(report.signer.is_some());
    assert_eq!(report.content_id, Some(spec().content_id));
    assert_eq!(report.consent, Some(spec().consent));
}

struct Refusing;
impl ExternalSigner for Refusing {
    fn sign(&self, _: &[u8]) -> Result<Vec<u8>, String> {
        Err("the HSM is offline".into())
    }
}

#[test]
fn signer_problems_are_refused_and_leave_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let (plain, signed) = (dir.path().join("plain.mp4"), dir.path().join("signed.mp4"));
    mp4(&plain);
    let chain = std::fs::read(repo().join("keys/dev/signer-chain.pem")).unwrap();
    let external = Signer::external(Arc::new(Refusing), chain).unwrap();
    let err = sign(&plain, &signed, &spec(), &external).unwrap_err();
    assert!(err.to_string().contains("HSM is offline"), "{err}");
    assert!(!signed.exists());
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "temporary file left"
    );
    // A key file that is not a key: named, its content never echoed.
    let bad = dir.path().join("bad.key");
    std::fs::write(&bad, "TOP-SECRET-NOT-A-KEY").unwrap();
    let err = Signer::from_files(&repo().join("keys/dev/signer-chain.pem"), &bad).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("bad.key") && !text.contains("TOP-SECRET"),
        "{text}"
    );
    // A chain file without a certificate.
    let err = Signer::from_files(&bad, &repo().join("keys/dev/signer.key")).unwrap_err();
    assert!(matches!(err, Error::SignerChain { .. }), "{err}");
    // The key file given where the signer's directory belongs: said so, with the file's name
    // and not its content.
    let err = Signer::from_dir(&repo().join("keys/dev/signer.key")).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("signer.key: a signer is the directory") && !text.contains("PRIVATE"),
        "{text}"
    );
}

/// A leaf (with `eku`, valid `from..until` years) under a fresh CA, as (chain PEM, key PEM).
fn test_chain(eku: &[u64], from: i32, until: i32) -> (String, String) {
    use rcgen::{
        BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose,
        IsCa, KeyIdMethod, KeyPair, KeyUsagePurpose, date_time_ymd,
    };
    let ca_key = KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.distinguished_name = DistinguishedName::new();
    ca.distinguished_name.push(DnType::OrganizationName, "test");
    ca.distinguished_name.push(DnType::CommonName, "test CA");
    ca.key_identifier_method = KeyIdMethod::Sha256;
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.not_before = date_time_ymd(2000, 1, 1);
    ca.not_after = date_time_ymd(2090, 1, 1);
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let leaf_key = KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
    let mut leaf = CertificateParams::new(Vec::<String>::new()).unwrap();
    leaf.distinguished_name = DistinguishedName::new();
    leaf.distinguished_name
        .push(DnType::OrganizationName, "test");
    leaf.distinguished_name
        .push(DnType::CommonName, "test signer");
    leaf.use_authority_key_identifier_extension = true;
    leaf.key_identifier_method = KeyIdMethod::Sha256;
    leaf.is_ca = IsCa::ExplicitNoCa;
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::Other(eku.to_vec())];
    leaf.not_before = date_time_ymd(from, 1, 1);
    leaf.not_after = date_time_ymd(until, 1, 1);
    let leaf_cert = leaf.signed_by(&leaf_key, &ca_cert, &ca_key).unwrap();
    (
        format!("{}{}", leaf_cert.pem(), ca_cert.pem()),
        leaf_key.serialize_pem(),
    )
}

#[test]
fn expired_or_wrong_eku_certificates_are_refused_at_signing() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.mp4");
    mp4(&plain);
    let claim_signing = [1, 3, 6, 1, 4, 1, 62558, 2, 1];
    let server_auth = [1, 3, 6, 1, 5, 5, 7, 3, 1];
    for (name, eku, from, until, ok) in [
        ("good", &claim_signing[..], 2020, 2080, true),
        ("expired", &claim_signing[..], 2010, 2020, false),
        ("not yet valid", &claim_signing[..], 2070, 2080, false),
        ("server auth", &server_auth[..], 2020, 2080, false),
    ] {
        let (chain, key) = test_chain(eku, from, until);
        let (chain_path, key_path) = (dir.path().join("chain.pem"), dir.path().join("k.key"));
        std::fs::write(&chain_path, chain).unwrap();
        std::fs::write(&key_path, key).unwrap();
        let signed = dir.path().join(format!("{name}.mp4"));
        let result = Signer::from_files(&chain_path, &key_path)
            .and_then(|s| sign(&plain, &signed, &spec(), &s));
        assert_eq!(
            result.is_ok(),
            ok,
            "{name}: {:?}",
            result.as_ref().map(|_| ())
        );
        if let Err(e) = result {
            assert!(matches!(e, Error::SignerCertificate(_)), "{name}: {e}");
        }
        assert_eq!(signed.exists(), ok, "{name}");
    }
}

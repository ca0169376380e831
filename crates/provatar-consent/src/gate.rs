//! `Gate::admit`: one call that runs every check and returns what later stages need.

use chrono::{DateTime, Duration, Utc};
use provatar_types::Frame;
use sha2::{Digest, Sha256};

use crate::documents::{
    ConsentCredential, ConsentLimits, IntegratorLicense, LicenseFeatures, Signed, TALKING_AVATAR,
    parse_time,
};
use crate::error::{Doc, GateError};
use crate::phash::{distance, perceptual_hash};
use crate::policy::{AiTraining, Policy, PortraitMatch};
use crate::trust::TrustStore;

/// The portrait as the gate sees it: its file bytes (for SHA-256) and, when the policy may
/// match approximately, its decoded pixels.
#[derive(Debug, Clone, Copy)]
pub struct Portrait<'a> {
    /// The file's bytes.
    pub bytes: &'a [u8],
    /// The decoded picture.
    pub pixels: Option<&'a Frame>,
}

/// What is being asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// Length of the clip in seconds (0 for a stream; see [`Admission::check_clip`]).
    pub clip_seconds: f64,
    /// The emotion to show.
    pub emotion: String,
    /// Its strength, 0..1.
    pub emotion_strength: f32,
    /// Frame side in pixels.
    pub size: u32,
    /// Whether this is a streaming session.
    pub streaming: bool,
}

/// Lowercase hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        use std::fmt::Write as _;
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// What a valid consent credential established.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsentFacts {
    /// Credential id.
    pub id: String,
    /// Issuer did:key.
    pub issuer: String,
    /// Pseudonymous subject id.
    pub subject: String,
    /// Licensee.
    pub licensee: String,
    /// Limits.
    pub limits: ConsentLimits,
    /// End of validity.
    pub valid_until: String,
}

/// What a valid license established.
#[derive(Debug, Clone, PartialEq)]
pub struct LicenseFacts {
    /// License id.
    pub id: String,
    /// Vendor did:key.
    pub vendor: String,
    /// Integrator id.
    pub integrator: String,
    /// The integrator's C2PA signer key, did:key.
    pub signer_key: String,
    /// Features.
    pub features: LicenseFeatures,
    /// End of validity.
    pub valid_until: String,
}

fn check_dates(
    what: Doc,
    from: &str,
    until: &str,
    now: DateTime<Utc>,
    skew: Duration,
) -> Result<(), GateError> {
    let (f, u) = (
        parse_time(what, "validFrom", from)?,
        parse_time(what, "validUntil", until)?,
    );
    if u < f {
        return Err(GateError::Malformed {
            what,
            why: "validUntil is before validFrom".into(),
        });
    }
    if now + skew < f {
        return Err(GateError::NotYetValid {
            what,
            from: from.into(),
        });
    }
    if now - skew > u {
        return Err(GateError::Expired {
            what,
            until: until.into(),
        });
    }
    Ok(())
}

/// Checks a consent credential: signature, trusted issuer, dates, permitted use, revocation,
/// and (when given) the portrait and the licensee.
pub fn check_consent(
    consent: &Signed<ConsentCredential>,
    trust: &TrustStore,
    policy: &Policy,
    now: DateTime<Utc>,
    portrait: Option<&Portrait<'_>>,
    licensee: Option<&str>,
) -> Result<ConsentFacts, GateError> {
    let c = &consent.doc;
    if !c.types.iter().any(|t| t == "AvatarConsentCredential") {
        return Err(GateError::Malformed {
            what: Doc::Consent,
            why: "its type is not AvatarConsentCredential".into(),
        });
    }
    let issuer = consent.check_proof(Doc::Consent, &c.issuer)?;
    let allowed_by_policy =
        policy.trusted_issuers.is_empty() || policy.trusted_issuers.contains(&issuer);
    if !trust.issuers().contains(&issuer) || !allowed_by_policy {
        return Err(GateError::UntrustedIssuer { issuer });
    }
    let skew = Duration::seconds(i64::from(policy.clock_skew_seconds));
    check_dates(Doc::Consent, &c.valid_from, &c.valid_until, now, skew)?;
    let s = &c.credential_subject;
    if s.permitted_use != TALKING_AVATAR {
        return Err(GateError::UseNotPermitted {
            permitted: s.permitted_use.clone(),
        });
    }
    if let Some(r) = trust.revocation(&issuer, &c.id) {
        return Err(GateError::Revoked {
            id: c.id.clone(),
            at: r.revoked_at.clone(),
        });
    }
    if let Some(p) = portrait {
        check_portrait(&s.portrait, p, policy)?;
    }
    if let Some(l) = licensee
        && l != s.licensee
    {
        return Err(GateError::LicenseeMismatch {
            credential: s.licensee.clone(),
            requested: l.into(),
        });
    }
    Ok(ConsentFacts {
        id: c.id.clone(),
        issuer,
        subject: s.id.clone(),
        licensee: s.licensee.clone(),
        limits: s.limits.clone().unwrap_or_default(),
        valid_until: c.valid_until.clone(),
    })
}

fn check_portrait(
    binding: &crate::documents::PortraitBinding,
    portrait: &Portrait<'_>,
    policy: &Policy,
) -> Result<(), GateError> {
    let actual = sha256_hex(portrait.bytes);
    if actual.eq_ignore_ascii_case(&binding.sha256) {
        return Ok(());
    }
    let mismatch = || GateError::PortraitMismatch {
        expected: binding.sha256.clone(),
        actual: actual.clone(),
    };
    if policy.portrait_match == PortraitMatch::Exact {
        return Err(mismatch());
    }
    let (Some(pixels), Some(expected)) = (portrait.pixels, binding.perceptual_hash.as_deref())
    else {
        return Err(mismatch());
    };
    let expected = u64::from_str_radix(expected, 16).map_err(|_| GateError::Malformed {
        what: Doc::Consent,
        why: "portrait.perceptualHash is not 16 hex digits".into(),
    })?;
    let d = distance(expected, perceptual_hash(pixels));
    if d > policy.perceptual_max_distance {
        return Err(GateError::PortraitNotSimilar {
            distance: d,
            max: policy.perceptual_max_distance,
            actual,
        });
    }
    Ok(())
}

/// Checks an integrator license: signature, trusted vendor, dates.
pub fn check_license(
    license: &Signed<IntegratorLicense>,
    trust: &TrustStore,
    skew_seconds: u32,
    now: DateTime<Utc>,
) -> Result<LicenseFacts, GateError> {
    let l = &license.doc;
    if !l.types.iter().any(|t| t == "IntegratorLicenseCredential") {
        return Err(GateError::Malformed {
            what: Doc::License,
            why: "its type is not IntegratorLicenseCredential".into(),
        });
    }
    let vendor = license.check_proof(Doc::License, &l.issuer)?;
    if !trust.vendors().contains(&vendor) {
        return Err(GateError::UntrustedVendor { vendor });
    }
    let skew = Duration::seconds(i64::from(skew_seconds));
    check_dates(Doc::License, &l.valid_from, &l.valid_until, now, skew)?;
    crate::did::parse_did_key(&l.credential_subject.signer_key).map_err(|e| {
        GateError::Malformed {
            what: Doc::License,
            why: format!("signerKey: {e}"),
        }
    })?;
    Ok(LicenseFacts {
        id: l.id.clone(),
        vendor,
        integrator: l.credential_subject.id.clone(),
        signer_key: l.credential_subject.signer_key.clone(),
        features: l.credential_subject.features,
        valid_until: l.valid_until.clone(),
    })
}

/// The gate: a trust store, a policy and a clock.
#[derive(Debug, Clone)]
pub struct Gate<'a> {
    trust: &'a TrustStore,
    policy: &'a Policy,
    now: Option<DateTime<Utc>>,
}

/// Proof that a request passed the gate, and what later stages record (the manifest's consent
/// and license facts) and enforce (limits, and the very picture admitted). Only this crate can
/// make one, and it cannot be copied: one admission is one decision.
#[derive(Debug, PartialEq)]
pub struct Admission {
    consent: Option<ConsentFacts>,
    license: LicenseFacts,
    policy_name: String,
    portrait_sha256: String,
    /// SHA-256 of the decoded picture admitted (size and pixels), when the gate was given it.
    pixels_sha256: Option<[u8; 32]>,
    max_clip_seconds: u32,
    min_face_pixels: u32,
    portrait_thumbnail: bool,
    ai_training: AiTraining,
}

impl<'a> Gate<'a> {
    /// A gate that checks against `trust` and `policy` at the current time.
    pub fn new(trust: &'a TrustStore, policy: &'a Policy) -> Self {
        Self {
            trust,
            policy,
            now: None,
        }
    }

    /// The same gate with its clock set (for tests and for re-checking past decisions).
    #[must_use]
    pub fn at(mut self, now: DateTime<Utc>) -> Self {
        self.now = Some(now);
        self
    }

    /// Runs every check: the license (vendor, signature, dates, features), the consent
    /// (issuer, signature, dates, use, revocation, portrait, licensee = the license's
    /// integrator) unless the policy does not require one, and the request against the
    /// policy's, the consent's and the license's limits.
    pub fn admit(
        &self,
        portrait: &Portrait<'_>,
        consent: Option<&Signed<ConsentCredential>>,
        license: &Signed<IntegratorLicense>,
        request: &Request,
    ) -> Result<Admission, GateError> {
        let now = self.now.unwrap_or_else(Utc::now);
        let policy = self.policy;
        let license = check_license(license, self.trust, policy.clock_skew_seconds, now)?;
        let consent = match consent {
            Some(c) => Some(check_consent(
                c,
                self.trust,
                policy,
                now,
                Some(portrait),
                Some(&license.integrator),
            )?),
            None if policy.require_consent => return Err(GateError::ConsentRequired),
            None => None,
        };
        // Limits: the tightest of policy, license and consent.
        let mut max_clip = (policy.max_clip_seconds, "policy");
        if license.features.max_duration_seconds < max_clip.0 {
            max_clip = (license.features.max_duration_seconds, "integrator license");
        }
        if let Some(m) = consent.as_ref().and_then(|c| c.limits.max_clip_seconds)
            && m < max_clip.0
        {
            max_clip = (m, "consent credential");
        }
        if request.clip_seconds > f64::from(max_clip.0) {
            return Err(GateError::ClipTooLong {
                seconds: request.clip_seconds,
                max: max_clip.0,
                by: max_clip.1,
            });
        }
        if !policy.allowed_emotions.contains(&request.emotion) {
            return Err(GateError::EmotionNotAllowed {
                emotion: request.emotion.clone(),
                by: "policy",
            });
        }
        if let Some(allowed) = consent
            .as_ref()
            .and_then(|c| c.limits.allowed_emotions.as_ref())
            && !allowed.contains(&request.emotion)
        {
            return Err(GateError::EmotionNotAllowed {
                emotion: request.emotion.clone(),
                by: "consent credential",
            });
        }
        if request.emotion_strength > policy.max_emotion_strength {
            return Err(GateError::EmotionTooStrong {
                strength: request.emotion_strength,
                max: policy.max_emotion_strength,
            });
        }
        if request.size > license.features.max_resolution {
            return Err(GateError::ResolutionNotLicensed {
                size: request.size,
                max: license.features.max_resolution,
            });
        }
        if request.streaming && !license.features.streaming {
            return Err(GateError::StreamingNotLicensed);
        }
        Ok(Admission {
            consent,
            license,
            policy_name: policy.name.clone(),
            portrait_sha256: sha256_hex(portrait.bytes),
            pixels_sha256: portrait.pixels.map(pixels_digest),
            max_clip_seconds: max_clip.0,
            min_face_pixels: policy.min_face_pixels,
            portrait_thumbnail: policy.portrait_thumbnail,
            ai_training: policy.ai_training,
        })
    }
}

impl Admission {
    /// The consent credential's facts (`None` when the policy admitted a portrait without).
    pub fn consent(&self) -> Option<&ConsentFacts> {
        self.consent.as_ref()
    }

    /// The license's facts.
    pub fn license(&self) -> &LicenseFacts {
        &self.license
    }

    /// The policy's name.
    pub fn policy_name(&self) -> &str {
        &self.policy_name
    }

    /// The portrait file's SHA-256 (hex).
    pub fn portrait_sha256(&self) -> &str {
        &self.portrait_sha256
    }

    /// Whether `picture` is the decoded picture this admission was given for (its size and
    /// every pixel). An admission made without the pixels admits none: the renderer refuses
    /// to draw a picture the gate did not see.
    pub fn admits_pixels(&self, picture: &Frame) -> bool {
        self.pixels_sha256 == Some(pixels_digest(picture))
    }

    /// The longest clip allowed, seconds.
    pub fn max_clip_seconds(&self) -> u32 {
        self.max_clip_seconds
    }

    /// Whether the manifest may carry a portrait thumbnail.
    pub fn portrait_thumbnail(&self) -> bool {
        self.portrait_thumbnail
    }

    /// The manifest's AI-training statement.
    pub fn ai_training(&self) -> AiTraining {
        self.ai_training
    }

    /// Checks the analysed face's width against the policy's minimum.
    pub fn check_face(&self, pixels: u32) -> Result<(), GateError> {
        if pixels < self.min_face_pixels {
            return Err(GateError::FaceTooSmall {
                pixels,
                min: self.min_face_pixels,
            });
        }
        Ok(())
    }

    /// Checks a clip (or a stream so far) against the longest allowed.
    pub fn check_clip(&self, seconds: f64) -> Result<(), GateError> {
        if seconds > f64::from(self.max_clip_seconds) {
            return Err(GateError::ClipTooLong {
                seconds,
                max: self.max_clip_seconds,
                by: "admission",
            });
        }
        Ok(())
    }

    /// Checks that the C2PA signer is the licensed one.
    pub fn check_signer(&self, signer_did: &str) -> Result<(), GateError> {
        if signer_did != self.license.signer_key {
            return Err(GateError::SignerNotLicensed {
                signer: signer_did.into(),
                licensed: self.license.signer_key.clone(),
            });
        }
        Ok(())
    }
}

/// SHA-256 of a picture's size and pixels.
fn pixels_digest(picture: &Frame) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(picture.width().to_le_bytes());
    h.update(picture.height().to_le_bytes());
    h.update(picture.rgb());
    h.finalize().into()
}

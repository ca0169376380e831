//! The three signed documents of the gate — consent credentials, integrator licenses and
//! revocation lists — as JSON shaped like W3C Verifiable Credentials (Data Model 2.0), each
//! with an `eddsa-jcs-2022` proof.
//!
//! Parsing is strict: a document larger than 64 KiB, with an unknown member, a duplicate
//! member or a malformed date is refused before any signature is checked, and the signature is
//! checked over the document exactly as received.

use chrono::{DateTime, SecondsFormat, Utc};
use ed25519_dalek::SigningKey;
use rand_core::{OsRng, RngCore as _};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::did::did_key;
use crate::error::{Doc, GateError};
use crate::proof::{self, Proof};

/// The W3C Verifiable Credentials 2.0 context.
pub const VC_CONTEXT: &str = "https://www.w3.org/ns/credentials/v2";
/// provatar's vocabulary for the terms below (a name, not fetched by anything).
pub const PROVATAR_CONTEXT: &str = "https://provatar.dev/ns/gate/v1";
/// The use a consent credential must permit for a talking avatar.
pub const TALKING_AVATAR: &str = "talking-avatar";
/// Largest document the parsers accept.
pub const MAX_DOCUMENT_BYTES: usize = 64 * 1024;

/// A fresh `urn:uuid:` (version 4) from the operating system's randomness.
pub fn new_id() -> String {
    let mut b = [0u8; 16];
    OsRng.fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex = crate::gate::hex(&b);
    format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// An RFC 3339 timestamp as documents write it (UTC, seconds).
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Reads an RFC 3339 timestamp.
pub fn parse_time(what: Doc, field: &'static str, s: &str) -> Result<DateTime<Utc>, GateError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| GateError::Malformed {
            what,
            why: format!("{field} is not an RFC 3339 date-time: {s:?}"),
        })
}

/// A parsed document together with the exact JSON it came from (what its proof covers).
#[derive(Debug, Clone)]
pub struct Signed<T> {
    /// The typed content.
    pub doc: T,
    raw: Value,
}

impl<T: DeserializeOwned + Serialize> Signed<T> {
    /// Parses a document strictly (see the module documentation); does not check the proof.
    pub fn parse(what: Doc, bytes: &[u8]) -> Result<Self, GateError> {
        if bytes.len() > MAX_DOCUMENT_BYTES {
            return Err(GateError::Malformed {
                what,
                why: format!("it is larger than {} KiB", MAX_DOCUMENT_BYTES / 1024),
            });
        }
        let malformed = |e: serde_json::Error| GateError::Malformed {
            what,
            why: e.to_string(),
        };
        // The typed parse refuses unknown and duplicate members; the untyped one keeps the
        // document as received for the signature.
        let doc: T = serde_json::from_slice(bytes).map_err(malformed)?;
        let raw: Value = serde_json::from_slice(bytes).map_err(malformed)?;
        Ok(Self { doc, raw })
    }

    /// Signs a new document (a `what`) with `key`.
    pub fn sign(
        what: Doc,
        doc: &T,
        key: &SigningKey,
        now: DateTime<Utc>,
    ) -> Result<Self, GateError> {
        let mut raw = serde_json::to_value(doc).map_err(|e| GateError::Malformed {
            what,
            why: e.to_string(),
        })?;
        if let Some(map) = raw.as_object_mut() {
            map.remove("proof");
        }
        let proof = proof::sign(&raw, key, &timestamp(now));
        let proof_value = serde_json::to_value(&proof).unwrap_or(Value::Null);
        if let Some(map) = raw.as_object_mut() {
            map.insert("proof".into(), proof_value);
        }
        let doc = serde_json::from_value(raw.clone()).map_err(|e| GateError::Malformed {
            what,
            why: e.to_string(),
        })?;
        Ok(Self { doc, raw })
    }

    /// The document as JSON text (pretty-printed, as written to files).
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(&self.raw).unwrap_or_default();
        s.push('\n');
        s
    }

    /// Checks the proof and that its key is `claimed` (the document's issuer); returns the
    /// signer's `did:key`.
    pub fn check_proof(&self, what: Doc, claimed: &str) -> Result<String, GateError> {
        let key = proof::verify(&self.raw).map_err(|e| match e {
            proof::ProofError::Missing => GateError::Unsigned { what },
            proof::ProofError::BadSignature => GateError::BadSignature { what },
            other => GateError::Malformed {
                what,
                why: other.to_string(),
            },
        })?;
        let did = did_key(&key);
        if did != claimed {
            return Err(GateError::WrongSigner {
                what,
                claimed: claimed.into(),
                signer: did,
            });
        }
        Ok(did)
    }
}

/// A credential shaped as a W3C Verifiable Credential (Data Model 2.0): who issued it, when it
/// holds, what it says (`S`), and the issuer's proof.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Credential<S> {
    /// JSON-LD contexts.
    #[serde(rename = "@context")]
    pub context: Vec<String>,
    /// The credential's id (`urn:uuid:…`): what revocation lists name.
    pub id: String,
    /// `VerifiableCredential` and the credential's own type.
    #[serde(rename = "type")]
    pub types: Vec<String>,
    /// The issuer's `did:key` (a consent issuer, or a vendor for a license).
    pub issuer: String,
    /// From when it holds (RFC 3339).
    pub valid_from: String,
    /// Until when (RFC 3339).
    pub valid_until: String,
    /// What it says.
    pub credential_subject: S,
    /// The issuer's signature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof: Option<Proof>,
}

impl<S> Credential<S> {
    /// A new, unsigned credential of type `kind` issued by `issuer`.
    fn new(
        kind: &str,
        issuer: &SigningKey,
        valid: (DateTime<Utc>, DateTime<Utc>),
        subject: S,
    ) -> Self {
        Self {
            context: vec![VC_CONTEXT.into(), PROVATAR_CONTEXT.into()],
            id: new_id(),
            types: vec!["VerifiableCredential".into(), kind.into()],
            issuer: did_key(&issuer.verifying_key()),
            valid_from: timestamp(valid.0),
            valid_until: timestamp(valid.1),
            credential_subject: subject,
            proof: None,
        }
    }
}

/// A consent credential: the person in a portrait agrees that one licensee may make talking
/// avatars of it.
pub type ConsentCredential = Credential<ConsentSubject>;

/// An integrator license: a vendor allows one integrator, signing C2PA manifests with one
/// key, to generate avatars with some features.
pub type IntegratorLicense = Credential<LicenseSubject>;

/// What a consent credential says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ConsentSubject {
    /// A pseudonymous id of the person (never their name).
    pub id: String,
    /// The portrait the consent covers.
    pub portrait: PortraitBinding,
    /// The integrator allowed to use it.
    pub licensee: String,
    /// What for: `talking-avatar`.
    pub permitted_use: String,
    /// Further limits the person set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<ConsentLimits>,
}

/// The portrait a consent covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PortraitBinding {
    /// SHA-256 of the portrait file, lowercase hex.
    pub sha256: String,
    /// 64-bit perceptual hash of the portrait's pixels, hex (for policies that accept a
    /// re-saved copy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub perceptual_hash: Option<String>,
}

/// Limits set in a consent credential.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ConsentLimits {
    /// Longest clip, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_clip_seconds: Option<u32>,
    /// Emotions the avatar may show.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_emotions: Option<Vec<String>>,
}

/// What to put in a new consent credential.
#[derive(Debug, Clone)]
pub struct ConsentRequest {
    /// The portrait file's SHA-256 (hex).
    pub portrait_sha256: String,
    /// The portrait's perceptual hash (hex), when the pixels are known.
    pub perceptual_hash: Option<String>,
    /// Pseudonymous subject id.
    pub subject: String,
    /// The licensee (integrator id).
    pub licensee: String,
    /// Start of validity.
    pub valid_from: DateTime<Utc>,
    /// End of validity.
    pub valid_until: DateTime<Utc>,
    /// Limits.
    pub limits: ConsentLimits,
}

impl ConsentCredential {
    /// Issues and signs a consent credential.
    pub fn issue(
        request: ConsentRequest,
        issuer: &SigningKey,
        now: DateTime<Utc>,
    ) -> Result<Signed<Self>, GateError> {
        let limits = (request.limits != ConsentLimits::default()).then_some(request.limits);
        let doc = Self::new(
            "AvatarConsentCredential",
            issuer,
            (request.valid_from, request.valid_until),
            ConsentSubject {
                id: request.subject,
                portrait: PortraitBinding {
                    sha256: request.portrait_sha256,
                    perceptual_hash: request.perceptual_hash,
                },
                licensee: request.licensee,
                permitted_use: TALKING_AVATAR.into(),
                limits,
            },
        );
        Signed::sign(Doc::Consent, &doc, issuer, now)
    }
}

/// Who a license is for, and what it allows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LicenseSubject {
    /// The integrator's id (what consent credentials name as licensee).
    pub id: String,
    /// The integrator's C2PA signing key (from its certificate), as `did:key`.
    pub signer_key: String,
    /// What the integrator may do.
    pub features: LicenseFeatures,
}

/// Licensed features.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LicenseFeatures {
    /// Largest frame side, in pixels.
    pub max_resolution: u32,
    /// Whether streaming generation is allowed.
    pub streaming: bool,
    /// Longest clip, in seconds.
    pub max_duration_seconds: u32,
}

impl IntegratorLicense {
    /// Issues and signs a license.
    pub fn issue(
        integrator: &str,
        signer_key: &ed25519_dalek::VerifyingKey,
        features: LicenseFeatures,
        valid: (DateTime<Utc>, DateTime<Utc>),
        vendor: &SigningKey,
        now: DateTime<Utc>,
    ) -> Result<Signed<Self>, GateError> {
        let doc = Self::new(
            "IntegratorLicenseCredential",
            vendor,
            valid,
            LicenseSubject {
                id: integrator.into(),
                signer_key: did_key(signer_key),
                features,
            },
        );
        Signed::sign(Doc::License, &doc, vendor, now)
    }
}

/// A consent issuer's list of revoked credentials.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RevocationList {
    /// JSON-LD contexts.
    #[serde(rename = "@context")]
    pub context: Vec<String>,
    /// `ProvatarRevocationList`.
    #[serde(rename = "type")]
    pub types: Vec<String>,
    /// The consent issuer's `did:key`; only its own credentials can be revoked here.
    pub issuer: String,
    /// When the list was last signed (RFC 3339).
    pub updated: String,
    /// The revoked credentials.
    pub revoked: Vec<Revocation>,
    /// The issuer's signature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof: Option<Proof>,
}

/// One revoked credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Revocation {
    /// The credential id.
    pub id: String,
    /// When it was revoked (RFC 3339).
    pub revoked_at: String,
}

impl RevocationList {
    /// An empty list for `issuer`.
    pub fn empty(issuer: &str) -> Self {
        Self {
            context: vec![PROVATAR_CONTEXT.into()],
            types: vec!["ProvatarRevocationList".into()],
            issuer: issuer.into(),
            updated: String::new(),
            revoked: Vec::new(),
            proof: None,
        }
    }

    /// Adds `credential_id` (if not there yet) and signs the list anew.
    pub fn revoke(
        mut self,
        credential_id: &str,
        issuer: &SigningKey,
        now: DateTime<Utc>,
    ) -> Result<Signed<Self>, GateError> {
        if self.issuer != did_key(&issuer.verifying_key()) {
            return Err(GateError::WrongSigner {
                what: Doc::Revocations,
                claimed: self.issuer,
                signer: did_key(&issuer.verifying_key()),
            });
        }
        if !self.revoked.iter().any(|r| r.id == credential_id) {
            self.revoked.push(Revocation {
                id: credential_id.into(),
                revoked_at: timestamp(now),
            });
        }
        self.updated = timestamp(now);
        self.proof = None;
        Signed::sign(Doc::Revocations, &self, issuer, now)
    }
}

//! Every way the gate can refuse, each with a message a person understands.

use std::fmt;

/// Which document a message is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Doc {
    /// A consent credential.
    Consent,
    /// An integrator license.
    License,
    /// A revocation list.
    Revocations,
    /// A policy file.
    Policy,
}

impl fmt::Display for Doc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Consent => "consent credential",
            Self::License => "integrator license",
            Self::Revocations => "revocation list",
            Self::Policy => "policy",
        })
    }
}

/// Why the gate refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum GateError {
    /// The document cannot be read as what it should be.
    #[error("the {what} is malformed: {why}")]
    Malformed {
        /// Which document.
        what: Doc,
        /// What is wrong.
        why: String,
    },
    /// The document carries no signature.
    #[error("the {what} is not signed")]
    Unsigned {
        /// Which document.
        what: Doc,
    },
    /// The signature does not match the content.
    #[error("the {what}'s signature does not match its content: it was altered after signing")]
    BadSignature {
        /// Which document.
        what: Doc,
    },
    /// Signed by a key other than the one it names as issuer.
    #[error("the {what} names {claimed} as its issuer but was signed by {signer}")]
    WrongSigner {
        /// Which document.
        what: Doc,
        /// The issuer it names.
        claimed: String,
        /// The key that signed it.
        signer: String,
    },
    /// The consent issuer is not in the trust store (or not allowed by the policy).
    #[error("the consent credential's issuer {issuer} is not a trusted consent issuer")]
    UntrustedIssuer {
        /// The issuer's did:key.
        issuer: String,
    },
    /// The license's vendor is not in the trust store.
    #[error("the integrator license's vendor {vendor} is not a trusted vendor")]
    UntrustedVendor {
        /// The vendor's did:key.
        vendor: String,
    },
    /// Not valid yet.
    #[error("the {what} is not valid before {from}")]
    NotYetValid {
        /// Which document.
        what: Doc,
        /// Start of validity.
        from: String,
    },
    /// No longer valid.
    #[error("the {what} expired on {until}")]
    Expired {
        /// Which document.
        what: Doc,
        /// End of validity.
        until: String,
    },
    /// The portrait's bytes are not the ones the consent covers.
    #[error(
        "the portrait does not match the consent credential (the credential covers sha256 \
         {expected}, this portrait is sha256 {actual})"
    )]
    PortraitMismatch {
        /// The credential's hash.
        expected: String,
        /// The portrait's hash.
        actual: String,
    },
    /// Approximate matching is allowed but the portrait looks different.
    #[error(
        "the portrait does not match the consent credential: it differs from the consented \
         portrait (perceptual distance {distance} > {max}) and its sha256 is {actual}"
    )]
    PortraitNotSimilar {
        /// Hamming distance of the perceptual hashes.
        distance: u32,
        /// Largest accepted.
        max: u32,
        /// The portrait's SHA-256.
        actual: String,
    },
    /// The consent is for another integrator.
    #[error("the consent credential is for licensee {credential}, not {requested}")]
    LicenseeMismatch {
        /// The licensee the credential names.
        credential: String,
        /// The licensee asking.
        requested: String,
    },
    /// The consent does not permit this use.
    #[error("the consent credential permits {permitted:?}, not talking-avatar generation")]
    UseNotPermitted {
        /// What it permits.
        permitted: String,
    },
    /// The issuer revoked the consent.
    #[error("the consent credential {id} was revoked by its issuer on {at}")]
    Revoked {
        /// Credential id.
        id: String,
        /// When.
        at: String,
    },
    /// The policy requires consent and none was given.
    #[error("a consent credential is required (the policy demands one for every portrait)")]
    ConsentRequired,
    /// The clip is longer than allowed.
    #[error("the clip is {seconds:.1} s long; the {by} allows at most {max} s")]
    ClipTooLong {
        /// Clip length.
        seconds: f64,
        /// The limit.
        max: u32,
        /// Who set it: consent credential, integrator license or policy.
        by: &'static str,
    },
    /// The emotion is not allowed.
    #[error("the emotion {emotion:?} is not allowed by the {by}")]
    EmotionNotAllowed {
        /// Requested emotion.
        emotion: String,
        /// Who forbids it.
        by: &'static str,
    },
    /// The emotion strength is above the policy's maximum.
    #[error("emotion strength {strength} is above the policy's maximum {max}")]
    EmotionTooStrong {
        /// Requested.
        strength: f32,
        /// Allowed.
        max: f32,
    },
    /// The frame size is above the license's.
    #[error("a {size}×{size} video is larger than the license allows ({max}×{max})")]
    ResolutionNotLicensed {
        /// Requested side.
        size: u32,
        /// Licensed side.
        max: u32,
    },
    /// Streaming is not licensed.
    #[error("streaming generation is not included in the integrator license")]
    StreamingNotLicensed,
    /// The face is too small for the policy.
    #[error("the face is {pixels} px across; the policy requires at least {min} px")]
    FaceTooSmall {
        /// Face width.
        pixels: u32,
        /// Required.
        min: u32,
    },
    /// A C2PA signer other than the licensed one.
    #[error(
        "the C2PA signer key {signer} is not the one the integrator license names ({licensed})"
    )]
    SignerNotLicensed {
        /// The signer's did:key.
        signer: String,
        /// The licensed did:key.
        licensed: String,
    },
    /// A trust-store file could not be used.
    #[error("trust store: {0}")]
    Trust(String),
    /// The policy file is not valid.
    #[error("the policy is invalid: {0}")]
    Policy(String),
}

impl GateError {
    /// A stable, machine-readable name for the refusal (`--json` reports carry it).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Malformed { .. } => "malformed",
            Self::Unsigned { .. } => "unsigned",
            Self::BadSignature { .. } => "bad-signature",
            Self::WrongSigner { .. } => "wrong-signer",
            Self::UntrustedIssuer { .. } => "untrusted-issuer",
            Self::UntrustedVendor { .. } => "untrusted-vendor",
            Self::NotYetValid { .. } => "not-yet-valid",
            Self::Expired { .. } => "expired",
            Self::PortraitMismatch { .. } => "portrait-mismatch",
            Self::PortraitNotSimilar { .. } => "portrait-not-similar",
            Self::LicenseeMismatch { .. } => "licensee-mismatch",
            Self::UseNotPermitted { .. } => "use-not-permitted",
            Self::Revoked { .. } => "revoked",
            Self::ConsentRequired => "consent-required",
            Self::ClipTooLong { .. } => "clip-too-long",
            Self::EmotionNotAllowed { .. } => "emotion-not-allowed",
            Self::EmotionTooStrong { .. } => "emotion-too-strong",
            Self::ResolutionNotLicensed { .. } => "resolution-not-licensed",
            Self::StreamingNotLicensed => "streaming-not-licensed",
            Self::FaceTooSmall { .. } => "face-too-small",
            Self::SignerNotLicensed { .. } => "signer-not-licensed",
            Self::Trust(_) => "trust-store",
            Self::Policy(_) => "policy",
        }
    }

    /// Whether the input was checked and found wanting (exit status 1), as opposed to being
    /// unreadable (exit status 2).
    pub fn is_verdict(&self) -> bool {
        !matches!(
            self,
            Self::Malformed { .. } | Self::Trust(_) | Self::Policy(_)
        )
    }
}

//! Errors of the provenance crate.

use std::path::PathBuf;

/// Why signing, reading or the manifest store failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// The signer's key file is not an Ed25519 PKCS#8 PEM key (its content is never echoed).
    #[error("{}: not an Ed25519 private key (PKCS#8 PEM)", path.display())]
    SignerKey {
        /// The key file.
        path: PathBuf,
    },
    /// The signer's certificate chain file holds no PEM certificate.
    #[error("{}: no PEM certificate chain", path.display())]
    SignerChain {
        /// The chain file.
        path: PathBuf,
    },
    /// The signer's private key is not the one its leaf certificate names: whatever it signed
    /// would fail as `claimSignature.mismatch`.
    #[error(
        "{}: this private key does not match the leaf certificate in {} (a signature with it \
         would not validate)",
        key.display(),
        chain.display()
    )]
    SignerMismatch {
        /// The key file.
        key: PathBuf,
        /// The chain file.
        chain: PathBuf,
    },
    /// The C2PA library refused the signer's certificate (expired, not yet valid, or without
    /// a signing EKU C2PA accepts).
    #[error(
        "the signer certificate was refused: {0} (C2PA needs a current Ed25519 leaf with the \
         claim-signing, document-signing or email-protection EKU)"
    )]
    SignerCertificate(String),
    /// An external signer refused or failed.
    #[error("the external signer failed: {0}")]
    External(String),
    /// The C2PA library refused the manifest, the signature or the asset.
    #[error("C2PA: {0}")]
    C2pa(String),
    /// A content id in the store is not 16 hex digits.
    #[error("manifest store: {0} is not a content id")]
    StoreKey(String),
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { path, source }
    }
}

impl From<c2pa::Error> for Error {
    fn from(e: c2pa::Error) -> Self {
        Self::C2pa(e.to_string())
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

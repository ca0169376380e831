//! Who signs: a local Ed25519 key with its X.509 chain, or an integrator's external signer
//! (a KMS or HSM that signs bytes and never hands out its key).

use std::path::Path;
use std::sync::Arc;

use ed25519_dalek::Signer as _;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::DecodePrivateKey;

use crate::error::{Error, Result};

/// An integrator's signer: signs the bytes C2PA asks for with the Ed25519 key that the chain's
/// leaf certificate certifies. Implement it for a KMS or HSM.
pub trait ExternalSigner: Send + Sync {
    /// The 64-byte Ed25519 signature of `data`.
    ///
    /// # Errors
    /// Why the signature could not be made (shown to the user: no secrets in it).
    fn sign(&self, data: &[u8]) -> std::result::Result<Vec<u8>, String>;
}

struct LocalKey(SigningKey);

impl ExternalSigner for LocalKey {
    fn sign(&self, data: &[u8]) -> std::result::Result<Vec<u8>, String> {
        Ok(self.0.sign(data).to_bytes().to_vec())
    }
}

/// A C2PA signer: an Ed25519 signing backend and the PEM certificate chain (leaf first) that
/// certifies its key.
#[derive(Clone)]
pub struct Signer {
    backend: Arc<dyn ExternalSigner>,
    chain_pem: Vec<u8>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("chain_pem_bytes", &self.chain_pem.len())
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// The signer `provatar keys new --kind signer --out DIR` wrote: `DIR/signer.key` and
    /// `DIR/signer-chain.pem`.
    ///
    /// # Errors
    /// A missing or malformed key or chain, naming the file (never its content).
    pub fn from_dir(dir: &Path) -> Result<Self> {
        if dir.is_file() {
            return Err(Error::io(dir)(std::io::Error::new(
                std::io::ErrorKind::NotADirectory,
                "a signer is the directory that holds signer.key and signer-chain.pem, not a file",
            )));
        }
        Self::from_files(&dir.join("signer-chain.pem"), &dir.join("signer.key"))
    }

    /// A local signer from a PEM chain file and an Ed25519 PKCS#8 PEM key file.
    ///
    /// # Errors
    /// A missing or malformed key or chain, naming the file (never its content), or a key
    /// that is not the one the chain's leaf certificate names.
    pub fn from_files(chain: &Path, key: &Path) -> Result<Self> {
        let pem = provatar_types::read_limited_text(key, provatar_types::MAX_DOCUMENT_BYTES)
            .map_err(Error::io(key))?;
        let signing = SigningKey::from_pkcs8_pem(&pem).map_err(|_| Error::SignerKey {
            path: key.to_path_buf(),
        })?;
        let chain_pem = read_chain(chain)?;
        let leaf = leaf_public_key(&chain_pem).ok_or_else(|| Error::SignerChain {
            path: chain.to_path_buf(),
        })?;
        if leaf != signing.verifying_key().to_bytes() {
            return Err(Error::SignerMismatch {
                key: key.to_path_buf(),
                chain: chain.to_path_buf(),
            });
        }
        Self::external(Arc::new(LocalKey(signing)), chain_pem)
    }

    /// A signer that delegates to `backend`, with the certificate chain `chain_pem`.
    ///
    /// # Errors
    /// A chain without a PEM certificate.
    pub fn external(backend: Arc<dyn ExternalSigner>, chain_pem: Vec<u8>) -> Result<Self> {
        if !String::from_utf8_lossy(&chain_pem).contains("-----BEGIN CERTIFICATE-----") {
            return Err(Error::SignerChain {
                path: "(external signer chain)".into(),
            });
        }
        Ok(Self { backend, chain_pem })
    }

    /// The `c2pa` signer for one signing.
    pub(crate) fn c2pa(&self) -> c2pa::CallbackSigner {
        let backend = Arc::clone(&self.backend);
        c2pa::CallbackSigner::new(
            move |_context, data: &[u8]| {
                backend
                    .sign(data)
                    .map_err(|e| c2pa::Error::OtherError(Box::new(Error::External(e))))
            },
            c2pa::SigningAlg::Ed25519,
            self.chain_pem.clone(),
        )
    }
}

/// The Ed25519 public key of the first (leaf) certificate in a PEM chain (`None` when the
/// first certificate cannot be parsed or holds another kind of key).
fn leaf_public_key(chain_pem: &[u8]) -> Option<[u8; 32]> {
    use x509_cert::Certificate;
    use x509_cert::der::DecodePem as _;
    let text = std::str::from_utf8(chain_pem).ok()?;
    let begin = text.find("-----BEGIN CERTIFICATE-----")?;
    let end = "-----END CERTIFICATE-----";
    let stop = begin + text[begin..].find(end)? + end.len();
    let cert = Certificate::from_pem(&text[begin..stop]).ok()?;
    let spki = &cert.tbs_certificate.subject_public_key_info;
    // id-Ed25519 (RFC 8410).
    if spki.algorithm.oid.to_string() != "1.3.101.112" {
        return None;
    }
    spki.subject_public_key.as_bytes()?.try_into().ok()
}

fn read_chain(path: &Path) -> Result<Vec<u8>> {
    let bytes = provatar_types::read_limited(path, provatar_types::MAX_DOCUMENT_BYTES)
        .map_err(Error::io(path))?;
    if String::from_utf8_lossy(&bytes).contains("-----BEGIN CERTIFICATE-----") {
        Ok(bytes)
    } else {
        Err(Error::SignerChain {
            path: path.to_path_buf(),
        })
    }
}

//! Ed25519 keys on disk: private keys as PKCS#8 PEM readable by their owner only, public keys as
//! SPKI PEM plus their `did:key`, and for C2PA signing an X.509 chain (a one-leaf CA and a
//! claim-signing leaf) made with rcgen.
//!
//! No function here puts key material in an error message or a log line.

use std::fs::{self, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use chrono::{Datelike as _, Utc};
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{
    DecodePrivateKey as _, DecodePublicKey as _, EncodePrivateKey as _, EncodePublicKey as _,
};
use ed25519_dalek::{SigningKey, VerifyingKey};
use rand_core::OsRng;

use crate::did::{did_key, parse_did_key};

/// The C2PA claim-signing extended key usage (id-kp-c2pa-claimSigning, C2PA 2.x §14.5.1).
pub const C2PA_CLAIM_SIGNING_EKU: [u64; 9] = [1, 3, 6, 1, 4, 1, 62558, 2, 1];
/// How long a signer leaf certificate is valid: long enough that today's videos still validate
/// for years (C2PA validators check the certificate at validation time when there is no
/// trusted timestamp).
pub const SIGNER_VALID_YEARS: i32 = 10;
/// How long the signer's CA certificate is valid.
pub const CA_VALID_YEARS: i32 = 20;

/// What a key is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// Signs consent credentials and revocation lists.
    ConsentIssuer,
    /// Signs integrator licenses.
    Vendor,
    /// Signs C2PA manifests; comes with an X.509 chain.
    Signer,
}

impl KeyKind {
    /// The file stem: `consent-issuer`, `vendor` or `signer`.
    pub fn name(self) -> &'static str {
        match self {
            Self::ConsentIssuer => "consent-issuer",
            Self::Vendor => "vendor",
            Self::Signer => "signer",
        }
    }
}

/// Why a key could not be made, written or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// Refusing to replace an existing key file.
    #[error("{0} already exists; refusing to overwrite a key (choose another --out directory)")]
    Exists(PathBuf),
    /// The file does not hold the expected key.
    #[error("{path}: not {expected}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What it should hold.
        expected: &'static str,
    },
    /// The certificate chain could not be made.
    #[error("cannot make the signer certificate chain: {0}")]
    Certificate(String),
}

/// The files `new_keys` wrote.
#[derive(Debug, Clone)]
pub struct NewKeys {
    /// The private key (PKCS#8 PEM, mode 0600).
    pub private_key: PathBuf,
    /// The public key (SPKI PEM).
    pub public_key: PathBuf,
    /// The public key's `did:key`, also written to `<kind>.did`.
    pub did: String,
    /// For a signer: the leaf certificate followed by its CA (`signer-chain.pem`).
    pub chain: Option<PathBuf>,
    /// For a signer: the CA certificate, the trust anchor to install (`ca.pem`).
    pub ca: Option<PathBuf>,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> KeyError + '_ {
    move |source| KeyError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes a new file; refuses to replace one. Private files are created readable by their
/// owner only (0600) before any byte is written.
fn write_new(path: &Path, contents: &[u8], private: bool) -> Result<(), KeyError> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(if private { 0o600 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut file = options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            KeyError::Exists(path.to_path_buf())
        } else {
            io(path)(e)
        }
    })?;
    file.write_all(contents).map_err(io(path))?;
    file.sync_all().map_err(io(path))
}

/// Makes a new key of `kind` in `dir` (created if needed): `<kind>.key`, `<kind>.pub`,
/// `<kind>.did`, and for a signer `signer-chain.pem` and `ca.pem`. Existing files are never
/// overwritten.
pub fn new_keys(kind: KeyKind, dir: &Path) -> Result<NewKeys, KeyError> {
    fs::create_dir_all(dir).map_err(io(dir))?;
    let name = kind.name();
    let paths = [
        dir.join(format!("{name}.key")),
        dir.join(format!("{name}.pub")),
        dir.join(format!("{name}.did")),
    ];
    let extra = if kind == KeyKind::Signer {
        vec![dir.join("signer-chain.pem"), dir.join("ca.pem")]
    } else {
        Vec::new()
    };
    // Check every target first, so that a refusal leaves nothing half-written.
    for p in paths.iter().chain(&extra) {
        if p.exists() {
            return Err(KeyError::Exists(p.clone()));
        }
    }
    let key = SigningKey::generate(&mut OsRng);
    let private_pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|_| KeyError::Certificate("cannot encode the private key".into()))?;
    let public_pem = key
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .map_err(|_| KeyError::Certificate("cannot encode the public key".into()))?;
    let did = did_key(&key.verifying_key());
    let chain = if kind == KeyKind::Signer {
        Some(signer_chain(&key)?)
    } else {
        None
    };
    write_new(&paths[0], private_pem.as_bytes(), true)?;
    write_new(&paths[1], public_pem.as_bytes(), false)?;
    write_new(&paths[2], format!("{did}\n").as_bytes(), false)?;
    if let Some((chain_pem, ca_pem)) = chain {
        write_new(&extra[0], chain_pem.as_bytes(), false)?;
        write_new(&extra[1], ca_pem.as_bytes(), false)?;
    }
    let [private_key, public_key, _] = paths;
    let mut extra = extra.into_iter();
    Ok(NewKeys {
        private_key,
        public_key,
        did,
        chain: extra.next(),
        ca: extra.next(),
    })
}

/// A certificate chain for C2PA signing with `key`: a leaf (digitalSignature, the C2PA
/// claim-signing EKU, AKI/SKI, valid `SIGNER_VALID_YEARS`) signed by a fresh CA whose private
/// key is discarded once it has signed. Returns (leaf + CA PEM, CA PEM).
fn signer_chain(key: &SigningKey) -> Result<(String, String), KeyError> {
    use rcgen::{
        BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose,
        IsCa, KeyIdMethod, KeyPair, KeyUsagePurpose, date_time_ymd,
    };
    let cert_err = |e: rcgen::Error| KeyError::Certificate(e.to_string());
    let today = Utc::now().date_naive() - chrono::Days::new(1);
    let (y, m, d) = (
        today.year(),
        u8::try_from(today.month()).unwrap_or(1),
        u8::try_from(today.day()).unwrap_or(1),
    );
    // Day 29 of February does not exist in most target years.
    let d_end = d.min(28);
    let did = did_key(&key.verifying_key());
    let short = &did[did.len() - 8..];

    let ca_key = KeyPair::generate_for(&rcgen::PKCS_ED25519).map_err(cert_err)?;
    let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(cert_err)?;
    ca.distinguished_name = DistinguishedName::new();
    ca.distinguished_name
        .push(DnType::OrganizationName, "provatar");
    ca.distinguished_name
        .push(DnType::CommonName, format!("provatar signer CA {short}"));
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.not_before = date_time_ymd(y, m, d);
    ca.not_after = date_time_ymd(y + CA_VALID_YEARS, m, d_end);
    ca.key_identifier_method = KeyIdMethod::Sha256;
    let ca_cert = ca.self_signed(&ca_key).map_err(cert_err)?;

    let pkcs8 = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|_| KeyError::Certificate("cannot encode the signer key".into()))?;
    let leaf_key = KeyPair::from_pem(&pkcs8).map_err(cert_err)?;
    let mut leaf = CertificateParams::new(Vec::<String>::new()).map_err(cert_err)?;
    leaf.distinguished_name = DistinguishedName::new();
    leaf.distinguished_name
        .push(DnType::OrganizationName, "provatar");
    leaf.distinguished_name
        .push(DnType::CommonName, format!("provatar C2PA signer {short}"));
    leaf.is_ca = IsCa::ExplicitNoCa;
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::Other(
        C2PA_CLAIM_SIGNING_EKU.to_vec(),
    )];
    leaf.use_authority_key_identifier_extension = true;
    leaf.key_identifier_method = KeyIdMethod::Sha256;
    leaf.not_before = date_time_ymd(y, m, d);
    leaf.not_after = date_time_ymd(y + SIGNER_VALID_YEARS, m, d_end);
    let leaf_cert = leaf
        .signed_by(&leaf_key, &ca_cert, &ca_key)
        .map_err(cert_err)?;
    let ca_pem = ca_cert.pem();
    Ok((format!("{}{}", leaf_cert.pem(), ca_pem), ca_pem))
}

fn read(path: &Path) -> Result<String, KeyError> {
    let meta = fs::metadata(path).map_err(io(path))?;
    if meta.len() > 64 * 1024 {
        return Err(KeyError::Format {
            path: path.to_path_buf(),
            expected: "a key file (it is larger than 64 KiB)",
        });
    }
    provatar_types::read_limited_text(path, 64 * 1024).map_err(io(path))
}

/// Reads an Ed25519 private key (PKCS#8 PEM).
pub fn load_signing_key(path: &Path) -> Result<SigningKey, KeyError> {
    let pem = read(path)?;
    SigningKey::from_pkcs8_pem(&pem).map_err(|_| KeyError::Format {
        path: path.to_path_buf(),
        expected: "an Ed25519 private key in PKCS#8 PEM",
    })
}

/// Reads an Ed25519 public key: SPKI PEM (`.pub`) or a `did:key` line (`.did`).
pub fn load_public_key(path: &Path) -> Result<VerifyingKey, KeyError> {
    let text = read(path)?;
    let trimmed = text.trim();
    let key = if trimmed.starts_with("did:key:") {
        parse_did_key(trimmed).ok()
    } else {
        VerifyingKey::from_public_key_pem(trimmed).ok()
    };
    key.ok_or(KeyError::Format {
        path: path.to_path_buf(),
        expected: "an Ed25519 public key (SPKI PEM or did:key)",
    })
}

/// The Ed25519 public key of the first (leaf) certificate in a PEM chain.
pub fn certificate_public_key(path: &Path) -> Result<VerifyingKey, KeyError> {
    use x509_cert::Certificate;
    use x509_cert::der::DecodePem as _;
    let text = read(path)?;
    let bad = || KeyError::Format {
        path: path.to_path_buf(),
        expected: "a PEM certificate with an Ed25519 public key",
    };
    let end = "-----END CERTIFICATE-----";
    let first = text
        .find(end)
        .map(|i| &text[..i + end.len()])
        .ok_or_else(bad)?;
    let start = first.find("-----BEGIN CERTIFICATE-----").ok_or_else(bad)?;
    let cert = Certificate::from_pem(&first[start..]).map_err(|_| bad())?;
    let spki = &cert.tbs_certificate.subject_public_key_info;
    // id-Ed25519 (RFC 8410).
    if spki.algorithm.oid.to_string() != "1.3.101.112" {
        return Err(bad());
    }
    let raw: [u8; 32] = spki
        .subject_public_key
        .as_bytes()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(bad)?;
    VerifyingKey::from_bytes(&raw).map_err(|_| bad())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn a_signer_set_is_complete_private_and_consistent() {
        let dir = tempfile::tempdir().unwrap();
        let made = new_keys(KeyKind::Signer, dir.path()).unwrap();
        let key = load_signing_key(&made.private_key).unwrap();
        assert_eq!(
            load_public_key(&made.public_key).unwrap(),
            key.verifying_key()
        );
        assert_eq!(
            load_public_key(&dir.path().join("signer.did")).unwrap(),
            key.verifying_key()
        );
        assert_eq!(made.did, did_key(&key.verifying_key()));
        let chain = made.chain.unwrap();
        let pem = fs::read_to_string(&chain).unwrap();
        assert_eq!(pem.matches("BEGIN CERTIFICATE").count(), 2);
        assert_eq!(certificate_public_key(&chain).unwrap(), key.verifying_key());
        assert!(made.ca.unwrap().exists());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = fs::metadata(&made.private_key)
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "private key mode {mode:o}");
        }
        // A second run refuses to overwrite anything.
        let err = new_keys(KeyKind::Signer, dir.path()).unwrap_err();
        assert!(matches!(err, KeyError::Exists(_)), "{err}");
        assert!(!err.to_string().contains("PRIVATE"));
    }

    #[test]
    fn wrong_files_are_refused_without_showing_their_content() {
        let dir = tempfile::tempdir().unwrap();
        let made = new_keys(KeyKind::Vendor, dir.path()).unwrap();
        // A public key where a private key is expected, and the reverse.
        let err = load_signing_key(&made.public_key).unwrap_err();
        assert!(err.to_string().contains("PKCS#8"), "{err}");
        let err = load_public_key(&made.private_key).unwrap_err();
        let secret = fs::read_to_string(&made.private_key).unwrap();
        let body = secret.lines().nth(1).unwrap();
        assert!(!err.to_string().contains(body), "error shows key material");
        assert!(certificate_public_key(&made.public_key).is_err());
        assert!(matches!(
            load_signing_key(&dir.path().join("missing.key")),
            Err(KeyError::Io { .. })
        ));
    }
}

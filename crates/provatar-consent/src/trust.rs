//! The trust store: a directory of trusted consent issuers (`issuers/`), license vendors
//! (`vendors/`), C2PA trust anchors (`c2pa/`, PEM certificates) and signed revocation lists
//! (`revocations/`). Keys are SPKI PEM (`*.pub`) or `did:key` lines (`*.did`); other files (a
//! README) are ignored.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::did::did_key;
use crate::documents::{Revocation, RevocationList, Signed};
use crate::error::{Doc, GateError};
use crate::keys::load_public_key;

/// Who and what is trusted.
#[derive(Debug, Clone, Default)]
pub struct TrustStore {
    dir: Option<PathBuf>,
    issuers: Vec<String>,
    vendors: Vec<String>,
    c2pa_anchors: Vec<String>,
    revoked: HashMap<String, Vec<Revocation>>,
}

/// The files in `dir` whose extension is one of `ext`, sorted. Hidden files (`.keep`) are
/// left out. With `strict`, any other file is an error rather than skipped: a revocation list
/// saved under another name must not be silently ignored (its consents would look valid).
fn entries(dir: &Path, ext: &[&str], strict: bool) -> Result<Vec<PathBuf>, GateError> {
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let read = std::fs::read_dir(dir)
        .map_err(|e| GateError::Trust(format!("cannot read {}: {e}", dir.display())))?;
    let mut out = Vec::new();
    for p in read.filter_map(Result::ok).map(|e| e.path()) {
        let hidden = p
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if hidden || p.is_dir() {
            continue;
        }
        let known = p
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| ext.contains(&e));
        if known && p.is_file() {
            out.push(p);
        } else if strict {
            return Err(GateError::Trust(format!(
                "{} is not a revocation list: they are .json files, and anything else there \
                 is refused rather than ignored",
                p.display()
            )));
        }
    }
    out.sort();
    Ok(out)
}

impl TrustStore {
    /// Trusts nothing.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Loads a trust directory. A revocation list that does not verify is an error: a
    /// verifier that silently skipped it would accept revoked consent.
    pub fn load(dir: &Path) -> Result<Self, GateError> {
        if !dir.is_dir() {
            return Err(GateError::Trust(format!(
                "{} is not a directory (expected issuers/, vendors/, c2pa/, revocations/)",
                dir.display()
            )));
        }
        let mut store = Self {
            dir: Some(dir.to_path_buf()),
            ..Self::default()
        };
        for (sub, list) in [("issuers", 0), ("vendors", 1)] {
            for path in entries(&dir.join(sub), &["pub", "did"], false)? {
                let key = load_public_key(&path).map_err(|e| GateError::Trust(e.to_string()))?;
                let did = did_key(&key);
                let target = if list == 0 {
                    &mut store.issuers
                } else {
                    &mut store.vendors
                };
                if !target.contains(&did) {
                    target.push(did);
                }
            }
        }
        for path in entries(&dir.join("c2pa"), &["pem", "crt"], false)? {
            let pem = provatar_types::read_limited_text(&path, provatar_types::MAX_DOCUMENT_BYTES)
                .map_err(|e| GateError::Trust(format!("cannot read {}: {e}", path.display())))?;
            if !pem.contains("-----BEGIN CERTIFICATE-----") {
                return Err(GateError::Trust(format!(
                    "{} holds no PEM certificate",
                    path.display()
                )));
            }
            store.c2pa_anchors.push(pem);
        }
        for path in entries(&dir.join("revocations"), &["json"], true)? {
            // A status list of a few million credentials still fits.
            let bytes =
                provatar_types::read_limited(&path, 16 * provatar_types::MAX_DOCUMENT_BYTES)
                    .map_err(|e| {
                        GateError::Trust(format!("cannot read {}: {e}", path.display()))
                    })?;
            store
                .add_revocations_bytes(&bytes)
                .map_err(|e| GateError::Trust(format!("{}: {e}", path.display())))?;
        }
        Ok(store)
    }

    /// The directory it was loaded from.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// Trusts a consent issuer.
    pub fn add_issuer(&mut self, did: &str) {
        if !self.issuers.iter().any(|d| d == did) {
            self.issuers.push(did.into());
        }
    }

    /// Trusts a license vendor.
    pub fn add_vendor(&mut self, did: &str) {
        if !self.vendors.iter().any(|d| d == did) {
            self.vendors.push(did.into());
        }
    }

    /// Adds a signed revocation list (its proof must verify against the issuer it names).
    pub fn add_revocations_bytes(&mut self, bytes: &[u8]) -> Result<(), GateError> {
        let list = Signed::<RevocationList>::parse(Doc::Revocations, bytes)?;
        list.check_proof(Doc::Revocations, &list.doc.issuer)?;
        let entry = self.revoked.entry(list.doc.issuer.clone()).or_default();
        for r in list.doc.revoked {
            if !entry.iter().any(|e| e.id == r.id) {
                entry.push(r);
            }
        }
        Ok(())
    }

    /// Trusted consent issuers (did:key).
    pub fn issuers(&self) -> &[String] {
        &self.issuers
    }

    /// Trusted vendors (did:key).
    pub fn vendors(&self) -> &[String] {
        &self.vendors
    }

    /// C2PA trust anchors, PEM.
    pub fn c2pa_anchors(&self) -> &[String] {
        &self.c2pa_anchors
    }

    /// The revocation of credential `id` by `issuer`, if any.
    pub fn revocation(&self, issuer: &str, id: &str) -> Option<&Revocation> {
        self.revoked.get(issuer)?.iter().find(|r| r.id == id)
    }
}

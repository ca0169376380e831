//! Data-integrity proofs with the `eddsa-jcs-2022` cryptosuite (W3C VC Data Integrity EdDSA
//! Cryptosuites v1.0 §3.3): Ed25519 over SHA-256(JCS(proof options)) ‖ SHA-256(JCS(document)).
//!
//! provatar signs its consent credentials, integrator licenses and revocation lists this way.
//! Verification canonicalizes the document exactly as received (minus its `proof`), so any
//! implementation of the cryptosuite can check our signatures and we can check theirs.

use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::did::{did_key, parse_did_key, verification_method};
use crate::jcs::canonicalize;

/// A `DataIntegrityProof` as it appears in a signed document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Proof {
    /// Always `DataIntegrityProof`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Always `eddsa-jcs-2022`.
    pub cryptosuite: String,
    /// When the proof was made (RFC 3339).
    pub created: String,
    /// The signing key, as a `did:key` verification-method URL.
    pub verification_method: String,
    /// Always `assertionMethod`.
    pub proof_purpose: String,
    /// The signature: multibase base58btc (`z…`).
    pub proof_value: String,
}

/// Why a proof does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The document has no `proof`.
    #[error("it is not signed (no proof)")]
    Missing,
    /// The proof is not one this implementation checks.
    #[error("its proof is not an eddsa-jcs-2022 DataIntegrityProof for assertions")]
    Unsupported,
    /// The proof's key or value is malformed.
    #[error("its proof is malformed: {0}")]
    Malformed(String),
    /// The signature does not verify: the document was changed or signed by another key.
    #[error(
        "its signature does not match its content (it was altered, or signed with another key)"
    )]
    BadSignature,
}

fn hash_data(options: &Value, document: &Value) -> Vec<u8> {
    let mut data = Vec::with_capacity(64);
    data.extend_from_slice(&Sha256::digest(canonicalize(options)));
    data.extend_from_slice(&Sha256::digest(canonicalize(document)));
    data
}

/// The proof options: the proof without its value, with the document's `@context`.
fn options(proof: &Proof, document: &Value) -> Value {
    let mut o = serde_json::json!({
        "type": proof.kind,
        "cryptosuite": proof.cryptosuite,
        "created": proof.created,
        "verificationMethod": proof.verification_method,
        "proofPurpose": proof.proof_purpose,
    });
    if let (Some(ctx), Some(map)) = (document.get("@context"), o.as_object_mut()) {
        map.insert("@context".into(), ctx.clone());
    }
    o
}

/// Signs `document` (a JSON object without `proof`) and returns its proof.
pub fn sign(document: &Value, key: &SigningKey, created: &str) -> Proof {
    let did = did_key(&key.verifying_key());
    let mut proof = Proof {
        kind: "DataIntegrityProof".into(),
        cryptosuite: "eddsa-jcs-2022".into(),
        created: created.into(),
        verification_method: verification_method(&did),
        proof_purpose: "assertionMethod".into(),
        proof_value: String::new(),
    };
    let signature = key.sign(&hash_data(&options(&proof, document), document));
    proof.proof_value = format!("z{}", bs58::encode(signature.to_bytes()).into_string());
    proof
}

/// Checks the proof of a signed document as received; returns the key that signed it.
pub fn verify(signed: &Value) -> Result<VerifyingKey, ProofError> {
    let mut document = signed.clone();
    let proof_value = document
        .as_object_mut()
        .and_then(|m| m.remove("proof"))
        .ok_or(ProofError::Missing)?;
    let proof: Proof =
        serde_json::from_value(proof_value).map_err(|e| ProofError::Malformed(e.to_string()))?;
    if proof.kind != "DataIntegrityProof"
        || proof.cryptosuite != "eddsa-jcs-2022"
        || proof.proof_purpose != "assertionMethod"
    {
        return Err(ProofError::Unsupported);
    }
    let key = parse_did_key(&proof.verification_method)
        .map_err(|e| ProofError::Malformed(e.to_string()))?;
    let encoded = proof
        .proof_value
        .strip_prefix('z')
        .filter(|s| s.len() <= 100)
        .ok_or_else(|| ProofError::Malformed("the proof value is not base58btc".into()))?;
    let bytes: [u8; 64] = bs58::decode(encoded)
        .into_vec()
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| ProofError::Malformed("the signature is not 64 bytes".into()))?;
    let signature = Signature::from_bytes(&bytes);
    key.verify_strict(
        &hash_data(&options(&proof, &document), &document),
        &signature,
    )
    .map_err(|_| ProofError::BadSignature)?;
    Ok(key)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn signed(doc: &Value, k: &SigningKey) -> Value {
        let proof = sign(doc, k, "2026-11-24T00:00:00Z");
        let mut out = doc.clone();
        out.as_object_mut()
            .unwrap()
            .insert("proof".into(), serde_json::to_value(proof).unwrap());
        out
    }

    #[test]
    fn a_signature_verifies_and_names_its_key() {
        let doc = serde_json::json!({"@context": ["x"], "a": 1, "b": "two"});
        let s = signed(&doc, &key(7));
        assert_eq!(verify(&s).unwrap(), key(7).verifying_key());
        // Key order and whitespace do not matter: the canonical form is signed.
        let reordered: Value = serde_json::from_str(&format!(
            "{{ \"b\": \"two\", \"proof\": {}, \"a\": 1, \"@context\": [\"x\"] }}",
            s["proof"]
        ))
        .unwrap();
        assert!(verify(&reordered).is_ok());
    }

    #[test]
    fn any_change_breaks_it() {
        let doc = serde_json::json!({"@context": ["x"], "a": 1, "b": "two"});
        let s = signed(&doc, &key(7));
        let mut changed = s.clone();
        changed["a"] = 2.into();
        assert_eq!(verify(&changed), Err(ProofError::BadSignature));
        let mut added = s.clone();
        added["c"] = true.into();
        assert_eq!(verify(&added), Err(ProofError::BadSignature));
        let mut dated = s.clone();
        dated["proof"]["created"] = "2030-01-01T00:00:00Z".into();
        assert_eq!(verify(&dated), Err(ProofError::BadSignature));
        // Another key claiming the signature.
        let mut other = s.clone();
        other["proof"]["verificationMethod"] =
            verification_method(&did_key(&key(8).verifying_key())).into();
        assert_eq!(verify(&other), Err(ProofError::BadSignature));
        // A flipped signature byte.
        let value = s["proof"]["proofValue"].as_str().unwrap();
        let mut sig = bs58::decode(&value[1..]).into_vec().unwrap();
        sig[10] ^= 1;
        let mut flipped = s.clone();
        flipped["proof"]["proofValue"] = format!("z{}", bs58::encode(sig).into_string()).into();
        assert_eq!(verify(&flipped), Err(ProofError::BadSignature));
    }

    #[test]
    fn missing_or_foreign_proofs_are_refused() {
        let doc = serde_json::json!({"a": 1});
        assert_eq!(verify(&doc), Err(ProofError::Missing));
        let mut s = signed(&doc, &key(1));
        s["proof"]["cryptosuite"] = "ecdsa-jcs-2019".into();
        assert_eq!(verify(&s), Err(ProofError::Unsupported));
        let mut s = signed(&doc, &key(1));
        s["proof"]["proofValue"] = "zzz".into();
        assert!(matches!(verify(&s), Err(ProofError::Malformed(_))));
        let mut s = signed(&doc, &key(1));
        s["proof"]["extra"] = 1.into();
        assert!(matches!(verify(&s), Err(ProofError::Malformed(_))));
    }
}

//! `did:key` identifiers for Ed25519 public keys (W3C CCG did:key method): `did:key:z` followed
//! by the base58btc encoding of the multicodec prefix `0xed 0x01` and the 32 key bytes.

use ed25519_dalek::VerifyingKey;

/// The multicodec prefix of an Ed25519 public key.
const ED25519_PUB: [u8; 2] = [0xed, 0x01];

/// The `did:key` of an Ed25519 public key.
pub fn did_key(key: &VerifyingKey) -> String {
    let mut bytes = Vec::with_capacity(34);
    bytes.extend_from_slice(&ED25519_PUB);
    bytes.extend_from_slice(key.as_bytes());
    format!("did:key:z{}", bs58::encode(bytes).into_string())
}

/// The verification-method URL of a `did:key`: the DID, `#`, and its multibase key.
pub fn verification_method(did: &str) -> String {
    let fragment = did.strip_prefix("did:key:").unwrap_or(did);
    format!("{did}#{fragment}")
}

/// Why a `did:key` could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an Ed25519 did:key: {0}")]
pub struct DidError(&'static str);

/// The Ed25519 public key a `did:key` (or its verification-method URL) names.
pub fn parse_did_key(did: &str) -> Result<VerifyingKey, DidError> {
    let did = did.split_once('#').map_or(did, |(d, _)| d);
    let multibase = did
        .strip_prefix("did:key:")
        .ok_or(DidError("it does not start with did:key:"))?;
    let encoded = multibase
        .strip_prefix('z')
        .ok_or(DidError("the key is not base58btc (multibase 'z')"))?;
    if encoded.len() > 64 {
        return Err(DidError("the key is too long"));
    }
    let bytes = bs58::decode(encoded)
        .into_vec()
        .map_err(|_| DidError("the key is not valid base58"))?;
    let key: [u8; 32] = bytes
        .strip_prefix(&ED25519_PUB)
        .ok_or(DidError("the key is not an Ed25519 key"))?
        .try_into()
        .map_err(|_| DidError("an Ed25519 key has 32 bytes"))?;
    VerifyingKey::from_bytes(&key).map_err(|_| DidError("the key is not a valid Ed25519 point"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_matches_the_spec_example() {
        // did:key spec test vector (Ed25519).
        let did = "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp";
        let key = parse_did_key(did).unwrap();
        assert_eq!(did_key(&key), did);
        assert!(did_key(&key).starts_with("did:key:z6Mk"));
        assert_eq!(parse_did_key(&verification_method(did)).unwrap(), key);
    }

    #[test]
    fn rejects_what_is_not_an_ed25519_did_key() {
        for bad in [
            "",
            "did:web:example.com",
            "did:key:6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp",
            "did:key:z0OIl",
            "did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme",
            "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooW",
        ] {
            assert!(parse_did_key(bad).is_err(), "{bad}");
        }
    }
}

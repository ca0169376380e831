//! Watermark keys and the keyed pseudo-random stream the pattern is drawn from.

use sha2::{Digest, Sha256};

/// Domain separation for everything this crate derives from a key.
const DOMAIN: &[u8] = b"provatar-watermark/v1";

/// The text the public verification key is derived from.
const PUBLIC_SEED: &[u8] = b"provatar public watermark verification key";

/// A 256-bit watermark key: it chooses the pattern's signs and the layout of the payload.
///
/// Anyone holding a key can both detect and (with effort) estimate and remove a mark made with
/// it; see SECURITY.md. [`Key::public`] is the documented default, so that any verifier can
/// detect provatar's marks without a secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Key([u8; 32]);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material; a short fingerprint tells keys apart.
        write!(f, "Key(fingerprint {})", self.fingerprint())
    }
}

/// Why a key could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a watermark key is 64 hex digits (32 bytes); {problem}")]
pub struct KeyParseError {
    problem: String,
}

impl Key {
    /// The public default key (derived from a fixed, published text).
    pub fn public() -> Self {
        Self(Sha256::digest(PUBLIC_SEED).into())
    }

    /// Wraps 32 raw bytes.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Parses 64 hex digits; surrounding whitespace and `#` comment lines are ignored, so a key
    /// file may carry a note.
    pub fn from_hex(text: &str) -> Result<Self, KeyParseError> {
        let digits: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .flat_map(|l| l.chars())
            .filter(|c| !c.is_whitespace())
            .collect();
        if digits.len() != 64 {
            return Err(KeyParseError {
                problem: format!("found {} digits", digits.len()),
            });
        }
        let mut bytes = [0u8; 32];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = u8::from_str_radix(&digits[2 * i..2 * i + 2], 16).map_err(|_| KeyParseError {
                problem: "found a character that is not a hex digit".to_owned(),
            })?;
        }
        Ok(Self(bytes))
    }

    /// The key as 64 lowercase hex digits (for writing a key file).
    pub fn to_hex(&self) -> String {
        use std::fmt::Write as _;
        self.0.iter().fold(String::with_capacity(64), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
    }

    /// A public 8-hex-digit fingerprint (a hash of the key, not the key).
    pub fn fingerprint(&self) -> String {
        let h = Sha256::new()
            .chain_update(DOMAIN)
            .chain_update(b"fingerprint")
            .chain_update(self.0)
            .finalize();
        format!("{:02x}{:02x}{:02x}{:02x}", h[0], h[1], h[2], h[3])
    }

    /// A deterministic pseudo-random stream for one purpose (`label`).
    pub(crate) fn stream(&self, label: &str) -> KeyStream {
        KeyStream {
            seed: Sha256::new()
                .chain_update(DOMAIN)
                .chain_update(self.0)
                .chain_update(label.as_bytes())
                .finalize()
                .into(),
            counter: 0,
            block: [0; 32],
            used: 32,
        }
    }
}

impl Default for Key {
    fn default() -> Self {
        Self::public()
    }
}

/// SHA-256 in counter mode: a cryptographic generator, so that the pattern reveals nothing
/// about the key and patterns of different keys are independent (the detector's false-positive
/// bound assumes exactly that).
pub(crate) struct KeyStream {
    seed: [u8; 32],
    counter: u64,
    block: [u8; 32],
    used: usize,
}

impl KeyStream {
    fn byte(&mut self) -> u8 {
        if self.used == self.block.len() {
            self.block = Sha256::new()
                .chain_update(self.seed)
                .chain_update(self.counter.to_le_bytes())
                .finalize()
                .into();
            self.counter += 1;
            self.used = 0;
        }
        self.used += 1;
        self.block[self.used - 1]
    }

    pub(crate) fn next_u32(&mut self) -> u32 {
        u32::from_le_bytes([self.byte(), self.byte(), self.byte(), self.byte()])
    }

    /// A uniform integer in `0..n` (rejection sampling, no modulo bias).
    pub(crate) fn below(&mut self, n: u32) -> u32 {
        debug_assert!(n > 0);
        let zone = u32::MAX - (u32::MAX % n);
        loop {
            let x = self.next_u32();
            if x < zone {
                return x % n;
            }
        }
    }

    pub(crate) fn bit(&mut self) -> bool {
        self.byte() & 1 == 1
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_errors() {
        let k = Key::from_bytes([7; 32]);
        assert_eq!(Key::from_hex(&k.to_hex()).unwrap(), k);
        let with_note = format!("# my key\n{}\n", k.to_hex());
        assert_eq!(Key::from_hex(&with_note).unwrap(), k);
        assert!(Key::from_hex("abcd").is_err());
        assert!(Key::from_hex(&"zz".repeat(32)).is_err());
        // Debug never shows the key.
        let dbg = format!("{k:?}");
        assert!(!dbg.contains(&k.to_hex()[..16]), "{dbg}");
        assert_ne!(Key::public().fingerprint(), k.fingerprint());
    }

    #[test]
    fn streams_are_keyed_and_labelled() {
        let a: Vec<u32> = {
            let mut s = Key::public().stream("x");
            (0..20).map(|_| s.next_u32()).collect()
        };
        let b: Vec<u32> = {
            let mut s = Key::public().stream("y");
            (0..20).map(|_| s.next_u32()).collect()
        };
        let c: Vec<u32> = {
            let mut s = Key::from_bytes([1; 32]).stream("x");
            (0..20).map(|_| s.next_u32()).collect()
        };
        assert_ne!(a, b);
        assert_ne!(a, c);
        let mut s = Key::public().stream("x");
        assert!((0..1000).all(|_| s.below(7) < 7));
    }
}

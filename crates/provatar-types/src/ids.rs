//! Identifiers carried by the watermark and the manifest.

use std::fmt;
use std::str::FromStr;

/// The 64-bit id of one generated video: embedded in every frame by the watermark and recorded
/// in the manifest's soft-binding assertion. Written as 16 lowercase hex digits.
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(into = "String", try_from = "String")]
pub struct ContentId(u64);

impl ContentId {
    /// Wraps a raw value.
    pub const fn new(value: u64) -> Self {
        Self(value)
    }

    /// The raw value.
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for ContentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl fmt::Debug for ContentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ContentId({self})")
    }
}

/// Why a content id could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid content id {text:?} (expected 16 hex digits)")]
pub struct ContentIdParseError {
    text: String,
}

impl FromStr for ContentId {
    type Err = ContentIdParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ContentIdParseError { text: s.to_owned() };
        if s.len() != 16 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(err());
        }
        u64::from_str_radix(s, 16).map(Self).map_err(|_| err())
    }
}

impl From<ContentId> for String {
    fn from(id: ContentId) -> Self {
        id.to_string()
    }
}

impl TryFrom<String> for ContentId {
    type Error = ContentIdParseError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

/// The position of a frame in its video, counted from 0.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct FrameIndex(pub u32);

#[cfg(test)]
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::cast_precision_loss,
    clippy::cast_sign_loss,
    reason = "test arithmetic on small values"
)]
mod tests {
    use super::*;

    #[test]
    fn content_id_round_trips_as_hex() {
        let id = ContentId::new(0x0123_4567_89ab_cdef);
        assert_eq!(id.to_string(), "0123456789abcdef");
        assert_eq!("0123456789ABCDEF".parse::<ContentId>().unwrap(), id);
        assert!("123".parse::<ContentId>().is_err());
        assert!("+123456789abcdef".parse::<ContentId>().is_err());
        assert!("0123456789abcdeg".parse::<ContentId>().is_err());
    }
}

//! Policy files (`policy/*.toml`): strict TOML, every key required, unknown keys refused.

use serde::Deserialize;

use crate::did::parse_did_key;
use crate::error::GateError;

/// The emotions provatar can render.
pub const EMOTIONS: [&str; 5] = ["neutral", "happy", "sad", "angry", "surprised"];

/// How the portrait must match the consented one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PortraitMatch {
    /// The same bytes (SHA-256).
    Exact,
    /// The same picture within a perceptual-hash distance.
    Perceptual,
}

/// What the manifest says about AI training and data mining.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AiTraining {
    /// Not allowed.
    NotAllowed,
    /// Allowed.
    Allowed,
    /// Allowed under conditions.
    Constrained,
}

impl AiTraining {
    /// The CAWG value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotAllowed => "notAllowed",
            Self::Allowed => "allowed",
            Self::Constrained => "constrained",
        }
    }
}

/// A policy. See `policy/default.toml` for what each field means.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Short name, recorded in manifests.
    pub name: String,
    /// Whether a consent credential is required.
    pub require_consent: bool,
    /// Consent issuers accepted (empty: all in the trust store).
    pub trusted_issuers: Vec<String>,
    /// Longest clip in seconds.
    pub max_clip_seconds: u32,
    /// Emotions allowed.
    pub allowed_emotions: Vec<String>,
    /// Strongest expression allowed, 0..1.
    pub max_emotion_strength: f32,
    /// Smallest face, pixels across.
    pub min_face_pixels: u32,
    /// Portrait matching.
    pub portrait_match: PortraitMatch,
    /// Largest perceptual-hash distance for `perceptual` matching.
    pub perceptual_max_distance: u32,
    /// Clock skew allowed on validity dates, seconds.
    pub clock_skew_seconds: u32,
    /// Whether the manifest may carry a portrait thumbnail.
    pub portrait_thumbnail: bool,
    /// The manifest's AI-training statement.
    pub ai_training: AiTraining,
}

/// The shipped default policy's text.
pub const DEFAULT_POLICY: &str = include_str!("../../../policy/default.toml");
/// The shipped strict policy's text.
pub const STRICT_POLICY: &str = include_str!("../../../policy/strict.toml");

impl Policy {
    /// Parses and checks a policy file's text.
    pub fn parse(text: &str) -> Result<Self, GateError> {
        if text.len() > 64 * 1024 {
            return Err(GateError::Policy("the file is larger than 64 KiB".into()));
        }
        let p: Self = toml::from_str(text).map_err(|e| GateError::Policy(e.message().into()))?;
        p.check()?;
        Ok(p)
    }

    /// The shipped default policy.
    pub fn default_policy() -> Self {
        // The shipped file is checked by this crate's tests; parse failure is impossible
        // for it, but stay total.
        Self::parse(DEFAULT_POLICY).unwrap_or(Self {
            name: "default".into(),
            require_consent: true,
            trusted_issuers: Vec::new(),
            max_clip_seconds: 600,
            allowed_emotions: EMOTIONS.iter().map(|s| (*s).to_string()).collect(),
            max_emotion_strength: 1.0,
            min_face_pixels: 80,
            portrait_match: PortraitMatch::Exact,
            perceptual_max_distance: 8,
            clock_skew_seconds: 300,
            portrait_thumbnail: false,
            ai_training: AiTraining::NotAllowed,
        })
    }

    fn check(&self) -> Result<(), GateError> {
        let bad = |why: String| Err(GateError::Policy(why));
        if self.name.trim().is_empty() || self.name.len() > 64 {
            return bad("name must be 1 to 64 characters".into());
        }
        for e in &self.allowed_emotions {
            if !EMOTIONS.contains(&e.as_str()) {
                return bad(format!(
                    "allowed_emotions: unknown emotion {e:?} (known: {})",
                    EMOTIONS.join(", ")
                ));
            }
        }
        if !(0.0..=1.0).contains(&self.max_emotion_strength) {
            return bad("max_emotion_strength must be between 0 and 1".into());
        }
        if self.max_clip_seconds == 0 {
            return bad("max_clip_seconds must be positive".into());
        }
        if self.perceptual_max_distance > 16 {
            return bad("perceptual_max_distance above 16 would accept unrelated pictures".into());
        }
        if self.clock_skew_seconds > 3600 {
            return bad("clock_skew_seconds above an hour is not a clock skew".into());
        }
        for i in &self.trusted_issuers {
            if parse_did_key(i).is_err() {
                return bad(format!("trusted_issuers: {i:?} is not an Ed25519 did:key"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_policies_parse() {
        let d = Policy::parse(DEFAULT_POLICY).unwrap();
        assert!(d.require_consent);
        assert_eq!(d, Policy::default_policy());
        let s = Policy::parse(STRICT_POLICY).unwrap();
        assert!(s.require_consent);
        assert!(s.max_clip_seconds < d.max_clip_seconds);
        assert_eq!(s.portrait_match, PortraitMatch::Exact);
    }

    #[test]
    fn unknown_missing_and_bad_keys_are_errors() {
        let with = |extra: &str| format!("{DEFAULT_POLICY}\n{extra}\n");
        // An attempt to switch the watermark off is an unknown key.
        let err = Policy::parse(&with("watermark = false")).unwrap_err();
        assert!(err.to_string().contains("watermark"), "{err}");
        let err = Policy::parse(&DEFAULT_POLICY.replace("min_face_pixels = 80", "")).unwrap_err();
        assert!(err.to_string().contains("min_face_pixels"), "{err}");
        for (from, to) in [
            ("max_emotion_strength = 1.0", "max_emotion_strength = 1.5"),
            ("\"surprised\"]", "\"bored\"]"),
            ("portrait_match = \"exact\"", "portrait_match = \"roughly\""),
            ("trusted_issuers = []", "trusted_issuers = [\"did:web:x\"]"),
            ("max_clip_seconds = 600", "max_clip_seconds = 0"),
            ("max_clip_seconds = 600", "max_clip_seconds = -5"),
            (
                "perceptual_max_distance = 8",
                "perceptual_max_distance = 40",
            ),
        ] {
            assert!(
                Policy::parse(&DEFAULT_POLICY.replace(from, to)).is_err(),
                "{to}"
            );
        }
        assert!(Policy::parse("not toml [").is_err());
    }
}

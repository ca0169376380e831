//! What a provatar manifest states: the manifest definition handed to the `c2pa` builder.

use provatar_types::ContentId;
use serde_json::{Value, json};

/// The soft-binding algorithm name for provatar's watermark (not on the C2PA soft-binding
/// algorithm list, so named in the project's reverse-domain form; the value is the watermark's
/// 64-bit content id as 16 lowercase hex digits).
pub const SOFT_BINDING_ALG: &str = "org.provatar.watermark.1";
/// Label of provatar's consent assertion.
pub const CONSENT_LABEL: &str = "org.provatar.consent";
/// Label of the assertion that places a segment in its live stream.
pub const STREAM_LABEL: &str = "org.provatar.stream-segment";
/// IPTC digital source type of a generated avatar.
pub const TRAINED_ALGORITHMIC_MEDIA: &str =
    "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia";

/// Everything a provatar manifest records about one generated video.
#[derive(Debug, Clone, PartialEq)]
pub struct ManifestSpec {
    /// The file's title (its name).
    pub title: String,
    /// The watermark's content id: the soft binding that finds this manifest again for a copy
    /// whose manifest was stripped.
    pub content_id: ContentId,
    /// The generation parameters that shape the result.
    pub generation: Generation,
    /// The portrait the video was made from (hash and format only: no thumbnail, so a
    /// verifier cannot extract the face from the manifest).
    pub portrait: Ingredient,
    /// The speech or singing the video was made from.
    pub audio: Ingredient,
    /// The consent behind the video, by reference (no personal data of the subject).
    pub consent: ConsentRef,
    /// Whether the video may be used to train AI models (`cawg.training-mining`); provatar's
    /// default is no.
    pub allow_ai_training: bool,
    /// For one segment of a live stream: where it sits in the stream ([`STREAM_LABEL`]).
    pub stream: Option<StreamSegment>,
    /// A fingerprint of the video's sound ([`FINGERPRINT_LABEL`]): `(algorithm, value)`.
    pub sound_fingerprint: Option<(String, String)>,
    /// A fingerprint of the video's pictures ([`FINGERPRINT_LABEL`]): `(algorithm, value)`.
    pub picture_fingerprint: Option<(String, String)>,
}

/// Label of the assertion holding the content's fingerprints.
pub const FINGERPRINT_LABEL: &str = "org.provatar.fingerprint";

/// Where a signed stream segment sits in its stream. Each segment of a live stream is signed
/// on its own as soon as it is complete (the `c2pa` crate has no live-video manifests); the
/// sequence number and frame range let a verifier find dropped, repeated and reordered
/// segments, and `last` says which segment ended the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct StreamSegment {
    /// Position of the segment in the stream, from 0.
    pub sequence: u32,
    /// Index of the segment's first frame in the stream (the watermark's frame index).
    pub first_frame: u64,
    /// Frames in the segment.
    pub frames: u64,
    /// Whether the stream ended with this segment.
    pub last: bool,
}

/// Generation parameters recorded in the `c2pa.created` action.
#[derive(Debug, Clone, PartialEq)]
pub struct Generation {
    /// Emotion name (`neutral`, `happy`, …).
    pub emotion: String,
    /// Emotion strength, 0..=1.
    pub emotion_strength: f32,
    /// Gaze direction held between saccades: yaw and pitch in degrees.
    pub gaze_degrees: [f32; 2],
    /// The motion seed.
    pub seed: u64,
}

/// An input file, described by its hash and format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ingredient {
    /// Its name.
    pub title: String,
    /// Its media type (`image/png`, `audio/wav`, …).
    pub format: String,
    /// SHA-256 of its bytes, 64 lowercase hex digits.
    pub sha256: String,
}

/// The consent credential and license a video was made under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentRef {
    /// The consent credential's id.
    pub credential_id: String,
    /// Its issuer (a DID).
    pub issuer: String,
    /// The licensee the credential names (the integrator).
    pub licensee: String,
    /// The integrator license's id, when one was presented.
    pub license_id: Option<String>,
}

impl ManifestSpec {
    /// The manifest definition (the `c2pa` builder's JSON form), with the software agent
    /// `agent` (`name`, `version`).
    pub(crate) fn definition(&self, agent: (&str, &str)) -> Value {
        let (name, version) = agent;
        let g = &self.generation;
        let ingredient = |i: &Ingredient| {
            json!({
                "title": i.title,
                "format": i.format,
                "relationship": "inputTo",
                "hash": format!("sha256:{}", i.sha256),
            })
        };
        let training = if self.allow_ai_training {
            "allowed"
        } else {
            "notAllowed"
        };
        let mut definition = json!({
            "title": self.title,
            "format": "video/mp4",
            "claim_generator_info": [{"name": name, "version": version}],
            "ingredients": [ingredient(&self.portrait), ingredient(&self.audio)],
            "assertions": [
                {
                    "label": "c2pa.actions",
                    "data": {"actions": [
                        {
                            "action": "c2pa.created",
                            "digitalSourceType": TRAINED_ALGORITHMIC_MEDIA,
                            "softwareAgent": {"name": name, "version": version},
                            "parameters": {
                                "org.provatar.emotion": g.emotion,
                                "org.provatar.emotion_strength": g.emotion_strength,
                                "org.provatar.gaze_degrees": g.gaze_degrees,
                                "org.provatar.seed": g.seed,
                            },
                        },
                        {
                            "action": "c2pa.watermarked",
                            "softwareAgent": {"name": name, "version": version},
                            "parameters": {"org.provatar.soft_binding": SOFT_BINDING_ALG},
                        },
                    ]},
                },
                {
                    "label": "c2pa.soft-binding",
                    "data": {
                        "alg": SOFT_BINDING_ALG,
                        "blocks": [{"scope": {}, "value": self.content_id.to_string()}],
                    },
                },
                {
                    "label": CONSENT_LABEL,
                    "data": {
                        "credential_id": self.consent.credential_id,
                        "issuer": self.consent.issuer,
                        "licensee": self.consent.licensee,
                        "license_id": self.consent.license_id,
                    },
                },
                {
                    "label": "cawg.training-mining",
                    "data": {"entries": {
                        "cawg.ai_generative_training": {"use": training},
                        "cawg.ai_training": {"use": training},
                        "cawg.ai_inference": {"use": training},
                        "cawg.data_mining": {"use": training},
                    }},
                },
            ],
        });
        if let (Some(seg), Some(assertions)) =
            (self.stream, definition["assertions"].as_array_mut())
        {
            assertions.push(json!({
                "label": STREAM_LABEL,
                "data": {
                    "stream_id": self.content_id.to_string(),
                    "sequence": seg.sequence,
                    "first_frame": seg.first_frame,
                    "frames": seg.frames,
                    "last": seg.last,
                },
            }));
        }
        let part = |f: &Option<(String, String)>| {
            f.as_ref()
                .map(|(alg, value)| json!({ "alg": alg, "value": value }))
        };
        let (sound, picture) = (
            part(&self.sound_fingerprint),
            part(&self.picture_fingerprint),
        );
        if let Some(assertions) = definition["assertions"].as_array_mut()
            && (sound.is_some() || picture.is_some())
        {
            let mut data = serde_json::Map::new();
            if let Some(s) = sound {
                data.insert("sound".to_owned(), s);
            }
            if let Some(p) = picture {
                data.insert("picture".to_owned(), p);
            }
            assertions.push(json!({ "label": FINGERPRINT_LABEL, "data": data }));
        }
        definition
    }
}

//! The provatar SDK facade: what integrators and the `provatar` binary call.
//!
//! - [`generate`]: the gated batch pipeline (consent gate → face analysis → motion → render →
//!   watermark → H.264 + audio → C2PA manifest → manifest store), nothing left behind on failure.
//! - [`StreamSession`]: the same, live — audio chunks in, watermarked frames and signed
//!   fragmented-MP4 segments out, the whole recording signed at the end.
//! - [`Verifier`]: manifest, watermark, consent and frame checks of a video
//!   ([`Verifier::verify`]) or of a stream's segments ([`Verifier::verify_stream`]).
//! - The stage crates, re-exported: media inspection ([`media::probe`]), face analysis
//!   ([`face::analyze`]), the consent gate ([`consent::Gate`]), the watermark
//!   ([`watermark::embed`], [`watermark::VideoDetector`]), C2PA provenance
//!   ([`provenance::sign`], [`provenance::read`], [`provenance::ManifestStore`]), speech-driven
//!   motion ([`motion::drive`], [`motion::MotionStream`]) and the shared types. There is no
//!   ungated way to a rendered frame: the renderer needs the gate's admission.

#![forbid(unsafe_code)]

pub use provatar_consent as consent;
pub use provatar_face as face;
pub use provatar_media as media;
pub use provatar_motion as motion;
pub use provatar_provenance as provenance;
pub use provatar_render as render;
pub use provatar_types as types;
pub use provatar_watermark as watermark;

pub mod fingerprint;
mod generate;
mod stream;
mod verify;

pub use generate::{GenerateError, GenerateRequest, Generated, StageTimes, check_output, generate};
pub use stream::{
    STREAM_SAMPLE_RATE, SignedSegment, StreamFrame, StreamOutput, StreamRequest, StreamSession,
    StreamSummary,
};

pub use verify::{
    AnomalyFacts, Check, ConsentFacts, ManifestFacts, StreamReport, Verdict, Verifier, VerifyError,
    VerifyReport, WatermarkFacts,
};

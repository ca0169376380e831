//! The provatar SDK facade: what integrators and the `provatar` binary call.
//!
//! Today it exposes media inspection ([`media::probe`]), face analysis ([`face::analyze`]), the
//! consent gate ([`consent::Gate`]), the watermark ([`watermark::embed`],
//! [`watermark::VideoDetector`]), C2PA provenance ([`provenance::sign`], [`provenance::read`],
//! [`provenance::ManifestStore`]), speech-driven motion ([`motion::drive`],
//! [`motion::MotionStream`]) and the shared types. The gated
//! generation pipeline (`Generator`) and the verifier (`Verifier`) join here as the consent,
//! face, motion, render, watermark and provenance crates land; there is deliberately no
//! generation entry point yet rather than an ungated one.

#![forbid(unsafe_code)]

pub use provatar_consent as consent;
pub use provatar_face as face;
pub use provatar_media as media;
pub use provatar_motion as motion;
pub use provatar_provenance as provenance;
pub use provatar_render as render;
pub use provatar_types as types;
pub use provatar_watermark as watermark;

mod generate;
mod stream;
mod verify;

pub use generate::{GenerateError, GenerateRequest, Generated, StageTimes, generate};
pub use stream::{
    STREAM_SAMPLE_RATE, SignedSegment, StreamFrame, StreamOutput, StreamRequest, StreamSession,
    StreamSummary,
};

pub use verify::{
    AnomalyFacts, Check, ConsentFacts, ManifestFacts, StreamReport, Verdict, Verifier, VerifyError,
    VerifyReport, WatermarkFacts,
};

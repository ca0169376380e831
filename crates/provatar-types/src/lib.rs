//! The value types every provatar stage shares, with no heavy dependencies.
//!
//! Stage crates (media, face, motion, render, watermark, consent, provenance) exchange data only
//! through these types, so that none of them needs another's codecs or models. This crate holds
//! plain data and its invariants; it does no I/O and no signal processing.

#![forbid(unsafe_code)]

mod audio;
mod frame;
mod ids;
mod limits;
mod motion;

pub use audio::{ANALYSIS_SAMPLE_RATE, Audio, PcmTrack};
pub use frame::{Frame, FrameError, Yuv420Frame};
pub use ids::{ContentId, ContentIdParseError, FrameIndex};
pub use limits::{Limits, MAX_DOCUMENT_BYTES, read_limited, read_limited_text};
pub use motion::{Blendshapes, Gaze, HeadPose, MotionFrame, MotionTrack, SHAPE_COUNT, Shape};

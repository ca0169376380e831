//! The provatar watermark (issue 5, in progress — see the issue note for what it does not yet
//! survive): an invisible, keyed mark of a 64-bit content id and a frame index in
//! every frame, detected with a stated false-positive rate.
//!
//! - [`embed`] / [`Embedder`]: a periodic tile of keyed ±1 cells (pilot, content-id codeword,
//!   frame-index codeword), weighted by a perceptual mask, added to luma.
//! - [`detect_frame`] / [`VideoDetector`]: whitening, a search over tile scale and offset, a Hoeffding-bounded test on the pilot (false-positive rate ≤ 1e-9 by construction),
//!   soft-decision Viterbi decoding of the payload aggregated over frames.
//! - [`ecc`]: the payload's convolutional code.
//!
//! ```no_run
//! use provatar_types::{ContentId, Frame};
//! use provatar_watermark::{Key, Payload, detect_frame, embed};
//!
//! # fn a_portrait() -> Frame { Frame::black(512, 512).unwrap() }
//! let mut frame: Frame = a_portrait();
//! let key = Key::public();
//! let payload = Payload { content_id: ContentId::new(0x0123_4567_89ab_cdef), frame_index: 0 };
//! embed(&mut frame, &payload, &key)?;
//! let found = detect_frame(&frame, &key);
//! assert!(found.detected && found.p_value <= 1e-9);
//! assert_eq!(found.content_id, Some(payload.content_id));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![allow(
    clippy::cast_precision_loss,
    reason = "signal processing on picture sizes, counts and lags far below 2^23"
)]

pub mod ecc;

mod blocks;
mod detect;
mod embed;
mod filter;
mod key;
mod order;
mod pattern;

pub use detect::{
    DetectError, Detection, FALSE_POSITIVE_RATE, FrameReport, Geometry, HYPOTHESES, VideoDetector,
    decoded_threshold, detect_frame, detection_threshold,
};
pub use embed::{EmbedError, Embedder, MIN_SIDE, embed};
pub use key::{Key, KeyParseError};
pub use order::{AnomalyKind, FrameAnomaly};
pub use pattern::Payload;

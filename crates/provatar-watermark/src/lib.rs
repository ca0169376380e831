//! The provatar watermark: an invisible, keyed mark of a 64-bit content id and a frame index in
//! every frame, detected with a stated false-positive rate.
//!
//! - [`embed`] / [`Embedder`]: a periodic tile of keyed ±1 cells (pilot, content-id codeword,
//!   frame-index codeword), weighted by a perceptual mask, added to luma.
//! - [`detect_frame`] / [`VideoDetector`]: whitening, scale from the autocorrelation, offset
//!   search, a Hoeffding-bounded test on the pilot (false-positive rate ≤ 1e-9 by construction),
//!   soft-decision Viterbi decoding of the payload aggregated over frames.
//! - [`ecc`]: the payload's convolutional code.
//!
//! ```
//! use provatar_types::{ContentId, Frame};
//! use provatar_watermark::{Key, Payload, detect_frame, embed};
//!
//! // A textured 512×512 picture.
//! let rgb: Vec<u8> = (0..512u32 * 512)
//!     .flat_map(|i| {
//!         let v = ((i * 2_654_435_761) >> 24) as u8 / 2 + 64;
//!         [v, v, v]
//!     })
//!     .collect();
//! let mut frame = Frame::from_rgb(512, 512, rgb)?;
//! let key = Key::public();
//! let payload = Payload { content_id: ContentId::new(0x0123_4567_89ab_cdef), frame_index: 0 };
//! embed(&mut frame, &payload, &key);
//! let found = detect_frame(&frame, &key);
//! assert!(found.detected && found.p_value <= 1e-9);
//! assert_eq!(found.content_id, Some(payload.content_id));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod ecc;

mod detect;
mod embed;
mod filter;
mod key;
mod pattern;

pub use detect::{
    AnomalyKind, DetectError, Detection, FALSE_POSITIVE_RATE, FrameAnomaly, FrameReport, Geometry,
    HYPOTHESES, VideoDetector, decoded_threshold, detect_frame, detection_threshold,
};
pub use embed::{Embedder, embed};
pub use key::{Key, KeyParseError};
pub use pattern::Payload;

//! Integration tests of provatar-face.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::case_sensitive_file_extension_comparisons,
    reason = "test helpers fail loudly"
)]

mod analyze;
mod assets;
mod detector;
mod framing;
mod parity;

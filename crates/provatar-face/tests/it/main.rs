//! Integration tests of provatar-face.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::cast_precision_loss,
    reason = "test helpers fail loudly"
)]

mod detector;
mod parity;

//! Integration tests of provatar-consent: every way the gate refuses, and canonicalization.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::format_push_string,
    reason = "test helpers fail loudly"
)]

mod canon;
mod gate;

//! The C2PA reader on arbitrary bytes, as an MP4 and as a bare manifest store (what the
//! manifest store and a verifier read from untrusted files): a report or an error, never a
//! panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use provatar_provenance::{TrustAnchors, read_bytes};

fuzz_target!(|data: &[u8]| {
    let trust = TrustAnchors::none();
    let _ = read_bytes(data.to_vec(), "video/mp4", &trust);
    let _ = read_bytes(data.to_vec(), "application/c2pa", &trust);
});

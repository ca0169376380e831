//! The provatar watermark (issue 5, in progress): an invisible, keyed mark of a 64-bit content
//! id and a frame index in every frame, detected with a stated false-positive rate.
//!
//! Built so far: the error-correcting code that carries the payload ([`ecc`]). The embedding
//! in the luma DCT domain and the calibrated detector land next.

pub mod ecc;

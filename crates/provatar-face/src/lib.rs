//! Face analysis for provatar: finds the face in a portrait and describes it precisely enough
//! to animate it.
//!
//! The networks are MediaPipe's (Apache-2.0): BlazeFace short-range detection, the 468-point
//! face mesh, the iris model, and selfie segmentation. `tools/convert_mediapipe.py` turns their
//! TFLite flatbuffers (from the `mediapipe==0.10.14` wheel) into safetensors plus a JSON list of
//! the operators in execution order, and [`TfliteGraph`] runs exactly those operators with
//! candle on the CPU. Nothing here guesses an architecture: the graph file is the network.
//!
//! This crate does no I/O beyond reading model files and knows nothing about consent, video or
//! provenance.

mod detector;
mod graph;

pub use detector::{FaceDetection, FaceDetector};
pub use graph::{GraphError, TfliteGraph};

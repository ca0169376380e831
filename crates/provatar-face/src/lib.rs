//! Face analysis for provatar: finds the face in a portrait and describes it precisely enough
//! to animate it.
//!
//! The networks are MediaPipe's (Apache-2.0): BlazeFace short-range detection, the 468-point
//! face mesh, the iris model, and selfie segmentation. `tools/convert_mediapipe.py` turns their
//! TFLite flatbuffers (from the `mediapipe==0.10.14` wheel) into safetensors plus a JSON list of
//! the operators in execution order, and [`TfliteGraph`] runs exactly those operators with
//! candle on the CPU. Nothing here guesses an architecture: the graph file is the network.
//!
//! [`FaceAnalyzer::analyze`] (or the one-shot [`analyze`]) turns a portrait into a
//! [`FaceRig`]: the face's box, 478 landmarks (mesh and irises) in picture pixels with relative
//! depth, and the head pose; [`topology`] names the mesh's triangles and regions.
//!
//! This crate does no I/O beyond reading model files and knows nothing about consent, video or
//! provenance.

mod analyze;
mod crop;
mod detector;
mod graph;
mod pose;
pub mod topology;
#[rustfmt::skip]
mod topology_data;

pub use analyze::{FaceAnalyzer, FaceError, FaceRig, PersonMask, analyze};
pub use detector::{FaceDetection, FaceDetector};
pub use graph::{GraphError, TfliteGraph};
pub use pose::HeadPose;

//! Times one forward pass of each converted MediaPipe graph on the CPU:
//! `cargo run --release -p provatar-face --example graph_timing`.

use std::path::PathBuf;
use std::time::Instant;

use candle_core::{Device, Tensor};
use provatar_face::TfliteGraph;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../assets/models");
    for model in [
        "face_detection_short_range",
        "face_landmark",
        "iris_landmark",
        "selfie_segmentation",
    ] {
        let description = std::fs::read_to_string(dir.join(format!("{model}.graph.json")))?;
        let weights = std::fs::read(dir.join(format!("{model}.safetensors")))?;
        let graph = TfliteGraph::load(&description, &weights)?;
        let input = Tensor::rand(0f32, 1f32, graph.input_shape(), &Device::Cpu)?;
        graph.run(&input)?;
        let runs = 10u32;
        let start = Instant::now();
        for _ in 0..runs {
            graph.run(&input)?;
        }
        let ms = start.elapsed().as_secs_f64() * 1000.0 / f64::from(runs);
        eprintln!("{model}: {ms:.2} ms per run");
    }
    Ok(())
}

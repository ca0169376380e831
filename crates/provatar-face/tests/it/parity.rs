//! Parity with the reference interpreter: the same input pixels through our candle execution of
//! each graph and through TFLite (ai-edge-litert 2.3.0) give the same outputs.
//!
//! The reference numbers come from `tools/reference_outputs.py` (run once; its output is
//! committed under `tests/fixtures/`), the graphs from `tools/convert_mediapipe.py`.

use std::path::PathBuf;

use candle_core::{DType, Device, Tensor};
use provatar_face::TfliteGraph;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct Case {
    graph: TfliteGraph,
    input: Tensor,
    reference: Vec<(usize, Tensor)>,
    output_indices: Vec<usize>,
}

fn case(model: &str) -> Case {
    let dir = repo().join("assets/models");
    let description = std::fs::read_to_string(dir.join(format!("{model}.graph.json"))).unwrap();
    let weights = std::fs::read(dir.join(format!("{model}.safetensors"))).unwrap();
    let graph = TfliteGraph::load(&description, &weights).unwrap();
    let outputs: Vec<usize> =
        serde_json::from_str::<serde_json::Value>(&description).unwrap()["outputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| usize::try_from(v.as_u64().unwrap()).unwrap())
            .collect();

    let fixture = std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join(format!("tests/fixtures/{model}.reference.safetensors")),
    )
    .unwrap();
    let (_, meta) = safetensors::SafeTensors::read_metadata(&fixture).unwrap();
    let meta = meta.metadata().clone().unwrap();
    let scale: f64 = meta["scale"].parse().unwrap();
    let offset: f64 = meta["offset"].parse().unwrap();
    let tensors = candle_core::safetensors::load_buffer(&fixture, &Device::Cpu).unwrap();
    let input = tensors["input_u8"]
        .to_dtype(DType::F32)
        .unwrap()
        .affine(scale, offset)
        .unwrap();
    let reference = tensors
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("out")
                .map(|i| (i.parse().unwrap(), v.clone()))
        })
        .collect();
    Case {
        graph,
        input,
        reference,
        output_indices: outputs,
    }
}

/// Runs the model and returns (ours, reference) flattened, per output index.
fn compare(model: &str) -> Vec<(usize, Vec<f32>, Vec<f32>)> {
    let c = case(model);
    let ours = c.graph.run(&c.input).unwrap();
    assert!(!c.output_indices.is_empty() && ours.len() == c.output_indices.len());
    c.output_indices
        .iter()
        .zip(ours)
        .map(|(&index, t)| {
            let reference = &c.reference.iter().find(|(i, _)| *i == index).unwrap().1;
            assert_eq!(
                t.elem_count(),
                reference.elem_count(),
                "{model} output {index}"
            );
            eprintln!("{model} output {index}: {} values", t.elem_count());
            (
                index,
                t.flatten_all().unwrap().to_vec1().unwrap(),
                reference.flatten_all().unwrap().to_vec1().unwrap(),
            )
        })
        .collect()
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    let d = a
        .iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max);
    let range = b.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    eprintln!("  max |ours - reference| = {d:.6} (reference magnitude up to {range:.1})");
    d
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

#[test]
fn face_detection_matches_tflite() {
    for (index, ours, reference) in compare("face_detection_short_range") {
        if ours.len() == 896 {
            // Scores: after the sigmoid, within 1e-3.
            let d = ours
                .iter()
                .zip(&reference)
                .map(|(a, b)| (sigmoid(*a) - sigmoid(*b)).abs())
                .fold(0.0, f32::max);
            assert!(d < 1e-3, "scores differ by {d}");
        } else {
            // Box and keypoint offsets in input pixels (128×128): within 0.5 px.
            let d = max_diff(&ours, &reference);
            assert!(d < 0.5, "output {index} differs by {d} px");
        }
    }
}

#[test]
fn face_mesh_matches_tflite() {
    for (index, ours, reference) in compare("face_landmark") {
        if ours.len() == 1 {
            let d = (sigmoid(ours[0]) - sigmoid(reference[0])).abs();
            assert!(d < 1e-3, "face presence differs by {d}");
        } else {
            // 468 × (x, y, z) in input pixels (192×192).
            let d = max_diff(&ours, &reference);
            assert!(d < 0.5, "output {index} differs by {d} px");
        }
    }
}

#[test]
fn iris_matches_tflite() {
    for (index, ours, reference) in compare("iris_landmark") {
        // Eye contour and iris points in input pixels (64×64).
        let d = max_diff(&ours, &reference);
        assert!(d < 0.5, "output {index} differs by {d} px");
    }
}

#[test]
fn selfie_segmentation_matches_tflite() {
    for (_, ours, reference) in compare("selfie_segmentation") {
        // A 256×256 person probability map.
        assert_eq!(ours.len(), 256 * 256);
        let d = max_diff(&ours, &reference);
        assert!(d < 1e-3, "mask differs by {d}");
        // And it is a real mask: the astronaut covers much of the picture, not all of it.
        let person = reference.iter().filter(|&&p| p > 0.5).count();
        assert!((10_000..60_000).contains(&person), "{person} person pixels");
    }
}

//! BlazeFace short-range face detection: anchors, box decoding and weighted non-maximum
//! suppression, as MediaPipe's `face_detection_short_range` graph configures them
//! (`SsdAnchorsCalculator` and `TensorsToDetectionsCalculator` options from
//! `mediapipe/modules/face_detection/face_detection_short_range_common.pbtxt`).

// Pixel coordinates and grid indices stay far below 2^23, where f32 is exact.
#![allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap,
    reason = "small pixel and grid coordinates"
)]

use candle_core::{Device, Tensor};
use provatar_types::Frame;

use crate::crop::{Border, sample_bilinear};
use crate::graph::{GraphError, TfliteGraph};

const INPUT: usize = 128;
/// Detections below this probability are dropped (MediaPipe's `min_score_thresh`).
const MIN_SCORE: f32 = 0.5;
/// Boxes overlapping more than this are merged (MediaPipe's `min_suppression_threshold`).
const SUPPRESSION_IOU: f32 = 0.3;

/// One detected face, in the picture's pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct FaceDetection {
    /// Probability that this is a face.
    pub score: f32,
    /// Left, top, width, height.
    pub bbox: [f32; 4],
    /// Right eye, left eye, nose tip, mouth centre, right ear tragion, left ear tragion (the
    /// subject's right and left).
    pub keypoints: [[f32; 2]; 6],
}

/// The BlazeFace short-range detector.
#[derive(Debug)]
pub struct FaceDetector {
    graph: TfliteGraph,
    anchors: Vec<[f32; 2]>,
}

impl FaceDetector {
    /// The detector with the weights shipped in `assets/models/`.
    pub fn new() -> Result<Self, GraphError> {
        let graph = TfliteGraph::load(
            include_str!("../../../assets/models/face_detection_short_range.graph.json"),
            include_bytes!("../../../assets/models/face_detection_short_range.safetensors"),
        )?;
        Ok(Self {
            graph,
            anchors: anchors(),
        })
    }

    /// All faces in `frame`, best first.
    pub fn detect(&self, frame: &Frame) -> Result<Vec<FaceDetection>, GraphError> {
        // Letterbox: fit the picture into 128×128 keeping its aspect ratio.
        let (w, h) = (frame.width() as f32, frame.height() as f32);
        let scale = w.max(h) / INPUT as f32;
        let (pad_x, pad_y) = ((w.max(h) - w) / 2.0, (w.max(h) - h) / 2.0);
        let mut pixels = vec![0f32; INPUT * INPUT * 3];
        for y in 0..INPUT {
            for x in 0..INPUT {
                // MediaPipe maps the tensor's corners to the picture's corners: tensor pixel
                // (x, y) reads the picture at (x, y) · scale, not at pixel centres.
                let sx = x as f32 * scale - pad_x;
                let sy = y as f32 * scale - pad_y;
                let rgb = sample_bilinear(frame, sx, sy, Border::Zero);
                for c in 0..3 {
                    pixels[(y * INPUT + x) * 3 + c] = rgb[c] / 127.5 - 1.0;
                }
            }
        }
        let input = Tensor::from_vec(pixels, (1, INPUT, INPUT, 3), &Device::Cpu).map_err(|e| {
            GraphError::Compute {
                model: "face_detection_short_range".into(),
                source: e,
            }
        })?;
        let outputs = self.graph.run(&input)?;
        let flat = |t: &Tensor| {
            t.flatten_all()
                .and_then(|t| t.to_vec1::<f32>())
                .map_err(|e| GraphError::Compute {
                    model: "face_detection_short_range".into(),
                    source: e,
                })
        };
        let (regressors, scores) = match outputs.as_slice() {
            [a, b] if a.elem_count() == 896 * 16 => (flat(a)?, flat(b)?),
            [a, b] => (flat(b)?, flat(a)?),
            _ => {
                return Err(GraphError::BadTensor {
                    model: "face_detection_short_range".into(),
                    tensor: 0,
                });
            }
        };
        let to_image = |p: [f32; 2]| {
            [
                p[0] * INPUT as f32 * scale - pad_x,
                p[1] * INPUT as f32 * scale - pad_y,
            ]
        };
        let mut candidates = Vec::new();
        for (i, anchor) in self.anchors.iter().enumerate() {
            let score = 1.0 / (1.0 + (-scores[i].clamp(-100.0, 100.0)).exp());
            if score < MIN_SCORE {
                continue;
            }
            let r = &regressors[i * 16..(i + 1) * 16];
            let n = INPUT as f32;
            let (cx, cy) = (r[0] / n + anchor[0], r[1] / n + anchor[1]);
            let (bw, bh) = (r[2] / n, r[3] / n);
            let top_left = to_image([cx - bw / 2.0, cy - bh / 2.0]);
            let mut keypoints = [[0f32; 2]; 6];
            for (k, kp) in keypoints.iter_mut().enumerate() {
                *kp = to_image([r[4 + 2 * k] / n + anchor[0], r[5 + 2 * k] / n + anchor[1]]);
            }
            candidates.push(FaceDetection {
                score,
                bbox: [top_left[0], top_left[1], bw * n * scale, bh * n * scale],
                keypoints,
            });
        }
        Ok(weighted_nms(candidates))
    }
}

/// The 896 anchor centres (normalised) of the short-range model: a 16×16 grid with 2 anchors
/// per cell (stride 8), then an 8×8 grid with 6 per cell (three stride-16 layers merged).
fn anchors() -> Vec<[f32; 2]> {
    let mut out = Vec::with_capacity(896);
    for (grid, per_cell) in [(16usize, 2usize), (8, 6)] {
        for y in 0..grid {
            for x in 0..grid {
                for _ in 0..per_cell {
                    out.push([
                        (x as f32 + 0.5) / grid as f32,
                        (y as f32 + 0.5) / grid as f32,
                    ]);
                }
            }
        }
    }
    out
}

fn iou(a: &[f32; 4], b: &[f32; 4]) -> f32 {
    let x0 = a[0].max(b[0]);
    let y0 = a[1].max(b[1]);
    let x1 = (a[0] + a[2]).min(b[0] + b[2]);
    let y1 = (a[1] + a[3]).min(b[1] + b[3]);
    let inter = (x1 - x0).max(0.0) * (y1 - y0).max(0.0);
    let union = a[2] * a[3] + b[2] * b[3] - inter;
    if union > 0.0 { inter / union } else { 0.0 }
}

/// MediaPipe's weighted NMS: each kept detection is the score-weighted mean of the boxes and
/// keypoints it suppresses.
pub(crate) fn weighted_nms(mut candidates: Vec<FaceDetection>) -> Vec<FaceDetection> {
    candidates.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut out = Vec::new();
    while !candidates.is_empty() {
        let best = candidates.remove(0);
        let (mut cluster, rest): (Vec<_>, Vec<_>) = candidates
            .into_iter()
            .partition(|c| iou(&best.bbox, &c.bbox) > SUPPRESSION_IOU);
        candidates = rest;
        cluster.push(best.clone());
        let total: f32 = cluster.iter().map(|c| c.score).sum();
        let mut merged = FaceDetection {
            score: best.score,
            bbox: [0.0; 4],
            keypoints: [[0.0; 2]; 6],
        };
        for c in &cluster {
            let wgt = c.score / total;
            for i in 0..4 {
                merged.bbox[i] += c.bbox[i] * wgt;
            }
            for k in 0..6 {
                merged.keypoints[k][0] += c.keypoints[k][0] * wgt;
                merged.keypoints[k][1] += c.keypoints[k][1] * wgt;
            }
        }
        out.push(merged);
    }
    out
}

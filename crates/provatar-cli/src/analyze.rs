//! `provatar analyze IMG [--json] [--all]`.

use std::time::Instant;

use anyhow::Context as _;
use provatar::face::{FaceAnalyzer, FaceRig};
use provatar::media;
use serde::Serialize;

use crate::Status;
use crate::cli::AnalyzeArgs;

#[derive(Serialize)]
struct Report<'a> {
    file: String,
    width: u32,
    height: u32,
    faces: Vec<FaceReport<'a>>,
    /// Milliseconds spent analysing (not loading the file or the models).
    ms: f64,
}

#[derive(Serialize)]
struct FaceReport<'a> {
    #[serde(rename = "box")]
    bbox: [f32; 4],
    score: f32,
    landmarks: &'a [[f32; 3]],
    pose: Pose,
}

/// Head pose in degrees (the SDK's is in radians).
#[derive(Serialize)]
struct Pose {
    yaw: f32,
    pitch: f32,
    roll: f32,
}

pub(crate) fn run(args: &AnalyzeArgs) -> anyhow::Result<Status> {
    let path = &args.image;
    let image = media::load_image(path, &media::Limits::default())
        .with_context(|| format!("cannot read the portrait {}", path.display()))?;
    let analyzer = FaceAnalyzer::new().context("cannot load the face models")?;
    let start = Instant::now();
    let rigs: Vec<FaceRig> = if args.all {
        analyzer.analyze_all(&image.frame)
    } else {
        analyzer.analyze(&image.frame).map(|r| vec![r])
    }
    .with_context(|| format!("cannot analyse {}", path.display()))?;
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    if rigs.is_empty() {
        anyhow::bail!(
            "cannot analyse {}: no face found in the {}×{} picture",
            path.display(),
            image.frame.width(),
            image.frame.height()
        );
    }
    let faces: Vec<FaceReport<'_>> = rigs
        .iter()
        .map(|r| FaceReport {
            bbox: r.bbox,
            score: r.score,
            landmarks: &r.landmarks,
            pose: Pose {
                yaw: r.pose.yaw.to_degrees(),
                pitch: r.pose.pitch.to_degrees(),
                roll: r.pose.roll.to_degrees(),
            },
        })
        .collect();
    for f in &faces {
        let [x, y, w, h] = f.bbox;
        eprintln!(
            "{}: face at ({x:.0}, {y:.0}) {w:.0}×{h:.0} px, score {:.2}, {} landmarks, \
             yaw {:+.1}° pitch {:+.1}° roll {:+.1}°",
            path.display(),
            f.score,
            f.landmarks.len(),
            f.pose.yaw,
            f.pose.pitch,
            f.pose.roll
        );
    }
    eprintln!("analysed in {ms:.1} ms");
    if args.json {
        let report = Report {
            file: path.display().to_string(),
            width: image.frame.width(),
            height: image.frame.height(),
            faces,
            ms,
        };
        crate::print_json(&report)?;
    }
    Ok(Status::Success)
}

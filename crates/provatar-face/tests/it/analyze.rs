//! The whole analysis on real portraits, against MediaPipe's own pipeline
//! (`tools/mediapipe_pipeline_reference.py`, committed as `tests/fixtures/mediapipe_pipeline.json`).

use std::path::PathBuf;

use provatar_face::{FaceAnalyzer, FaceDetector};
use provatar_media::{Frame, Limits, load_image};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The sample portraits: the bundled one, and the shared ones beside the checkout.
fn portrait_path(name: &str) -> PathBuf {
    let bundled = repo().join("assets/sample").join(name);
    if bundled.exists() {
        bundled
    } else {
        repo().join("../shared/data").join(name)
    }
}

fn portrait(name: &str) -> Frame {
    load_image(&portrait_path(name), &Limits::default())
        .unwrap()
        .frame
}

fn reference() -> serde_json::Value {
    serde_json::from_str(
        &std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/mediapipe_pipeline.json"),
        )
        .unwrap(),
    )
    .unwrap()
}

fn floats(v: &serde_json::Value) -> Vec<f32> {
    #[allow(clippy::cast_possible_truncation, reason = "reference values fit f32")]
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

const PORTRAITS: [&str; 3] = [
    "portrait-astronaut.png",
    "portrait-mona-lisa.jpg",
    "portrait-pearl-earring.jpg",
];

#[test]
fn detections_match_mediapipe() {
    let reference = reference();
    let detector = FaceDetector::new().unwrap();
    for name in PORTRAITS {
        let expected = &reference["images"][name]["detections"][0];
        let found = detector.detect(&portrait(name)).unwrap();
        assert_eq!(found.len(), 1, "{name}: {found:?}");
        let d = &found[0];
        let score = floats(&serde_json::json!([expected["score"]]))[0];
        let bbox = floats(&expected["box"]);
        let keypoints: Vec<f32> = expected["keypoints"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(floats)
            .collect();
        let ours: Vec<f32> = d.keypoints.iter().flatten().copied().collect();
        let box_err = d
            .bbox
            .iter()
            .zip(&bbox)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        let kp_err = ours
            .iter()
            .zip(&keypoints)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        eprintln!(
            "{name}: score {} vs {score}, box err {box_err}, keypoint err {kp_err}",
            d.score
        );
        // The PNG decodes to the very pixels MediaPipe saw, so the numbers agree to rounding;
        // the JPEGs decode slightly differently in the image crate than in OpenCV.
        let (score_tol, px_tol) = if name.ends_with(".png") {
            (1e-4, 0.01)
        } else {
            (5e-3, 1.0)
        };
        assert!(
            (d.score - score).abs() < score_tol,
            "{name}: score {} vs {score}",
            d.score
        );
        assert!(
            box_err < px_tol && kp_err < px_tol,
            "{name}: box {box_err} keypoints {kp_err}"
        );
    }
}

#[test]
fn mesh_matches_mediapipe() {
    let reference = reference();
    let analyzer = FaceAnalyzer::new().unwrap();
    for name in PORTRAITS {
        let expected = &reference["images"][name]["meshes"][0];
        let rig = analyzer.analyze(&portrait(name)).unwrap();
        let pts: Vec<Vec<f32>> = expected.as_array().unwrap().iter().map(floats).collect();
        let mut max_xy = 0f32;
        let mut sum_xy = 0f32;
        let mut max_z = 0f32;
        for (ours, theirs) in rig.landmarks.iter().zip(&pts) {
            let d = (ours[0] - theirs[0]).hypot(ours[1] - theirs[1]);
            max_xy = max_xy.max(d);
            sum_xy += d;
            max_z = max_z.max((ours[2] - theirs[2]).abs());
        }
        eprintln!(
            "{name}: mean {} max {} z {} iod {} pose {:?}",
            sum_xy / 468.0,
            max_xy,
            max_z,
            rig.interocular(),
            rig.pose
        );
        let (mean_tol, max_tol) = if name.ends_with(".png") {
            (0.05, 0.1)
        } else {
            (1.0, 3.0)
        };
        assert!(
            sum_xy / 468.0 < mean_tol && max_xy < max_tol,
            "{name}: mean {} max {max_xy}",
            sum_xy / 468.0
        );
        assert!(max_z < 3.0 * max_tol, "{name}: depth differs by {max_z}");
    }
}

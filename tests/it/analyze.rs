//! `provatar analyze`: the face of the bundled portrait, and clear refusals.

use crate::{assert_refused, path_str, provatar, sample, text};

#[test]
fn finds_the_astronauts_face_as_json() {
    let img = sample("portrait-astronaut.png");
    let out = provatar(&["analyze", path_str(&img), "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let faces = v["faces"].as_array().unwrap();
    assert_eq!(faces.len(), 1);
    let face = &faces[0];
    let bbox: Vec<f64> = face["box"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    assert!(
        (170.0..190.0).contains(&bbox[0]) && (70.0..95.0).contains(&bbox[1]),
        "{bbox:?}"
    );
    assert!(face["score"].as_f64().unwrap() > 0.8);
    let landmarks = face["landmarks"].as_array().unwrap();
    assert_eq!(landmarks.len(), 478);
    assert!(landmarks.iter().all(|p| p.as_array().unwrap().len() == 3));
    // Her nose tip (mesh point 1) is in the middle of her face.
    let nose = landmarks[1].as_array().unwrap();
    assert!((215.0..235.0).contains(&nose[0].as_f64().unwrap()));
    for angle in ["yaw", "pitch", "roll"] {
        let a = face["pose"][angle].as_f64().unwrap();
        assert!(a.abs() < 25.0, "{angle} {a}° for a near-frontal portrait");
    }
    assert!(v["ms"].as_f64().unwrap() > 0.0);
    // Human text goes to stderr.
    assert!(text(&out.stderr).contains("478 landmarks"));
}

#[test]
fn refuses_a_picture_without_a_face() {
    let dir = tempfile::tempdir().unwrap();
    let grey = dir.path().join("grey.png");
    image::RgbImage::from_pixel(320, 240, image::Rgb([120, 120, 120]))
        .save(&grey)
        .unwrap();
    let out = provatar(&["analyze", path_str(&grey), "--json"]);
    assert_refused(&out, &grey, "no face");
    // Issue 18 (finding 9): `--json` printed nothing when the exit was 2.
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["error"].as_str().unwrap().contains("no face"), "{v}");
    assert_eq!(v["exit_status"], 2);
    // Without `--json` stdout stays empty.
    let out = provatar(&["analyze", path_str(&grey)]);
    assert_refused(&out, &grey, "no face");
    assert!(out.stdout.is_empty());
}

#[test]
fn refuses_two_faces_unless_asked_for_all() {
    let dir = tempfile::tempdir().unwrap();
    let src = image::open(sample("portrait-astronaut.png"))
        .unwrap()
        .to_rgb8();
    let mut twins = image::RgbImage::new(1024, 512);
    image::imageops::replace(&mut twins, &src, 0, 0);
    image::imageops::replace(&mut twins, &src, 512, 0);
    let path = dir.path().join("twins.png");
    twins.save(&path).unwrap();
    let out = provatar(&["analyze", path_str(&path)]);
    assert_refused(&out, &path, "exactly one person");
    let out = provatar(&["analyze", path_str(&path), "--all", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["faces"].as_array().unwrap().len(), 2);
}

#[test]
fn refuses_unreadable_files() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.png");
    let mut bytes = std::fs::read(sample("portrait-astronaut.png")).unwrap();
    bytes.truncate(2000);
    std::fs::write(&broken, bytes).unwrap();
    let out = provatar(&["analyze", path_str(&broken)]);
    assert_refused(&out, &broken, "cannot read the portrait");
    let missing = dir.path().join("missing.jpg");
    let out = provatar(&["analyze", path_str(&missing)]);
    assert_refused(&out, &missing, "cannot read the portrait");
}

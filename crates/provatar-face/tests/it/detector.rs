//! BlazeFace on real portraits: one face where there is one, in the right place; none in a
//! picture without a face.

use std::path::PathBuf;

use provatar_face::FaceDetector;
use provatar_media::{Frame, Limits, load_image};

fn portrait(name: &str) -> Frame {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    load_image(&repo.join("assets/sample").join(name), &Limits::default())
        .unwrap()
        .frame
}

#[test]
fn finds_the_astronauts_face() {
    let detector = FaceDetector::new().unwrap();
    let faces = detector
        .detect(&portrait("portrait-astronaut.png"))
        .unwrap();
    assert_eq!(faces.len(), 1, "{faces:?}");
    let f = &faces[0];
    assert!(f.score > 0.7, "score {}", f.score);
    // Her face spans roughly x 170..285, y 60..190 in the 512×512 picture.
    let [x, y, w, h] = f.bbox;
    let (cx, cy) = (x + w / 2.0, y + h / 2.0);
    assert!(
        (200.0..250.0).contains(&cx) && (100.0..160.0).contains(&cy),
        "centre {cx},{cy}"
    );
    assert!(
        (70.0..170.0).contains(&w) && (70.0..170.0).contains(&h),
        "size {w}x{h}"
    );
    // The subject's right eye is on the viewer's left, both above the mouth.
    let [re, le, _, mouth, _, _] = f.keypoints;
    assert!(
        re[0] < le[0] && re[1] < mouth[1] && le[1] < mouth[1],
        "{:?}",
        f.keypoints
    );
}

#[test]
fn finds_a_face_in_a_non_square_portrait() {
    let detector = FaceDetector::new().unwrap();
    // 720×1280, from the shared sample data that sits beside the checkout (and CI's clone).
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/portrait-mona-lisa.jpg");
    let loaded = load_image(&path, &Limits::default()).unwrap();
    let faces = detector.detect(&loaded.frame).unwrap();
    assert_eq!(faces.len(), 1, "{faces:?}");
    // Her face is in the upper middle of the painting.
    let [x, y, w, h] = faces[0].bbox;
    let (cx, cy) = (x + w / 2.0, y + h / 2.0);
    assert!(
        (250.0..470.0).contains(&cx) && (200.0..500.0).contains(&cy),
        "centre {cx},{cy}"
    );
    assert!(x > 0.0 && y > 0.0 && x + w < 720.0 && y + h < 1280.0);
}

#[test]
fn no_face_in_a_flat_picture() {
    let detector = FaceDetector::new().unwrap();
    let grey = Frame::from_rgb(300, 200, vec![128; 300 * 200 * 3]).unwrap();
    assert!(detector.detect(&grey).unwrap().is_empty());
}

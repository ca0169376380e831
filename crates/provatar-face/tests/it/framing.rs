//! Robust framing: the same portrait rotated, scaled, flipped, small in a big picture, filling
//! the picture, or next to a second face gives consistent landmarks or a clear error. And a
//! picture of the landmarks drawn on the portrait, to look at.

use std::path::PathBuf;

use provatar_face::{FaceAnalyzer, FaceError, FaceRig, topology};
use provatar_media::{Frame, Limits, load_image};

fn astronaut() -> Frame {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    load_image(
        &repo.join("assets/sample/portrait-astronaut.png"),
        &Limits::default(),
    )
    .unwrap()
    .frame
}

/// A `w`×`h` picture whose pixel (x, y) is the source's bilinear sample at `map(x, y)`; mid
/// grey outside the source.
fn warp(src: &Frame, w: u32, h: u32, map: impl Fn(f32, f32) -> (f32, f32)) -> Frame {
    let (sw, sh) = (src.width() as usize, src.height() as usize);
    let rgb = src.rgb();
    let mut out = Vec::with_capacity(w as usize * h as usize * 3);
    for y in 0..h {
        for x in 0..w {
            let (sx, sy) = map(x as f32, y as f32);
            if sx < 0.0 || sy < 0.0 || sx > (sw - 1) as f32 || sy > (sh - 1) as f32 {
                out.extend_from_slice(&[128, 128, 128]);
                continue;
            }
            let (x0, y0) = (sx.floor() as usize, sy.floor() as usize);
            let (x1, y1) = ((x0 + 1).min(sw - 1), (y0 + 1).min(sh - 1));
            let (fx, fy) = (sx - x0 as f32, sy - y0 as f32);
            for c in 0..3 {
                let p = |xx: usize, yy: usize| f32::from(rgb[(yy * sw + xx) * 3 + c]);
                let v = (p(x0, y0) * (1.0 - fx) + p(x1, y0) * fx) * (1.0 - fy)
                    + (p(x0, y1) * (1.0 - fx) + p(x1, y1) * fx) * fy;
                out.push(v.round().clamp(0.0, 255.0) as u8);
            }
        }
    }
    Frame::from_rgb(w, h, out).unwrap()
}

/// Mean distance between the reference landmarks and `rig`'s mapped back by `back`, in units
/// of the reference's interocular distance; only the 468 mesh points and the iris centres.
fn error(reference: &FaceRig, rig: &FaceRig, back: impl Fn([f32; 2]) -> [f32; 2]) -> f32 {
    let iod = reference.interocular();
    let idx: Vec<usize> = (0..topology::MESH_POINTS).chain([468, 473]).collect();
    idx.iter()
        .map(|&i| {
            let [x, y] = back(rig.point(i));
            let [rx, ry] = reference.point(i);
            (x - rx).hypot(y - ry)
        })
        .sum::<f32>()
        / idx.len() as f32
        / iod
}

#[test]
fn rotated_portraits_give_the_same_landmarks() {
    let analyzer = FaceAnalyzer::new().unwrap();
    let src = astronaut();
    let reference = analyzer.analyze(&src).unwrap();
    let (cx, cy) = (256.0f32, 256.0f32);
    for degrees in [-30.0f32, -15.0, 15.0, 30.0] {
        // Rotate the picture counter-clockwise on screen by `degrees` about its centre.
        let a = degrees.to_radians();
        let (s, c) = a.sin_cos();
        let rotated = warp(&src, 512, 512, |x, y| {
            let (dx, dy) = (x - cx, y - cy);
            (cx + c * dx - s * dy, cy + s * dx + c * dy)
        });
        let rig = analyzer.analyze(&rotated).unwrap();
        let e = error(&reference, &rig, |[x, y]| {
            let (dx, dy) = (x - cx, y - cy);
            [cx + c * dx - s * dy, cy + s * dx + c * dy]
        });
        let roll = (rig.pose.roll - reference.pose.roll).to_degrees();
        eprintln!("rotated {degrees}°: error {e:.3} iod, roll change {roll:.1}°");
        assert!(
            e < 0.05,
            "rotated {degrees}°: mean error {e} interocular distances"
        );
        assert!(
            (roll - degrees).abs() < 3.0,
            "rotated {degrees}°: roll changed {roll}°"
        );
    }
}

#[test]
fn scaled_portraits_give_the_same_landmarks() {
    let analyzer = FaceAnalyzer::new().unwrap();
    let src = astronaut();
    let reference = analyzer.analyze(&src).unwrap();
    // ×6 (3072×3072) is past the 1536-pixel detection copy: detection runs shrunk, the
    // landmark models read the full picture.
    for scale in [0.5f32, 1.6, 2.0, 6.0] {
        let side = (512.0 * scale) as u32;
        let scaled = warp(&src, side, side, |x, y| (x / scale, y / scale));
        let rig = analyzer.analyze(&scaled).unwrap();
        let e = error(&reference, &rig, |[x, y]| [x / scale, y / scale]);
        eprintln!("scaled ×{scale}: error {e:.3} iod");
        assert!(e < 0.05, "scaled ×{scale}: mean error {e}");
        assert!((rig.pose.yaw - reference.pose.yaw).abs() < 0.05);
    }
}

#[test]
fn flipped_portrait_mirrors_the_landmarks() {
    let analyzer = FaceAnalyzer::new().unwrap();
    let src = astronaut();
    let reference = analyzer.analyze(&src).unwrap();
    let flipped = warp(&src, 512, 512, |x, y| (511.0 - x, y));
    let rig = analyzer.analyze(&flipped).unwrap();
    let mirror = |[x, y]: [f32; 2]| [511.0 - x, y];
    let iod = reference.interocular();
    // Points on the face's midline stay themselves.
    for i in [0usize, 1, 4, 6, 10, 13, 14, 17, 152, 168] {
        let [x, y] = mirror(rig.point(i));
        let [rx, ry] = reference.point(i);
        let d = (x - rx).hypot(y - ry) / iod;
        assert!(
            d < 0.08,
            "midline point {i} moved {d} interocular distances"
        );
    }
    // The right eye of the mirror image is the left eye of the original.
    for (a, b) in [(468usize, 473usize), (473, 468), (33, 263), (61, 291)] {
        let [x, y] = mirror(rig.point(a));
        let [rx, ry] = reference.point(b);
        let d = (x - rx).hypot(y - ry) / iod;
        assert!(d < 0.1, "point {a} ↔ {b}: {d} interocular distances");
    }
    // Mirroring negates yaw and roll.
    assert!(
        (rig.pose.yaw + reference.pose.yaw).abs() < 0.06,
        "{:?}",
        rig.pose
    );
    assert!(
        (rig.pose.roll + reference.pose.roll).abs() < 0.06,
        "{:?}",
        rig.pose
    );
}

#[test]
fn a_small_face_in_a_large_picture_is_found() {
    let analyzer = FaceAnalyzer::new().unwrap();
    let src = astronaut();
    let reference = analyzer.analyze(&src).unwrap();
    // The portrait at 0.85× in the lower right of a 1600×1200 grey picture: a face of ~80 px.
    let (ox, oy, k) = (1000.0f32, 640.0f32, 0.85f32);
    let big = warp(&src, 1600, 1200, |x, y| ((x - ox) / k, (y - oy) / k));
    let rig = analyzer.analyze(&big).unwrap();
    assert!(rig.bbox[2] < 100.0, "face box {:?}", rig.bbox);
    let e = error(&reference, &rig, |[x, y]| [(x - ox) / k, (y - oy) / k]);
    eprintln!("small face: error {e:.3} iod");
    assert!(e < 0.06, "mean error {e}");
}

#[test]
fn a_face_filling_the_picture_is_found() {
    let analyzer = FaceAnalyzer::new().unwrap();
    let src = astronaut();
    let reference = analyzer.analyze(&src).unwrap();
    // Her face, from brow to chin, blown up to a 600×700 picture.
    let (x0, y0, k) = (170.0f32, 70.0f32, 5.0f32);
    let close = warp(&src, 600, 700, |x, y| (x0 + x / k, y0 + y / k));
    let rig = analyzer.analyze(&close).unwrap();
    let e = error(&reference, &rig, |[x, y]| [x0 + x / k, y0 + y / k]);
    eprintln!("close-up: error {e:.3} iod");
    assert!(e < 0.08, "mean error {e}");
}

#[test]
fn no_face_is_a_typed_error() {
    let analyzer = FaceAnalyzer::new().unwrap();
    let grey = Frame::from_rgb(300, 200, vec![128; 300 * 200 * 3]).unwrap();
    let err = analyzer.analyze(&grey).unwrap_err();
    assert!(
        matches!(
            err,
            FaceError::NoFace {
                width: 300,
                height: 200
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("no face"), "{err}");
    // Texture without a face: the astronaut's background stripes, tiled.
    let src = astronaut();
    let noise = warp(&src, 400, 400, |x, y| {
        (x % 100.0 + 400.0, y % 100.0 + 400.0)
    });
    assert!(matches!(
        analyzer.analyze(&noise),
        Err(FaceError::NoFace { .. })
    ));
    assert!(analyzer.analyze_all(&grey).unwrap().is_empty());
}

#[test]
fn two_faces_of_similar_size_are_refused_and_a_small_second_face_is_not() {
    let analyzer = FaceAnalyzer::new().unwrap();
    let src = astronaut();
    let twins = warp(&src, 1024, 512, |x, y| (x % 512.0, y));
    let err = analyzer.analyze(&twins).unwrap_err();
    assert!(
        matches!(err, FaceError::MultipleFaces { count: 2 }),
        "{err}"
    );
    assert!(err.to_string().contains("exactly one person"), "{err}");
    assert_eq!(analyzer.analyze_all(&twins).unwrap().len(), 2);

    // The portrait with a quarter-size copy of itself pasted in a corner: one main face.
    let with_poster = warp(&src, 512, 512, |x, y| {
        if x >= 384.0 && y >= 384.0 {
            ((x - 384.0) * 4.0, (y - 384.0) * 4.0)
        } else {
            (x, y)
        }
    });
    let rig = analyzer.analyze(&with_poster).unwrap();
    assert!(rig.bbox[0] < 300.0 && rig.bbox[2] > 70.0, "{:?}", rig.bbox);
}

/// Draws the landmarks on the portrait into `target/test-artifacts/` to look at: mesh edges
/// grey, lips red, eyes and brows green, irises blue, jaw line yellow.
#[test]
fn landmarks_sit_on_the_face_and_are_drawn_for_inspection() {
    let analyzer = FaceAnalyzer::new().unwrap();
    let src = astronaut();
    let rig = analyzer.analyze(&src).unwrap();
    let r = rig.regions();
    // Geometry a person can check: eyes above the nose above the lips above the chin, the
    // irises inside their eyes, the subject's right eye on the picture's left.
    let y = |i: usize| rig.point(i)[1];
    assert!(y(468) < y(1) && y(1) < y(13) && y(13) < y(152));
    assert!(rig.point(468)[0] < rig.point(473)[0]);
    for (iris, corners) in [(468usize, (33usize, 133usize)), (473, (362, 263))] {
        let [x, _] = rig.point(iris);
        let (a, b) = (rig.point(corners.0)[0], rig.point(corners.1)[0]);
        assert!(
            x > a.min(b) && x < a.max(b),
            "iris {iris} at x {x} outside {a}..{b}"
        );
    }
    // Her eyes and mouth in this picture (looked up by hand): eyes near (201,105) and
    // (246,109), mouth centre near (220,150).
    let near = |i: usize, p: [f32; 2], tol: f32| {
        let q = rig.point(i);
        assert!(
            (q[0] - p[0]).hypot(q[1] - p[1]) < tol,
            "point {i} at {q:?}, expected {p:?}"
        );
    };
    near(468, [201.0, 105.0], 6.0);
    near(473, [246.0, 109.0], 6.0);
    near(13, [220.0, 145.0], 8.0);

    let mut img = image::RgbImage::from_raw(src.width(), src.height(), src.rgb().to_vec()).unwrap();
    let mut line = |a: [f32; 2], b: [f32; 2], colour: [u8; 3]| {
        let steps = ((a[0] - b[0]).hypot(a[1] - b[1]).ceil() as usize).max(1);
        for s in 0..=steps {
            let t = s as f32 / steps as f32;
            let (x, y) = (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t);
            if x >= 0.0 && y >= 0.0 && (x as u32) < img.width() && (y as u32) < img.height() {
                img.put_pixel(x as u32, y as u32, image::Rgb(colour));
            }
        }
    };
    for t in rig.triangles() {
        for k in 0..3 {
            line(
                rig.point(usize::from(t[k])),
                rig.point(usize::from(t[(k + 1) % 3])),
                [150, 150, 150],
            );
        }
    }
    let loops: [(&[u16], [u8; 3], bool); 9] = [
        (r.lips_outer, [255, 0, 0], true),
        (r.lips_inner, [255, 80, 80], true),
        (r.right_eye, [0, 255, 0], true),
        (r.left_eye, [0, 255, 0], true),
        (&r.right_brow[..5], [0, 200, 0], false),
        (&r.left_brow[..5], [0, 200, 0], false),
        (&r.right_iris[1..], [0, 120, 255], true),
        (&r.left_iris[1..], [0, 120, 255], true),
        (r.jaw_line, [255, 255, 0], false),
    ];
    for (idx, colour, closed) in loops {
        let n = idx.len();
        for k in 0..if closed { n } else { n - 1 } {
            line(
                rig.point(usize::from(idx[k])),
                rig.point(usize::from(idx[(k + 1) % n])),
                colour,
            );
        }
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/test-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    img.save(dir.join("face-landmarks-astronaut.png")).unwrap();
    // And the face alone, four times larger.
    let [bx, by, bw, bh] = rig.bbox;
    let (x0, y0) = (
        (bx - bw * 0.2).max(0.0) as u32,
        (by - bh * 0.2).max(0.0) as u32,
    );
    let side = (bw.max(bh) * 1.4) as u32;
    let face = image::imageops::crop_imm(&img, x0, y0, side, side).to_image();
    image::imageops::resize(
        &face,
        side * 4,
        side * 4,
        image::imageops::FilterType::Nearest,
    )
    .save(dir.join("face-landmarks-astronaut-zoom.png"))
    .unwrap();
}

#[test]
fn the_person_mask_covers_her_and_not_the_backdrop() {
    let analyzer = FaceAnalyzer::new().unwrap().with_person_mask(true);
    let src = astronaut();
    let rig = analyzer.analyze(&src).unwrap();
    let mask = rig.person_mask.as_ref().unwrap();
    assert_eq!((mask.width(), mask.height()), (512, 512));
    let mean = |x0: u32, y0: u32, x1: u32, y1: u32| {
        let mut sum = 0.0;
        for y in y0..y1 {
            for x in x0..x1 {
                sum += mask.at(x, y);
            }
        }
        sum / ((x1 - x0) * (y1 - y0)) as f32
    };
    let face = mean(200, 100, 250, 160);
    let suit = mean(150, 350, 250, 450);
    let backdrop = mean(300, 20, 380, 60);
    eprintln!("person probability: face {face:.2}, suit {suit:.2}, backdrop {backdrop:.2}");
    assert!(face > 0.9 && suit > 0.8, "face {face}, suit {suit}");
    assert!(backdrop < 0.1, "backdrop {backdrop}");
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/test-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    image::GrayImage::from_raw(512, 512, mask.alpha().to_vec())
        .unwrap()
        .save(dir.join("person-mask-astronaut.png"))
        .unwrap();
    // Without asking, no mask is computed.
    assert!(
        FaceAnalyzer::new()
            .unwrap()
            .analyze(&src)
            .unwrap()
            .person_mask
            .is_none()
    );
}

//! The renderer on the bundled portrait: framing, what moves and what stays, each control.

#![allow(
    clippy::unwrap_used,
    clippy::print_stdout,
    reason = "tests that print their measured figures"
)]

use std::path::PathBuf;

mod common;
use common::admit;

use provatar_consent::Admission;
use provatar_face::FaceAnalyzer;
use provatar_render::{RenderError, Renderer};
use provatar_types::{Frame, Limits, MotionFrame, Shape};

fn setup() -> (Frame, provatar_face::FaceRig, Admission) {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let path = repo.join("assets/sample/portrait-astronaut.png");
    let picture = provatar_media::load_image(&path, &Limits::default())
        .unwrap()
        .frame;
    // As `generate` analyses it: with the person mask.
    let rig = FaceAnalyzer::new()
        .unwrap()
        .with_person_mask(true)
        .analyze(&picture)
        .unwrap();
    let admission = admit(&repo, &path, &picture).unwrap();
    (picture, rig, admission)
}

/// Dark pixels (sum of RGB under 200) inside a box.
fn dark(f: &Frame, x0: usize, y0: usize, x1: usize, y1: usize) -> usize {
    let w = f.width() as usize;
    let mut n = 0;
    for y in y0..y1 {
        for x in x0..x1 {
            let p = &f.rgb()[(y * w + x) * 3..(y * w + x) * 3 + 3];
            n += usize::from(u32::from(p[0]) + u32::from(p[1]) + u32::from(p[2]) < 200);
        }
    }
    n
}

fn changed(a: &Frame, b: &Frame) -> Vec<usize> {
    a.rgb()
        .chunks(3)
        .zip(b.rgb().chunks(3))
        .enumerate()
        .filter(|(_, (p, q))| p != q)
        .map(|(i, _)| i)
        .collect()
}

#[test]
fn one_renderer_many_frames() {
    let (picture, rig, admission) = setup();
    assert!(matches!(
        Renderer::new(&admission, &picture, &rig, 2048),
        Err(RenderError::Size(2048))
    ));
    let mut wrong = rig.clone();
    wrong.landmarks.truncate(100);
    assert!(matches!(
        Renderer::new(&admission, &picture, &wrong, 512),
        Err(RenderError::Rig(_))
    ));

    // Issue 19: nothing tied the rendered portrait to the admitted one. Another picture, or
    // this one altered by one pixel, is refused.
    let mut altered = picture.clone();
    altered.rgb_mut()[1000] ^= 1;
    assert!(matches!(
        Renderer::new(&admission, &altered, &rig, 512),
        Err(RenderError::NotAdmitted)
    ));

    let mut r = Renderer::new(&admission, &picture, &rig, 512).unwrap();
    let rest = MotionFrame::default();
    let a = r.frame(&rest).unwrap();
    assert_eq!((a.width(), a.height()), (512, 512));
    // Deterministic: the same motion, the same pixels.
    assert_eq!(a, r.frame(&rest).unwrap());

    // The mouth: darker (opening, cavity) as the jaw opens, and only around the face.
    let (mx0, my0, mx1, my1) = (176, 240, 336, 380);
    let mut last = dark(&a, mx0, my0, mx1, my1);
    for jaw in [0.3, 0.6, 0.9] {
        let mut m = rest;
        m.blend.set(Shape::JawOpen, jaw);
        let f = r.frame(&m).unwrap();
        let d = dark(&f, mx0, my0, mx1, my1);
        assert!(
            d > last + 50,
            "jawOpen {jaw}: {d} dark pixels, before {last}"
        );
        last = d;
        for i in changed(&a, &f) {
            let (x, y) = (i % 512, i / 512);
            assert!(
                (40..472).contains(&x) && (150..512).contains(&y),
                "jawOpen moved a pixel at ({x}, {y})"
            );
        }
    }

    // Blinks change the eyes and nothing below the nose.
    let mut m = rest;
    m.blend
        .set_pair(Shape::EyeBlinkLeft, Shape::EyeBlinkRight, 1.0);
    let blink = r.frame(&m).unwrap();
    let eyes = changed(&a, &blink);
    assert!(eyes.len() > 300, "a blink changed {} pixels", eyes.len());
    assert!(
        eyes.iter().all(|i| i / 512 < 260),
        "a blink moved the mouth"
    );

    // Head yaw moves the face; the far background stays bit-identical.
    let mut m = rest;
    m.head.yaw = 15f32.to_radians();
    let turned = r.frame(&m).unwrap();
    let moved = changed(&a, &turned);
    assert!(moved.len() > 5000, "yaw changed {} pixels", moved.len());
    for (x, y) in [(4, 4), (507, 4), (4, 300), (507, 300)] {
        assert!(
            !moved.contains(&(y * 512 + x)),
            "background moved at ({x}, {y})"
        );
    }

    // Gaze shifts the eyes only.
    let mut m = rest;
    m.gaze.yaw = 20f32.to_radians();
    let look = changed(&a, &r.frame(&m).unwrap());
    assert!(!look.is_empty() && look.iter().all(|i| i / 512 < 260));

    // Head distance 2 frames the face at half the size: a smaller changed area for the same
    // jaw motion.
    let mut far = rest;
    far.head.scale = 0.5;
    let mut far_open = far;
    far_open.blend.set(Shape::JawOpen, 0.9);
    let near_area = changed(&a, &{
        let mut m = rest;
        m.blend.set(Shape::JawOpen, 0.9);
        r.frame(&m).unwrap()
    })
    .len();
    let far_area = changed(&r.frame(&far).unwrap(), &r.frame(&far_open).unwrap()).len();
    assert!(
        far_area * 2 < near_area,
        "zoomed out {far_area} vs {near_area}"
    );
}

/// provatar's own face analyser, run on rendered frames, sees each control: the lips part with
/// `jawOpen`, the lids close on a blink, the corners rise with a smile, the irises follow gaze.
#[test]
fn the_face_analyser_sees_each_control_in_the_frames() {
    let (picture, rig, admission) = setup();
    let mut r = Renderer::new(&admission, &picture, &rig, 512).unwrap();
    let analyzer = FaceAnalyzer::new().unwrap();
    let measure = |m: &MotionFrame, r: &mut Renderer| {
        let f = r.frame(m).unwrap();
        let seen = analyzer.analyze(&f).unwrap();
        let p = |i: usize| [seen.landmarks[i][0], seen.landmarks[i][1]];
        let dist = |a: usize, b: usize| (p(a)[0] - p(b)[0]).hypot(p(a)[1] - p(b)[1]);
        let iod = dist(33, 263);
        let lips = dist(13, 14) / iod;
        let eyes = (dist(159, 145) + dist(386, 374)) / (2.0 * iod);
        // Mouth corners above the lips' middle (positive: a smile).
        let corners = (0.5 * (p(13)[1] + p(14)[1]) - 0.5 * (p(61)[1] + p(291)[1])) / iod;
        // Iris centres relative to the eye corners' middle, in eye widths.
        let iris = f32::midpoint(
            (p(468)[0] - f32::midpoint(p(33)[0], p(133)[0])) / dist(33, 133),
            (p(473)[0] - f32::midpoint(p(263)[0], p(362)[0])) / dist(263, 362),
        );
        (lips, eyes, corners, iris)
    };
    let rest = MotionFrame::default();
    let base = measure(&rest, &mut r);
    let mut opening = vec![base.0];
    for jaw in [0.4, 0.8] {
        let mut m = rest;
        m.blend.set(Shape::JawOpen, jaw);
        opening.push(measure(&m, &mut r).0);
    }
    assert!(
        opening[1] > opening[0] + 0.03 && opening[2] > opening[1] + 0.03,
        "lip gap / eye distance for jawOpen 0, 0.4, 0.8: {opening:?}"
    );
    let mut m = rest;
    m.blend
        .set_pair(Shape::EyeBlinkLeft, Shape::EyeBlinkRight, 1.0);
    let shut = measure(&m, &mut r).1;
    assert!(
        shut < 0.75 * base.1,
        "eye opening {shut} on a blink vs {} open",
        base.1
    );
    let mut m = rest;
    m.blend
        .set_pair(Shape::MouthSmileLeft, Shape::MouthSmileRight, 1.0);
    let smile = measure(&m, &mut r).2;
    assert!(
        smile > base.2 + 0.02,
        "corners {smile} smiling vs {} at rest",
        base.2
    );
    let mut m = rest;
    m.gaze.yaw = 20f32.to_radians();
    let right = measure(&m, &mut r).3;
    m.gaze.yaw = -20f32.to_radians();
    let left = measure(&m, &mut r).3;
    assert!(
        right > base.3 && base.3 > left,
        "irises {left} < {} < {right}",
        base.3
    );
    // The figures, for the record (`cargo test -p provatar-render -- --nocapture`).
    println!(
        "lip gap {opening:?}; eye opening {:.3} → {shut:.3}; corners {:.3} → {smile:.3}; irises {left:.3} / {:.3} / {right:.3}",
        base.1, base.2, base.3
    );
}

/// The head turns as a whole over a still background: the hair on both sides moves with the
/// face and keeps its width, and what the turn uncovers is background (the plate), not hair
/// stretched after the head.
#[test]
fn a_turning_head_moves_hair_and_all_over_a_still_background() {
    let (picture, rig, admission) = setup();
    let mut r = Renderer::new(&admission, &picture, &rig, 512).unwrap();
    let rest = r.frame(&MotionFrame::default()).unwrap();
    // Where a row's person starts and ends: the first and last pixels that differ clearly
    // from the background at the row's ends.
    let span = |f: &Frame, y: usize| {
        let px = |x: usize| {
            let o = (y * 512 + x) * 3;
            [f.rgb()[o], f.rgb()[o + 1], f.rgb()[o + 2]].map(i32::from)
        };
        let far = |x: usize, bg: [i32; 3]| {
            let p = px(x);
            (0..3).map(|c| (p[c] - bg[c]).abs()).sum::<i32>() > 60
        };
        let (left_bg, right_bg) = (px(1), px(510));
        let first = (0..512).find(|&x| far(x, left_bg)).unwrap();
        let last = (0..512).rev().find(|&x| far(x, right_bg)).unwrap();
        (i32::try_from(first).unwrap(), i32::try_from(last).unwrap())
    };
    for (yaw, rows) in [(15f32, [70, 110, 150]), (-15.0, [70, 110, 150])] {
        let mut m = MotionFrame::default();
        m.head.yaw = yaw.to_radians();
        let turned = r.frame(&m).unwrap();
        for y in rows {
            let (a0, a1) = span(&rest, y);
            let (b0, b1) = span(&turned, y);
            let (d0, d1) = (b0 - a0, b1 - a1);
            println!("yaw {yaw}°, row {y}: hair {a0}..{a1} → {b0}..{b1}");
            assert!(
                d0.abs() > 8 && d0.signum() == d1.signum(),
                "yaw {yaw}°, row {y}: the hair's edges moved {d0} and {d1} px"
            );
            let (wa, wb) = (a1 - a0, b1 - b0);
            assert!(
                (wb - wa).abs() * 10 < wa,
                "yaw {yaw}°, row {y}: the hair's width went {wa} → {wb} px"
            );
        }
    }
}

/// Without a person mask (a rig analysed without one) the renderer still draws the portrait,
/// as one sheet; at rest it looks as it does with the mask.
#[test]
fn a_rig_without_a_person_mask_renders_the_same_still_portrait() {
    let (picture, mut rig, admission) = setup();
    let masked = Renderer::new(&admission, &picture, &rig, 512)
        .unwrap()
        .frame(&MotionFrame::default())
        .unwrap();
    rig.person_mask = None;
    let mut plain = Renderer::new(&admission, &picture, &rig, 512).unwrap();
    let sheet = plain.frame(&MotionFrame::default()).unwrap();
    let diff: u32 = masked
        .rgb()
        .iter()
        .zip(sheet.rgb())
        .map(|(&a, &b)| u32::from(a.abs_diff(b)))
        .sum();
    let mean = f64::from(diff) / f64::from(512 * 512 * 3);
    assert!(mean < 1.0, "mean difference {mean:.3} per channel");
    let mut m = MotionFrame::default();
    m.head.yaw = 15f32.to_radians();
    let turned = plain.frame(&m).unwrap();
    assert_ne!(turned, sheet);
    // A mask that misses the face (a failed segmentation) or does not fit the picture is not
    // used: the portrait stays one sheet rather than a face floating over the plate.
    let (w, h) = (picture.width(), picture.height());
    let n = usize::try_from(w * h).unwrap();
    for mask in [
        provatar_face::PersonMask::from_alpha(w, h, vec![0; n]),
        provatar_face::PersonMask::from_alpha(w / 2, h, vec![255; n / 2]),
    ] {
        rig.person_mask = Some(mask.unwrap());
        let mut r = Renderer::new(&admission, &picture, &rig, 512).unwrap();
        assert_eq!(r.frame(&m).unwrap(), turned);
    }
    assert!(provatar_face::PersonMask::from_alpha(w, h, vec![0; 3]).is_none());
}

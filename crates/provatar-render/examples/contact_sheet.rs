//! Renders a portrait speaking a clip and writes contact sheets to look at (no video is made:
//! generating videos is `provatar generate`'s job, behind the consent gate):
//!
//! ```text
//! cargo run --release -p provatar-render --example contact_sheet -- PORTRAIT AUDIO OUT_DIR [EMOTION]
//! ```
//! The portrait must pass the consent gate with the sample's credential and license (the
//! bundled astronaut does; for another face, issue a credential with the development issuer
//! key in `keys/dev`, `provatar consent issue`, and name it in `PROVATAR_CONSENT`).
//! `OUT_DIR/sheet.png`: every 10th frame, 4 across, at half size; `OUT_DIR/mouth.png`: the mouth
//! of every 5th frame at full size; and the render time per frame.

#![allow(
    clippy::print_stdout,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "a tool that prints figures and crops pixels"
)]

use std::path::PathBuf;
use std::time::Instant;

use provatar_face::FaceAnalyzer;
use provatar_motion::{Controls, Emotion, drive};
use provatar_render::Renderer;
use provatar_types::{Limits, Shape as S};

#[path = "../tests/common/mod.rs"]
mod common;
use common::{admit, admit_with};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [portrait, audio, out, ..] = args.as_slice() else {
        return Err("usage: contact_sheet PORTRAIT AUDIO OUT_DIR [EMOTION]".into());
    };
    let emotion = args
        .get(3)
        .and_then(|e| Emotion::from_name(e))
        .unwrap_or(Emotion::Neutral);
    let out = PathBuf::from(out);
    std::fs::create_dir_all(&out)?;
    let limits = Limits::default();
    let picture = provatar_media::load_image(portrait.as_ref(), &limits)?.frame;
    let rig = FaceAnalyzer::new()?
        .with_person_mask(true)
        .analyze(&picture)?;
    if let Some(mask) = &rig.person_mask {
        image::GrayImage::from_raw(mask.width(), mask.height(), mask.alpha().to_vec())
            .ok_or("mask")?
            .save(out.join("mask.png"))?;
    }
    let speech = provatar_media::load_audio(audio.as_ref(), &limits)?.analysis;
    let track = drive(
        &speech,
        &Controls {
            emotion,
            emotion_strength: 0.7,
            seed: 3,
            ..Controls::default()
        },
    )?;
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    // Another portrait than the sample brings its own credential (`PROVATAR_CONSENT`).
    let admission = match std::env::var_os("PROVATAR_CONSENT") {
        Some(consent) => admit_with(&repo, portrait.as_ref(), &picture, consent.as_ref())?,
        None => admit(&repo, portrait.as_ref(), &picture)?,
    };
    let mut renderer = Renderer::new(&admission, &picture, &rig, 512)?;
    let start = Instant::now();
    let mut frames = Vec::new();
    for m in &track.frames {
        frames.push(renderer.frame(m)?);
    }
    let ms = start.elapsed().as_secs_f64() * 1e3 / frames.len().max(1) as f64;
    println!(
        "{} frames, {ms:.2} ms per 512×512 frame (one core)",
        frames.len()
    );

    let picked: Vec<_> = frames.iter().step_by(10).collect();
    let (cols, cell) = (4u32, 256u32);
    let rows = (picked.len() as u32).div_ceil(cols);
    let mut sheet = image::RgbImage::new(cols * cell, rows * cell);
    for (k, f) in picked.iter().enumerate() {
        let img =
            image::RgbImage::from_raw(f.width(), f.height(), f.rgb().to_vec()).ok_or("frame")?;
        let small =
            image::imageops::resize(&img, cell, cell, image::imageops::FilterType::Triangle);
        image::imageops::replace(
            &mut sheet,
            &small,
            i64::from(k as u32 % cols * cell),
            i64::from(k as u32 / cols * cell),
        );
    }
    sheet.save(out.join("sheet.png"))?;

    // The mouth region: around the mouth's place in the first frame, 160×96 px.
    let picked: Vec<_> = frames.iter().step_by(5).take(24).collect();
    let (mw, mh) = (160u32, 96u32);
    let mut mouth = image::RgbImage::new(6 * mw, (picked.len() as u32).div_ceil(6) * mh);
    for (k, f) in picked.iter().enumerate() {
        let img =
            image::RgbImage::from_raw(f.width(), f.height(), f.rgb().to_vec()).ok_or("frame")?;
        let crop = image::imageops::crop_imm(&img, 256 - mw / 2, 262, mw, mh).to_image();
        image::imageops::replace(
            &mut mouth,
            &crop,
            i64::from(k as u32 % 6 * mw),
            i64::from(k as u32 / 6 * mh),
        );
    }
    mouth.save(out.join("mouth.png"))?;
    // Single poses, one control at a time.
    let poses: Vec<(&str, provatar_types::MotionFrame)> = {
        let base = provatar_types::MotionFrame::default();
        let with = |f: &dyn Fn(&mut provatar_types::MotionFrame)| {
            let mut m = base;
            f(&mut m);
            m
        };
        vec![
            ("rest", base),
            ("jawOpen 0.6", with(&|m| m.blend.set(S::JawOpen, 0.6))),
            (
                "blink",
                with(&|m| m.blend.set_pair(S::EyeBlinkLeft, S::EyeBlinkRight, 1.0)),
            ),
            (
                "smile",
                with(&|m| m.blend.set_pair(S::MouthSmileLeft, S::MouthSmileRight, 1.0)),
            ),
            (
                "pucker",
                with(&|m| {
                    m.blend.set(S::MouthPucker, 1.0);
                    m.blend.set(S::JawOpen, 0.15);
                }),
            ),
            ("brows up", with(&|m| m.blend.set(S::BrowInnerUp, 1.0))),
            ("gaze 20° right", with(&|m| m.gaze.yaw = 20f32.to_radians())),
            ("yaw 20°", with(&|m| m.head.yaw = 20f32.to_radians())),
        ]
    };
    let mut strip = image::RgbImage::new(4 * cell, 2 * cell);
    for (k, (name, m)) in poses.iter().enumerate() {
        let f = renderer.frame(m)?;
        let img =
            image::RgbImage::from_raw(f.width(), f.height(), f.rgb().to_vec()).ok_or("frame")?;
        let small =
            image::imageops::resize(&img, cell, cell, image::imageops::FilterType::Triangle);
        image::imageops::replace(
            &mut strip,
            &small,
            i64::from(k as u32 % 4 * cell),
            i64::from(k as u32 / 4 * cell),
        );
        println!("pose {k}: {name}");
    }
    strip.save(out.join("poses.png"))?;
    // The eyes, open and shut, at full size.
    let mut eyes = image::RgbImage::new(256, 160);
    for (k, (_, m)) in [&poses[0], &poses[2]].iter().enumerate() {
        let f = renderer.frame(m)?;
        let img =
            image::RgbImage::from_raw(f.width(), f.height(), f.rgb().to_vec()).ok_or("frame")?;
        let crop = image::imageops::crop_imm(&img, 128, 150, 256, 80).to_image();
        image::imageops::replace(&mut eyes, &crop, 0, i64::from(k as u32 * 80));
    }
    eyes.save(out.join("eyes.png"))?;
    // The head turned both ways and nodded, at full size: what the turn uncovers.
    let mut turns = image::RgbImage::new(4 * 512, 512);
    for (k, (yaw, pitch)) in [(-20f32, 0f32), (20.0, 0.0), (0.0, 15.0), (12.0, -10.0)]
        .into_iter()
        .enumerate()
    {
        let mut m = provatar_types::MotionFrame::default();
        m.head.yaw = yaw.to_radians();
        m.head.pitch = pitch.to_radians();
        let f = renderer.frame(&m)?;
        let img =
            image::RgbImage::from_raw(f.width(), f.height(), f.rgb().to_vec()).ok_or("frame")?;
        image::imageops::replace(&mut turns, &img, i64::from(k as u32 * 512), 0);
    }
    turns.save(out.join("turns.png"))?;
    println!(
        "wrote {}, {} and {}",
        out.join("sheet.png").display(),
        out.join("mouth.png").display(),
        out.join("poses.png").display()
    );
    Ok(())
}

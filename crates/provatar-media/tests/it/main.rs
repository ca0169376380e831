//! Integration tests of provatar-media: real encodes and decodes, checked against each other
//! and against Debian's ffprobe/ffmpeg (which `scripts/test` installs).

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::cast_precision_loss,
    clippy::cast_sign_loss,
    reason = "test helpers fail loudly; test arithmetic is on small values"
)]

mod bad_input;
mod ffmpeg;
mod round_trip;

use std::path::PathBuf;

use provatar_media::{
    ColorMatrix, Frame, Limits, PcmTrack, Yuv420Frame, load_image, rgb_to_yuv420, yuv420_to_rgb,
};

pub(crate) fn asset(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../assets/sample")
        .join(name)
}

/// `n` frames of the sample portrait panning slowly, with a bright square moving across it:
/// real texture plus real motion, so the encoder has work to do.
pub(crate) fn moving_frames(n: usize, size: u32) -> Vec<Frame> {
    let portrait = load_image(&asset("portrait-astronaut.png"), &Limits::default())
        .unwrap()
        .frame;
    let (pw, ph) = (portrait.width() as usize, portrait.height() as usize);
    let s = size as usize;
    (0..n)
        .map(|i| {
            let mut rgb = vec![0u8; s * s * 3];
            for y in 0..s {
                for x in 0..s {
                    let sx = (x * pw / s + i) % pw;
                    let sy = y * ph / s;
                    let src = (sy * pw + sx) * 3;
                    rgb[(y * s + x) * 3..(y * s + x) * 3 + 3]
                        .copy_from_slice(&portrait.rgb()[src..src + 3]);
                }
            }
            let (bx, by) = ((i * 7) % (s - 40), s / 3);
            for y in by..by + 40 {
                for x in bx..bx + 40 {
                    rgb[(y * s + x) * 3..(y * s + x) * 3 + 3].copy_from_slice(&[250, 240, 30]);
                }
            }
            Frame::from_rgb(size, size, rgb).unwrap()
        })
        .collect()
}

/// A 44.1 kHz stereo track: a tone with one click at `click_at` seconds.
pub(crate) fn tone_with_click(seconds: f64, click_at: f64) -> PcmTrack {
    let rate = 44_100u32;
    let n = (seconds * f64::from(rate)) as usize;
    let click = (click_at * f64::from(rate)) as usize;
    let samples = (0..n)
        .flat_map(|i| {
            let t = i as f32 / rate as f32;
            let mut s = (2.0 * std::f32::consts::PI * 220.0 * t).sin() * 0.05;
            if (click..click + 441).contains(&i) {
                s = 0.9;
            }
            [s, s * 0.5]
        })
        .collect();
    PcmTrack::new(rate, 2, samples).unwrap()
}

pub(crate) fn psnr(a: &Frame, b: &Frame) -> f64 {
    let mse = a
        .rgb()
        .iter()
        .zip(b.rgb())
        .map(|(x, y)| (f64::from(*x) - f64::from(*y)).powi(2))
        .sum::<f64>()
        / a.rgb().len() as f64;
    10.0 * (255.0f64 * 255.0 / mse.max(1e-12)).log10()
}

/// The codec's own loss: luma PSNR of a decoded picture against the encoder's input, and RGB
/// PSNR against the input as 4:2:0 can hold it (so chroma subsampling, which is not the codec's
/// doing, is not counted). Returns the lower of the two.
pub(crate) fn codec_psnr(original: &Frame, decoded: &Yuv420Frame) -> f64 {
    let input = rgb_to_yuv420(original, ColorMatrix::Bt709).unwrap();
    let mse = input
        .y()
        .iter()
        .zip(decoded.y())
        .map(|(a, b)| (f64::from(*a) - f64::from(*b)).powi(2))
        .sum::<f64>()
        / input.y().len() as f64;
    let luma = 10.0 * (255.0f64 * 255.0 / mse.max(1e-12)).log10();
    let reference = yuv420_to_rgb(&input, ColorMatrix::Bt709).unwrap();
    let rgb = psnr(
        &reference,
        &yuv420_to_rgb(decoded, ColorMatrix::Bt709).unwrap(),
    );
    luma.min(rgb)
}

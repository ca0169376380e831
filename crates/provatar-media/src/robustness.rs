//! Every parser of untrusted input, fed damaged versions of valid files: flipped bytes, cut
//! tails, overwritten runs. Errors are expected; a panic fails the test. This is the quick
//! version of the cargo-fuzz targets (`fuzz/`), run on every `cargo test`.

use std::io::Cursor;

use proptest::prelude::*;

use crate::fuzzing;
use crate::{EncoderSettings, Frame, PcmTrack, VideoWriter};

fn seed_mp4() -> Vec<u8> {
    let frames: Vec<Frame> = (0..4u8)
        .map(|i| {
            Frame::from_rgb(
                32,
                32,
                (0..32 * 32 * 3)
                    .map(|k| (k as u8).wrapping_mul(i + 3))
                    .collect(),
            )
            .unwrap()
        })
        .collect();
    let audio = PcmTrack::new(
        16_000,
        1,
        (0..3200).map(|i| (i as f32 * 0.05).sin() * 0.3).collect(),
    )
    .unwrap();
    let mut w = VideoWriter::new(
        Cursor::new(Vec::new()),
        EncoderSettings::new(32, 32, 25),
        Some(&audio),
    )
    .unwrap();
    for f in &frames {
        w.push_frame(f).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn seed_png() -> Vec<u8> {
    let img = image::RgbImage::from_fn(24, 16, |x, y| image::Rgb([x as u8 * 9, y as u8 * 13, 77]));
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

fn seed_wav() -> Vec<u8> {
    let samples: Vec<i16> = (0..2000)
        .map(|i| ((i as f32 * 0.1).sin() * 9000.0) as i16)
        .collect();
    crate::audio::tests::wav(8000, 1, &samples)
}

fn damage(mut bytes: Vec<u8>, flips: &[(usize, u8)], cut: Option<usize>) -> Vec<u8> {
    for &(at, value) in flips {
        let n = bytes.len();
        if n > 0 {
            bytes[at % n] = value;
        }
    }
    if let Some(cut) = cut {
        let n = bytes.len();
        bytes.truncate(cut % (n + 1));
    }
    bytes
}

fn damage_strategy() -> impl Strategy<Value = (Vec<(usize, u8)>, Option<usize>)> {
    (
        prop::collection::vec((any::<usize>(), any::<u8>()), 0..12),
        prop::option::of(any::<usize>()),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn damaged_mp4_never_panics((flips, cut) in damage_strategy()) {
        fuzzing::mp4(&damage(seed_mp4(), &flips, cut));
    }

    #[test]
    fn damaged_png_never_panics((flips, cut) in damage_strategy()) {
        fuzzing::image(&damage(seed_png(), &flips, cut));
    }

    #[test]
    fn damaged_wav_never_panics((flips, cut) in damage_strategy()) {
        fuzzing::audio(&damage(seed_wav(), &flips, cut));
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512), prefix in 0usize..4) {
        // Give the sniffer a real signature so the bytes reach each parser.
        let magic: [&[u8]; 4] = [b"\0\0\0\x18ftypisom", b"\x89PNG\r\n\x1a\n", b"RIFF\0\0\0\0WAVE", b"fLaC"];
        let mut data = magic[prefix].to_vec();
        data.extend_from_slice(&bytes);
        fuzzing::mp4(&data);
        fuzzing::image(&data);
        fuzzing::audio(&data);
    }
}

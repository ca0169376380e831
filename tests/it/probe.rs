use std::process::Command;

use crate::{assert_refused, path_str, provatar, sample, text};

fn probe_json(path: &std::path::Path) -> serde_json::Value {
    let out = provatar(&["probe", path_str(path), "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("one JSON object on stdout")
}

#[test]
fn probes_the_bundled_portrait_and_speech() {
    let v = probe_json(&sample("portrait-astronaut.png"));
    assert_eq!(v["kind"], "image");
    assert_eq!(v["format"], "png");
    assert_eq!(
        (v["width"].as_u64(), v["height"].as_u64()),
        (Some(512), Some(512))
    );

    let v = probe_json(&sample("speech-hello.wav"));
    assert_eq!(v["kind"], "audio");
    assert_eq!(v["codec"], "pcm_s16le");
    assert_eq!(v["sample_rate"].as_u64(), Some(22_050));
    assert_eq!(v["channels"].as_u64(), Some(1));
    let d = v["duration_seconds"].as_f64().unwrap();
    assert!((d - 5.463).abs() < 0.01, "{d}");
}

#[test]
fn human_output_goes_to_stderr() {
    let out = provatar(&["probe", path_str(&sample("portrait-astronaut.png"))]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    assert!(
        text(&out.stderr).contains("PNG image, 512x512"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn probes_an_mp4_that_ffmpeg_made() {
    let dir = tempfile::tempdir().unwrap();
    let mp4 = dir.path().join("x264.mp4");
    let status = Command::new("ffmpeg")
        .args([
            "-nostdin",
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=256x144:rate=30",
            "-f",
            "lavfi",
            "-i",
            "sine=sample_rate=48000",
            "-t",
            "1",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-y",
        ])
        .arg(&mp4)
        .status()
        .expect("ffmpeg is needed (scripts/test installs it)");
    assert!(status.success());
    let v = probe_json(&mp4);
    assert_eq!(v["kind"], "video");
    assert_eq!(v["video"]["codec"], "h264");
    assert_eq!(
        (v["video"]["width"].as_u64(), v["video"]["height"].as_u64()),
        (Some(256), Some(144))
    );
    assert_eq!(v["video"]["frames_decoded"].as_u64(), Some(30));
    assert!((v["video"]["fps"].as_f64().unwrap() - 30.0).abs() < 1e-6);
    assert_eq!(v["audio"]["codec"], "aac");
    assert!((v["audio"]["duration_seconds"].as_f64().unwrap() - 1.0).abs() < 0.03);
    assert_eq!(v["c2pa_manifest"], false);
}

#[test]
fn bad_files_are_refused_with_the_file_named() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &[u8], &str); 5] = [
        ("empty.png", b"", "empty"),
        ("text.wav", b"just some text", "unrecognised file format"),
        (
            "truncated.mp4",
            b"\0\0\0\x20ftypisom\0\0\x02\0isomiso2",
            "malformed MP4",
        ),
        (
            "bad.png",
            b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR",
            "corrupt or unsupported png image",
        ),
        (
            "bad.wav",
            b"RIFF\x24\0\0\0WAVEfmt \x10\0\0\0\x01\0\0\0\x40\x1f\0\0",
            "audio",
        ),
    ];
    for (name, bytes, needle) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        assert_refused(
            &provatar(&["probe", path_str(&path), "--json"]),
            &path,
            needle,
        );
    }
    let missing = dir.path().join("does-not-exist.jpg");
    assert_refused(
        &provatar(&["probe", path_str(&missing)]),
        &missing,
        "No such file",
    );
}

#[test]
fn a_real_file_cut_short_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let png = std::fs::read(sample("portrait-astronaut.png")).unwrap();
    let path = dir.path().join("cut.png");
    std::fs::write(&path, &png[..png.len() / 3]).unwrap();
    assert_refused(&provatar(&["probe", path_str(&path)]), &path, "png");
}

#[test]
fn a_png_bomb_is_refused_before_decoding() {
    // Signature + an IHDR declaring 60000 x 60000 RGB pixels (10.8 GB decoded), nothing else.
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&60_000u32.to_be_bytes());
    ihdr.extend_from_slice(&60_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut crc = 0xFFFF_FFFFu32;
    for &b in &ihdr {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0d".to_vec();
    png.extend_from_slice(&ihdr);
    png.extend_from_slice(&(!crc).to_be_bytes());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bomb.png");
    std::fs::write(&path, png).unwrap();
    assert_refused(
        &provatar(&["probe", path_str(&path)]),
        &path,
        "over the limit",
    );
    // The message gives the size the header declares (issue 18: it said "0x0 pixels").
    assert_refused(
        &provatar(&["probe", path_str(&path)]),
        &path,
        "picture is 60000x60000 pixels",
    );
}

/// A WAV header: PCM 16-bit (`format` 1) or float 32-bit (3), mono, at `rate`, then `data`.
fn wav(format: u16, rate: u32, data: &[u8]) -> Vec<u8> {
    let bits: u16 = if format == 3 { 32 } else { 16 };
    let mut out = Vec::new();
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + u32::try_from(data.len()).unwrap()).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&format.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * u32::from(bits / 8)).to_le_bytes());
    out.extend_from_slice(&(bits / 8).to_le_bytes());
    out.extend_from_slice(&bits.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&u32::try_from(data.len()).unwrap().to_le_bytes());
    out.extend_from_slice(data);
    out
}

/// Issue 18 (finding 5): one NaN sample in a 22.05 kHz float WAV crashed the resampler, and a
/// WAV at 0 Hz printed "panicked at" before its clean error. Both are refused, exit 2, the
/// file named, no panic text.
#[test]
fn a_nan_sample_or_a_rate_of_zero_is_refused_without_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let mut nan = Vec::new();
    for i in 0..22_050u16 {
        let s = if i == 11_025 {
            f32::NAN
        } else {
            0.1 * (f32::from(i) * 0.05).sin()
        };
        nan.extend_from_slice(&s.to_le_bytes());
    }
    let nan_wav = dir.path().join("nan-22k.wav");
    std::fs::write(&nan_wav, wav(3, 22_050, &nan)).unwrap();
    let zero_wav = dir.path().join("rate-0.wav");
    std::fs::write(&zero_wav, wav(1, 0, &[0u8; 3200])).unwrap();
    let track = dir.path().join("m.json");
    for (file, needle) in [(&nan_wav, "not a finite number"), (&zero_wav, "0 Hz")] {
        let out = provatar(&["probe", path_str(file)]);
        assert_refused(&out, file, needle);
        let out = provatar(&[
            "motion",
            "--audio",
            path_str(file),
            "--out",
            path_str(&track),
        ]);
        assert_refused(&out, file, needle);
        assert!(!track.exists());
    }
}

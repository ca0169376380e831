//! Cross-checks with an independent implementation: Debian's ffmpeg/ffprobe (installed by
//! `scripts/test`). These tests fail, rather than skip, when ffmpeg is missing.

use std::path::Path;
use std::process::Command;

use provatar_media::{EncoderSettings, Limits, VideoDecoder, VideoWriter, probe};

use crate::round_trip::fragmented;
use crate::{moving_frames, tone_with_click};

fn run(program: &str, args: &[&str]) -> (String, String) {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run {program} ({e}); install Debian's ffmpeg (scripts/test does)")
        });
    assert!(
        out.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn ffprobe(path: &Path) -> serde_json::Value {
    let (stdout, stderr) = run(
        "ffprobe",
        &[
            "-v",
            "warning",
            "-show_streams",
            "-show_format",
            "-count_frames",
            "-of",
            "json",
            path.to_str().unwrap(),
        ],
    );
    assert!(stderr.trim().is_empty(), "ffprobe warned: {stderr}");
    serde_json::from_str(&stdout).unwrap()
}

/// ffmpeg decodes the whole file and complains about nothing.
fn ffmpeg_decodes_cleanly(path: &Path) {
    let (_, stderr) = run(
        "ffmpeg",
        &[
            "-nostdin",
            "-v",
            "warning",
            "-i",
            path.to_str().unwrap(),
            "-f",
            "null",
            "-",
        ],
    );
    assert!(stderr.trim().is_empty(), "ffmpeg warned: {stderr}");
}

fn stream<'a>(probe: &'a serde_json::Value, kind: &str) -> &'a serde_json::Value {
    probe["streams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["codec_type"] == kind)
        .unwrap()
}

#[test]
fn ffprobe_accepts_our_plain_mp4() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plain.mp4");
    let frames = moving_frames(30, 512);
    let audio = tone_with_click(1.2, 0.6);
    let mut writer =
        VideoWriter::create(&path, EncoderSettings::new(512, 512, 25), Some(&audio)).unwrap();
    for f in &frames {
        writer.push_frame(f).unwrap();
    }
    writer.finish().unwrap();

    let p = ffprobe(&path);
    let v = stream(&p, "video");
    assert_eq!(v["codec_name"], "h264");
    assert_eq!(v["profile"], "Main");
    assert_eq!(
        (v["width"].as_u64(), v["height"].as_u64()),
        (Some(512), Some(512))
    );
    assert_eq!(v["pix_fmt"], "yuv420p");
    assert_eq!(v["color_range"], "tv");
    assert_eq!(v["color_space"], "bt709");
    assert_eq!(v["color_primaries"], "bt709");
    assert_eq!(v["color_transfer"], "bt709");
    assert_eq!(v["r_frame_rate"], "25/1");
    assert_eq!(v["avg_frame_rate"], "25/1");
    assert_eq!(v["nb_read_frames"], "30");
    let a = stream(&p, "audio");
    assert_eq!(a["codec_name"], "aac");
    assert_eq!(a["profile"], "LC");
    assert_eq!(a["sample_rate"], "48000");
    assert_eq!(a["channels"].as_u64(), Some(2));
    let vd: f64 = v["duration"].as_str().unwrap().parse().unwrap();
    let ad: f64 = a["duration"].as_str().unwrap().parse().unwrap();
    assert!((vd - 1.2).abs() < 1e-6, "video duration {vd}");
    assert!((ad - 1.2).abs() <= 0.04, "audio duration {ad}");
    ffmpeg_decodes_cleanly(&path);
}

#[test]
fn ffprobe_accepts_our_fragmented_mp4() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fragmented.mp4");
    let frames = moving_frames(30, 256);
    let audio = tone_with_click(1.2, 0.6);
    let (bytes, _) = fragmented(&frames, &audio, 10);
    std::fs::write(&path, bytes).unwrap();
    let p = ffprobe(&path);
    let v = stream(&p, "video");
    assert_eq!(v["codec_name"], "h264");
    assert_eq!(v["nb_read_frames"], "30");
    assert_eq!(v["r_frame_rate"], "25/1");
    assert_eq!(v["color_space"], "bt709");
    let a = stream(&p, "audio");
    assert_eq!(a["codec_name"], "aac");
    ffmpeg_decodes_cleanly(&path);
}

#[test]
fn we_read_an_mp4_that_ffmpeg_made() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x264.mp4");
    let p = path.to_str().unwrap();
    // libx264's defaults: High profile, CABAC, B-frames (so decode order ≠ display order), and
    // AAC audio with 1024 samples of priming trimmed by an edit list.
    run(
        "ffmpeg",
        &[
            "-nostdin",
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=320x240:rate=25",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:sample_rate=44100",
            "-t",
            "2",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-y",
            p,
        ],
    );
    let out = Command::new("ffmpeg")
        .args([
            "-nostdin", "-v", "error", "-i", p, "-f", "rawvideo", "-pix_fmt", "yuv420p", "-",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let raw = out.stdout;
    let frame_len = 320 * 240 * 3 / 2;
    assert_eq!(raw.len() % frame_len, 0);
    let reference: Vec<&[u8]> = raw.chunks(frame_len).collect();
    assert_eq!(reference.len(), 50);

    let mut decoder = VideoDecoder::open(&path, &Limits::default()).unwrap();
    let info = decoder.info();
    assert_eq!(info.video.profile.as_deref(), Some("high"));
    let mut n = 0;
    while let Some(frame) = decoder.next_frame().unwrap() {
        let i = frame.index as usize;
        assert!(
            (frame.pts_seconds - i as f64 / 25.0).abs() < 1e-6,
            "frame {i} at {}",
            frame.pts_seconds
        );
        // Same picture as ffmpeg's at the same index (frame-accurate, display order). OpenH264
        // and libavcodec may differ by a rounding step on a few High-profile pixels.
        let ours = [frame.picture.y(), frame.picture.u(), frame.picture.v()].concat();
        let mse = |r: &[u8]| {
            r.iter()
                .zip(&ours)
                .map(|(a, b)| (f64::from(*a) - f64::from(*b)).powi(2))
                .sum::<f64>()
                / r.len() as f64
        };
        let closest = (0..reference.len())
            .min_by(|&a, &b| mse(reference[a]).total_cmp(&mse(reference[b])))
            .unwrap();
        assert_eq!(closest, i, "frame {i} looks like ffmpeg's frame {closest}");
        let psnr = 10.0 * (255.0f64 * 255.0 / mse(reference[i]).max(1e-12)).log10();
        assert!(psnr > 50.0, "frame {i}: {psnr:.1} dB from ffmpeg's");
        n += 1;
    }
    assert_eq!(n, 50);
    let audio = decoder.decode_audio().unwrap().unwrap();
    assert_eq!(audio.sample_rate(), 44_100);
    assert!(
        (audio.duration_seconds() - 2.0).abs() <= 0.04,
        "audio {} s",
        audio.duration_seconds()
    );

    match probe(&path, &Limits::default()).unwrap() {
        provatar_media::ProbeReport::Video(v) => {
            assert_eq!(v.video.frames_decoded, Some(50));
            assert_eq!(v.audio.unwrap().codec, "aac");
            assert!(!v.c2pa_manifest);
        }
        other => panic!("probed as {other:?}"),
    }
}

#[test]
fn we_decode_audio_formats_that_ffmpeg_made() {
    let dir = tempfile::tempdir().unwrap();
    for (name, codec_args) in [
        ("a.flac", &["-c:a", "flac"][..]),
        ("a.mp3", &["-c:a", "libmp3lame"][..]),
        ("a.ogg", &["-c:a", "libvorbis"][..]),
        ("a.m4a", &["-c:a", "aac"][..]),
        ("a.aac", &["-c:a", "aac", "-f", "adts"][..]),
        ("a.wav", &["-c:a", "pcm_s24le"][..]),
    ] {
        let path = dir.path().join(name);
        let mut args = vec![
            "-nostdin",
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=300:sample_rate=22050:duration=1.5",
            "-ac",
            "2",
        ];
        args.extend_from_slice(codec_args);
        args.extend_from_slice(&["-y", path.to_str().unwrap()]);
        run("ffmpeg", &args);
        let loaded = provatar_media::load_audio(&path, &Limits::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(loaded.info.sample_rate, 22_050, "{name}");
        assert_eq!(loaded.info.channels, 2, "{name}");
        // Lossy codecs pad a little; containers with gapless information (M4A edit lists,
        // LAME headers, Ogg granules) are trimmed to within a video frame of 1.5 s. Raw ADTS
        // has nowhere to say so and keeps AAC's 1024 priming samples and final padding.
        let tolerance = if name == "a.aac" { 0.1 } else { 0.04 };
        assert!(
            (loaded.info.duration_seconds - 1.5).abs() <= tolerance,
            "{name}: {} s",
            loaded.info.duration_seconds
        );
        let n = loaded.analysis.samples().len();
        let expected = (loaded.info.duration_seconds * 16_000.0).round() as i64;
        assert!(
            (n as i64 - expected).abs() <= 1,
            "{name}: {n} analysis samples"
        );
        let rms = (loaded.analysis.samples().iter().map(|s| s * s).sum::<f32>() / n as f32).sqrt();
        // lavfi's sine has amplitude 1/8 (rms 0.088); ffmpeg upmixed it at -3 dB.
        assert!((rms - 0.0625).abs() < 0.005, "{name}: rms {rms}");
    }
}

//! `provatar watermark embed|detect` on pictures, and its refusals.

use std::path::Path;

use crate::{assert_refused, path_str, provatar, sample, text};

/// A textured test picture (shading, grain and blotches), written as PNG.
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "values clamped to 0..=255"
)]
fn textured_png(path: &Path, width: u32, height: u32) {
    let mut state = 0x9e37_79b9u32;
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let grain = f64::from(state >> 24) / 255.0 - 0.5;
        let (fx, fy) = (
            f64::from(x) / f64::from(width),
            f64::from(y) / f64::from(height),
        );
        let blotch = (fx * 19.0).sin() * (fy * 13.0).cos() * 25.0;
        let v = (70.0 + 110.0 * fx + 12.0 * (fx * 23.0 + fy * 7.0).sin() + 30.0 * grain + blotch)
            .clamp(0.0, 255.0) as u8;
        image::Rgb([v, (f64::from(v) * 0.9) as u8, (f64::from(v) * 0.8) as u8])
    });
    img.save(path).expect("write png");
}

fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", text(&out.stdout)))
}

#[test]
fn embed_then_detect_a_png() {
    let dir = tempfile::tempdir().unwrap();
    let clean = dir.path().join("clean.png");
    let marked = dir.path().join("marked.png");
    textured_png(&clean, 512, 512);
    let out = provatar(&[
        "watermark",
        "embed",
        path_str(&clean),
        path_str(&marked),
        "--payload",
        "00c0ffee12345678",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = provatar(&["watermark", "detect", path_str(&marked), "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report = json(&out);
    assert_eq!(report["detected"], true);
    assert_eq!(report["content_id"], "00c0ffee12345678");
    assert!(report["p_value"].as_f64().unwrap() <= 1e-9);
    assert_eq!(report["frames"], 1);
    assert_eq!(report["frames_marked"], 1);
    assert!(report["frame_anomalies"].as_array().unwrap().is_empty());
    assert!(report["bit_accuracy"].as_f64().unwrap() > 0.9);

    // The unmarked picture, and the marked one under another key: exit 1, "not detected".
    let out = provatar(&["watermark", "detect", path_str(&clean), "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_eq!(json(&out)["detected"], false);
    let key = dir.path().join("wm.key");
    std::fs::write(&key, format!("# test key\n{}\n", "5a".repeat(32))).unwrap();
    let out = provatar(&[
        "watermark",
        "detect",
        path_str(&marked),
        "--key",
        path_str(&key),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    // The key never shows up in what the tool prints.
    assert!(!text(&out.stderr).contains(&"5a".repeat(8)));
}

#[test]
fn refuses_bad_input_without_leaving_output() {
    let dir = tempfile::tempdir().unwrap();
    let portrait = sample("portrait-astronaut.png");
    let out_png = dir.path().join("out.png");
    // A payload that is not 16 hex digits.
    let out = provatar(&[
        "watermark",
        "embed",
        path_str(&portrait),
        path_str(&out_png),
        "--payload",
        "xyz",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--payload"),
        "{}",
        text(&out.stderr)
    );
    // A key file that is not a key: named, and its content not echoed.
    let bad_key = dir.path().join("bad.key");
    std::fs::write(&bad_key, "secret-looking-text").unwrap();
    let out = provatar(&[
        "watermark",
        "embed",
        path_str(&portrait),
        path_str(&out_png),
        "--payload",
        "0011223344556677",
        "--key",
        path_str(&bad_key),
    ]);
    assert_refused(&out, &bad_key, "watermark key");
    assert!(!text(&out.stderr).contains("secret-looking-text"));
    // A corrupt picture.
    let corrupt = dir.path().join("corrupt.png");
    let mut bytes = std::fs::read(&portrait).unwrap();
    bytes.truncate(200);
    std::fs::write(&corrupt, &bytes).unwrap();
    let out = provatar(&["watermark", "detect", path_str(&corrupt)]);
    assert_refused(&out, &corrupt, "cannot read");
    let out = provatar(&[
        "watermark",
        "embed",
        path_str(&corrupt),
        path_str(&out_png),
        "--payload",
        "0011223344556677",
    ]);
    assert_refused(&out, &corrupt, "cannot read");
    // Too small to carry a mark: refused, nothing written.
    let tiny = dir.path().join("tiny.png");
    textured_png(&tiny, 64, 64);
    let out = provatar(&[
        "watermark",
        "embed",
        path_str(&tiny),
        path_str(&out_png),
        "--payload",
        "0011223344556677",
    ]);
    assert_refused(&out, &tiny, "too small to mark");
    assert!(!out_png.exists());
    // Not a picture or video at all.
    let wav = sample("speech-hello.wav");
    let out = provatar(&["watermark", "detect", path_str(&wav)]);
    assert_refused(&out, &wav, "neither an image nor an MP4");
    // An image output name that is not PNG or JPEG.
    let gif = dir.path().join("out.gif");
    let out = provatar(&[
        "watermark",
        "embed",
        path_str(&portrait),
        path_str(&gif),
        "--payload",
        "0011223344556677",
    ]);
    assert_refused(&out, &gif, ".png or .jpg");
    // Nothing was left behind by any of the refusals.
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("out") || n.contains("partial"))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

/// Runs ffmpeg quietly, failing the test with its message.
fn ffmpeg(args: &[&str]) {
    let out = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-y"])
        .args(args)
        .output()
        .expect("ffmpeg is needed (scripts/test installs it)");
    assert!(
        out.status.success(),
        "ffmpeg {args:?}: {}",
        text(&out.stderr)
    );
}

/// The issue's attacks on a short marked clip of the bundled portrait (4 s with a slow sway,
/// marked and encoded by `provatar watermark embed`, so every attack comes on top of our own
/// H.264): each attacked copy must still read as marked, with the right content id and no
/// frame anomaly. `scripts/watermark-bench` runs the same attacks with per-frame figures.
/// This clip turns as a whole (every pixel moves), the hard case for H.264 at CRF 35 and for the
/// 10 % crop on top of our own encoding; both are checked on provatar's real output (a talking
/// head on a still background) in `generate_writes_a_video_that_verifies_and_plays`.
#[test]
fn marked_video_survives_reencoding_scaling_cropping_and_levels() {
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("clip.mp4");
    let portrait = sample("portrait-astronaut.png");
    ffmpeg(&[
        "-loop",
        "1",
        "-i",
        path_str(&portrait),
        "-vf",
        "scale=512:512,rotate=a='0.02*t':fillcolor=gray",
        "-r",
        "25",
        "-frames:v",
        "100",
        "-c:v",
        "libx264",
        "-crf",
        "12",
        "-pix_fmt",
        "yuv420p",
        path_str(&clip),
    ]);
    let marked = dir.path().join("marked.mp4");
    let id = "5eed0123abcd4567";
    let out = provatar(&[
        "watermark",
        "embed",
        path_str(&clip),
        path_str(&marked),
        "--payload",
        id,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    // Attacks other than re-encoding are written near-losslessly (what our decoder reads).
    let lossless = ["-c:v", "libx264", "-crf", "10", "-pix_fmt", "yuv420p"];
    let attacks: [(&str, Option<&str>, Option<&str>); 9] = [
        ("none", None, None),
        ("crf23", None, Some("23")),
        ("crf28", None, Some("28")),
        ("down256", Some("scale=256:256"), None),
        ("letterbox", Some("scale=360:360,pad=640:360:140:0"), None),
        (
            "bright+20",
            Some("lutrgb=r=val*1.2:g=val*1.2:b=val*1.2"),
            None,
        ),
        (
            "bright-20",
            Some("lutrgb=r=val*0.8:g=val*0.8:b=val*0.8"),
            None,
        ),
        (
            "contrast+20",
            Some("lutrgb=r=(val-128)*1.2+128:g=(val-128)*1.2+128:b=(val-128)*1.2+128"),
            None,
        ),
        (
            "contrast-20",
            Some("lutrgb=r=(val-128)*0.8+128:g=(val-128)*0.8+128:b=(val-128)*0.8+128"),
            None,
        ),
    ];
    let mut failed = Vec::new();
    for (name, filter, crf) in attacks {
        let attacked = dir.path().join(format!("{name}.mp4"));
        let mut args = vec!["-i", path_str(&marked)];
        if let Some(f) = filter {
            args.extend(["-vf", f]);
        }
        match crf {
            Some(c) => args.extend(["-c:v", "libx264", "-crf", c, "-pix_fmt", "yuv420p"]),
            None => args.extend(lossless),
        }
        args.push(path_str(&attacked));
        ffmpeg(&args);
        let out = provatar(&["watermark", "detect", path_str(&attacked), "--json"]);
        let report = json(&out);
        // The margin, for BENCHMARKS.md (run with --nocapture): the bound is z 5.93 (p 1e-9).
        eprintln!(
            "{name}: z {}, p {}, bit accuracy {}",
            report["score"], report["p_value"], report["bit_accuracy"]
        );
        let anomalies = report["frame_anomalies"].as_array().map_or(0, Vec::len);
        if out.status.code() != Some(0) || report["content_id"] != id || anomalies > 0 {
            failed.push(format!(
                "{name}: exit {:?}, score {}, p {}, anomalies {}",
                out.status.code(),
                report["score"],
                report["p_value"],
                report["frame_anomalies"]
            ));
        }
    }
    // JPEG at quality 50, one frame.
    let frame = dir.path().join("frame.png");
    ffmpeg(&["-i", path_str(&marked), "-frames:v", "1", path_str(&frame)]);
    let jpeg = dir.path().join("frame.jpg");
    let picture = image::open(&frame).unwrap().to_rgb8();
    let mut file = std::fs::File::create(&jpeg).unwrap();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut file, 50)
        .encode_image(&picture)
        .unwrap();
    drop(file);
    let out = provatar(&["watermark", "detect", path_str(&jpeg), "--json"]);
    let report = json(&out);
    eprintln!("jpeg50: z {}, p {}", report["score"], report["p_value"]);
    if out.status.code() != Some(0) || report["content_id"] != id {
        failed.push(format!(
            "jpeg50: exit {:?}, score {}",
            out.status.code(),
            report["score"]
        ));
    }
    assert!(failed.is_empty(), "not recovered after: {failed:#?}");
}

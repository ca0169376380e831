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

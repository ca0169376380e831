//! `provatar motion`: speech to a motion track file, JSON or Live Link CSV.

use crate::{assert_refused, path_str, provatar, sample, text};

#[test]
fn writes_json_and_livelink_csv_reproducibly() {
    let dir = tempfile::tempdir().unwrap();
    let audio = sample("speech-hello.wav");
    let json = dir.path().join("m.json");
    let again = dir.path().join("again.json");
    for out in [&json, &again] {
        let run = provatar(&[
            "motion",
            "--audio",
            path_str(&audio),
            "--out",
            path_str(out),
            "--emotion",
            "happy",
            "--emotion-strength",
            "0.8",
            "--gaze",
            "10,-5",
            "--seed",
            "42",
        ]);
        assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
        assert!(
            text(&run.stderr).contains("seed 42"),
            "{}",
            text(&run.stderr)
        );
    }
    let bytes = std::fs::read(&json).unwrap();
    assert_eq!(
        bytes,
        std::fs::read(&again).unwrap(),
        "same seed, different track"
    );
    let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let frames = v["frames"].as_array().unwrap();
    // 5.46 s at 25 fps.
    assert_eq!(frames.len(), 137);
    assert_eq!(v["fps"], 25);
    let smile = frames
        .iter()
        .map(|f| f["blendshapes"]["mouthSmileLeft"].as_f64().unwrap())
        .sum::<f64>()
        / 137.0;
    assert!(smile > 0.3, "happy at 0.8 smiles {smile}");
    let csv_path = dir.path().join("m.csv");
    let run = provatar(&[
        "motion",
        "--audio",
        path_str(&audio),
        "--out",
        path_str(&csv_path),
        "--format",
        "livelink-csv",
        "--fps",
        "30",
    ]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    let csv = std::fs::read_to_string(&csv_path).unwrap();
    let header = csv.lines().next().unwrap();
    assert!(header.starts_with("Timecode,BlendShapeCount,EyeBlinkLeft,"));
    assert!(header.ends_with("RightEyeYaw,RightEyePitch,RightEyeRoll"));
    assert_eq!(csv.lines().count(), 1 + 164, "5.46 s at 30 fps");
}

#[test]
fn refuses_bad_audio_and_flags_without_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m.json");
    let corrupt = dir.path().join("corrupt.wav");
    std::fs::write(&corrupt, b"RIFF\x10\x00\x00\x00WAVEfmt garbage").unwrap();
    let run = provatar(&[
        "motion",
        "--audio",
        path_str(&corrupt),
        "--out",
        path_str(&out),
    ]);
    assert_refused(&run, &corrupt, "cannot read the audio");
    let audio = sample("speech-hello.wav");
    for (flag, needle) in [
        ("--gaze=left", "invalid --gaze"),
        ("--emotion-strength=2", "emotion strength"),
        ("--head-motion=-1", "head motion"),
        ("--head-distance=9", "head distance"),
    ] {
        let run = provatar(&[
            "motion",
            "--audio",
            path_str(&audio),
            "--out",
            path_str(&out),
            flag,
        ]);
        assert_eq!(run.status.code(), Some(2), "{flag}");
        assert!(text(&run.stderr).contains(needle), "{}", text(&run.stderr));
    }
    assert!(!out.exists(), "a refused run left {}", out.display());
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "stray files"
    );
}

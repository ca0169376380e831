//! `provatar generate --stream` and `provatar verify --stream`: signed segments that verify in
//! order, a dropped or reordered segment caught, the whole recording signed, and a stream that
//! runs past the consent's duration limit refused with everything before it closed and signed.

use std::path::Path;

use crate::{path_str, provatar, repo, sample};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn stream(dir: &Path, consent: &Path, segments: &str) -> std::process::Output {
    let keys = repo().join("keys/dev");
    provatar(&[
        "generate",
        "--stream",
        "--no-pace",
        "--portrait",
        path_str(&sample("portrait-astronaut.png")),
        "--audio",
        path_str(&sample("speech-hello.wav")),
        "--consent",
        path_str(consent),
        "--license",
        path_str(&sample("license.json")),
        "--signer",
        path_str(&keys),
        "--trust",
        path_str(&keys.join("trust")),
        "--store",
        path_str(&dir.join("store")),
        "--size",
        "256",
        "--segment-frames",
        segments,
        "--seed",
        "5",
        "--out",
        path_str(&dir.join("live.mp4")),
    ])
}

fn verify_stream(dir: &Path) -> (Option<i32>, serde_json::Value) {
    let out = provatar(&[
        "verify",
        "--stream",
        path_str(dir),
        "--trust",
        path_str(&repo().join("keys/dev/trust")),
        "--json",
    ]);
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", text(&out.stderr)));
    (out.status.code(), report)
}

#[test]
fn streamed_segments_verify_and_a_dropped_or_reordered_one_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let out = stream(dir.path(), &sample("consent.json"), "40");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("segment 3 (frames 120–136, last)"),
        "{stderr}"
    );
    let segs = dir.path().join("live-segments");
    let (code, report) = verify_stream(&segs);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["verdict"], "authentic");
    assert_eq!(report["ended"], true);
    assert_eq!(report["frames"], 137);
    assert_eq!(report["segments"].as_array().map(Vec::len), Some(4));

    // The whole recording, signed at the end.
    let rec = provatar(&[
        "verify",
        path_str(&dir.path().join("live.mp4")),
        "--trust",
        path_str(&repo().join("keys/dev/trust")),
        "--json",
    ]);
    let r: serde_json::Value = serde_json::from_slice(&rec.stdout).unwrap();
    assert_eq!(r["verdict"], "authentic", "{r:#}");
    assert_eq!(r["watermark"]["frames"], 137);
    // The recording carries the content's fingerprints, and its own content matches them.
    for name in ["sound", "pictures"] {
        let c = crate::check(&r, name);
        assert_eq!(c["ok"], true, "{c}");
        eprintln!("recording {name}: {}", c["detail"]);
    }

    // A dropped segment.
    let dropped = dir.path().join("dropped");
    std::fs::create_dir(&dropped).unwrap();
    for k in [0, 2, 3] {
        let name = format!("live-{k:06}.mp4");
        std::fs::copy(segs.join(&name), dropped.join(&name)).unwrap();
    }
    let (code, report) = verify_stream(&dropped);
    assert_eq!(code, Some(1));
    assert_eq!(report["verdict"], "tampered");
    assert!(
        report["checks"].to_string().contains("missing"),
        "{report:#}"
    );

    // Two segments swapped (renamed into each other's place).
    let swapped = dir.path().join("swapped");
    std::fs::create_dir(&swapped).unwrap();
    for (from, to) in [(0, 0), (1, 2), (2, 1), (3, 3)] {
        std::fs::copy(
            segs.join(format!("live-{from:06}.mp4")),
            swapped.join(format!("live-{to:06}.mp4")),
        )
        .unwrap();
    }
    let (code, report) = verify_stream(&swapped);
    assert_eq!(code, Some(1));
    assert_eq!(report["verdict"], "tampered");
    assert!(
        report["checks"].to_string().contains("out of order"),
        "{report:#}"
    );

    // Mid-stream: the first two segments check, but the end is not known yet.
    let early = dir.path().join("early");
    std::fs::create_dir(&early).unwrap();
    for k in [0, 1] {
        let name = format!("live-{k:06}.mp4");
        std::fs::copy(segs.join(&name), early.join(&name)).unwrap();
    }
    // Issue 18 (finding 9): this was plain "authentic" (exit 0) in the JSON.
    let (code, report) = verify_stream(&early);
    assert_eq!(code, Some(4), "{report:#}");
    assert_eq!(report["verdict"], "incomplete");
    assert_eq!(report["ended"], false);
}

#[test]
fn a_stream_past_the_consented_duration_is_stopped_closed_and_signed() {
    let dir = tempfile::tempdir().unwrap();
    let consent = dir.path().join("consent-2s.json");
    let issued = provatar(&[
        "consent",
        "issue",
        "--issuer-key",
        path_str(&repo().join("keys/dev/consent-issuer.key")),
        "--portrait",
        path_str(&sample("portrait-astronaut.png")),
        "--subject",
        "urn:provatar:subject:stream-test",
        "--licensee",
        "provatar-demo",
        "--expires",
        "2035-01-01T00:00:00Z",
        "--max-seconds",
        "2",
        "--out",
        path_str(&consent),
    ]);
    assert_eq!(issued.status.code(), Some(0), "{}", text(&issued.stderr));
    let out = stream(dir.path(), &consent, "0");
    let stderr = text(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("stopped at 2.0 s"), "{stderr}");
    // What came before the limit: 2 s of frames, closed (last segment marked) and signed.
    let (code, report) = verify_stream(&dir.path().join("live-segments"));
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["ended"], true);
    assert_eq!(report["frames"], 50);
    let rec = provatar(&[
        "verify",
        path_str(&dir.path().join("live.mp4")),
        "--trust",
        path_str(&repo().join("keys/dev/trust")),
    ]);
    assert_eq!(rec.status.code(), Some(0), "{}", text(&rec.stderr));
}

/// Issue 18 (finding 9): an empty stdin stream exited 0 with NaN latencies. With no sound there
/// is nothing to sign: exit 2, a message saying so, no recording and no segment folder.
#[test]
fn an_empty_audio_stream_is_an_error_not_an_empty_success() {
    let dir = tempfile::tempdir().unwrap();
    let keys = repo().join("keys/dev");
    let out = dir.path().join("live.mp4");
    // `provatar` gives the child an empty stdin.
    let result = provatar(&[
        "generate",
        "--stream",
        "--audio",
        "-",
        "--portrait",
        path_str(&sample("portrait-astronaut.png")),
        "--consent",
        path_str(&sample("consent.json")),
        "--license",
        path_str(&sample("license.json")),
        "--signer",
        path_str(&keys),
        "--trust",
        path_str(&keys.join("trust")),
        "--store",
        path_str(&dir.path().join("store")),
        "--out",
        path_str(&out),
    ]);
    let stderr = text(&result.stderr);
    assert_eq!(result.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("before any sound"), "{stderr}");
    assert!(!stderr.contains("NaN"), "{stderr}");
    assert!(!out.exists());
    assert!(!dir.path().join("live-segments").exists());
}

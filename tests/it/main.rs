//! End-to-end tests: they run the built `provatar` binary the way a user does.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers fail loudly"
)]

mod analyze;
mod contract;
mod framing;
mod gate;
mod generate;
mod motion;
mod probe;
mod stream;
mod verify;
mod watermark;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub(crate) fn provatar(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_provatar"))
        .args(args)
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("run provatar")
}

pub(crate) fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub(crate) fn sample(name: &str) -> PathBuf {
    repo().join("assets/sample").join(name)
}

/// An MP4's top-level boxes: (type, start, size), 64-bit sizes followed.
pub(crate) fn top_level_boxes(bytes: &[u8]) -> Vec<(String, usize, usize)> {
    let mut boxes = Vec::new();
    let mut at = 0usize;
    while at + 8 <= bytes.len() {
        let mut size = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        if size == 1 {
            // A 64-bit size follows the type.
            size = usize::try_from(u64::from_be_bytes(
                bytes[at + 8..at + 16].try_into().unwrap(),
            ))
            .unwrap();
        }
        assert!(size >= 8, "box at {at} has size {size}");
        boxes.push((
            String::from_utf8_lossy(&bytes[at + 4..at + 8]).into_owned(),
            at,
            size,
        ));
        at += size;
    }
    boxes
}

/// Runs ffmpeg quietly, overwriting its output.
pub(crate) fn ffmpeg(args: &[&str]) {
    let ff = Command::new("ffmpeg")
        .args(["-v", "error", "-y"])
        .args(args)
        .output()
        .expect("ffmpeg (scripts/setup-deps --test installs it)");
    assert!(ff.status.success(), "ffmpeg: {}", text(&ff.stderr));
}

/// The check called `name` in a verify report.
pub(crate) fn check<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == name))
        .unwrap_or_else(|| panic!("no {name} check: {report:#}"))
}

pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub(crate) fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Asserts a clean refusal: exit 2, one message naming the file, no panic.
pub(crate) fn assert_refused(out: &Output, file: &Path, needle: &str) {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(
        stderr.contains(path_str(file)),
        "message does not name the file: {stderr}"
    );
    assert!(
        stderr.contains(needle),
        "message lacks {needle:?}: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "panicked: {stderr}");
    assert_error_json(out, needle);
}

/// On an error stdout holds nothing, or (with `--json`) one JSON object with the same message
/// and the exit status.
pub(crate) fn assert_error_json(out: &Output, needle: &str) {
    if out.stdout.is_empty() {
        return;
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout on error is not JSON ({e}): {}", text(&out.stdout)));
    assert_eq!(v["exit_status"], 2, "{v}");
    let message = v["error"].as_str().unwrap_or_default();
    assert!(message.contains(needle), "JSON error lacks {needle:?}: {v}");
    assert_eq!(
        message,
        text(&out.stderr)
            .lines()
            .find_map(|l| l.strip_prefix("provatar: error: "))
            .unwrap_or_default(),
        "stdout and stderr disagree"
    );
}

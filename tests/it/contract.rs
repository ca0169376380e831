//! The CLI contract of DESIGN.md: every subcommand exists and works.

use crate::{provatar, text};

#[test]
fn every_contract_subcommand_is_declared() {
    let out = provatar(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = text(&out.stdout);
    for cmd in [
        "demo",
        "generate",
        "verify",
        "analyze",
        "motion",
        "probe",
        "watermark",
        "keys",
        "consent",
        "license",
        "bench",
    ] {
        assert!(help.contains(cmd), "--help does not list {cmd}");
    }
}

/// `bench` measures every stage on the bundled sample (a short run here; figures in
/// BENCHMARKS.md come from the default 250 frames).
#[test]
fn bench_reports_every_stage_streaming_latency_and_memory() {
    let out = provatar(&["bench", "--frames", "25", "--json"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let stages: Vec<&str> = r["stages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["stage"].as_str())
        .collect();
    assert_eq!(
        stages,
        [
            "gate",
            "analyze",
            "motion",
            "render",
            "watermark",
            "encode",
            "sign",
            "verify"
        ]
    );
    assert!(
        r["stages"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["ms"].as_f64().unwrap() > 0.0)
    );
    assert_eq!(r["frames"], 25);
    assert!(r["cores"].as_u64().unwrap() >= 1);
    for k in [
        "batch_fps",
        "stream_fps",
        "stream_segment_sign_ms",
        "peak_memory_mib",
    ] {
        assert!(r[k].as_f64().unwrap() > 0.0, "{k}: {r:#}");
    }
    let lat = &r["stream_latency_ms"];
    assert_eq!(lat["frames"], 25);
    let (p50, p95, max) = (
        lat["p50"].as_f64().unwrap(),
        lat["p95"].as_f64().unwrap(),
        lat["max"].as_f64().unwrap(),
    );
    // The motion's look-ahead is a floor on the latency at real-time pace.
    assert!(p50 >= 50.0 && p50 <= p95 && p95 <= max, "{lat}");
}

#[test]
fn bad_flags_are_usage_errors() {
    let out = provatar(&["probe"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("Usage"));
    let out = provatar(&["generate", "--emotion", "ecstatic"]);
    assert_eq!(out.status.code(), Some(2));
}

//! The CLI contract of DESIGN.md: every subcommand exists; those not built yet refuse clearly.

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

#[test]
fn unbuilt_commands_refuse_without_output() {
    let dir = tempfile::tempdir().unwrap();
    let out_mp4 = dir.path().join("out.mp4");
    let cases: Vec<Vec<String>> = vec![
        vec![
            "demo".into(),
            "--out".into(),
            dir.path().join("demo").display().to_string(),
        ],
        vec![
            "generate".into(),
            "--portrait".into(),
            "p.png".into(),
            "--audio".into(),
            "a.wav".into(),
            "--consent".into(),
            "c.json".into(),
            "--out".into(),
            out_mp4.display().to_string(),
        ],
        vec!["bench".into()],
    ];
    for args in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = provatar(&args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("not yet available"), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?} printed to stdout");
    }
    assert!(!out_mp4.exists(), "generate left a file behind");
    assert!(
        !dir.path().join("demo").exists(),
        "demo left a directory behind"
    );
}

#[test]
fn bad_flags_are_usage_errors() {
    let out = provatar(&["probe"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("Usage"));
    let out = provatar(&["generate", "--emotion", "ecstatic"]);
    assert_eq!(out.status.code(), Some(2));
}

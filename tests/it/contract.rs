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
    let out = provatar(&["bench"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("not yet available"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn bad_flags_are_usage_errors() {
    let out = provatar(&["probe"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("Usage"));
    let out = provatar(&["generate", "--emotion", "ecstatic"]);
    assert_eq!(out.status.code(), Some(2));
}

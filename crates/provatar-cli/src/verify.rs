//! `provatar verify VIDEO [--trust DIR] [--store DIR] [--json]`.

use std::path::PathBuf;

use anyhow::Context as _;
use provatar::{Check, Verdict, Verifier, VerifyReport};

use crate::Status;
use crate::cli::VerifyArgs;

pub(crate) fn run(args: &VerifyArgs) -> anyhow::Result<Status> {
    let trust = crate::gate::trust_dir(args.trust.as_ref());
    let named = args.trust.is_some() || std::env::var_os("PROVATAR_TRUST").is_some();
    let trust = if named || trust.is_dir() {
        Some(trust)
    } else {
        // No trust store named and none at the default place: trust nothing, and say so.
        eprintln!(
            "provatar: no trust store at {}: no signer or consent issuer is trusted (use --trust DIR)",
            trust.display()
        );
        None
    };
    let store = args
        .store
        .clone()
        .or_else(|| default_store().filter(|d| d.is_dir()));
    let verifier = Verifier::new(trust.as_deref(), store.as_deref())?;
    if args.stream {
        return verify_stream(&verifier, args);
    }
    let [video] = args.video.as_slice() else {
        anyhow::bail!("verify checks one video (give --stream to check the segments of a stream)");
    };
    let report = verifier.verify(video)?;
    if args.json {
        crate::print_json(&report)?;
    }
    print_human(&report);
    Ok(Status::of(report.verdict))
}

fn verify_stream(verifier: &Verifier, args: &VerifyArgs) -> anyhow::Result<Status> {
    let mut files = Vec::new();
    for path in &args.video {
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .with_context(|| format!("cannot read the directory {}", path.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("mp4")))
                .collect();
            found.sort();
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    if files.is_empty() {
        anyhow::bail!("no stream segments (*.mp4) to check");
    }
    let report = verifier.verify_stream(&files)?;
    if args.json {
        crate::print_json(&report)?;
    }
    let headline = match report.verdict {
        Verdict::Authentic => "AUTHENTIC — a signed provatar stream, complete and in order",
        Verdict::Incomplete => {
            "INCOMPLETE — every segment so far signed and in order, but none closes the stream \
             (still live, or its end is missing)"
        }
        Verdict::Revoked => {
            "REVOKED — signed and in order, but the consent it carries has been revoked"
        }
        Verdict::Recovered => "RECOVERED",
        Verdict::Tampered => "TAMPERED — a segment is altered, missing, repeated or out of order",
        Verdict::Unknown => "UNKNOWN — no trusted provenance for every segment",
    };
    eprintln!(
        "stream {} ({} segments, {} frames): {headline}",
        report.stream_id.as_deref().unwrap_or("?"),
        report.segments.len(),
        report.frames
    );
    print_checks(&report.checks);
    Ok(Status::of(report.verdict))
}

/// Where `generate` keeps every signed manifest and `verify` looks for stripped ones:
/// `$PROVATAR_STORE`, else `$XDG_DATA_HOME/provatar/manifests`, else
/// `~/.local/share/provatar/manifests`.
pub(crate) fn default_store() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("PROVATAR_STORE") {
        return Some(PathBuf::from(dir));
    }
    let data = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
    Some(data.join("provatar/manifests"))
}

/// Each check on its own line: `ok` or `FAIL`, its name, what was found.
fn print_checks(checks: &[Check]) {
    for c in checks {
        eprintln!(
            "  {} {}: {}",
            if c.ok { "ok  " } else { "FAIL" },
            c.name,
            c.detail
        );
    }
}

pub(crate) fn print_human(report: &VerifyReport) {
    let headline = match report.verdict {
        Verdict::Authentic => "AUTHENTIC — a signed provatar video, unaltered",
        Verdict::Recovered => {
            "RECOVERED — a copy (re-encoded or stripped) whose provenance was found by its watermark"
        }
        Verdict::Tampered => "TAMPERED — the evidence shows edits or contradicts itself",
        Verdict::Unknown => "UNKNOWN — no trusted provenance found",
        Verdict::Revoked => {
            "REVOKED — signed provenance, but the person's consent has since been revoked: \
             do not show it"
        }
        Verdict::Incomplete => "INCOMPLETE — part of a stream",
    };
    eprintln!("{}: {headline}", report.file);
    print_checks(&report.checks);
    if let Some(t) = &report.manifest.digital_source_type {
        eprintln!("  source type: {t}");
    }
}

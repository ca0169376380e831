//! The `provatar` command-line tool: a thin layer over the SDK that parses flags, calls the
//! SDK, and turns the result into one line for a person (stderr), one JSON object for a
//! program (stdout, with `--json`), and an exit status.

#![forbid(unsafe_code)]

mod analyze;
mod bench;
mod cli;
mod gate;
mod generate;
mod motion;
mod probe;
mod stream;
mod verify;
mod watermark;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;

use clap::Parser;

use crate::cli::{Cli, Command};

/// How a run ended, as the exit status the CLI contract promises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// 0: done (for `verify`: authentic or recovered).
    Success,
    /// 1: the check ran and failed (for `verify`: tampered or unknown).
    Failure,
    /// 2: the input could not be read, or the command could not run.
    Error,
    /// 3 (`verify`): the provenance holds but the consent it carries was revoked.
    Revoked,
    /// 4 (`verify --stream`): every segment so far checks, but none closes the stream.
    Incomplete,
}

impl Status {
    /// The exit status of a verdict.
    pub(crate) fn of(verdict: provatar::Verdict) -> Self {
        use provatar::Verdict;
        match verdict {
            Verdict::Authentic | Verdict::Recovered => Self::Success,
            Verdict::Tampered | Verdict::Unknown => Self::Failure,
            Verdict::Revoked => Self::Revoked,
            Verdict::Incomplete => Self::Incomplete,
        }
    }
}

impl From<Status> for ExitCode {
    fn from(s: Status) -> Self {
        ExitCode::from(match s {
            Status::Success => 0,
            Status::Failure => 1,
            Status::Error => 2,
            Status::Revoked => 3,
            Status::Incomplete => 4,
        })
    }
}

fn main() -> ExitCode {
    // A decoder's panic on a malformed file is contained and reported as a clean error; the
    // default hook would first print "panicked at" and a backtrace for it.
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !provatar::media::containing_panics() {
            report(info);
        }
    }));
    let cli = Cli::parse();
    let json = cli.command.json();
    let result = match cli.command {
        Command::Probe(args) => probe::run(&args),
        Command::Analyze(args) => analyze::run(&args),
        Command::Keys(cmd) => gate::keys(&cmd),
        Command::Consent(cmd) => gate::consent(&cmd),
        Command::License(cmd) => gate::license(&cmd),
        Command::Watermark(cmd) => watermark::run(&cmd),
        Command::Motion(args) => motion::run(&args),
        Command::Verify(args) => verify::run(&args),
        Command::Generate(args) => generate::run(&args),
        Command::Demo(args) => generate::demo(&args),
        Command::Bench(args) => bench::run(&args),
    };
    match result {
        Ok(status) => status.into(),
        Err(e) => {
            let message = error_text(&e);
            eprintln!("provatar: error: {message}");
            if json {
                // A caller that reads stdout as JSON gets the error there too.
                // Nothing more can be said if stdout itself fails.
                let _ = print_json(&serde_json::json!({ "error": message, "exit_status": 2 }));
            }
            Status::Error.into()
        }
    }
}

/// Writes `path` through a temporary file next to it, renamed into place only on success, so
/// a failure leaves no partial output. Refuses a path that is there and is not a regular file
/// (renaming over `/dev/full` would replace the device).
pub(crate) fn write_whole(
    path: &Path,
    write: impl FnOnce(&Path) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    provatar::check_output(path, &[])?;
    let name = path
        .file_name()
        .with_context(|| format!("cannot write {}: not a file name", path.display()))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".partial-{}", std::process::id()));
    let tmp: PathBuf = path.with_file_name(tmp_name);
    let result = write(&tmp).and_then(|()| {
        std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Prints one JSON object on stdout, on one line (what every `--json` flag promises).
pub(crate) fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer(&mut stdout, value)
        .map_err(anyhow::Error::from)
        .and_then(|()| writeln!(stdout).map_err(anyhow::Error::from))
        .map_err(|e| e.context("cannot print the report"))
}

/// An error and its causes, joined by ": ", leaving out a cause whose words the message already
/// carries (many library errors quote their source in their own text).
fn error_text(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let part = cause.to_string();
        if text.contains(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text
}

#[cfg(test)]
mod error_text_tests {
    #[test]
    fn a_quoted_cause_is_not_repeated() {
        #[derive(Debug)]
        struct Inner;
        impl std::fmt::Display for Inner {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("inner problem")
            }
        }
        impl std::error::Error for Inner {}
        #[derive(Debug)]
        struct Outer(Inner);
        impl std::fmt::Display for Outer {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "outer: {}", self.0)
            }
        }
        impl std::error::Error for Outer {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let e = anyhow::Error::new(Outer(Inner)).context("cannot do it");
        assert_eq!(super::error_text(&e), "cannot do it: outer: inner problem");
        let plain = anyhow::Error::new(Inner).context("cannot do it");
        assert_eq!(super::error_text(&plain), "cannot do it: inner problem");
    }
}

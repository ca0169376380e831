//! The `provatar` command-line tool: a thin layer over the SDK that parses flags, calls the
//! SDK, and turns the result into one line for a person (stderr), one JSON object for a
//! program (stdout, with `--json`), and an exit status.

#![forbid(unsafe_code)]

mod analyze;
mod cli;
mod gate;
mod probe;
mod watermark;

use std::process::ExitCode;

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
}

impl From<Status> for ExitCode {
    fn from(s: Status) -> Self {
        ExitCode::from(match s {
            Status::Success => 0,
            Status::Failure => 1,
            Status::Error => 2,
        })
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Probe(args) => probe::run(&args),
        Command::Analyze(args) => analyze::run(&args),
        Command::Keys(cmd) => gate::keys(&cmd),
        Command::Consent(cmd) => gate::consent(&cmd),
        Command::License(cmd) => gate::license(&cmd),
        Command::Watermark(cmd) => watermark::run(&cmd),
        other => Err(not_yet(&other)),
    };
    match result {
        Ok(status) => status.into(),
        Err(e) => {
            eprintln!("provatar: error: {e:#}");
            Status::Error.into()
        }
    }
}

/// Commands declared by the CLI contract whose implementation has not landed: they refuse
/// clearly instead of pretending.
fn not_yet(command: &Command) -> anyhow::Error {
    let (name, issue) = match command {
        Command::Demo(_) => ("demo", 8),
        Command::Generate(_) => ("generate", 8),
        Command::Verify(_) => ("verify", 8),
        Command::Motion(_) => ("motion", 7),
        Command::Bench(_) => ("bench", 9),
        Command::Probe(_)
        | Command::Analyze(_)
        | Command::Keys(_)
        | Command::Consent(_)
        | Command::License(_)
        | Command::Watermark(_) => unreachable!("implemented"),
    };
    anyhow::anyhow!(
        "`provatar {name}` is not yet available in this build (it lands with issue #{issue}); \
         nothing was generated or checked"
    )
}

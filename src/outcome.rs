//! The end of every command: what it leaves (diagnostics and exit status) and the one finish
//! step that prints them.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use snapaudit::evidence::{Diagnostic, Evidence};

/// What a command leaves to the finish step: diagnostics for stderr and the exit status.
pub struct Outcome {
    pub warnings: Vec<Diagnostic>,
    pub errors: Vec<Diagnostic>,
    pub status: u8,
}

impl Outcome {
    /// Just an exit status, nothing to print.
    pub fn status(status: u8) -> Outcome {
        Outcome {
            warnings: Vec::new(),
            errors: Vec::new(),
            status,
        }
    }

    /// The evidence's warnings and errors; status 2 when some evidence could not be read.
    pub fn of_evidence(evidence: Evidence) -> Outcome {
        let status = if evidence.errors.is_empty() { 0 } else { 2 };
        Outcome {
            warnings: evidence.warnings,
            errors: evidence.errors,
            status,
        }
    }
}

/// The one finish step of every command: flush the output, print diagnostics (warnings only
/// counted when `quiet`), give the status.
pub fn finish(out: &mut dyn Write, outcome: Outcome, quiet: bool) -> Result<ExitCode> {
    out.flush()?;
    if quiet && !outcome.warnings.is_empty() {
        eprintln!("{} warnings not shown (--quiet)", outcome.warnings.len());
    } else {
        for w in &outcome.warnings {
            eprintln!("warning: {w}");
        }
    }
    for e in &outcome.errors {
        eprintln!("error: {e}");
    }
    Ok(ExitCode::from(outcome.status))
}

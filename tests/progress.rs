//! The progress bar (src/progress.rs) is drawn on standard error only when it is a terminal: a
//! piped run prints no byte of it, a run on a terminal does. Both runs draw at once
//! (`SNAPAUDIT_PROGRESS_DELAY_MS=0`) instead of after a second.

mod common;

use std::process::Command;

use common::snapshot;

/// `scan DEMO --format json` with the bar drawn at once, as a shell command line.
fn scan_command() -> String {
    format!(
        "SNAPAUDIT_PROGRESS_DELAY_MS=0 '{}' scan '{}' --format json > /dev/null",
        env!("CARGO_BIN_EXE_snapaudit"),
        snapshot("demo").display()
    )
}

#[test]
fn a_piped_run_prints_no_progress() {
    let out = Command::new("sh")
        .args(["-c", &scan_command()])
        .output()
        .expect("run sh");
    assert!(out.status.code().is_some_and(|c| c <= 1), "{out:?}");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_run_on_a_terminal_shows_progress() {
    // `script` runs the command on a pseudo-terminal and copies what it printed.
    let out = Command::new("script")
        .args(["-qec", &scan_command(), "/dev/null"])
        .output()
        .expect("run script (util-linux)");
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("reading"), "{shown:?}");
}

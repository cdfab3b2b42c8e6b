//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod consumers;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A saved evidence set under `snapshots/`.
pub fn snapshot(name: &str) -> PathBuf {
    root().join("snapshots").join(name)
}

/// A fresh, empty scratch folder for one test.
pub fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("snapaudit-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Copies every file of a saved evidence set into `dest`, keeping sub-folders.
pub fn copy_set(from: &Path, dest: &Path) {
    for e in walk(from) {
        let rel = e.strip_prefix(from).unwrap();
        let to = dest.join(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&e, to).unwrap();
    }
}

/// A scratch copy of the demo evidence without one of its exports (`ec2/describe-….json`).
pub fn demo_without(test: &str, export: &str) -> PathBuf {
    let dir = scratch(test);
    copy_set(&snapshot("demo"), &dir);
    std::fs::remove_file(dir.join(export)).unwrap();
    dir
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Output of one run of the binary.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// stdout parsed as one JSON document.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

/// Runs `snapaudit` with `args`.
pub fn snapaudit(args: &[&str]) -> Run {
    snapaudit_in(Path::new("."), args)
}

/// Runs `snapaudit` with `args` from the folder `dir`.
pub fn snapaudit_in(dir: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_snapaudit"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run snapaudit");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// `query --table TABLE FILTER` over `evidence`: one JSON value per output line; the query
/// must succeed.
pub fn query_values(evidence: &Path, table: &str, filter: &str) -> Vec<Value> {
    let shown = evidence.to_str().unwrap();
    let run = snapaudit(&["query", shown, "--table", table, filter]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    (run.stdout.lines())
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// `scan --format json` of `paths` plus extra arguments.
pub fn scan_json(paths: &[&Path], extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["scan", "--format", "json"];
    let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    args.extend(shown.iter().map(String::as_str));
    args.extend(extra);
    let run = snapaudit(&args);
    (run.code, run.json())
}

/// Writes the script to a scratch file and checks it with `bash -n` and shellcheck (required
/// under `CI=true`, skipped with a reason otherwise).
pub fn check_script(test: &str, script: &str) {
    let path = scratch(test).join("script.sh");
    std::fs::write(&path, script).unwrap();
    let bash = Command::new("bash").arg("-n").arg(&path).output().unwrap();
    assert!(bash.status.success(), "bash -n: {bash:?}\n{script}");
    match Command::new("shellcheck").arg(&path).output() {
        Ok(out) => assert!(
            out.status.success(),
            "shellcheck:\n{}\n{script}",
            String::from_utf8_lossy(&out.stdout)
        ),
        Err(e) => skip_without(&format!("shellcheck ({e})"), "apt-get install shellcheck"),
    }
}

/// Notes that a check is skipped because `tool` is missing; under `CI=true` a missing tool fails
/// the test instead (.ci/run installs it with `install`).
pub fn skip_without(tool: &str, install: &str) {
    assert_ne!(
        std::env::var("CI").as_deref(),
        Ok("true"),
        "{tool} is required under CI=true (.ci/run installs it: {install})"
    );
    eprintln!("skipped: {tool} is missing; install it to run this check ({install})");
}

/// The generator's `preset` (`tiny`, `small`, …) in a scratch folder for `test`, or `None` when
/// the generator (beside this repository in `../shared/bench`) is absent outside CI.
pub fn generated_preset(test: &str, preset: &str) -> Option<PathBuf> {
    let generator = root().join("../shared/bench/gen_evidence.py");
    if !generator.is_file() {
        skip_without("../shared/bench/gen_evidence.py", "the shared folder");
        return None;
    }
    let dir = scratch(test).join("evidence");
    let status = Command::new("python3")
        .arg(&generator)
        .args(["--preset", preset])
        .arg(&dir)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("python3 runs");
    assert!(status.success(), "the generator failed");
    Some(dir)
}

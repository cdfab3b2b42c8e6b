//! The real consumers of the machine-readable formats: the official SARIF 2.1.0 schema
//! (vendored in `tests/schemas/`) and botocore's validator for Security Hub's
//! `BatchImportFindings` (`tests/asff_validate.py`).

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;

use super::root;

/// The schema errors of `sarif`, each with its instance path.
pub fn sarif_schema_errors(sarif: &Value) -> Vec<String> {
    let text = std::fs::read_to_string(root().join("tests/schemas/sarif-2.1.0.json")).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    let validator = jsonschema::draft4::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the vendored SARIF schema compiles");
    validator
        .iter_errors(sarif)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

/// What `tests/asff_validate.py` says of `findings`, or `None` when botocore is missing
/// outside CI (under `CI=true` a missing botocore fails).
pub fn botocore_verdict(findings: &str) -> Option<(i32, String)> {
    let mut child = Command::new("python3")
        .arg(root().join("tests/asff_validate.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(findings.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let code = out.status.code().unwrap();
    if code == 3 {
        assert_ne!(std::env::var("CI").as_deref(), Ok("true"), "{stdout}");
        eprintln!("skipped: {stdout}");
        return None;
    }
    Some((code, stdout))
}

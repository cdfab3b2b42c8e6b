//! Each machine-readable format checked by its real consumer: SARIF by the official SARIF 2.1.0
//! JSON schema (vendored in `tests/schemas/`).

mod common;

use common::{root, scratch, snapaudit, snapshot};
use serde_json::Value;

/// A user rule with neither references nor compliance mapping.
const BARE_RULE: &str = r#"id = "ORG.2"
title = "Every task is listed"
severity = "info"
table = "ecs_tasks"
resource_type = "AwsEcsTask"
resource = "task_arn"
description = "Inventory."
remediation = "None needed."
query = '"task \(.task_id)"'
"#;

/// The schema errors of `sarif`, each with its instance path.
fn sarif_schema_errors(sarif: &Value) -> Vec<String> {
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

fn assert_valid_sarif(args: &[&str]) {
    let mut command = vec!["scan", "--format", "sarif"];
    command.extend(args);
    let sarif = snapaudit(&command).json();
    let errors = sarif_schema_errors(&sarif);
    assert!(
        errors.is_empty(),
        "SARIF of {args:?} breaks the schema:\n{}",
        errors.join("\n")
    );
    assert!(!sarif["runs"][0]["results"].as_array().unwrap().is_empty());
}

#[test]
fn sarif_of_demo_validates_against_the_official_schema() {
    assert_valid_sarif(&[snapshot("demo").to_str().unwrap()]);
}

#[test]
fn sarif_of_sa_net_3_validates_against_the_official_schema() {
    assert_valid_sarif(&[snapshot("SA.NET.3").to_str().unwrap()]);
}

#[test]
fn sarif_of_a_rule_without_references_validates() {
    let dir = scratch("sarif-bare-rule");
    std::fs::write(dir.join("ORG.2.toml"), BARE_RULE).unwrap();
    let demo = snapshot("demo");
    assert_valid_sarif(&[demo.to_str().unwrap(), "--rules", dir.to_str().unwrap()]);
}

#[test]
fn the_sarif_schema_check_rejects_a_broken_log() {
    let demo = snapshot("demo");
    let mut sarif = snapaudit(&["scan", "--format", "sarif", demo.to_str().unwrap()]).json();
    sarif["runs"][0]["results"][0]["level"] = "fatal".into();
    let errors = sarif_schema_errors(&sarif);
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("/runs/0/results/0/level")),
        "{errors:?}"
    );
}

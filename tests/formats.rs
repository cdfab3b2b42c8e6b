//! Each machine-readable format checked by its real consumer: SARIF by the official SARIF 2.1.0
//! JSON schema (vendored in `tests/schemas/`), ASFF by botocore's parameter validator for
//! Security Hub's `BatchImportFindings` (`tests/asff_validate.py`).

mod common;

use common::consumers::{botocore_verdict, sarif_schema_errors};
use common::{scratch, snapaudit, snapshot};
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

fn assert_valid_asff(set: &str) -> Vec<Value> {
    let path = snapshot(set);
    let run = snapaudit(&["scan", "--format", "asff", path.to_str().unwrap()]);
    let again = snapaudit(&["scan", "--format", "asff", path.to_str().unwrap()]);
    assert_eq!(run.stdout, again.stdout, "ASFF output is byte-identical");
    if let Some((code, report)) = botocore_verdict(&run.stdout) {
        assert_eq!(code, 0, "botocore rejects the ASFF of {set}:\n{report}");
    }
    run.json().as_array().unwrap().clone()
}

#[test]
fn asff_of_demo_passes_botocore_and_maps_the_findings() {
    let findings = assert_valid_asff("demo");
    let (_, report) = common::scan_json(&[&snapshot("demo")], &[]);
    assert_eq!(findings.len(), report["findings"].as_array().unwrap().len());
    let mut ids: Vec<&str> = findings.iter().map(|f| f["Id"].as_str().unwrap()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), findings.len(), "ids are unique");
    let ecs2 = findings
        .iter()
        .find(|f| f["GeneratorId"] == "ECS.2")
        .unwrap();
    assert_eq!(ecs2["Severity"]["Label"], "HIGH");
    assert_eq!(ecs2["Compliance"]["Status"], "FAILED");
    assert_eq!(
        ecs2["Compliance"]["RelatedRequirements"][0],
        "AWS Security Hub ECS.2"
    );
    assert_eq!(ecs2["Resources"][0]["Type"], "AwsEcsService");
    assert_eq!(ecs2["Resources"][0]["Region"], "eu-west-1");
    assert_eq!(
        ecs2["ProductArn"],
        "arn:aws:securityhub:eu-west-1:111122223333:product/111122223333/default"
    );
    assert_eq!(
        ecs2["ProductFields"]["snapaudit/evidence/0/file"],
        "ecs/describe-services.json"
    );
}

#[test]
fn asff_of_sa_net_3_passes_botocore() {
    assert!(!assert_valid_asff("SA.NET.3").is_empty());
}

#[test]
fn botocore_rejects_a_finding_without_its_required_fields() {
    let demo = snapshot("demo");
    let mut findings = snapaudit(&["scan", "--format", "asff", demo.to_str().unwrap()]).json();
    findings[0].as_object_mut().unwrap().remove("ProductArn");
    if let Some((code, report)) = botocore_verdict(&findings.to_string()) {
        assert_eq!(code, 1, "{report}");
        assert!(report.contains("ProductArn"), "{report}");
    }
}

//! Every rule in `queries/` against its own fixture set `snapshots/<ID>/`, one test per rule
//! (`cargo test ECS_2`): the rule must report exactly the findings `snapshots/<ID>/expected.json`
//! lists (`findings`), and exactly its passing and indeterminate resources (`passing`,
//! `indeterminate`: resource ids); its findings are snapshot-tested.

mod common;

use std::collections::BTreeSet;

use common::{scan_json, snapshot};
use serde_json::Value;
use snapaudit::rules::author::expected::Expected;

/// Scans the rule's fixture with the rule alone and checks its failures, passing and
/// indeterminate resources against `expected.json` (the comparison `snapaudit rules test`
/// makes), and the results against the rule's snapshot.
fn rule_fires_as_its_fixture_expects(id: &str) {
    let fixture = snapshot(id);
    assert!(
        fixture.is_dir(),
        "rule {id} has no fixture set at snapshots/{id}/"
    );
    let expected = Expected::read(&fixture.join("expected.json")).unwrap();
    let (_, report) = scan_json(&[&fixture], &["--rule", id, "--show-pass"]);
    assert_eq!(report["errors"], serde_json::json!([]), "{id}");
    // Failures, then indeterminate results (each carries its status).
    let results: Vec<Value> = ["findings", "indeterminate"]
        .iter()
        .flat_map(|k| report[k].as_array().unwrap().clone())
        .collect();
    assert!(results.iter().all(|f| f["rule_id"] == id));
    let passed: BTreeSet<String> = report["passed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["resource_id"].as_str().unwrap().to_string())
        .collect();
    let mismatches = expected.compare(&results, &passed);
    let lines: Vec<String> = mismatches.iter().map(ToString::to_string).collect();
    assert!(lines.is_empty(), "{id}:\n{}", lines.join("\n"));
    insta::with_settings!({snapshot_path => "snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_json_snapshot!(id, results);
    });
}

include!(concat!(env!("OUT_DIR"), "/rule_tests.rs"));

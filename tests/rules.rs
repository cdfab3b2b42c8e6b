//! Every rule in `queries/` against its own fixture set `snapshots/<ID>/`, one test per rule
//! (`cargo test ECS_2`): the rule must report exactly the findings `snapshots/<ID>/expected.json`
//! lists (`findings`), and exactly its passing and indeterminate resources (`passing`,
//! `indeterminate`: resource ids); its findings are snapshot-tested.

mod common;

use std::collections::BTreeMap;

use common::{scan_json, snapshot};
use serde_json::Value;

/// A finding as `expected.json` states it: resource, severity, and the `details` fields the
/// fixture's README makes a point of (a subset of the finding's `details`).
type Expected = BTreeMap<(String, String), Option<Value>>;

/// The findings of `expected.json`, by (resource id, severity).
fn expected(id: &str) -> Expected {
    let path = snapshot(id).join("expected.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("rule {id} has no {}: {e}", path.display()));
    let doc: Value = serde_json::from_str(&text).unwrap();
    let findings = doc["findings"].as_array().expect("`findings` is an array");
    let expected: Expected = findings
        .iter()
        .map(|f| (key(f), f.get("details").cloned()))
        .collect();
    assert_eq!(
        expected.len(),
        findings.len(),
        "{id}: a finding is listed twice"
    );
    expected
}

/// The resource ids `expected.json` lists under `key` (none when absent), sorted.
fn expected_ids(id: &str, key: &str) -> Vec<String> {
    let path = snapshot(id).join("expected.json");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let ids = doc
        .get(key)
        .map_or(&[][..], |v| v.as_array().expect("a list of ids"));
    let mut ids: Vec<String> = ids
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

/// The resource ids of the report's `key` list, sorted.
fn reported_ids(report: &Value, key: &str) -> Vec<String> {
    let list = report[key]
        .as_array()
        .unwrap_or_else(|| panic!("no `{key}` list"));
    let mut ids: Vec<String> = list
        .iter()
        .map(|r| r["resource_id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

/// (resource id, severity) of a finding.
fn key(finding: &Value) -> (String, String) {
    let text = |k: &str| finding[k].as_str().unwrap_or_default().to_string();
    (text("resource_id"), text("severity"))
}

/// Scans the rule's fixture with the rule alone and checks the findings against
/// `expected.json` and the rule's snapshot.
fn rule_fires_as_its_fixture_expects(id: &str) {
    let fixture = snapshot(id);
    assert!(
        fixture.is_dir(),
        "rule {id} has no fixture set at snapshots/{id}/"
    );
    let (_, report) = scan_json(&[&fixture], &["--rule", id, "--show-pass"]);
    assert_eq!(report["errors"], serde_json::json!([]), "{id}");
    let findings = report["findings"].as_array().unwrap();
    assert!(findings.iter().all(|f| f["rule_id"] == id));
    let expected = expected(id);
    assert!(
        !expected.is_empty(),
        "{id}: the fixture must make the rule fire"
    );
    let mut got: Vec<(String, String)> = findings.iter().map(key).collect();
    got.sort();
    let want: Vec<(String, String)> = expected.keys().cloned().collect();
    assert_eq!(got, want, "{id}: findings (resource, severity)");
    for f in findings {
        let Some(Some(details)) = expected.get(&key(f)) else {
            continue;
        };
        for (field, value) in details.as_object().expect("`details` is an object") {
            assert_eq!(&f["details"][field], value, "{id}: {} {field}", key(f).0);
        }
    }
    let passing = expected_ids(id, "passing");
    assert!(
        !passing.is_empty(),
        "{id}: the fixture must have a resource that passes"
    );
    assert_eq!(reported_ids(&report, "passed"), passing, "{id}: passing");
    let indeterminate = expected_ids(id, "indeterminate");
    assert_eq!(
        reported_ids(&report, "indeterminate"),
        indeterminate,
        "{id}: indeterminate"
    );
    // Failures, then indeterminate results (each carries its status).
    let results: Vec<&Value> = findings
        .iter()
        .chain(report["indeterminate"].as_array().unwrap())
        .collect();
    insta::with_settings!({snapshot_path => "snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_json_snapshot!(id, results);
    });
}

include!(concat!(env!("OUT_DIR"), "/rule_tests.rs"));

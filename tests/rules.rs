//! Every rule in `queries/` against its own fixture set `snapshots/<ID>/`, one test per rule
//! (`cargo test ECS_2`): the rule must report exactly the findings `snapshots/<ID>/expected.json`
//! lists, and its findings are snapshot-tested.

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
    let (_, report) = scan_json(&[&fixture], &["--rule", id]);
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
    insta::with_settings!({snapshot_path => "snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_json_snapshot!(id, findings);
    });
}

include!(concat!(env!("OUT_DIR"), "/rule_tests.rs"));

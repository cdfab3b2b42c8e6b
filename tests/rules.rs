//! Every rule in `queries/` against its own fixture set `snapshots/<ID>/`: the findings are
//! snapshot-tested, and every rule must have a fixture that makes it fire.

mod common;

use common::{root, scan_json, snapshot};

fn rule_ids() -> Vec<String> {
    let mut ids: Vec<String> = std::fs::read_dir(root().join("queries"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter_map(|n| n.strip_suffix(".toml").map(String::from))
        .collect();
    ids.sort();
    ids
}

#[test]
fn every_rule_has_a_fixture_that_fires_and_matches_its_snapshot() {
    let ids = rule_ids();
    assert!(ids.len() >= 3, "the rule pack is in queries/");
    for id in ids {
        let fixture = snapshot(&id);
        assert!(
            fixture.is_dir(),
            "rule {id} has no fixture set at snapshots/{id}/"
        );
        let (_, report) = scan_json(&[&fixture], &["--rule", &id]);
        assert!(
            report["errors"].as_array().unwrap().is_empty(),
            "{id}: {}",
            report["errors"]
        );
        let findings = report["findings"].as_array().unwrap();
        assert!(
            !findings.is_empty(),
            "rule {id} does not fire on its own fixture"
        );
        assert!(findings.iter().all(|f| f["rule_id"] == id.as_str()));
        insta::with_settings!({snapshot_path => "snapshots", prepend_module_to_snapshot => false}, {
            insta::assert_json_snapshot!(id.clone(), findings);
        });
    }
}

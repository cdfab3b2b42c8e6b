//! `snapaudit evidence`: the files examined, the kinds present per account/region, and each
//! rule's coverage (full, partial or none) on the demo, on the demo without an export, and on
//! a two-account fixture.

mod common;

use std::path::Path;

use common::{Run, demo_without, root, scan_json, snapaudit, snapshot};
use serde_json::Value;

fn evidence(path: &Path, extra: &[&str]) -> Run {
    let path = path.display().to_string();
    let mut args = vec!["evidence", path.as_str()];
    args.extend(extra);
    snapaudit(&args)
}

fn coverage_json(path: &Path) -> Value {
    let run = evidence(path, &["--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.json()
}

/// `(rule, account/region, status)` of every rule coverage entry.
fn statuses(coverage: &Value) -> Vec<(String, String, String)> {
    let part = |v: &Value| v.as_str().unwrap_or("-").to_string();
    coverage["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let scope = format!("{}/{}", part(&r["account"]), part(&r["region"]));
            (part(&r["rule"]), scope, part(&r["status"]))
        })
        .collect()
}

/// Owned `(rule, account/region, status)` triples.
fn owned(rows: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    rows.iter()
        .map(|(rule, scope, status)| (rule.to_string(), scope.to_string(), status.to_string()))
        .collect()
}

const DEMO: &str = "111122223333/eu-west-1";

/// The demo's rule coverage, with `acl_rule` as EC2.21's status and `net_rules` as that of
/// SA.NET.1 and SA.NET.2 (the rules whose other exports the demo holds).
fn demo_rules(acl_rule: &str, net_rules: &str) -> Vec<(&'static str, String)> {
    let full = |id| (id, "full".to_string());
    let none = |id| (id, "none".to_string());
    vec![
        full("EC2.13"),
        full("EC2.14"),
        full("EC2.15"),
        full("EC2.18"),
        full("EC2.19"),
        full("EC2.2"),
        ("EC2.21", acl_rule.to_string()),
        full("EC2.6"),
        full("EC2.9"),
        full("ECS.16"),
        full("ECS.2"),
        none("ELB.1"),
        none("ELB.3"),
        none("ELB.4"),
        none("ELB.5"),
        none("ELB.6"),
        full("SA.ECS.1"),
        ("SA.ELB.1", "partial".to_string()),
        ("SA.NET.1", net_rules.to_string()),
        ("SA.NET.2", net_rules.to_string()),
        ("SA.NET.3", "partial".to_string()),
    ]
}

fn as_expected(rows: &[(&str, String)]) -> Vec<(String, String, String)> {
    let borrowed: Vec<(&str, &str, &str)> =
        rows.iter().map(|(r, s)| (*r, DEMO, s.as_str())).collect();
    owned(&borrowed)
}

#[test]
fn demo_files_scopes_and_every_rule() {
    let coverage = coverage_json(&snapshot("demo"));
    let files = coverage["files"].as_array().unwrap();
    assert_eq!(files.len(), 13);
    let acls = files
        .iter()
        .find(|f| f["file"] == "ec2/describe-network-acls.json")
        .unwrap();
    assert_eq!(acls["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(
        acls["counts"],
        serde_json::json!([{"kind": "ec2 describe-network-acls", "account": "111122223333",
                            "region": "eu-west-1", "records": 2}])
    );
    assert_eq!(coverage["skipped"][0]["file"], "README.md");
    let scopes = coverage["scopes"].as_array().unwrap();
    assert_eq!(scopes.len(), 1);
    assert_eq!(scopes[0]["kinds"].as_array().unwrap().len(), 13);
    assert_eq!(
        statuses(&coverage),
        as_expected(&demo_rules("full", "full"))
    );
    let missing = coverage["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "SA.ELB.1")
        .unwrap()["missing"]
        .clone();
    assert_eq!(
        missing,
        serde_json::json!(["elbv2 describe-load-balancers", "elbv2 describe-listeners"])
    );
}

#[test]
fn without_the_acl_export_the_acl_rules_name_it() {
    let dir = demo_without("coverage-no-acls", "ec2/describe-network-acls.json");
    let coverage = coverage_json(&dir);
    assert_eq!(
        statuses(&coverage),
        as_expected(&demo_rules("none", "partial"))
    );
    let table = evidence(&dir, &[]).stdout;
    for rule in ["EC2.21", "SA.NET.1", "SA.NET.2"] {
        let need = format!("{rule} needs ec2 describe-network-acls for {DEMO}");
        assert!(table.contains(&need), "{need} not in:\n{table}");
    }
}

#[test]
fn two_accounts_each_with_its_own_coverage() {
    let fixture = root().join("tests/fixtures/diff/before");
    let coverage = coverage_json(&fixture);
    let scopes: Vec<(String, String, String)> = statuses(&coverage)
        .into_iter()
        .filter(|(rule, _, _)| ["EC2.13", "EC2.15", "EC2.21", "SA.NET.1"].contains(&rule.as_str()))
        .collect();
    let want = [
        ("EC2.13", "222233334444/us-east-1", "full"),
        ("EC2.13", "555566667777/-", "full"),
        ("EC2.15", "222233334444/us-east-1", "full"),
        ("EC2.15", "555566667777/-", "none"),
        ("EC2.21", "222233334444/us-east-1", "full"),
        ("EC2.21", "555566667777/-", "full"),
        ("SA.NET.1", "222233334444/us-east-1", "full"),
        ("SA.NET.1", "555566667777/-", "partial"),
    ];
    assert_eq!(scopes, owned(&want));
    let b_groups = coverage["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["file"] == "b/describe-security-groups.json")
        .unwrap();
    assert_eq!(b_groups["counts"][0]["account"], "555566667777");
}

#[test]
fn repeated_warnings_are_grouped_on_the_terminal_and_all_kept_in_json() {
    let dir = demo_without("coverage-no-enis", "ec2/describe-network-interfaces.json");
    let warnings = coverage_json(&dir)["warnings"].as_array().unwrap().len();
    assert_eq!(warnings, 6);
    let table = evidence(&dir, &[]).stdout;
    assert!(table.contains("6 warnings like these (first 3 shown; see --format json)"));
    assert_eq!(table.matches("warning: ").count(), 3, "{table}");
}

#[test]
fn every_scan_report_carries_the_coverage_and_the_table_names_each_gap() {
    let dir = demo_without("coverage-scan-no-acls", "ec2/describe-network-acls.json");
    let (_, report) = scan_json(&[&dir], &[]);
    let coverage = coverage_json(&dir);
    assert_eq!(report["coverage"]["rules"], coverage["rules"]);
    assert_eq!(report["coverage"]["scopes"], coverage["scopes"]);
    assert_eq!(
        statuses(&report["coverage"]),
        as_expected(&demo_rules("none", "partial"))
    );

    let table = snapaudit(&["scan", dir.to_str().unwrap()]).stdout;
    let acls = "needs ec2 describe-network-acls";
    for line in [
        format!("EC2.21 could not run for {DEMO}: {acls}\n"),
        format!("SA.NET.1, SA.NET.2 could not run fully for {DEMO}: {acls}\n"),
    ] {
        assert!(table.contains(&line), "{line} not in:\n{table}");
    }
    let full = snapaudit(&["scan", snapshot("demo").to_str().unwrap()]).stdout;
    assert!(!full.contains("EC2.21 could not run"), "{full}");
}

#[test]
fn repeated_scan_warnings_are_grouped_on_the_terminal_and_all_kept_in_json() {
    let dir = demo_without(
        "coverage-scan-no-enis",
        "ec2/describe-network-interfaces.json",
    );
    let (_, report) = scan_json(&[&dir], &[]);
    assert_eq!(report["warnings"].as_array().unwrap().len(), 6);
    let table = snapaudit(&["scan", dir.to_str().unwrap()]).stdout;
    assert!(table.contains("\n6 warnings like these (first 3 shown; see --format json):\n"));
    assert_eq!(table.matches("warning: ").count(), 3, "{table}");
}

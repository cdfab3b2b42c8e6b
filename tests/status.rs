//! Result status: every evaluation ends as fail, indeterminate, pass or not applicable; each
//! status has its place in every format, its own exit code, and a per-rule count.

mod common;

use std::collections::BTreeSet;

use common::consumers::{botocore_verdict, sarif_schema_errors};
use common::{scan_json, scratch, snapaudit, snapshot};
use serde_json::Value;

/// The ELB.1 fixture: 3 failures (medium), 1 indeterminate (listeners not exported), 2 passing
/// and 1 not applicable load balancer.
fn elb1() -> String {
    snapshot("ELB.1").display().to_string()
}

/// `scan` of the ELB.1 fixture with ELB.1 alone, in `format`, with `extra` arguments.
fn scan_elb1(format: &str, extra: &[&str]) -> common::Run {
    let fixture = elb1();
    let mut args = vec![
        "scan",
        fixture.as_str(),
        "--rule",
        "ELB.1",
        "--format",
        format,
    ];
    args.extend(extra);
    snapaudit(&args)
}

/// The `status` values of a list of results.
fn statuses<'a>(results: impl Iterator<Item = &'a Value>) -> BTreeSet<String> {
    results
        .map(|r| r["status"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn indeterminate_results_are_listed_apart_and_never_fail_the_scan() {
    let (code, r) = scan_json(
        &[&snapshot("ELB.1")],
        &["--rule", "ELB.1", "--fail-on", "high"],
    );
    assert_eq!(
        code, 0,
        "medium failures and indeterminate results stay under --fail-on high"
    );
    let findings = r["findings"].as_array().unwrap();
    let indeterminate = r["indeterminate"].as_array().unwrap();
    assert_eq!(statuses(findings.iter()), BTreeSet::from(["fail".into()]));
    assert_eq!(
        statuses(indeterminate.iter()),
        BTreeSet::from(["indeterminate".into()])
    );
    assert!(
        indeterminate[0]["message"]
            .as_str()
            .unwrap()
            .contains("describe-listeners"),
        "an indeterminate result names the missing export: {}",
        indeterminate[0]
    );
    assert!(
        r.get("passed").is_none(),
        "passing resources only with --show-pass"
    );
    let (code, _) = scan_json(
        &[&snapshot("ELB.1")],
        &[
            "--rule",
            "ELB.1",
            "--fail-on",
            "high",
            "--fail-on-indeterminate",
        ],
    );
    assert_eq!(
        code, 1,
        "--fail-on-indeterminate: any indeterminate result exits 1"
    );
    let (code, r) = scan_json(
        &[&snapshot("EC2.2")],
        &[
            "--rule",
            "EC2.2",
            "--fail-on-indeterminate",
            "--fail-on",
            "critical",
        ],
    );
    assert_eq!(r["indeterminate"], serde_json::json!([]));
    assert_eq!(
        code, 0,
        "no indeterminate result, no failure at critical: exit 0"
    );
}

#[test]
fn the_summary_counts_each_rule_by_status() {
    let (_, r) = scan_json(&[&snapshot("ELB.1")], &["--rule", "ELB.1", "--show-pass"]);
    let counts = &r["summary"]["rules_status"]["ELB.1"];
    let count = |k: &str| counts[k].as_u64().unwrap();
    let listed = |k: &str| r[k].as_array().unwrap().len() as u64;
    assert_eq!(count("failed"), listed("findings"));
    assert_eq!(count("indeterminate"), listed("indeterminate"));
    assert_eq!(count("passed"), listed("passed"));
    assert_eq!(count("not_applicable"), 1, "the Network Load Balancer");
    assert_eq!(count("suppressed"), 0);
    let parts = [
        "failed",
        "indeterminate",
        "suppressed",
        "not_applicable",
        "passed",
    ];
    assert_eq!(
        count("examined"),
        parts.iter().map(|k| count(k)).sum::<u64>()
    );
    assert_eq!(r["summary"]["indeterminate"], listed("indeterminate"));
}

#[test]
fn every_format_carries_every_status_and_is_deterministic() {
    let show = ["--show-pass"];
    let want: BTreeSet<String> = ["fail", "indeterminate", "pass"].map(String::from).into();
    let jsonl = scan_elb1("jsonl", &show);
    let lines: Vec<Value> = jsonl
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(statuses(lines.iter()), want, "jsonl");
    let csv = scan_elb1("csv", &show);
    let header: Vec<&str> = csv.stdout.lines().next().unwrap().split(',').collect();
    let at = header.iter().position(|c| *c == "status").unwrap();
    let cells: BTreeSet<String> = csv
        .stdout
        .lines()
        .skip(1)
        .map(|l| csv_cell(l, at))
        .collect();
    assert_eq!(cells, want, "csv");
    let table = scan_elb1("table", &show).stdout;
    for section in [
        "\nINDETERMINATE",
        "\nPASSED:",
        "\nRESULTS by rule:",
        "unexported",
    ] {
        assert!(table.contains(section), "table lacks {section}:\n{table}");
    }
    for format in ["json", "jsonl", "csv", "table", "sarif", "asff"] {
        assert_eq!(
            scan_elb1(format, &show).stdout,
            scan_elb1(format, &show).stdout,
            "{format}"
        );
    }
}

/// Cell `at` of a CSV line whose earlier cells may be quoted with commas inside.
fn csv_cell(line: &str, at: usize) -> String {
    let mut cells = Vec::new();
    let (mut cell, mut quoted) = (String::new(), false);
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => cells.push(std::mem::take(&mut cell)),
            _ => cell.push(c),
        }
    }
    cells.push(cell);
    cells[at].clone()
}

#[test]
fn sarif_marks_indeterminate_results_for_review_and_passes_as_pass() {
    let sarif = scan_elb1("sarif", &["--show-pass"]).json();
    let errors = sarif_schema_errors(&sarif);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let of_status = |s: &str| -> Vec<&Value> {
        results
            .iter()
            .filter(|r| r["properties"]["status"] == s)
            .collect()
    };
    for r in of_status("indeterminate") {
        assert_eq!(
            (&r["kind"], &r["level"]),
            (&"review".into(), &"none".into()),
            "{r}"
        );
    }
    for r in of_status("pass") {
        assert_eq!(
            (&r["kind"], &r["level"]),
            (&"pass".into(), &"none".into()),
            "{r}"
        );
    }
    for r in of_status("fail") {
        assert!(r.get("kind").is_none() && r["level"] == "warning", "{r}");
    }
    assert_eq!(
        (
            of_status("indeterminate").len(),
            of_status("pass").len(),
            of_status("fail").len()
        ),
        (1, 2, 3)
    );
}

#[test]
fn asff_maps_each_status_to_its_compliance_status() {
    let run = scan_elb1("asff", &["--show-pass"]);
    if let Some((code, report)) = botocore_verdict(&run.stdout) {
        assert_eq!(code, 0, "botocore rejects the ASFF:\n{report}");
    }
    let findings = run.json();
    let mut by_status: Vec<(String, String)> = findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let text = |v: &Value| v.as_str().unwrap().to_string();
            (
                text(&f["Compliance"]["Status"]),
                text(&f["Severity"]["Label"]),
            )
        })
        .collect();
    by_status.sort();
    by_status.dedup();
    let want = [
        ("FAILED", "MEDIUM"),
        ("PASSED", "INFORMATIONAL"),
        ("WARNING", "MEDIUM"),
    ];
    assert_eq!(by_status, want.map(|(a, b)| (a.to_string(), b.to_string())));
}

/// A user rule over `load_balancers` whose query is `QUERY`.
const STATUS_RULE: &str = r#"id = "ORG.5"
title = "Status test"
severity = "low"
table = "load_balancers"
resource_type = "AwsElbv2LoadBalancer"
resource = "load_balancer_arn"
description = "Test rule."
remediation = "None."
query = '''QUERY'''
"#;

/// Scans the ELB.1 fixture with ORG.5 whose query is `query`.
fn scan_with_query(query: &str) -> (i32, Value) {
    let dir = scratch(&format!("status-rule-{}", query.len()));
    std::fs::write(dir.join("ORG.5.toml"), STATUS_RULE.replace("QUERY", query)).unwrap();
    let extra = ["--rules", dir.to_str().unwrap(), "--rule", "ORG.5"];
    scan_json(&[&snapshot("ELB.1")], &extra)
}

#[test]
fn a_query_may_call_a_row_not_applicable_but_not_invent_a_status() {
    let (_, r) = scan_with_query(
        r#"select(.type == "network") | {message: "n/a", status: "not_applicable"}"#,
    );
    let counts = &r["summary"]["rules_status"]["ORG.5"];
    assert_eq!(counts["not_applicable"], 1);
    assert_eq!(counts["passed"], counts["examined"].as_u64().unwrap() - 1);
    assert_eq!(
        r["findings"],
        serde_json::json!([]),
        "not applicable is not listed"
    );
    let (code, r) = scan_with_query(r#"{message: "x", status: "maybe"}"#);
    assert_eq!(code, 2);
    let error = r["errors"][0]["message"].as_str().unwrap();
    assert!(
        error.contains("rule ORG.5 failed on load_balancers row") && error.contains("maybe"),
        "{error}"
    );
    let (code, r) = scan_with_query(r#"{message: "x", status: "pass"}"#);
    assert_eq!(
        code, 2,
        "a passing row is one the query emits nothing for: {}",
        r["errors"]
    );
}

#[test]
fn a_load_balancer_path_the_evidence_cannot_settle_is_indeterminate() {
    // The SA.NET.3 fixture without its load balancers' security groups (nor the targets' groups
    // that admit them): no path is open or closed for sure any more.
    let dir = scratch("sa-net-3-without-lb-groups");
    common::copy_set(&snapshot("SA.NET.3"), &dir);
    let groups_file = dir.join("ec2/describe-security-groups.json");
    let mut groups: Value =
        serde_json::from_str(&std::fs::read_to_string(&groups_file).unwrap()).unwrap();
    groups["SecurityGroups"]
        .as_array_mut()
        .unwrap()
        .retain(|g| !g["GroupName"].as_str().unwrap().contains("alb"));
    std::fs::write(&groups_file, groups.to_string()).unwrap();
    let (_, r) = scan_json(&[&dir], &["--rule", "SA.NET.3", "--fail-on-indeterminate"]);
    let indeterminate = r["indeterminate"].as_array().unwrap();
    assert!(!indeterminate.is_empty(), "{}", r["findings"]);
    for result in indeterminate {
        let message = result["message"].as_str().unwrap();
        assert!(
            message.contains("may be reachable from the internet through"),
            "{message}"
        );
        assert!(message.contains("is not in the evidence"), "{message}");
        assert!(!result["details"]["paths"].as_array().unwrap().is_empty());
    }
}

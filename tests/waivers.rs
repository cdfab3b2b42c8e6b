//! `scan --waivers`: accepted exceptions are reported as suppressed and leave the exit code;
//! expired and never-matching waivers are warnings; a malformed file is an error; SARIF and ASFF
//! carry the suppressions and still pass their real consumers.

mod common;

use std::path::{Path, PathBuf};

use common::consumers::{botocore_verdict, sarif_schema_errors};
use common::{scratch, snapaudit, snapshot};
use serde_json::Value;

/// The demo's only EC2.19 finding (critical).
const EC2_19_WAIVER: &str = r#"
[[waiver]]
rule = "EC2.19"
resource = "sg-05b53eeb660f1dcab"
reason = "Bastion, source-restricted by the network ACL"
owner = "secops@example.com"
expires = "2027-03-31"
"#;

/// The demo's four SA.ECS.1 findings, by a glob over task ARNs.
const TASK_GLOB_WAIVER: &str = r#"
[[waiver]]
rule = "SA.ECS.1"
resource = "arn:aws:ecs:eu-west-1:111122223333:task/demo/*"
reason = "Demo cluster, torn down weekly"
owner = "platform"
expires = "2027-01-01"
region = "eu-west-1"
"#;

/// `text` written as the waiver file of `test`, in its scratch folder.
fn waiver_file(test: &str, text: &str) -> PathBuf {
    let path = scratch(test).join("waivers.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// `scan` of the snapshot `name` with `args`, then `extra`.
fn scan_snapshot(name: &str, args: &[&str], extra: &[&str]) -> common::Run {
    let fixture = snapshot(name);
    let mut all = vec!["scan", fixture.to_str().unwrap()];
    all.extend(args);
    all.extend(extra);
    snapaudit(&all)
}

/// `scan` of the demo with `waivers` on `as_of` and `extra` arguments.
fn scan_demo(waivers: &Path, as_of: &str, extra: &[&str]) -> common::Run {
    let waivers = waivers.to_str().unwrap();
    scan_snapshot("demo", &["--waivers", waivers, "--as-of", as_of], extra)
}

/// The rule ids of a list of findings.
fn rule_ids(findings: &Value) -> Vec<&str> {
    findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect()
}

#[test]
fn a_waiver_suppresses_a_finding_and_its_exit_code() {
    let waivers = waiver_file("waiver-suppresses", EC2_19_WAIVER);
    let only = ["--rule", "EC2.19", "--format", "json"];
    let demo = snapshot("demo");
    let unwaived = snapaudit(&["scan", demo.to_str().unwrap(), "--rule", "EC2.19"]);
    assert_eq!(unwaived.code, 1);
    let run = scan_demo(&waivers, "2027-03-31", &only);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json();
    assert_eq!(report["findings"], Value::Array(vec![]));
    assert_eq!(report["summary"]["findings"], 0);
    assert_eq!(report["summary"]["suppressed"], 1);
    let suppressed = &report["suppressed"][0];
    assert_eq!(suppressed["rule_id"], "EC2.19");
    assert_eq!(suppressed["status"], "suppressed");
    assert_eq!(suppressed["waiver"]["owner"], "secops@example.com");
    assert_eq!(suppressed["waiver"]["expires"], "2027-03-31");
    assert_eq!(suppressed["waiver"]["index"], 1);
    assert_eq!(report["waiver_warnings"], Value::Array(vec![]));
    assert_eq!(report["summary"]["complete"], true);
}

#[test]
fn the_table_lists_suppressed_findings_in_their_own_section() {
    let waivers = waiver_file("waiver-table", EC2_19_WAIVER);
    let run = scan_demo(&waivers, "2026-06-01", &["--rule", "EC2.19"]);
    let (open, suppressed) = run.stdout.split_once("SUPPRESSED").unwrap();
    assert!(!open.contains("sg-05b53eeb660f1dcab"), "{}", run.stdout);
    assert!(suppressed.contains("sg-05b53eeb660f1dcab  secops@example.com  2027-03-31"));
}

#[test]
fn a_glob_waiver_suppresses_every_matching_resource() {
    let waivers = waiver_file("waiver-glob", TASK_GLOB_WAIVER);
    let report = scan_demo(&waivers, "2026-06-01", &["--format", "json"]).json();
    assert!(!rule_ids(&report["findings"]).contains(&"SA.ECS.1"));
    assert_eq!(rule_ids(&report["suppressed"]), ["SA.ECS.1"; 4]);
    assert_eq!(report["waiver_warnings"], Value::Array(vec![]));
}

#[test]
fn an_expired_waiver_is_a_warning_and_suppresses_nothing() {
    let waivers = waiver_file("waiver-expired", EC2_19_WAIVER);
    let run = scan_demo(
        &waivers,
        "2027-04-01",
        &["--rule", "EC2.19", "--format", "json"],
    );
    assert_eq!(run.code, 1);
    let report = run.json();
    assert_eq!(rule_ids(&report["findings"]), ["EC2.19"]);
    assert_eq!(report["summary"]["suppressed"], 0);
    let warning = &report["waiver_warnings"][0];
    assert!(warning["file"].as_str().unwrap().ends_with("waivers.toml"));
    assert_eq!(warning["line"], 2);
    let message = warning["message"].as_str().unwrap();
    assert!(message.starts_with("waiver 1 (EC2.19 on sg-05b53eeb660f1dcab"));
    assert!(message.contains("expired on 2027-03-31"), "{message}");
    assert!(run.stderr.contains("waiver 1 (EC2.19"), "{}", run.stderr);
    assert_eq!(
        report["summary"]["complete"], true,
        "stale waivers are not gaps"
    );
}

#[test]
fn a_waiver_that_matches_nothing_is_a_warning() {
    let narrowed = EC2_19_WAIVER.replace("owner =", "account = \"999999999999\"\nowner =");
    let waivers = waiver_file("waiver-unmatched", &format!("{narrowed}{TASK_GLOB_WAIVER}"));
    let run = scan_demo(&waivers, "2026-06-01", &["--format", "json"]);
    let report = run.json();
    assert!(rule_ids(&report["findings"]).contains(&"EC2.19"));
    let warnings = report["waiver_warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let message = warnings[0]["message"].as_str().unwrap();
    assert!(message.starts_with("waiver 1 (EC2.19"), "{message}");
    assert!(message.ends_with("matches no finding"), "{message}");
}

#[test]
fn a_malformed_waiver_file_is_an_error_naming_the_file_and_position() {
    let bad_date = EC2_19_WAIVER.replace("2027-03-31", "2027-13-31");
    let waivers = waiver_file("waiver-malformed", &bad_date);
    let run = scan_demo(&waivers, "2026-06-01", &[]);
    assert_eq!(run.code, 2);
    assert!(run.stdout.is_empty());
    assert!(
        run.stderr.contains("malformed waiver file"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("waivers.toml"), "{}", run.stderr);
    assert!(run.stderr.contains("line 7, column 11"), "{}", run.stderr);

    let typo = waiver_file("waiver-typo", &EC2_19_WAIVER.replace("reason", "reson"));
    let run = scan_demo(&typo, "2026-06-01", &[]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("line 5"), "{}", run.stderr);
}

#[test]
fn sarif_marks_suppressed_results_and_stays_valid() {
    let waivers = waiver_file(
        "waiver-sarif",
        &format!("{EC2_19_WAIVER}{TASK_GLOB_WAIVER}"),
    );
    let sarif = scan_demo(&waivers, "2026-06-01", &["--format", "sarif"]).json();
    let errors = sarif_schema_errors(&sarif);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let suppressed: Vec<&Value> = results
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .collect();
    assert_eq!(suppressed.len(), 5);
    let ec2_19 = suppressed.iter().find(|r| r["ruleId"] == "EC2.19").unwrap();
    let suppression = &ec2_19["suppressions"][0];
    assert_eq!(suppression["kind"], "external");
    assert_eq!(
        suppression["justification"],
        "Bastion, source-restricted by the network ACL"
    );
}

#[test]
fn asff_marks_suppressed_findings_and_passes_botocore() {
    let waivers = waiver_file("waiver-asff", EC2_19_WAIVER);
    let run = scan_demo(&waivers, "2026-06-01", &["--format", "asff"]);
    let findings = run.json();
    let suppressed: Vec<&Value> = findings
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["Workflow"]["Status"] == "SUPPRESSED")
        .collect();
    assert_eq!(suppressed.len(), 1);
    assert_eq!(suppressed[0]["GeneratorId"], "EC2.19");
    assert_eq!(suppressed[0]["Note"]["UpdatedBy"], "secops@example.com");
    if let Some((code, report)) = botocore_verdict(&run.stdout) {
        assert_eq!(
            code, 0,
            "botocore rejects the ASFF with a suppression:\n{report}"
        );
    }
}

#[test]
fn html_jsonl_and_csv_keep_the_suppressed_finding() {
    let waivers = waiver_file("waiver-other-formats", EC2_19_WAIVER);
    let only = |format| {
        scan_demo(
            &waivers,
            "2026-06-01",
            &["--rule", "EC2.19", "--format", format],
        )
    };
    let html = only("html").stdout;
    let section = html.split_once("<h2>Suppressed by waivers</h2>").unwrap().1;
    assert!(section.contains("Bastion, source-restricted by the network ACL"));
    let jsonl = only("jsonl").stdout;
    let line: Value = serde_json::from_str(jsonl.trim()).unwrap();
    assert_eq!(line["status"], "suppressed");
    assert_eq!(line["waiver"]["owner"], "secops@example.com");
    let csv = only("csv").stdout;
    let row = csv.lines().nth(1).unwrap();
    assert!(
        row.ends_with(",suppressed,fail,secops@example.com,2027-03-31,\"Bastion, source-restricted by the network ACL\""),
        "{row}"
    );
}

/// SA.NET.1's fixture: EC2.6 cannot be settled for its VPC (no flow-log export).
const EC2_6_INDETERMINATE_WAIVER: &str = r#"
[[waiver]]
rule = "EC2.6"
resource = "vpc-05e5edb277e444643"
reason = "Flow logs are exported by the central logging account"
owner = "logging@example.com"
expires = "2027-01-31"
"#;

/// `scan snapshots/SA.NET.1 --rule EC2.6` with `extra` arguments.
fn scan_indeterminate(extra: &[&str]) -> common::Run {
    scan_snapshot("SA.NET.1", &["--rule", "EC2.6"], extra)
}

#[test]
fn a_waiver_accepts_an_indeterminate_result_and_its_exit_code() {
    let unwaived = scan_indeterminate(&["--fail-on-indeterminate", "--format", "json"]);
    assert_eq!(unwaived.code, 1, "{}", unwaived.stderr);
    let unwaived = unwaived.json();
    assert_eq!(rule_ids(&unwaived["indeterminate"]), ["EC2.6"]);

    let waivers = waiver_file("waiver-indeterminate", EC2_6_INDETERMINATE_WAIVER);
    let waived_args = |format| {
        [
            "--waivers",
            waivers.to_str().unwrap(),
            "--as-of",
            "2026-06-01",
            "--fail-on-indeterminate",
            "--format",
            format,
        ]
    };
    let run = scan_indeterminate(&waived_args("json"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json();
    let merged_code = |test: &str, report: &str| {
        let saved = scratch(test).join("report.json");
        std::fs::write(&saved, report).unwrap();
        let saved = saved.to_str().unwrap();
        let args = ["merge", saved, "--rule", "EC2.6", "--fail-on-indeterminate"];
        snapaudit(&args).code
    };
    assert_eq!(
        merged_code("waiver-indeterminate-open", &unwaived.to_string()),
        1
    );
    assert_eq!(merged_code("waiver-indeterminate-merged", &run.stdout), 0);
    assert_eq!(report["indeterminate"], Value::Array(vec![]));
    assert_eq!(
        report["waiver_warnings"],
        Value::Array(vec![]),
        "it matched"
    );
    let suppressed = &report["suppressed"][0];
    assert_eq!(suppressed["resource_id"], "vpc-05e5edb277e444643");
    assert_eq!(suppressed["status"], "suppressed");
    assert_eq!(suppressed["waived_status"], "indeterminate");
    assert_eq!(suppressed["waiver"]["owner"], "logging@example.com");
    assert_eq!(report["summary"]["indeterminate"], 0);
    assert_eq!(report["summary"]["suppressed"], 1);
    let (before, after) = (
        &unwaived["summary"]["rules_status"]["EC2.6"],
        &report["summary"]["rules_status"]["EC2.6"],
    );
    assert_eq!(after["indeterminate"], 0, "{after}");
    assert_eq!(after["suppressed"], before["indeterminate"], "{after}");
    assert_eq!(after["examined"], before["examined"], "{after}");

    let table = scan_indeterminate(&waived_args("table")).stdout;
    let section = table.split_once("SUPPRESSED").unwrap().1;
    assert!(
        section.contains("logging@example.com  2027-01-31  indeterminate"),
        "{table}"
    );
    let csv = scan_indeterminate(&waived_args("csv")).stdout;
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let row = csv.lines().nth(1).unwrap();
    let at = |name| header.iter().position(|h| *h == name).unwrap();
    let cells: Vec<&str> = row.split(',').collect();
    assert_eq!(cells.len(), header.len(), "{row}");
    assert_eq!(cells[at("status")], "suppressed", "{row}");
    assert_eq!(cells[at("waived_status")], "indeterminate", "{row}");
    let sarif = scan_indeterminate(&waived_args("sarif")).json();
    let errors = sarif_schema_errors(&sarif);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(
        result["kind"], "review",
        "still a result to review: {result}"
    );
    assert_eq!(result["suppressions"][0]["kind"], "external");
    let asff = scan_indeterminate(&waived_args("asff"));
    let finding = &asff.json()[0];
    assert_eq!(finding["Compliance"]["Status"], "WARNING", "{finding}");
    assert_eq!(finding["Workflow"]["Status"], "SUPPRESSED", "{finding}");
    if let Some((code, report)) = botocore_verdict(&asff.stdout) {
        assert_eq!(code, 0, "botocore rejects the ASFF:\n{report}");
    }
}

#[test]
fn a_suppressed_failure_keeps_its_status_and_merge_keeps_both_kinds() {
    let waivers = waiver_file(
        "waiver-merge",
        &EC2_6_INDETERMINATE_WAIVER.replace(
            "[[waiver]]",
            "[[waiver]]\nrule = \"EC2.19\"\nresource = \"sg-*\"\nreason = \"Lab\"\nowner = \"lab\"\nexpires = \"2027-01-31\"\n\n[[waiver]]",
        ),
    );
    let waivers = waivers.to_str().unwrap();
    let dated = ["--waivers", waivers, "--as-of", "2026-06-01"];
    let run = scan_snapshot("SA.NET.1", &dated, &["--format", "json"]);
    let report = run.json();
    let waived: Vec<(&str, &str)> = (report["suppressed"].as_array().unwrap().iter())
        .map(|s| {
            let rule = s["rule_id"].as_str().unwrap();
            (rule, s["waived_status"].as_str().unwrap())
        })
        .collect();
    assert_eq!(
        waived,
        [
            ("EC2.19", "fail"),
            ("EC2.19", "fail"),
            ("EC2.6", "indeterminate")
        ]
    );
    let saved = scratch("waiver-merge").join("report.json");
    std::fs::write(&saved, &run.stdout).unwrap();
    let merged = snapaudit(&["merge", saved.to_str().unwrap(), "--format", "json"]);
    assert_eq!(merged.code, run.code, "{}", merged.stderr);
    let merged = merged.json();
    for part in ["findings", "suppressed", "indeterminate", "summary"] {
        assert_eq!(merged[part], report[part], "{part}");
    }
}

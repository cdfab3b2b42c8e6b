//! Hostile rules and hostile evidence: nothing a rule or an export holds may crash or hang the
//! tool, or yield a report that looks complete when it is not.

mod common;

use std::time::{Duration, Instant};

use common::{scan_json, scratch, snapshot};
use serde_json::Value;

/// A user rule over `ecs_tasks` whose query is `query`.
fn user_rule(query: &str) -> String {
    format!(
        r#"id = "ORG.7"
title = "Hostile"
severity = "low"
table = "ecs_tasks"
resource_type = "AwsEcsTask"
resource = "task_arn"
description = "A rule that does not end or does not fit."
remediation = "None."
query = '''
{query}
'''
"#
    )
}

/// Scans the demo evidence with the rule `query` under `budget`: the report and the wall time.
fn scan_with_rule(test: &str, query: &str, budget: &str) -> (i32, Value, Duration) {
    let dir = scratch(test);
    std::fs::write(dir.join("ORG.7.toml"), user_rule(query)).unwrap();
    let started = Instant::now();
    let rules = dir.to_str().unwrap();
    let (code, report) = scan_json(
        &[&snapshot("demo")],
        &["--rules", rules, "--rule-budget", budget],
    );
    (code, report, started.elapsed())
}

/// The report's error messages about rule ORG.7.
fn rule_errors(report: &Value) -> Vec<String> {
    (report["errors"].as_array().unwrap().iter())
        .map(|e| e["message"].as_str().unwrap().to_string())
        .filter(|m| m.starts_with("rule ORG.7"))
        .collect()
}

#[test]
fn a_rule_over_its_budget_is_stopped_named_with_its_row_and_the_others_still_run() {
    let cases = [
        ("repeat(.)", "more than 100 outputs"),
        ("range(1e18)", "more than 100 outputs"),
        ("[range(1e9)]", "budget exceeded"),
        ("def f: f; f", "ran longer than 1s on one row"),
        ("def f: 1 + f; f", "recursed deeper than its stack budget"),
        ("last(range(1e12))", "ran longer than 1s on one row"),
        (r#""x" | until(length > 1e10; . + .)"#, "budget exceeded"),
        (
            "[limit(20; repeat(\"x\" * 1000000))]",
            "allocated more than 8388608 bytes",
        ),
    ];
    for (k, (query, why)) in cases.iter().enumerate() {
        let budget = "time=1s,outputs=100,memory=8MiB";
        let (code, report, took) = scan_with_rule(&format!("budget-{k}"), query, budget);
        assert!(took < Duration::from_secs(30), "{query}: took {took:?}");
        assert_eq!(code, 2, "{query}: errors in the report");
        let errors = rule_errors(&report);
        assert!(
            !errors.is_empty(),
            "{query}: no error in {}",
            report["errors"]
        );
        for e in &errors {
            assert!(e.contains(why), "{query}: {e}");
            assert!(
                e.contains("ecs_tasks row \"arn:aws:ecs:"),
                "{query}: row named in {e}"
            );
            assert!(
                e.contains("(ecs/describe-tasks.json:0:/tasks/"),
                "{query}: {e}"
            );
        }
        assert_eq!(report["summary"]["complete"], false, "{query}");
        let fired: Vec<&str> = (report["findings"].as_array().unwrap().iter())
            .map(|f| f["rule_id"].as_str().unwrap())
            .collect();
        for builtin in ["ECS.2", "EC2.13", "SA.NET.1"] {
            assert!(fired.contains(&builtin), "{query}: {builtin} still runs");
        }
    }
}

#[test]
fn the_total_budget_stops_a_rule_that_is_slow_on_every_row() {
    let query = "last(range(3e5)) | empty";
    let (_, report, _) = scan_with_rule("budget-total", query, "time=10s,total=100ms");
    let errors = rule_errors(&report);
    assert!(
        errors
            .iter()
            .any(|e| e.contains("ran longer than 100ms in total")),
        "{errors:?}"
    );
}

#[test]
fn a_sane_rule_is_untouched_by_the_default_budget() {
    let (code, report, _) = scan_with_rule(
        "budget-sane",
        "select(.launch_type == \"EC2\") | \"ec2\"",
        "",
    );
    assert!(rule_errors(&report).is_empty(), "{}", report["errors"]);
    assert_ne!(code, 2);
    assert_eq!(report["summary"]["complete"], true);
}

#[test]
fn a_malformed_budget_is_a_usage_error() {
    for (budget, said) in [
        ("time=soon", "not a duration"),
        ("outputs=0", "not a positive whole number"),
        ("memory=lots", "not a size"),
        ("depth=3", "unknown budget `depth`"),
    ] {
        let run = common::snapaudit(&[
            "scan",
            snapshot("demo").to_str().unwrap(),
            "--rule-budget",
            budget,
        ]);
        assert_eq!(run.code, 2, "{budget}");
        assert!(run.stderr.contains(said), "{budget}: {}", run.stderr);
    }
}

/// The demo evidence copied to a scratch folder, with `edit` applied to the parsed
/// `ec2/describe-network-interfaces.json` before it is written back (4-space indent, as the AWS
/// CLI prints), then each `(marker, replacement)` applied to the text.
fn demo_with_interfaces(
    test: &str,
    edit: impl FnOnce(&mut Value),
    text: &[(&str, String)],
) -> std::path::PathBuf {
    let dir = scratch(test);
    common::copy_set(&snapshot("demo"), &dir);
    let file = dir.join("ec2/describe-network-interfaces.json");
    let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    edit(&mut doc);
    let mut written = Vec::new();
    let indent = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    serde::Serialize::serialize(
        &doc,
        &mut serde_json::Serializer::with_formatter(&mut written, indent),
    )
    .unwrap();
    let mut written = String::from_utf8(written).unwrap();
    for (marker, replacement) in text {
        written = written.replace(marker, replacement);
    }
    std::fs::write(&file, written).unwrap();
    dir
}

#[test]
fn a_value_nested_too_deep_drops_its_record_only_named_with_pointer_and_position() {
    let deep = |levels: usize| format!("{}\"x\"{}", "[".repeat(levels), "]".repeat(levels));
    let dir = demo_with_interfaces(
        "deep-nesting",
        |doc| {
            let enis = doc["NetworkInterfaces"].as_array_mut().unwrap();
            enis[1]["Description"] = "@DEEP1@".into();
            enis[4]["Groups"][0]["GroupName"] = "@DEEP2@".into();
        },
        &[("\"@DEEP1@\"", deep(200)), ("\"@DEEP2@\"", deep(100_000))],
    );
    let (code, report) = scan_json(&[&dir], &[]);
    assert_eq!(code, 2);
    assert_eq!(report["summary"]["complete"], false);
    assert_eq!(
        report["summary"]["records"]["ec2 describe-network-interfaces"],
        7
    );
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{errors:?}");
    for (error, record) in errors.iter().zip([
        "/NetworkInterfaces/1/Description/0",
        "/NetworkInterfaces/4/Groups/0/GroupName/0",
    ]) {
        assert_eq!(error["file"], "ec2/describe-network-interfaces.json");
        assert!(
            error["pointer"].as_str().unwrap().starts_with(record),
            "{error}"
        );
        assert!(error["line"].as_u64().unwrap() > 1 && error["column"].as_u64().unwrap() > 1);
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .contains("nested deeper than 100 levels")
        );
    }
    let by_rule = &report["summary"]["by_rule"];
    assert!(
        by_rule["SA.NET.1"].as_u64().unwrap() > 0,
        "the other interfaces were analysed: {by_rule}"
    );
}

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

/// The demo evidence with `edit` applied to the parsed file `file` (relative to the set).
fn demo_with(test: &str, file: &str, edit: impl FnOnce(&mut Value)) -> std::path::PathBuf {
    let dir = scratch(test);
    common::copy_set(&snapshot("demo"), &dir);
    let path = dir.join(file);
    let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut doc);
    std::fs::write(&path, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    dir
}

/// `reach --format json` to the demo's public instance on TCP 22: the answer and stderr.
fn reach_instance(dir: &std::path::Path) -> (Value, String) {
    let run = common::snapaudit(&[
        "reach",
        dir.to_str().unwrap(),
        "--to",
        "i-03b8b9003cf7ed478",
        "--port",
        "22",
        "--protocol",
        "tcp",
        "--format",
        "json",
    ]);
    (run.json(), run.stderr)
}

/// The detail of hop `hop` of a reach answer.
fn hop_detail<'a>(answer: &'a Value, hop: &str) -> (&'a str, &'a str) {
    let found = (answer["hops"].as_array().unwrap().iter())
        .find(|h| h["hop"] == hop)
        .unwrap();
    (
        found["verdict"].as_str().unwrap(),
        found["detail"].as_str().unwrap(),
    )
}

#[test]
fn an_invalid_acl_entry_makes_the_acl_hops_indeterminate_never_a_silent_pass() {
    let (before, _) = reach_instance(&snapshot("demo"));
    assert_eq!(
        before["reachable"], true,
        "the demo instance is reachable on 22"
    );
    for (k, (field, value, said)) in [
        (
            "CidrBlock",
            Value::from("0.0.0.0/33"),
            "CidrBlock `0.0.0.0/33` is not a CIDR block",
        ),
        (
            "CidrBlock",
            Value::from("not-a-cidr"),
            "CidrBlock `not-a-cidr` is not a CIDR block",
        ),
        (
            "RuleNumber",
            Value::from(-1),
            "RuleNumber -1 is outside 1-32766",
        ),
        (
            "Protocol",
            Value::from("300"),
            "Protocol `300` is not a protocol",
        ),
        (
            "PortRange",
            serde_json::json!({"From": 70000, "To": 22}),
            "PortRange 70000-22 is not a range within 0-65535",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let dir = demo_with(
            &format!("bad-acl-{k}"),
            "ec2/describe-network-acls.json",
            |doc| {
                for acl in doc["NetworkAcls"].as_array_mut().unwrap() {
                    let mut deny = serde_json::json!({"CidrBlock": "0.0.0.0/0", "Egress": false,
                    "Protocol": "6", "RuleAction": "deny", "RuleNumber": 50,
                    "PortRange": {"From": 22, "To": 22}});
                    deny[field] = value.clone();
                    acl["Entries"].as_array_mut().unwrap().insert(0, deny);
                }
            },
        );
        let (answer, stderr) = reach_instance(&dir);
        assert_eq!(answer["reachable"], "indeterminate", "{said}");
        let (verdict, detail) = hop_detail(&answer, "nacl_inbound");
        assert_eq!(verdict, "indeterminate");
        assert!(detail.contains(said), "{detail}");
        assert!(
            stderr.contains("ec2/describe-network-acls.json at /NetworkAcls/0/Entries/0: ")
                && stderr.contains(said),
            "{stderr}"
        );
    }
}

#[test]
fn invalid_routes_and_group_permissions_are_warnings_and_make_their_hop_indeterminate() {
    let dir = demo_with("bad-route", "ec2/describe-route-tables.json", |doc| {
        for table in doc["RouteTables"].as_array_mut().unwrap() {
            let route = serde_json::json!({"DestinationCidrBlock": "::/129", "GatewayId": "local"});
            table["Routes"].as_array_mut().unwrap().insert(0, route);
        }
    });
    let (answer, stderr) = reach_instance(&dir);
    assert_eq!(answer["reachable"], "indeterminate");
    let (verdict, detail) = hop_detail(&answer, "route");
    assert_eq!(verdict, "indeterminate");
    assert!(
        detail.contains("DestinationCidrBlock `::/129` is not a CIDR block"),
        "{detail}"
    );
    assert!(
        stderr.contains("ec2/describe-route-tables.json at /RouteTables/1/Routes/0: "),
        "{stderr}"
    );

    let dir = demo_with(
        "bad-permission",
        "ec2/describe-security-groups.json",
        |doc| {
            for group in doc["SecurityGroups"].as_array_mut().unwrap() {
                let perm = serde_json::json!({"IpProtocol": "tcp", "FromPort": 0, "ToPort": 2147483647,
                "IpRanges": [{"CidrIp": "10.0.0.0/8"}]});
                group["IpPermissions"]
                    .as_array_mut()
                    .unwrap()
                    .insert(0, perm);
            }
        },
    );
    let (code, report) = scan_json(&[&dir], &[]);
    assert_eq!(report["summary"]["complete"], false);
    let warnings = report["warnings"].to_string();
    assert!(
        warnings.contains("FromPort-ToPort 0-2147483647 is not a range within 0-65535")
            && warnings.contains("\"pointer\":\"/SecurityGroups/0/IpPermissions/0\""),
        "{warnings}"
    );
    assert_ne!(code, -1, "no signal");
    let by_rule = &report["summary"]["by_rule"];
    assert!(
        by_rule["SA.NET.1"].as_u64().unwrap() > 0,
        "the rest was analysed: {by_rule}"
    );
    let (answer, _) = reach_instance(&dir);
    let (verdict, detail) = hop_detail(&answer, "security_group");
    assert_eq!(
        verdict, "pass",
        "a readable permission still admits 22 from anywhere"
    );
    assert!(
        detail.contains("has entries that cannot be read"),
        "{detail}"
    );
}

#[test]
fn an_ipv6_source_to_an_ipv4_only_target_ends_every_hop_in_a_full_sentence() {
    let run = common::snapaudit(&[
        "reach",
        snapshot("demo").to_str().unwrap(),
        "--to",
        "i-03b8b9003cf7ed478",
        "--from",
        "::/0",
        "--format",
        "json",
    ]);
    let answer = run.json();
    let details: Vec<&str> = (answer["hops"].as_array().unwrap().iter())
        .map(|h| h["detail"].as_str().unwrap())
        .collect();
    assert!(
        details.iter().all(|d| !d.trim_end().ends_with(" on")),
        "{details:?}"
    );
    let (verdict, detail) = hop_detail(&answer, "security_group");
    assert_eq!(
        (verdict, detail),
        ("fail", "sg-05b53eeb660f1dcab: nothing left to evaluate")
    );
}

/// The user rule ORG.7 (`query`) with a `[fix]` whose query is `fix`.
fn user_rule_with_fix(query: &str, fix: &str) -> String {
    format!("{}\n[fix]\nquery = '''\n{fix}\n'''\n", user_rule(query))
}

#[test]
fn an_endless_or_huge_fix_is_stopped_named_with_its_row_and_the_other_fixes_are_made() {
    let cases = [
        (
            "\"open\"",
            "def f: f; f",
            "ORG.7 [fix]",
            "ran longer than 1s on one row",
        ),
        (
            "\"open\"",
            "[range(1e9)]",
            "ORG.7 [fix]",
            "allocated more than 8388608 bytes",
        ),
        (
            "\"open\"",
            "repeat({})",
            "ORG.7 [fix]",
            "more than 100 outputs",
        ),
        (
            "def f: f; f",
            "{}",
            "ORG.7",
            "ran longer than 1s on one row",
        ),
    ];
    for (k, (query, fix, label, why)) in cases.into_iter().enumerate() {
        let dir = scratch(&format!("fix-budget-{k}"));
        std::fs::write(dir.join("ORG.7.toml"), user_rule_with_fix(query, fix)).unwrap();
        let started = Instant::now();
        let run = common::snapaudit(&[
            "remediate",
            snapshot("demo").to_str().unwrap(),
            "--rules",
            dir.to_str().unwrap(),
            "--format",
            "json",
            "--rule-budget",
            "time=1s,outputs=100,memory=8MiB",
        ]);
        let took = started.elapsed();
        assert!(took < Duration::from_secs(30), "{fix}: took {took:?}");
        assert_eq!(run.code, 2, "{fix}: {}", run.stderr);
        let named: Vec<&str> = (run.stderr.lines())
            .filter(|l| {
                l.contains(&format!(
                    "rule {label} failed on ecs_tasks row \"arn:aws:ecs:"
                ))
            })
            .collect();
        assert!(!named.is_empty(), "{fix}: {}", run.stderr);
        for line in named {
            assert!(line.contains(why), "{fix}: {line}");
            assert!(
                line.contains("(ecs/describe-tasks.json:0:/tasks/"),
                "{fix}: {line}"
            );
        }
        let fixed: Vec<String> = (run.json()["actions"].as_array().unwrap().iter())
            .map(|a| a["rule_id"].as_str().unwrap().to_string())
            .collect();
        assert!(fixed.iter().any(|id| id == "ECS.2"), "{fix}: {fixed:?}");
        assert!(!fixed.iter().any(|id| id == "ORG.7"), "{fix}: {fixed:?}");
    }
}

#[test]
fn an_endless_or_huge_query_filter_is_stopped_and_named_with_its_row() {
    let query = |filter: &str| {
        let demo = snapshot("demo");
        let args = [
            "query",
            demo.to_str().unwrap(),
            "--table",
            "ecs_tasks",
            filter,
        ];
        common::snapaudit(
            &[
                &args[..],
                &["--rule-budget", "time=1s,outputs=100,memory=8MiB"],
            ]
            .concat(),
        )
    };
    let cases = [
        ("last(range(1e12))", "ran longer than 1s on one row"),
        ("[range(1e9)]", "allocated more than 8388608 bytes"),
        ("repeat(.)", "more than 100 outputs"),
        ("def f: 1 + f; f", "recursed deeper than its stack budget"),
    ];
    for (filter, why) in cases {
        let started = Instant::now();
        let run = query(filter);
        assert!(started.elapsed() < Duration::from_secs(30), "{filter}");
        assert_eq!(run.code, 2, "{filter}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{filter}: {}", run.stdout);
        let said = "the filter failed on ecs_tasks row 0 (ecs/describe-tasks.json:0:/tasks/";
        assert!(
            run.stderr.contains(said) && run.stderr.contains(why),
            "{filter}: {}",
            run.stderr
        );
    }
    let sane = query("{b: 1, a: .task_arn}");
    assert_eq!(sane.code, 0, "{}", sane.stderr);
    let lines: Vec<&str> = sane.stdout.lines().collect();
    assert!(lines.len() > 1, "one line per task: {lines:?}");
    assert!(
        lines
            .iter()
            .all(|l| l.starts_with(r#"{"b":1,"a":"arn:aws:ecs:"#)),
        "the filter's key order is kept: {lines:?}"
    );
}

#[test]
fn the_evidence_command_does_not_count_a_record_dropped_for_nesting_too_deep() {
    let deep = format!("{}1{}", "[".repeat(150), "]".repeat(150));
    let dir = demo_with_interfaces(
        "deep-count",
        |doc| {
            let enis = doc["NetworkInterfaces"].as_array_mut().unwrap();
            // A field the reader types (the record no longer reads) and one it ignores (the
            // record reads, then is dropped).
            enis[1]["Description"] = "@DEEP@".into();
            enis[2]["NotRead"] = "@DEEP@".into();
        },
        &[("\"@DEEP@\"", deep)],
    );
    let run = common::snapaudit(&["evidence", dir.to_str().unwrap(), "--format", "json"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let report = run.json();
    let file = (report["files"].as_array().unwrap().iter())
        .find(|f| f["file"] == "ec2/describe-network-interfaces.json")
        .unwrap();
    assert_eq!(file["records"], 7, "9 interfaces, 2 dropped: {file}");
    assert_eq!(file["counts"][0]["records"], 7, "{file}");
    let pointers: Vec<&str> = (report["errors"].as_array().unwrap().iter())
        .filter_map(|e| e["pointer"].as_str())
        .collect();
    assert_eq!(pointers.len(), 2, "{pointers:?}");
    assert!(
        pointers[0].starts_with("/NetworkInterfaces/1/Description/0"),
        "{pointers:?}"
    );
    assert!(
        pointers[1].starts_with("/NetworkInterfaces/2/NotRead/0"),
        "{pointers:?}"
    );
}

#[test]
fn invalid_outbound_group_permissions_are_warnings_naming_file_and_pointer() {
    let dir = demo_with("bad-outbound", "ec2/describe-security-groups.json", |doc| {
        for group in doc["SecurityGroups"].as_array_mut().unwrap() {
            let perm = serde_json::json!({"IpProtocol": "tcp", "FromPort": 443, "ToPort": 80,
                "IpRanges": [{"CidrIp": "0.0.0.0/33"}]});
            let egress = group["IpPermissionsEgress"].as_array_mut().unwrap();
            egress.insert(0, perm);
        }
    });
    let groups = {
        let path = dir.join("ec2/describe-security-groups.json");
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        doc["SecurityGroups"].as_array().unwrap().len()
    };
    let (code, report) = scan_json(&[&dir], &[]);
    assert_ne!(code, -1, "no signal");
    let outbound: Vec<&Value> = (report["warnings"].as_array().unwrap().iter())
        .filter(|w| {
            w["pointer"]
                .as_str()
                .unwrap_or("")
                .contains("/IpPermissionsEgress/")
        })
        .collect();
    assert_eq!(outbound.len(), groups, "one per group: {outbound:?}");
    for (i, warning) in outbound.iter().enumerate() {
        assert_eq!(warning["file"], "ec2/describe-security-groups.json");
        let pointer = format!("/SecurityGroups/{i}/IpPermissionsEgress/0");
        assert!(
            outbound.iter().any(|w| w["pointer"] == pointer.as_str()),
            "{pointer}"
        );
        let message = warning["message"].as_str().unwrap();
        for said in [
            "FromPort-ToPort 443-80 is not a range within 0-65535 (from above to)",
            "CidrIp `0.0.0.0/33` is not a CIDR block",
            "no verdict rests on it",
        ] {
            assert!(message.contains(said), "{message}");
        }
    }
    // No reachability hop reads outbound group permissions: every verdict is as before.
    let verdicts = |answer: &Value| -> Vec<(String, String)> {
        (answer["hops"].as_array().unwrap().iter())
            .map(|h| (h["hop"].to_string(), h["verdict"].to_string()))
            .collect()
    };
    let (before, _) = reach_instance(&snapshot("demo"));
    let (after, _) = reach_instance(&dir);
    assert_eq!(after["reachable"], before["reachable"]);
    assert_eq!(verdicts(&after), verdicts(&before));
}
// Found with the rule_file fuzz target (fuzz/) on a hand-made deep input: jaq parses and compiles
// recursively, and a query nested a few thousand levels deep overflowed the main thread's stack,
// aborting the process.
#[test]
fn a_deeply_nested_query_compiles_and_runs_instead_of_overflowing_the_stack() {
    let depth = 30_000;
    let query = format!("{}empty{}", "(".repeat(depth), ")".repeat(depth));
    let (_, report, _) = scan_with_rule("deep-query", &query, "");
    assert_eq!(rule_errors(&report), Vec::<String>::new());
    assert!(
        report["errors"].as_array().unwrap().is_empty(),
        "{}",
        report["errors"]
    );
    assert_eq!(report["summary"]["complete"], true);
}

#[test]
fn a_query_longer_than_the_limit_is_an_error_naming_file_and_line() {
    let query = format!("empty{}", " ".repeat(64 << 10));
    let (code, report, _) = scan_with_rule("long-query", &query, "");
    assert_eq!(code, 2, "an unusable rule");
    let error = &report["errors"][0];
    assert!(
        error["file"].as_str().unwrap().ends_with("ORG.7.toml"),
        "{error}"
    );
    assert_eq!(
        error["message"],
        "line 10: the query is 65542 bytes long; a query may have at most 65536"
    );
    assert_eq!(report["summary"]["complete"], false);
    assert!(
        !report["findings"].as_array().unwrap().is_empty(),
        "the other rules ran"
    );
}

//! The command line: the scan report contract, exit codes, determinism, the rule-development
//! loop (`tables`, `query`, `--rules`) and rule errors.

mod common;

use common::{scan_json, scratch, snapaudit, snapshot};

#[test]
fn scan_json_follows_the_contract() {
    let (code, r) = scan_json(&[&snapshot("demo")], &[]);
    assert_eq!(code, 1, "findings at or above low exit 1");
    for key in [
        "findings",
        "indeterminate",
        "summary",
        "evidence",
        "skipped",
        "warnings",
        "errors",
    ] {
        assert!(r.get(key).is_some(), "missing {key}");
    }
    for f in r["findings"].as_array().unwrap() {
        for key in [
            "rule_id",
            "severity",
            "title",
            "account",
            "region",
            "resource_type",
            "resource_id",
            "message",
        ] {
            assert!(f[key].is_string(), "finding field {key}: {f}");
        }
        assert_eq!(f["status"], "fail", "`findings` holds the failures: {f}");
        let ev = f["evidence"].as_array().unwrap();
        assert!(!ev.is_empty());
        for e in ev {
            assert!(e["file"].is_string() && e["pointer"].as_str().unwrap().starts_with('/'));
            assert_eq!(e["sha256"].as_str().unwrap().len(), 64);
        }
    }
    for e in r["evidence"].as_array().unwrap() {
        assert!(
            e["file"].is_string()
                && e["sha256"].is_string()
                && e["kind"].is_array()
                && e["records"].is_number()
        );
    }
    assert_eq!(r["skipped"][0]["file"], "README.md");
    assert_eq!(r["summary"]["complete"], true);
    let by_rule = &r["summary"]["by_rule"];
    assert_eq!(
        (
            by_rule["ECS.2"].as_u64(),
            by_rule["ECS.16"].as_u64(),
            by_rule["SA.ECS.1"].as_u64()
        ),
        (Some(1), Some(1), Some(4))
    );
    let drift: Vec<_> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "SA.ECS.1" && f["details"]["drift"] == true)
        .collect();
    assert_eq!(
        drift.len(),
        1,
        "the blue task holds an Elastic IP against DISABLED"
    );
    assert!(drift[0]["message"].as_str().unwrap().contains("Elastic IP"));
}

#[test]
fn the_same_evidence_gives_byte_identical_output() {
    for format in ["json", "csv", "jsonl", "table", "sarif", "html", "markdown"] {
        let a = snapaudit(&[
            "scan",
            "--format",
            format,
            snapshot("demo").to_str().unwrap(),
        ]);
        let b = snapaudit(&[
            "scan",
            "--format",
            format,
            snapshot("demo").to_str().unwrap(),
        ]);
        assert_eq!(a.stdout, b.stdout, "{format}");
        assert!(!a.stdout.is_empty());
    }
}

#[test]
fn fail_on_sets_the_exit_code() {
    let demo = snapshot("demo");
    let demo = demo.to_str().unwrap();
    assert_eq!(
        snapaudit(&["scan", demo, "--rule", "ECS.2", "--fail-on", "critical"]).code,
        0
    );
    assert_eq!(
        snapaudit(&["scan", demo, "--rule", "ECS.2", "--fail-on", "high"]).code,
        1
    );
    let clean = snapshot("ECS.2");
    assert_eq!(
        snapaudit(&["scan", clean.to_str().unwrap(), "--rule", "SA.ECS.1"]).code,
        0
    );
}

#[test]
fn csv_and_jsonl_carry_the_same_findings() {
    let demo = snapshot("demo");
    let jsonl = snapaudit(&["scan", "--format", "jsonl", demo.to_str().unwrap()]);
    let csv = snapaudit(&["scan", "--format", "csv", demo.to_str().unwrap()]);
    let n = jsonl.stdout.lines().count();
    assert!(n > 0);
    assert!(csv.stdout.starts_with(
        "rule_id,severity,account,region,resource_type,resource_id,title,message,evidence"
    ));
    assert_eq!(csv.stdout.lines().count(), n + 1);
    assert!(csv.stdout.contains("ecs/describe-tasks.json#0/tasks/"));
}

#[test]
fn sarif_carries_rules_results_and_hashed_artifacts() {
    let demo = snapshot("demo");
    let (_, json) = scan_json(&[&demo], &[]);
    let run = snapaudit(&["scan", "--format", "sarif", demo.to_str().unwrap()]);
    let sarif = run.json();
    assert_eq!(sarif["version"], "2.1.0");
    let r = &sarif["runs"][0];
    let rules = r["tool"]["driver"]["rules"].as_array().unwrap();
    let results = r["results"].as_array().unwrap();
    assert_eq!(results.len(), json["findings"].as_array().unwrap().len());
    for res in results {
        let i = res["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[i]["id"], res["ruleId"]);
        assert!(["error", "warning", "note"].contains(&res["level"].as_str().unwrap()));
        let loc = &res["locations"][0];
        assert!(loc["physicalLocation"]["artifactLocation"]["uri"].is_string());
        assert!(
            loc["properties"]["jsonPointer"]
                .as_str()
                .unwrap()
                .starts_with('/')
        );
    }
    let critical = results
        .iter()
        .find(|x| x["properties"]["severity"] == "critical")
        .unwrap();
    assert_eq!(critical["level"], "error");
    let artifacts = r["artifacts"].as_array().unwrap();
    assert_eq!(artifacts.len(), json["evidence"].as_array().unwrap().len());
    assert_eq!(
        artifacts[0]["hashes"]["sha-256"],
        json["evidence"][0]["sha256"]
    );
}

#[test]
fn rule_parameters_can_be_set_from_the_command_line() {
    let fixture = snapshot("EC2.18");
    let ids = |extra: &[&str]| -> Vec<String> {
        let mut args = vec!["--rule", "EC2.18"];
        args.extend(extra);
        let (_, r) = scan_json(&[&fixture], &args);
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["resource_id"].as_str().unwrap().to_string())
            .collect()
    };
    let default = ids(&[]);
    assert_eq!(default.len(), 3, "{default:?}");
    let with_8080_and_53 = ids(&[
        "--param",
        "EC2.18.authorized_tcp_ports=[80,443,8080]",
        "--param",
        "EC2.18.authorized_udp_ports=[53]",
    ]);
    assert_eq!(
        with_8080_and_53,
        ["sg-07c89c9df4a3aa8e3"],
        "tcp 8080 and udp 53 authorized: only the 80-443 range is left"
    );
    let udp_53_as_tcp = ids(&["--param", "EC2.18.authorized_tcp_ports=[53,80,443]"]);
    assert!(
        udp_53_as_tcp.contains(&"sg-0f3a5c7e9b2d4f6a8".to_string()),
        "a TCP authorization does not cover UDP: {udp_53_as_tcp:?}"
    );
}

#[test]
fn html_is_one_escaped_page_with_every_finding_and_its_evidence() {
    let demo = snapshot("demo");
    let (_, json) = scan_json(&[&demo], &[]);
    let html = snapaudit(&["scan", "--format", "html", demo.to_str().unwrap()]).stdout;
    assert!(html.starts_with("<!DOCTYPE html>") && html.ends_with("</html>\n"));
    assert!(
        !html.contains("http://") && !html.contains("https://") && !html.contains(" src="),
        "self-contained: nothing to fetch"
    );
    assert!(html.contains("Content-Security-Policy\" content=\"default-src 'none';"));
    assert_eq!(html.matches("<script").count(), 1, "one inline script");
    let findings = json["findings"].as_array().unwrap();
    assert_eq!(
        html.matches("<details><summary>evidence</summary>").count(),
        findings.len()
    );
    assert!(html.contains("Complete: every evidence file was read"));
    for e in json["evidence"].as_array().unwrap() {
        assert!(html.contains(e["sha256"].as_str().unwrap()));
    }

    let dir = scratch("html-escape");
    let rule = USER_RULE.replace(
        r#""task \(.task_id) uses \(.launch_type // "no launch type")""#,
        r#""<script>alert(\(.task_id | tojson))</script> & more""#,
    );
    assert_ne!(rule, USER_RULE);
    std::fs::write(dir.join("ORG.1.toml"), rule.replace("FARGATE\")", "EC2\")")).unwrap();
    let run = snapaudit(&[
        "scan",
        "--format",
        "html",
        demo.to_str().unwrap(),
        "--rules",
        dir.to_str().unwrap(),
        "--rule",
        "ORG.1",
    ]);
    assert!(
        !run.stdout.contains("<script>alert"),
        "messages are escaped"
    );
    assert!(
        run.stdout.contains("&lt;script&gt;alert("),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("&amp; more"));
}

#[test]
fn tables_lists_tables_with_rows_and_columns() {
    let run = snapaudit(&["tables", snapshot("demo").to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("ecs_task_network (7 rows)"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("ecs_services (3 rows)"));
    assert!(run.stdout.contains("  assign_public_ip"));
}

#[test]
fn query_runs_jq_over_rows() {
    let run = snapaudit(&[
        "query",
        snapshot("demo").to_str().unwrap(),
        "--table",
        "ecs_task_network",
        r#"select(.last_status == "RUNNING") | [.task_id, .assign_public_ip, (.public_ips | length)]"#,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.lines().count(), 6, "{}", run.stdout);
    assert!(
        run.stdout
            .contains(r#"["7171e6fae1415c5aac199089efcbf6d5","DISABLED",1]"#),
        "{}",
        run.stdout
    );
    let bad = snapaudit(&[
        "query",
        snapshot("demo").to_str().unwrap(),
        "--table",
        "nope",
        ".",
    ]);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("no table named `nope`"),
        "{}",
        bad.stderr
    );
}

const USER_RULE: &str = r#"id = "ORG.1"
title = "Fargate tasks must run platform-managed"
severity = "medium"
table = "ecs_tasks"
resource_type = "AwsEcsTask"
resource = "task_arn"
description = "Organisation policy."
remediation = "Use FARGATE."
query = '''
select(.launch_type != "FARGATE") | "task \(.task_id) uses \(.launch_type // "no launch type")"
'''
"#;

#[test]
fn user_rules_are_added_to_the_pack() {
    let dir = scratch("user-rules");
    std::fs::write(
        dir.join("ORG.1.toml"),
        USER_RULE.replace("FARGATE\")", "EC2\")"),
    )
    .unwrap();
    let (_, r) = scan_json(
        &[&snapshot("demo")],
        &["--rules", dir.to_str().unwrap(), "--rule", "ORG.1"],
    );
    let findings = r["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 7, "{findings:?}");
    assert_eq!(findings[0]["severity"], "medium");
    assert!(
        findings[0]["message"]
            .as_str()
            .unwrap()
            .ends_with("uses FARGATE")
    );
}

#[test]
fn a_broken_rule_is_an_error_naming_file_and_position() {
    let dir = scratch("broken-rule");
    std::fs::write(
        dir.join("ORG.1.toml"),
        USER_RULE.replace("select(.launch_type != ", "select(.launch_type != )"),
    )
    .unwrap();
    let run = snapaudit(&[
        "scan",
        snapshot("demo").to_str().unwrap(),
        "--rules",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2);
    assert!(
        run.stdout
            .contains("ORG.1.toml: line 10, column 34: expected"),
        "{}",
        run.stdout
    );
}

#[test]
fn one_broken_rule_file_does_not_disable_the_others() {
    let dir = scratch("one-broken-rule");
    let broken = USER_RULE.replace("select(.launch_type != ", "select(.launch_type != )");
    std::fs::write(dir.join("ORG.1.toml"), broken).unwrap();
    std::fs::write(dir.join("ORG.2.toml"), [0xff_u8, 0xfe, 0x00, 0x41]).unwrap();
    let duplicate = USER_RULE.replace("id = \"ORG.1\"", "id = \"ECS.2\"");
    std::fs::write(dir.join("ECS.2.toml"), duplicate).unwrap();
    let (code, report) = scan_json(&[&snapshot("demo")], &["--rules", dir.to_str().unwrap()]);
    assert_eq!(code, 2, "errors in the report");
    let errors = report["errors"].to_string();
    for named in ["ORG.1.toml", "ORG.2.toml", "ECS.2.toml"] {
        assert!(errors.contains(named), "{named} not named in {errors}");
    }
    assert_eq!(report["summary"]["complete"], false);
    let fired: std::collections::BTreeSet<&str> = (report["findings"].as_array().unwrap().iter())
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    for builtin in ["ECS.2", "SA.ECS.1", "EC2.13", "SA.NET.1"] {
        assert!(fired.contains(builtin), "{builtin} still runs: {fired:?}");
    }
}

#[test]
fn rules_cannot_read_the_environment_or_files() {
    for (query, what) in [
        ("env.HOME", "env"),
        ("$ENV.HOME", "$ENV"),
        ("now", "now"),
        ("input", "input"),
    ] {
        let dir = scratch(&format!("sandbox-{what}"));
        let rule = USER_RULE.replace(r#"select(.launch_type != "FARGATE") | "task \(.task_id) uses \(.launch_type // "no launch type")""#, query);
        std::fs::write(dir.join("ORG.1.toml"), rule).unwrap();
        let run = snapaudit(&["rules", "--rules", dir.to_str().unwrap()]);
        assert_eq!(run.code, 2, "{query} must not compile");
        assert!(
            run.stderr.contains("undefined") && run.stderr.contains(what),
            "{}",
            run.stderr
        );
    }
    let dir = scratch("sandbox-import");
    std::fs::write(
        dir.join("ORG.1.toml"),
        USER_RULE.replace("select(.launch_type", "include \"x\"; select(.launch_type"),
    )
    .unwrap();
    let run = snapaudit(&["rules", "--rules", dir.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("cannot import or include"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_duplicate_rule_id_is_refused() {
    let dir = scratch("dup-rule");
    std::fs::write(dir.join("ECS.2.toml"), USER_RULE.replace("ORG.1", "ECS.2")).unwrap();
    let run = snapaudit(&["rules", "--rules", dir.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("already defined by queries/ECS.2.toml"),
        "{}",
        run.stderr
    );
}

/// Runs `scan` of the demo set with `extra` arguments, expecting a usage error: exit 2, nothing
/// on stdout, and `snapaudit: error: ` then `expected` on stderr.
fn assert_usage_error(extra: &[&str], expected: &str) {
    let demo = snapshot("demo");
    let mut args = vec!["scan", demo.to_str().unwrap(), "--format", "json"];
    args.extend(extra);
    let run = snapaudit(&args);
    assert_eq!(run.code, 2, "{extra:?}: {}", run.stderr);
    assert_eq!(run.stdout, "", "{extra:?}: no report");
    assert!(
        run.stderr.starts_with("snapaudit: error: ") && run.stderr.contains(expected),
        "{extra:?}: {}",
        run.stderr
    );
}

#[test]
fn an_unknown_rule_id_or_parameter_is_a_usage_error_listing_what_exists() {
    assert_usage_error(
        &["--rule", "NOPE.1"],
        "--rule NOPE.1: no rule has the id NOPE.1; the rules are: EC2.13, EC2.14,",
    );
    assert_usage_error(
        &["--param", "EC2.18.authorized_ports=[22]"],
        "has no parameter `authorized_ports` (it has: authorized_tcp_ports, authorized_udp_ports)",
    );
    assert_usage_error(
        &["--param", "NOPE.1.ports=[22]"],
        "--param `NOPE.1.ports=[22]`: no rule has the id NOPE.1; the rules are: EC2.13,",
    );
    assert_usage_error(&["--param", "EC2.18"], "use RULE_ID.NAME=VALUE");
}

/// `rules --rules DIR` with the user rule, changed by `edit`, saved as `file`: its stderr,
/// after checking that it failed with exit 2.
fn rules_error(test: &str, file: &str, edit: (&str, &str)) -> String {
    let dir = scratch(test);
    let rule = USER_RULE.replace(edit.0, edit.1);
    assert_ne!(rule, USER_RULE, "the edit applies");
    std::fs::write(dir.join(file), rule).unwrap();
    let run = snapaudit(&["rules", "--rules", dir.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    run.stderr
}

#[test]
fn a_rule_is_checked_against_its_file_name_and_the_tables_when_loaded() {
    let stderr = rules_error("misnamed", "ORG.1.toml", ("\"ORG.1\"", "\"ORG.2\""));
    assert!(
        stderr.contains(
            "ORG.1.toml: rule ORG.2 is in a file named otherwise; name the file ORG.2.toml"
        ),
        "{stderr}"
    );
    let stderr = rules_error("no-table", "ORG.1.toml", ("\"ecs_tasks\"", "\"ecs_taks\""));
    assert!(
        stderr.contains("ORG.1.toml: rule ORG.1 reads table `ecs_taks`, which does not exist")
            && stderr.contains("the tables are: addresses, ecs_deployments,"),
        "{stderr}"
    );
    let stderr = rules_error("no-column", "ORG.1.toml", ("\"task_arn\"", "\"task\""));
    assert!(
        stderr.contains(
            "ORG.1.toml: rule ORG.1: `resource = \"task\"` is not a column of table `ecs_tasks`"
        ) && stderr.contains("its columns are: ")
            && stderr.contains("task_arn"),
        "{stderr}"
    );
}

#[test]
fn the_rule_catalog_is_generated_from_the_rules() {
    let run = snapaudit(&["rules", "--format", "markdown"]);
    let committed = std::fs::read_to_string(common::root().join("RULES.md")).unwrap();
    assert_eq!(
        run.stdout, committed,
        "RULES.md is stale: run `cargo run -- rules --format markdown > RULES.md`"
    );
}

#[test]
fn timings_go_to_stderr_and_leave_the_report_unchanged() {
    let demo = snapshot("demo");
    let dir = demo.to_str().unwrap();
    let plain = snapaudit(&["scan", dir, "--format", "json"]);
    let timed = snapaudit(&["scan", dir, "--format", "json", "--timings"]);
    assert_eq!(plain.stdout, timed.stdout);
    let line = timed
        .stderr
        .lines()
        .find(|l| l.starts_with("timings: "))
        .unwrap();
    for phase in ["read ", "tables ", "views ", "rules ", "report ", "total "] {
        assert!(line.contains(phase), "{line}");
    }
    assert!(!plain.stderr.contains("timings: "));
}

/// A user rule over `eni_exposure` that fires on every row it is handed.
const EVERY_ROW: &str = r#"id = "ORG.9"
title = "Every interface"
severity = "info"
table = "eni_exposure"
resource_type = "AwsEc2NetworkInterface"
resource = "network_interface_id"
description = "Test rule."
remediation = "None."
query = '''
"\(.network_interface_id) is \(.reachable)"
'''
"#;

#[test]
fn a_rule_sees_only_the_rows_its_where_table_admits() {
    let demo = snapshot("demo");
    let dir = demo.to_str().unwrap();
    let count = |filter: &str| {
        let run = snapaudit(&["query", dir, "--table", "eni_exposure", filter]);
        run.stdout.lines().count()
    };
    let fired = |rule: &str| {
        let rules = scratch(&format!("where-{}", rule.len()));
        std::fs::write(rules.join("ORG.9.toml"), rule).unwrap();
        let extra = ["--rules", rules.to_str().unwrap(), "--rule", "ORG.9"];
        let (_, report) = scan_json(&[&demo], &extra);
        report["findings"].as_array().unwrap().len()
    };
    let all = count(".network_interface_id");
    let open = count("select(.reachable == \"yes\") | .network_interface_id");
    assert!(
        open > 0 && open < all,
        "the demo has open and closed interfaces"
    );
    assert_eq!(fired(EVERY_ROW), all, "no [where]: every row");
    let filtered = format!("{EVERY_ROW}\n[where]\nreachable = [\"yes\"]\n");
    assert_eq!(fired(&filtered), open, "[where]: only the rows it admits");
    let unknown = format!("{EVERY_ROW}\n[where]\nno_such_column = [1]\n");
    let rules = scratch("where-unknown");
    std::fs::write(rules.join("ORG.9.toml"), unknown).unwrap();
    let run = snapaudit(&[
        "scan",
        dir,
        "--rules",
        rules.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 2);
    assert!(
        run.stdout.contains("`[where]` names `no_such_column`"),
        "{}",
        run.stdout
    );
}

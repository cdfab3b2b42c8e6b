//! `snapaudit collect-script`: the script's syntax (bash -n and shellcheck), its read-only
//! calls, the kinds the rule pack requires, and a run against a stand-in `aws` answering from
//! the demo's and the load-balancer fixture's exports, whose folder `snapaudit` then reads.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{check_script, root, scan_json, scratch, skip_without, snapaudit, snapshot};
use serde_json::Value;

/// The verbs of AWS CLI operations that only read.
const READ_ONLY: [&str; 3] = ["describe-", "list-", "get-"];

/// The other read-only calls: flow log records (`s3 cp` only from S3, which the script's
/// lines and the stand-in `aws` check).
const READ_ONLY_CALLS: [&str; 2] = ["logs filter-log-events", "s3 cp"];

/// The verbs of AWS CLI operations that change something.
const MUTATING: [&str; 26] = [
    "create-",
    "delete-",
    "update-",
    "put-",
    "modify-",
    "revoke-",
    "authorize-",
    "run-",
    "start-",
    "stop-",
    "terminate-",
    "register-",
    "deregister-",
    "attach-",
    "detach-",
    "associate-",
    "disassociate-",
    "set-",
    "tag-",
    "untag-",
    "remove-",
    "add-",
    "reboot-",
    "release-",
    "replace-",
    "reset-",
];

/// The AWS CLI services the script calls.
const SERVICES: [&str; 7] = ["ec2", "ecs", "elbv2", "elb", "sts", "logs", "s3"];

/// `collect-script` with `args`; it must succeed.
fn script(args: &[&str]) -> String {
    let mut all = vec!["collect-script"];
    all.extend(args);
    let run = snapaudit(&all);
    assert_eq!(run.code, 0, "collect-script failed: {}", run.stderr);
    run.stdout
}

/// Every `SERVICE OPERATION` pair in `text`, each once.
fn operations(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
        let words: Vec<&str> = line.split_whitespace().collect();
        for pair in words.windows(2) {
            let operation = pair[1].trim_end_matches([';', ')']);
            if SERVICES.contains(&pair[0]) && (operation.contains('-') || pair[0] == "s3") {
                out.insert(format!("{} {operation}", pair[0]));
            }
        }
    }
    out
}

/// Fails on any operation that is not a describe-, list- or get- call or one of
/// [`READ_ONLY_CALLS`].
fn assert_read_only(operations: &BTreeSet<String>) {
    assert!(!operations.is_empty(), "no AWS call found");
    for op in operations {
        let verb = op.split_once(' ').map_or("", |(_, v)| v);
        assert!(
            READ_ONLY.iter().any(|r| verb.starts_with(r)) || READ_ONLY_CALLS.contains(&op.as_str()),
            "{op} is not a read-only call"
        );
    }
}

#[test]
fn the_script_passes_bash_n_and_shellcheck() {
    let given = script(&["--regions", "eu-west-1,us-east-1", "--profile", "audit's"]);
    assert!(given.contains("regions=(eu-west-1 us-east-1)"), "{given}");
    assert!(
        given.contains(r"profile=(--profile 'audit'\''s')"),
        "{given}"
    );
    check_script("collect-given", &given);
    let configured = script(&[]);
    assert!(configured.contains("configure get region"), "{configured}");
    check_script("collect-configured", &configured);
}

#[test]
fn the_script_makes_no_mutating_call() {
    let text = script(&["--regions", "eu-west-1"]);
    let ops = operations(&text);
    assert!(ops.contains("ecs describe-tasks"), "{ops:?}");
    assert!(ops.contains("sts get-caller-identity"), "{ops:?}");
    assert!(ops.contains("s3 cp"), "{ops:?}");
    assert_read_only(&ops);
    let code = || text.lines().filter(|l| !l.trim_start().starts_with('#'));
    for line in code().filter(|l| l.contains("s3 cp")) {
        assert!(line.contains(r#"s3 cp "s3://$prefix" "$dir/"#), "{line}");
    }
    for word in code().flat_map(str::split_whitespace) {
        let word = word.trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '-');
        let mutating = MUTATING.iter().find(|v| word.starts_with(*v));
        assert!(mutating.is_none(), "`{word}` looks like a mutating call");
    }
}

#[test]
fn a_region_that_is_no_region_name_is_refused() {
    let run = snapaudit(&["collect-script", "--regions", "eu-west-1,$(reboot)"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("not a region name"), "{}", run.stderr);
}

#[test]
fn every_kind_a_rule_requires_is_exported_and_says_for_which_rule() {
    let rules = scratch("collect-rules");
    std::fs::write(
        rules.join("X.1.toml"),
        r#"id = "X.1"
title = "VPCs are listed"
severity = "low"
table = "vpcs"
requires = ["ec2 describe-vpcs"]
resource_type = "AwsEc2Vpc"
resource = "vpc_id"
description = "A test rule."
remediation = "None."
query = '"vpc"'
"#,
    )
    .unwrap();
    let text = script(&["--rules", rules.to_str().unwrap()]);
    let listed = snapaudit(&["rules", "--format", "json"]).json();
    for rule in listed.as_array().unwrap() {
        for kind in rule["requires"].as_array().unwrap() {
            let kind = kind.as_str().unwrap();
            // Written to SERVICE/OPERATION.json (both files of the attributes kind).
            let service = kind.split(' ').next().unwrap();
            let exported = kind
                .split(" or ")
                .map(|c| c.rsplit(' ').next().unwrap())
                .all(|op| text.contains(&format!("{service}/{op}.json")));
            assert!(
                exported,
                "{} requires {kind}, not in the script",
                rule["id"]
            );
        }
    }
    let lines: Vec<&str> = text.lines().collect();
    let vpcs = lines
        .iter()
        .position(|l| l.ends_with("ec2 describe-vpcs"))
        .expect("describe-vpcs is exported");
    assert!(lines[vpcs - 1].contains("X.1"), "{}", lines[vpcs - 1]);
}

/// The stand-in `aws`, or `None` (with a note) when python3's jmespath, which it needs for
/// `--query`, is missing outside CI; under `CI=true` it is required (botocore brings it).
fn fake_aws() -> Option<PathBuf> {
    let probe = Command::new("python3")
        .args(["-c", "import jmespath"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        skip_without("python3's jmespath", "pip install botocore");
        return None;
    }
    Some(root().join("tests/fixtures/fake-aws"))
}

/// Runs the script against the stand-in `aws`, with the call `fail` (`SERVICE OPERATION`)
/// failing; returns its exit code, the output folder and the calls it made.
fn collect_demo(test: &str, fake: &Path, fail: &str) -> (i32, PathBuf, String) {
    let dir = scratch(test);
    let path = dir.join("collect.sh");
    std::fs::write(&path, script(&["--regions", "eu-west-1"])).unwrap();
    let s3 = root().join("tests/fixtures/fake-aws/s3");
    let evidence = format!(
        "{}:{}:{}",
        snapshot("demo").display(),
        root().join("tests/fixtures/elb").display(),
        s3.display()
    );
    let out = dir.join("out");
    let status = Command::new("bash")
        .arg(&path)
        .arg(&out)
        .env(
            "PATH",
            format!("{}:{}", fake.display(), std::env::var("PATH").unwrap()),
        )
        .env("FAKE_AWS_EVIDENCE", evidence)
        .env("FAKE_AWS_FAIL", fail)
        .env("FAKE_AWS_S3", s3.join("buckets"))
        .env("FAKE_AWS_LOG", dir.join("calls.log"))
        .status()
        .unwrap();
    let calls = std::fs::read_to_string(dir.join("calls.log")).unwrap();
    (status.code().unwrap_or(-1), out, calls)
}

#[test]
fn a_run_is_read_as_evidence_and_its_failed_call_is_in_the_manifest() {
    let Some(fake) = fake_aws() else { return };
    let (code, out, calls) = collect_demo("collect-run", &fake, "ec2 describe-flow-logs");
    assert_eq!(code, 1, "a failed call makes the exit status 1");
    assert_read_only(&calls.lines().map(String::from).collect());

    let tsv = std::fs::read_to_string(out.join("manifest.tsv")).unwrap();
    let failed: Vec<&str> = tsv.lines().filter(|l| l.starts_with("failed\t")).collect();
    assert_eq!(failed.len(), 1, "{tsv}");
    assert!(
        failed[0].contains("\t254\t111122223333\teu-west-1\t"),
        "{}",
        failed[0]
    );
    assert!(failed[0].contains("ec2 describe-flow-logs\tAn error occurred (Unauthorized"));
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    let calls = manifest["calls"].as_array().unwrap();
    assert_eq!(calls.len(), tsv.lines().count() - 1);
    let failed: Vec<&Value> = calls.iter().filter(|c| c["status"] == "failed").collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["exit_code"], 254);
    assert!(
        failed[0]["stderr"]
            .as_str()
            .unwrap()
            .contains("DescribeFlowLogs")
    );

    let run = snapaudit(&["evidence", out.to_str().unwrap(), "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let coverage = run.json();
    assert_eq!(coverage["errors"], Value::Array(vec![]));
    assert_eq!(
        coverage["warnings"],
        Value::Array(vec![]),
        "wrappers are read"
    );
    let skipped: Vec<(&str, &str)> = (coverage["skipped"].as_array().unwrap().iter())
        .map(|s| (s["file"].as_str().unwrap(), s["reason"].as_str().unwrap()))
        .collect();
    let manifest = |file| (file, "collect-script's manifest of the calls it ran (");
    for (file, reason) in [manifest("manifest.json"), manifest("manifest.tsv")] {
        let listed = skipped.iter().find(|(f, _)| *f == file);
        assert!(
            listed.is_some_and(|(_, r)| r.starts_with(reason)),
            "{skipped:?}"
        );
    }
    let scopes = coverage["scopes"].as_array().unwrap();
    assert_eq!(scopes.len(), 1, "{scopes:?}");
    assert_eq!(scopes[0]["account"], "111122223333");
    assert_eq!(scopes[0]["region"], "eu-west-1");
    for rule in coverage["rules"].as_array().unwrap() {
        let expected = if rule["rule"] == "EC2.6" {
            "partial"
        } else {
            "full"
        };
        assert_eq!(rule["status"], expected, "{rule}");
    }
    let records = |kind: &str| -> u64 {
        let files = coverage["files"].as_array().unwrap();
        let of_kind = files.iter().filter(|f| f["kind"][0] == kind);
        of_kind.map(|f| f["records"].as_u64().unwrap()).sum()
    };
    assert!(records("elbv2 describe-target-health") > 0);
    let attributes = "elbv2 describe-target-group-attributes or describe-load-balancer-attributes";
    assert!(records(attributes) > 0);
}

#[test]
fn a_run_finds_what_the_demo_export_finds() {
    let Some(fake) = fake_aws() else { return };
    let (_, out, _) = collect_demo("collect-findings", &fake, "ec2 describe-flow-logs");
    let ecs = ["--rule", "ECS.2", "--rule", "ECS.16", "--rule", "SA.ECS.1"];
    let resources = |report: &Value| -> BTreeSet<String> {
        let findings = report["findings"].as_array().unwrap().iter();
        findings
            .map(|f| format!("{} {}", f["rule_id"], f["resource_id"]))
            .collect()
    };
    let (_, collected) = scan_json(&[&out], &ecs);
    let (_, demo) = scan_json(&[&snapshot("demo")], &ecs);
    assert!(!resources(&demo).is_empty());
    assert_eq!(resources(&collected), resources(&demo));
}

#[test]
fn a_run_fetches_the_flow_records_of_both_destinations() {
    let Some(fake) = fake_aws() else { return };
    let (code, out, calls) = collect_demo("collect-flow", &fake, "");
    let tsv = std::fs::read_to_string(out.join("manifest.tsv")).unwrap();
    assert_eq!(code, 0, "{tsv}");
    assert_read_only(&calls.lines().map(String::from).collect());
    assert!(tsv.contains("aws --output json logs filter-log-events --log-group-name /vpc/demo/flow-logs --start-time "), "{tsv}");
    let copies: Vec<&str> = tsv.lines().filter(|l| l.contains("s3 cp")).collect();
    assert_eq!(copies.len(), 2, "today and yesterday for 24 hours: {tsv}");
    assert!(
        copies[0].contains("s3://demo-flow-logs/vpc/AWSLogs/111122223333/vpcflowlogs/eu-west-1/")
    );

    let run = snapaudit(&["evidence", out.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("flow log records (S3 delivery file)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("vpc-086c3510a698ca14e: 4 of 9 interfaces have flow records"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(
            "eni-013008a533ca07828  2026-03-07T08:00:00Z to 2026-03-07T08:01:00Z  2 records"
        ),
        "{}",
        run.stdout
    );
}

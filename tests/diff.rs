//! `snapaudit diff` on a before/after pair: in `after`, the default group of account
//! 222233334444 was opened to RDP, the `wide-open` group closed, the `ssh-world` group widened
//! from tcp 22 to 22-23, and account 555566667777's network ACL export removed.

mod common;

use std::path::PathBuf;

use common::{Run, root, scratch, snapaudit};
use serde_json::Value;

fn side(name: &str) -> String {
    root()
        .join("tests/fixtures/diff")
        .join(name)
        .display()
        .to_string()
}

fn diff(old: &str, new: &str, extra: &[&str]) -> Run {
    let mut args = vec!["diff", old, new];
    args.extend(extra);
    snapaudit(&args)
}

/// `(rule_id, resource_id)` of every finding in `list` (or of `list[*][field]`).
fn ids(list: &Value, field: Option<&str>) -> Vec<(String, String)> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            let f = field.map_or(entry, |k| &entry[k]);
            let text = |k: &str| f[k].as_str().unwrap().to_string();
            (text("rule_id"), text("resource_id"))
        })
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(r, id)| (r.to_string(), id.to_string()))
        .collect()
}

const DEFAULT_SG: &str = "sg-0100e9e3a3d43aaad";
const SSH_WORLD: &str = "sg-075c164c7734a6b04";
const WIDE_OPEN: &str = "sg-0948f4cdeb80499fc";

/// Every bucket, exactly, of the before/after diff (the same from evidence or saved reports).
fn assert_buckets(d: &Value, records_known: bool) {
    let new = [("EC2.14", DEFAULT_SG), ("EC2.18", DEFAULT_SG)];
    let new = [&new[..], &[("EC2.19", DEFAULT_SG), ("EC2.2", DEFAULT_SG)]].concat();
    assert_eq!(ids(&d["new"], None), pairs(&new));
    let resolved = ["EC2.13", "EC2.14", "EC2.18", "EC2.19"].map(|r| (r, WIDE_OPEN));
    assert_eq!(ids(&d["resolved"], None), pairs(&resolved));
    let changed = ["EC2.13", "EC2.18", "EC2.19"].map(|r| (r, SSH_WORLD));
    let changed = [&changed[..], &[("SA.NET.1", "eni-0393a0f23b3261333")]].concat();
    assert_eq!(ids(&d["changed"], Some("new")), pairs(&changed));
    assert_eq!(ids(&d["changed"], Some("old")), pairs(&changed));
    assert_eq!(
        ids(&d["not_comparable"], Some("finding")),
        pairs(&[("EC2.21", "acl-0b0b0b0b0b0b0b0b1")])
    );
    assert_eq!(
        d["not_comparable"][0]["missing"],
        serde_json::json!(["ec2 describe-network-acls"])
    );
    assert_eq!(
        d["unchanged"].as_array().unwrap().len(),
        17,
        "EC2.6 is indeterminate on both sides: no flow-log export"
    );
    let unchanged = ids(&d["unchanged"], None);
    for kept in [
        ("EC2.13", "sg-0b0b0b0b0b0b0b0b1"),
        ("EC2.21", "acl-0c1e410a447c18a94"),
        ("SA.NET.1", "eni-0342e6798a6350000"),
    ] {
        assert!(unchanged.contains(&pairs(&[kept])[0]), "{kept:?}");
    }
    let exposure = &d["changed"][3]["changes"];
    assert_eq!(exposure[0]["kind"], "message");
    assert_eq!(
        exposure[1],
        serde_json::json!({"kind": "exposure", "gained": ["tcp 23 from every internet source (IPv4)"], "lost": []})
    );
    let record = &d["changed"][0]["changes"][1];
    assert_eq!(record["kind"], "evidence");
    assert_eq!(record["file"], "ec2/describe-security-groups.json");
    assert_eq!(record["old_pointer"], "/SecurityGroups/1");
    assert_eq!(record["new_pointer"], "/SecurityGroups/1");
    let expected = if records_known {
        Value::Bool(true)
    } else {
        Value::Null
    };
    assert_eq!(record["record_changed"], expected);
    assert_eq!(d["summary"]["new_findings"], 4);
    assert_eq!(d["summary"]["not_comparable"], 1);
}

#[test]
fn every_bucket_of_the_before_after_pair() {
    let run = diff(&side("before"), &side("after"), &["--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_buckets(&run.json(), true);
}

/// `scan --format json` of a fixture side, saved in `dir`.
fn saved_report(dir: &std::path::Path, name: &str) -> PathBuf {
    let run = snapaudit(&["scan", &side(name), "--format", "json"]);
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, run.stdout).unwrap();
    path
}

#[test]
fn the_same_diff_from_two_saved_reports() {
    let dir = scratch("diff-reports");
    let (old, new) = (saved_report(&dir, "before"), saved_report(&dir, "after"));
    let run = diff(
        old.to_str().unwrap(),
        new.to_str().unwrap(),
        &["--format", "json"],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_buckets(&run.json(), false);
}

#[test]
fn exit_codes_follow_fail_on_new() {
    let (before, after) = (side("before"), side("after"));
    assert_eq!(diff(&before, &after, &[]).code, 1, "new high findings");
    let critical = diff(&before, &after, &["--fail-on-new", "critical"]);
    assert_eq!(critical.code, 1, "EC2.19 on the default group is critical");
    assert_eq!(diff(&before, &before, &[]).code, 0, "nothing new");
    assert_eq!(
        diff(&after, &before, &["--fail-on-new", "critical"]).code,
        1
    );
    let gone = diff(&before, "no/such/export", &[]);
    assert_eq!(gone.code, 2);
    assert!(
        gone.stderr
            .contains("no/such/export: no such file or directory")
    );
    let dir = scratch("diff-broken");
    let broken = dir.join("report.json");
    std::fs::write(&broken, r#"{"findings": 3, "evidence": [], "summary": {}}"#).unwrap();
    let run = diff(broken.to_str().unwrap(), &after, &[]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("looks like a saved scan report but does not read as one")
    );
}

#[test]
fn table_and_markdown_show_the_counts_and_each_bucket() {
    let (before, after) = (side("before"), side("after"));
    let table = diff(&before, &after, &[]).stdout;
    for line in [
        "4 new, 4 resolved, 4 changed, 17 unchanged, 1 not comparable",
        "NEW (4)",
        "NOT COMPARABLE (1)",
        "    - gained: tcp 23 from every internet source (IPv4)",
        "    - evidence (record): ec2/describe-security-groups.json /SecurityGroups/1, record changed",
        "    - the new side lacks: ec2 describe-network-acls",
    ] {
        assert!(table.contains(line), "{line}\n{table}");
    }
    let markdown = diff(&before, &after, &["--format", "markdown"]).stdout;
    for line in [
        "## What changed since the last audit",
        "**4 new, 4 resolved, 4 changed, 17 unchanged, 1 not comparable**",
        "### Not comparable (1)",
        "| medium | EC2.21 | 555566667777 |  | `acl-0b0b0b0b0b0b0b0b1` | ec2 describe-network-acls |",
        "- **SA.NET.1** `eni-0393a0f23b3261333` (222233334444, us-east-1), critical",
        "  - gained: tcp 23 from every internet source (IPv4)",
    ] {
        assert!(markdown.contains(line), "{line}\n{markdown}");
    }
}

#[test]
fn output_is_byte_identical_across_runs() {
    let (before, after) = (side("before"), side("after"));
    for format in ["table", "json", "markdown"] {
        let first = diff(&before, &after, &["--format", format]).stdout;
        assert_eq!(
            first,
            diff(&before, &after, &["--format", format]).stdout,
            "{format}"
        );
    }
}

#[test]
fn every_builtin_rule_declares_the_evidence_it_needs() {
    let rules = snapaudit(&["rules", "--format", "json"]).json();
    for rule in rules.as_array().unwrap() {
        let requires = rule["requires"].as_array().unwrap();
        assert!(
            !requires.is_empty(),
            "{} declares no `requires`",
            rule["id"]
        );
    }
}

#[test]
fn an_unknown_required_kind_is_refused_naming_the_rule_file() {
    let dir = scratch("diff-requires");
    let rule = r#"id = "ORG.9"
title = "t"
severity = "low"
table = "subnets"
requires = ["ec2 describe-subnet"]
resource_type = "AwsEc2Subnet"
resource = "subnet_id"
description = "d"
remediation = "r"
query = 'empty'
"#;
    std::fs::write(dir.join("ORG.9.toml"), rule).unwrap();
    let run = snapaudit(&["rules", "--rules", dir.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains(
            "ORG.9.toml: rule ORG.9: `requires` names `ec2 describe-subnet`, which is not an evidence kind"
        ) && run.stderr.contains("ec2 describe-subnets"),
        "{}",
        run.stderr
    );
}

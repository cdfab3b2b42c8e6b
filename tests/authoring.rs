//! The rule author's loop from the command line, on a scratch folder: `rules new` scaffolds a
//! rule whose fixture passes `rules test`; an edited query fails it with a readable diff;
//! `rules show` describes a rule and its fixture.

mod common;

use std::path::Path;

use common::{scratch, snapaudit};

/// `rules ARGS...` with `--rules`/`--dir` pointing at `dir` where the subcommand takes it.
fn rules(args: &[&str]) -> common::Run {
    let mut all = vec!["rules"];
    all.extend(args);
    snapaudit(&all)
}

fn path(dir: &Path) -> &str {
    dir.to_str().unwrap()
}

/// `rules new ID --table TABLE --dir DIR`, which must succeed.
fn scaffold(dir: &Path, id: &str, table: &str) {
    let new = rules(&["new", id, "--table", table, "--dir", path(dir)]);
    assert_eq!(new.code, 0, "{id} over {table}: {}", new.stderr);
}

/// `rules test ARGS...` ran with `code` and its output ends with `summary`.
fn tested(args: &[&str], code: i32, summary: &str) -> String {
    let mut all = vec!["test"];
    all.extend(args);
    let run = rules(&all);
    assert_eq!(run.code, code, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.trim_end().ends_with(summary), "{}", run.stdout);
    run.stdout
}

#[test]
fn a_new_rule_passes_its_test_until_its_query_changes() {
    let dir = scratch("author-loop");
    scaffold(&dir, "SA.ORG.1", "subnets");
    let fixture = dir.join("fixtures/SA.ORG.1");
    for file in ["describe-subnets.json", "expected.json", "README.md"] {
        assert!(fixture.join(file).is_file(), "{file} scaffolded");
    }
    let rule = std::fs::read_to_string(dir.join("SA.ORG.1.toml")).unwrap();
    assert!(
        rule.contains("requires = [\"ec2 describe-subnets\"]"),
        "{rule}"
    );
    assert!(rule.contains("resource = \"subnet_id\""), "{rule}");

    let passed = tested(
        &["--rules", path(&dir)],
        0,
        "1 rules tested: 1 ok, 0 failed",
    );
    assert!(passed.starts_with("ok      SA.ORG.1"), "{passed}");

    let edited = rule.replace(
        "select(.map_public_ip_on_launch)",
        "select(.map_public_ip_on_launch | not)",
    );
    assert_ne!(
        edited, rule,
        "the scaffold's query reads map_public_ip_on_launch"
    );
    std::fs::write(dir.join("SA.ORG.1.toml"), edited).unwrap();
    let args = ["--rules", path(&dir), "SA.ORG.1"];
    let out = &tested(&args, 1, "1 rules tested: 0 ok, 1 failed");
    assert!(out.starts_with("FAILED  SA.ORG.1"), "{out}");
    assert!(
        out.contains("missing: subnet-0fa11000000000001 (medium) was expected, not reported"),
        "{out}"
    );
    assert!(
        out.contains(
            "unexpected: subnet-0ca5e000000000002 (medium): Subnet subnet-0ca5e000000000002"
        ),
        "{out}"
    );
    assert!(
        out.contains("passing: subnet-0ca5e000000000002 was expected to pass, but was reported"),
        "{out}"
    );
}

#[test]
fn every_scaffolded_table_passes_its_own_fixture() {
    let dir = scratch("author-tables");
    for (id, table) in [
        ("SA.ORG.2", "ecs_services"),
        ("SA.ORG.3", "instances"),
        ("SA.ORG.4", "subnets"),
        ("SA.ORG.8", "network_acl_entries"),
    ] {
        scaffold(&dir, id, table);
    }
    tested(
        &["--rules", path(&dir)],
        0,
        "4 rules tested: 4 ok, 0 failed",
    );
}

/// The table names `snapaudit tables FIXTURE` lists.
fn table_names(fixture: &str) -> Vec<String> {
    let run = snapaudit(&["tables", fixture]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    (run.stdout.lines())
        .filter(|l| l.ends_with(" rows)"))
        .map(|l| l.split(' ').next().unwrap().to_string())
        .collect()
}

/// The resource column of a scaffolded rule over tables no built-in rule reads: what one row is
/// about.
const SUBJECT_COLUMNS: [(&str, &str); 7] = [
    ("lb_exposure", "network_interface_id"),
    ("lb_listeners", "listener_arn"),
    ("nat_gateways", "nat_gateway_id"),
    ("network_acl_entries", "network_acl_id"),
    ("prefix_list_entries", "prefix_list_id"),
    ("security_group_rule_ids", "rule_id"),
    ("vpc_endpoints", "vpc_endpoint_id"),
];

#[test]
fn every_table_scaffolds_a_passing_rule_outside_the_source_tree() {
    let root = scratch("author-every-table");
    let mut tables = table_names("snapshots/demo");
    let load_balancer_tables = table_names("snapshots/SA.NET.3")
        .into_iter()
        .filter(|t| t.starts_with("lb_") || t.contains("load_balancer") || t == "target_groups");
    tables.extend(load_balancer_tables);
    tables.sort();
    tables.dedup();
    for table in &tables {
        let dir = root.join(table);
        let new = common::snapaudit_in(
            &root,
            &[
                "rules",
                "new",
                "SA.T.1",
                "--table",
                table,
                "--dir",
                path(&dir),
            ],
        );
        assert_eq!(new.code, 0, "{table}: {}", new.stderr);
        let test = common::snapaudit_in(&root, &["rules", "test", "--rules", path(&dir)]);
        assert_eq!(test.code, 0, "{table}: {}{}", test.stdout, test.stderr);
        let rule = std::fs::read_to_string(dir.join("SA.T.1.toml")).unwrap();
        assert!(rule.contains(&format!("table = \"{table}\"")), "{rule}");
        if let Some((_, column)) = SUBJECT_COLUMNS.iter().find(|(t, _)| t == table) {
            let resource = format!("resource = \"{column}\"");
            assert!(rule.contains(&resource), "{table}: {rule}");
        }
    }
    assert!(tables.len() > 30, "{tables:?}");
}

#[test]
fn a_copied_fixture_fails_exactly_its_first_resource() {
    let dir = scratch("author-copied");
    scaffold(&dir, "SA.ORG.7", "security_groups");
    let fixture = dir.join("fixtures/SA.ORG.7");
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture.join("expected.json")).unwrap())
            .unwrap();
    let failing = expected["findings"][0]["resource_id"].as_str().unwrap();
    let passing: Vec<&str> = (expected["passing"].as_array().unwrap().iter())
        .map(|id| id.as_str().unwrap())
        .collect();
    assert!(
        !passing.is_empty() && passing.iter().all(|id| *id > failing),
        "{expected}"
    );
    let readme = std::fs::read_to_string(fixture.join("README.md")).unwrap();
    assert!(
        readme.contains("`snapshots/EC2.2/`"),
        "the smallest fixture over it: {readme}"
    );
    let rule = std::fs::read_to_string(dir.join("SA.ORG.7.toml")).unwrap();
    assert!(
        rule.contains(&format!("if .group_id == \"{failing}\" then")),
        "{rule}"
    );
    assert!(
        rule.contains("resource_type = \"AwsEc2SecurityGroup\""),
        "{rule}"
    );
}

#[test]
fn new_refuses_a_taken_reserved_or_malformed_id_and_an_unknown_table() {
    let dir = scratch("author-refuse");
    let refused = |id: &str, table: &str, says: &str| {
        let run = rules(&["new", id, "--table", table, "--dir", path(&dir)]);
        assert_eq!(run.code, 2, "{id} over {table}");
        assert!(run.stderr.contains(says), "{id}: {}", run.stderr);
    };
    for (id, table, says) in [
        ("SA.NET.1", "subnets", "already exists"),
        ("EC2.99", "subnets", "e.g. SA.EC2.99"),
        ("SA/1", "subnets", "is not a rule id"),
        (
            "SA.ORG.5",
            "no_such_table",
            "no table named `no_such_table`",
        ),
    ] {
        refused(id, table, says);
    }
    assert!(
        std::fs::read_dir(&dir).unwrap().next().is_none(),
        "nothing written"
    );
    scaffold(&dir, "SA.ORG.5", "subnets");
    refused("SA.ORG.5", "subnets", "already exists");
}

#[test]
fn show_describes_a_rule_its_columns_and_its_fixture() {
    let run = rules(&["show", "EC2.15"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = &run.stdout;
    for part in [
        "EC2.15  Amazon EC2 subnets should not automatically assign public IP addresses",
        "requires   ec2 describe-subnets",
        "fix        yes",
        "Columns of table subnets",
        "  map_public_ip_on_launch          bool",
        "Fixture snapshots/EC2.15",
        "  describe-subnets.json",
        "expects 3 failing",
    ] {
        assert!(out.contains(part), "missing {part:?} in\n{out}");
    }
    let dir = scratch("author-show");
    scaffold(&dir, "SA.ORG.6", "ecs_services");
    let user = rules(&["show", "SA.ORG.6", "--rules", path(&dir)]);
    let fixture = format!("Fixture {}", dir.join("fixtures/SA.ORG.6").display());
    assert!(user.stdout.contains(&fixture), "{}", user.stdout);
    assert!(
        user.stdout.contains("expects 1 failing, 1 passing"),
        "{}",
        user.stdout
    );
}

#[test]
fn built_in_rules_are_tested_on_their_snapshots() {
    let out = tested(&["EC2.15", "ECS.2"], 0, "2 rules tested: 2 ok, 0 failed");
    assert!(
        out.contains("ok      EC2.15       snapshots/EC2.15"),
        "{out}"
    );
}

#[test]
fn the_rule_list_and_its_formats_are_unchanged_by_the_subcommands() {
    let table = rules(&[]);
    assert_eq!(table.code, 0);
    assert!(
        table
            .stdout
            .lines()
            .any(|l| l.starts_with("EC2.15     medium"))
    );
    let json = rules(&["--format", "json"]);
    assert!(json.json().as_array().is_some_and(|a| !a.is_empty()));
}

#[test]
fn outside_the_source_tree_the_built_in_rules_point_to_rules_dir() {
    let dir = scratch("author-outside");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_snapaudit"))
        .args(["rules", "test"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("test your own rules with --rules DIR"),
        "{stderr}"
    );
}

#[test]
fn a_fixtures_expected_findings_are_listed_as_not_evidence() {
    let run = snapaudit(&["evidence", "snapshots/EC2.15", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json();
    let skipped = report["skipped"].as_array().unwrap();
    let expected = skipped.iter().find(|s| s["file"] == "expected.json");
    assert_eq!(
        expected.map(|s| &s["reason"]),
        Some(&serde_json::json!(
            "a rule fixture's expected findings (read by `rules test`), not evidence"
        )),
        "{skipped:?}"
    );
}

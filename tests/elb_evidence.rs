//! Load-balancer evidence and tables: a hand-made export in the AWS CLI shapes
//! (`tests/fixtures/elb`), and Batfish's real load-balancer exports (`../shared/corpus`, when
//! present).

mod common;

use std::path::PathBuf;

use serde_json::Value;
use snapaudit::evidence::{self, Kind};

const ACCOUNT_ARN: &str = "arn:aws:elasticloadbalancing:eu-west-1:111122223333";

fn fixture() -> String {
    common::root()
        .join("tests/fixtures/elb")
        .to_string_lossy()
        .into_owned()
}

/// The rows of one table of the fixture, as `snapaudit query` prints them.
fn rows(table: &str) -> Vec<Value> {
    let run = common::snapaudit(&["query", &fixture(), "--table", table, "."]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The one row whose `key` equals `value`.
fn row<'a>(rows: &'a [Value], key: &str, value: impl Into<Value>) -> &'a Value {
    let value = value.into();
    let found: Vec<&Value> = rows.iter().filter(|r| r[key] == value).collect();
    assert_eq!(found.len(), 1, "{key} = {value} in {rows:#?}");
    found[0]
}

fn arn(rest: &str) -> String {
    format!("{ACCOUNT_ARN}:{rest}")
}

#[test]
fn fixture_reads_every_kind_and_warns_about_the_unattributed_health_document() {
    let run = common::snapaudit(&["scan", &fixture(), "--format", "json"]);
    let report = run.json();
    assert_eq!(report["errors"], serde_json::json!([]));
    let records = &report["summary"]["records"];
    for (kind, n) in [
        ("elbv2 describe-load-balancers", 2),
        ("elbv2 describe-listeners", 3),
        ("elbv2 describe-rules", 2),
        ("elbv2 describe-target-groups", 4),
        ("elbv2 describe-target-health", 3),
        ("elb describe-load-balancers", 1),
    ] {
        assert_eq!(records[kind], n, "{kind}");
    }
    let warnings = report["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert_eq!(warnings[0]["file"], "elbv2/unlabelled-target-health.json");
    let message = warnings[0]["message"].as_str().unwrap();
    assert!(
        message.contains("re-export with the target group ARN"),
        "{message}"
    );
    assert!(
        !rows("lb_targets")
            .iter()
            .any(|r| r["target_id"] == "10.0.1.11")
    );
}

#[test]
fn load_balancers_of_each_type() {
    let lbs = rows("load_balancers");
    assert_eq!(lbs.len(), 3);
    let alb = row(&lbs, "type", "application");
    assert_eq!(
        alb["security_groups"],
        serde_json::json!(["sg-alb1", "sg-alb2"])
    );
    assert_eq!(alb["subnets"], serde_json::json!(["subnet-a", "subnet-b"]));
    assert_eq!(alb["scheme"], "internet-facing");
    let nlb = row(&lbs, "type", "network");
    assert_eq!(nlb["security_groups"], serde_json::json!([]));
    assert_eq!(nlb["addresses"][0]["IpAddress"], "198.51.100.7");
    assert_eq!(nlb["addresses"][0]["subnet_id"], "subnet-a");
    let classic = row(&lbs, "type", "classic");
    assert_eq!(classic["account"], "111122223333");
    assert_eq!(classic["region"], "eu-west-1");
    assert_eq!(classic["load_balancer_arn"], arn("loadbalancer/legacy"));
    assert_eq!(
        classic["evidence"][0]["pointer"],
        "/LoadBalancerDescriptions/0"
    );
}

#[test]
fn listener_rows_carry_actions_weights_source_ips_and_redirects() {
    let listeners = rows("lb_listeners");
    // redirect, authenticate + forward, the NLB's forward, rule 10, the classic listener; the
    // default rule of describe-rules repeats the listener's default actions and is not a row.
    assert_eq!(listeners.len(), 6, "{listeners:#?}");
    let redirect = row(&listeners, "action_type", "redirect");
    assert_eq!(redirect["port"], 80);
    assert_eq!(
        redirect["redirect"],
        "HTTPS://#{host}:443/#{path}?#{query} (HTTP_301)"
    );
    let rule = row(&listeners, "priority", "10");
    assert_eq!(rule["source_ips"], serde_json::json!(["203.0.113.0/24"]));
    assert_eq!(rule["port"], 443);
    assert_eq!(rule["protocol"], "HTTPS");
    assert_eq!(
        rule["load_balancer_arn"],
        arn("loadbalancer/app/web/50dc6c495c0c9188")
    );
    let weighted = row(&listeners, "action_order", 2);
    assert_eq!(weighted["target_groups"][1]["weight"], 0);
    let classic = row(&listeners, "target_port", 8000);
    assert_eq!(classic["port"], 80);
}

#[test]
fn target_groups_with_their_attributes() {
    let groups = rows("target_groups");
    assert_eq!(groups.len(), 4);
    let blue = row(&groups, "name", "blue");
    assert_eq!(blue["preserve_client_ip"], false);
    assert_eq!(
        blue["attributes"]["deregistration_delay.timeout_seconds"],
        "300"
    );
    let admin = row(&groups, "name", "admin");
    assert_eq!(admin["attributes"], Value::Null);
    for (name, kind) in [
        ("blue", "ip"),
        ("admin", "instance"),
        ("green", "lambda"),
        ("web-alb", "alb"),
    ] {
        assert_eq!(row(&groups, "name", name)["target_type"], kind);
    }
}

#[test]
fn targets_resolve_ports_and_interfaces_from_the_evidence_only() {
    let targets = rows("lb_targets");
    assert_eq!(targets.len(), 4, "{targets:#?}");
    let own_port = row(&targets, "target_id", "10.0.1.10");
    assert_eq!(own_port["port"], 9090);
    assert_eq!(own_port["network_interface_id"], "eni-task");
    assert_eq!(own_port["health_state"], "healthy");
    // No port of its own: the group's. An interface holding the address in another VPC is
    // not it.
    let draining = row(&targets, "target_id", "10.0.1.99");
    assert_eq!(draining["port"], 8080);
    assert_eq!(draining["health_state"], "draining");
    assert_eq!(draining["health_reason"], "Target.DeregistrationInProgress");
    assert_eq!(draining["network_interface_id"], Value::Null);
    let instances: Vec<&Value> = targets
        .iter()
        .filter(|r| r["target_id"] == "i-0aaa")
        .collect();
    assert_eq!(instances.len(), 2);
    for t in instances {
        assert_eq!(t["network_interface_id"], "eni-inst-primary");
    }
    assert_eq!(
        own_port["evidence"][0]["pointer"],
        "/TargetHealthDescriptions/0"
    );
    assert_eq!(
        own_port["evidence"][0]["file"],
        "elbv2/describe-target-health.json"
    );
}

fn corpus(folder: &str) -> Option<PathBuf> {
    let dir = common::root()
        .join("../shared/corpus/batfish/representation/aws")
        .join(folder);
    dir.is_dir().then_some(dir)
}

const ELB_KINDS: [Kind; 6] = [
    Kind::ElbLoadBalancers,
    Kind::ElbListeners,
    Kind::ElbTargetGroups,
    Kind::ElbTargetHealth,
    Kind::ElbAttributes,
    Kind::ElbRules,
];

#[test]
fn batfish_load_balancer_exports_load_with_their_counts() {
    // Counted with jq over the folders' files: `.LoadBalancers | length`,
    // `[.LoadBalancerListeners[].Listeners | length] | add`, `.TargetGroups | length`,
    // `[.LoadBalancerTargetHealth[].TargetHealthDescriptions | length] | add` and
    // `[.LoadBalancerAttributes[].Attributes | length] | add`, summed over accounts.
    let expected = [
        ("test-load-balancer", [1, 1, 4, 2, 5, 0]),
        ("test-transit-gateway-peering", [0, 0, 6, 0, 0, 0]),
    ];
    for (folder, counts) in expected {
        let Some(dir) = corpus(folder) else {
            eprintln!("{folder} is not here; nothing to check");
            return;
        };
        let ev = evidence::scan(&[dir]);
        assert!(ev.errors.is_empty(), "{folder}: {:?}", ev.errors);
        assert!(ev.warnings.is_empty(), "{folder}: {:?}", ev.warnings);
        let got: Vec<usize> = ELB_KINDS.iter().map(|k| ev.records.count(*k)).collect();
        assert_eq!(got, counts, "{folder}");
    }
}

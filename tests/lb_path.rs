//! The load-balancer path on the `SA.NET.3` fixture: every path of `lb_exposure` against the
//! answers written down independently in `snapshots/SA.NET.3/expected-paths.json`, and the
//! per-load-balancer view behind `SA.ELB.1`.

mod common;

use std::collections::BTreeMap;

use common::{snapaudit, snapshot};
use serde_json::Value;
use snapaudit::reach::HopKind;

/// (load balancer, listener port, target group, target interface), each as JSON text →
/// (target port, reachable, first blocking hop).
type Paths = BTreeMap<[String; 4], (Value, Value, Value)>;

/// A path's key.
fn key(p: &Value, target: &str) -> [String; 4] {
    [
        "load_balancer_arn",
        "listener_port",
        "target_group_arn",
        target,
    ]
    .map(|k| p[k].to_string())
}

fn computed() -> Paths {
    let dir = snapshot("SA.NET.3");
    let filter = "{load_balancer_arn, listener_port, target_group_arn, network_interface_id, \
                  target_port, reachable, blocking_hop}";
    (common::query_values(&dir, "lb_exposure", filter).into_iter())
        .map(|p| {
            let reachable = match p["reachable"].as_str().unwrap() {
                "yes" => Value::Bool(true),
                "no" => Value::Bool(false),
                other => Value::String(other.to_string()),
            };
            let answer = (
                p["target_port"].clone(),
                reachable,
                p["blocking_hop"].clone(),
            );
            (key(&p, "network_interface_id"), answer)
        })
        .collect()
}

#[test]
fn every_path_has_the_answer_the_fixture_expects() {
    let text = std::fs::read_to_string(snapshot("SA.NET.3").join("expected-paths.json")).unwrap();
    let expected: Vec<Value> = serde_json::from_str(&text).unwrap();
    let expected: Paths = expected
        .iter()
        .map(|p| {
            let answer = (
                p["target_port"].clone(),
                p["reachable"].clone(),
                p["first_blocking_hop"].clone(),
            );
            (key(p, "target"), answer)
        })
        .collect();
    let computed = computed();
    for (path, answer) in &expected {
        assert_eq!(computed.get(path), Some(answer), "path {path:?}");
    }
    assert_eq!(
        computed.len(),
        expected.len(),
        "no path beyond the expected ones"
    );
}

#[test]
fn internet_facing_balancers_name_the_hop_that_closes_their_nodes() {
    let dir = snapshot("SA.NET.3");
    let filter = "[.load_balancer_name, .nodes_reachable, .blocking_hop]";
    let run = snapaudit(&[
        "query",
        dir.to_str().unwrap(),
        "--table",
        "load_balancer_exposure",
        filter,
    ]);
    let rows: Vec<Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let find = |name: &str| rows.iter().find(|r| r[0] == name).unwrap().clone();
    assert_eq!(
        find("sa3-a-open"),
        serde_json::json!(["sa3-a-open", "yes", null])
    );
    assert_eq!(find("sa3-c-noroute")[2], "lb_route");
    assert_eq!(find("sa3-d-sgport")[2], "lb_security_group");
    assert_eq!(
        find("sa3-e-nolistener")[1],
        Value::Null,
        "no listener: not judged"
    );
    // An NLB created without security groups admits every client on its listeners.
    assert_eq!(find("sa3-k-nlb-ip")[1], "yes");
}

/// `reach --format json` on the SA.NET.3 fixture.
fn reach(args: &[&str]) -> Value {
    let dir = snapshot("SA.NET.3");
    let mut all = vec!["reach", dir.to_str().unwrap(), "--format", "json"];
    all.extend(args);
    let run = snapaudit(&all);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.json()
}

#[test]
fn reach_follows_every_load_balancer_path_to_a_task() {
    // Case a: a Fargate task without a public address, behind an internet-facing ALB.
    let v = reach(&["--to", "eni-d5bd0b87427e05f44"]);
    assert_eq!(
        v["reachable"], false,
        "the top level keeps describing the direct path"
    );
    let via = v["via_load_balancers"].as_array().unwrap();
    assert_eq!(via.len(), 1);
    let path = &via[0];
    assert_eq!(path["reachable"], true);
    assert_eq!(path["first_blocking_hop"], Value::Null);
    assert_eq!(path["listener"]["port"], 443);
    assert_eq!(path["target_port"], 8080);
    let hops: Vec<&str> = (path["hops"].as_array().unwrap().iter())
        .map(|h| h["hop"].as_str().unwrap())
        .collect();
    let order: Vec<&str> = HopKind::LOAD_BALANCER_PATH.map(HopKind::as_str).to_vec();
    assert_eq!(hops, order, "every hop of the path, in order");
    assert!(
        path["hops"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["verdict"] == "pass")
    );
    // --port is the port on the target.
    let other = reach(&["--to", "eni-d5bd0b87427e05f44", "--port", "443"]);
    assert_eq!(other["via_load_balancers"], serde_json::json!([]));
}

#[test]
fn a_closed_path_names_its_hop_and_the_text_says_which_path_is_open() {
    // Case j: an NLB preserving client addresses, the target admitting only the VPC.
    let v = reach(&["--to", "eni-ebf19b3495a6ba587"]);
    let path = &v["via_load_balancers"][0];
    assert_eq!(path["reachable"], false);
    assert_eq!(
        path["first_blocking_hop"],
        HopKind::TargetSecurityGroup.as_str()
    );
    let dir = snapshot("SA.NET.3");
    let text = snapaudit(&[
        "reach",
        dir.to_str().unwrap(),
        "--to",
        "eni-6edd313376a5bef4d",
    ]);
    assert!(
        text.stdout.contains("Verdict (direct path): NOT reachable"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout
            .contains("Through load balancers: REACHABLE via sa3-g-weighted HTTPS 443"),
        "{}",
        text.stdout
    );
}

#[test]
fn reach_to_a_load_balancer_explains_its_own_front() {
    let v = reach(&["--to", "sa3-c-noroute"]);
    assert_eq!(v["scheme"], "internet-facing");
    assert_eq!(v["scheme_hop"]["verdict"], "pass");
    let listener = &v["listeners"][0];
    assert_eq!(listener["port"], 443);
    assert_eq!(listener["reachable"], false);
    assert_eq!(listener["first_blocking_hop"], HopKind::LbRoute.as_str());
    let by_arn = reach(&["--to", v["load_balancer_arn"].as_str().unwrap()]);
    assert_eq!(
        by_arn, v,
        "the ARN and the name name the same load balancer"
    );
}

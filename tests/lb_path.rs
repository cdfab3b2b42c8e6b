//! The load-balancer path on the `SA.NET.3` fixture: every path of `lb_exposure` against the
//! answers written down independently in `snapshots/SA.NET.3/expected-paths.json`, and the
//! per-load-balancer view behind `SA.ELB.1`.

mod common;

use std::collections::BTreeMap;

use common::{snapaudit, snapshot};
use serde_json::Value;

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
    let run = snapaudit(&[
        "query",
        dir.to_str().unwrap(),
        "--table",
        "lb_exposure",
        filter,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.stdout
        .lines()
        .map(|line| {
            let p: Value = serde_json::from_str(line).unwrap();
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

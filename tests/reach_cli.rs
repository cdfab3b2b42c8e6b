//! `snapaudit reach` on the SA.NET.1 and SA.NET.2 fixtures: verdicts, blocking hops, exposed
//! sources and the JSON contract.

mod common;

use serde_json::Value;
use snapaudit::reach::HopKind;

/// `snapaudit reach FIXTURE ARGS --format json`: exit code, JSON answer (null if none), stderr.
fn reach(fixture: &str, args: &[&str]) -> (i32, Value, String) {
    let dir = common::snapshot(fixture).display().to_string();
    let mut all = vec!["reach", dir.as_str()];
    all.extend(args);
    all.extend(["--format", "json"]);
    let run = common::snapaudit(&all);
    let json = serde_json::from_str(&run.stdout).unwrap_or(Value::Null);
    (run.code, json, run.stderr)
}

fn hop_names(v: &Value) -> Vec<&str> {
    v["hops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["hop"].as_str().unwrap())
        .collect()
}

#[test]
fn closed_paths_name_their_blocking_hop() {
    let cases = [
        ("eni-05ad03a2b0c8af939", HopKind::Route),
        ("eni-062b9ab845651d4cb", HopKind::Route),
        ("eni-0bef5d4c94cc196a2", HopKind::Route),
        ("eni-0f76460e9e2d60c23", HopKind::InternetGateway),
        ("eni-0b57da91b5a9eea67", HopKind::InternetGateway),
        ("i-0b60b098f2ded87b0", HopKind::NaclInbound),
        ("eni-0a14adbe0c2942c40", HopKind::NaclOutbound),
        ("eni-07f032a18847a3382", HopKind::SecurityGroup),
        ("eni-0cc8b4a107e60dba2", HopKind::InterfaceType),
    ];
    for (target, hop) in cases {
        let (code, v, err) = reach("SA.NET.2", &["--to", target]);
        assert_eq!(code, 0, "{target}: {err}");
        assert_eq!(v["reachable"], Value::Bool(false), "{target}");
        assert_eq!(v["blocking_hop"], hop.as_str(), "{target}");
        let failing = v["hops"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["verdict"] == "fail")
            .unwrap();
        assert_eq!(failing["hop"], hop.as_str(), "{target}");
        // Every block cites evidence; an igw absent from the evidence is cited by its route.
        assert!(
            !failing["evidence"].as_array().unwrap().is_empty(),
            "{target}"
        );
        if target == "eni-0b57da91b5a9eea67" {
            let detail = failing["detail"].as_str().unwrap();
            assert!(detail.contains("igw-0f2117e1d9772a869") && detail.contains("not among"));
            assert!(
                failing["evidence"][0]["pointer"]
                    .as_str()
                    .unwrap()
                    .contains("/Routes/")
            );
        }
        assert!(v["exposed"].as_array().unwrap().is_empty(), "{target}");
    }
    let (_, v, _) = reach("SA.NET.2", &["--to", "eni-0e808b3c088ee4644"]);
    assert_eq!(v["reachable"], Value::Bool(true));
}

#[test]
fn json_contract_lists_hops_in_order_with_evidence() {
    let (code, v, _) = reach("SA.NET.1", &["--to", "i-04a6eb62dd66bfc40", "--port", "22"]);
    assert_eq!(code, 0);
    assert_eq!(v["reachable"], Value::Bool(true));
    let path: Vec<&str> = HopKind::evaluated().map(HopKind::as_str).collect();
    assert_eq!(hop_names(&v), path);
    for h in v["hops"].as_array().unwrap() {
        assert_eq!(h["verdict"], "pass");
        assert!(h["detail"].as_str().is_some_and(|d| !d.is_empty()));
        for e in h["evidence"].as_array().unwrap() {
            for k in ["file", "pointer", "sha256"] {
                assert!(e[k].as_str().is_some_and(|s| !s.is_empty()), "{k} in {e}");
            }
        }
    }
    let exposed = v["exposed"].as_array().unwrap();
    assert_eq!(exposed.len(), 1);
    assert_eq!(exposed[0]["protocol"], "tcp");
    assert_eq!(exposed[0]["ports"]["from"], 22);
    assert_eq!(exposed[0]["ip_version"], "IPv4");
    assert_eq!(exposed[0]["whole_internet"], Value::Bool(true));
    assert!(v["not_shown"].as_array().is_some_and(|n| !n.is_empty()));
    // Port 443 is not open on that instance.
    let (_, v, _) = reach(
        "SA.NET.1",
        &["--to", "i-04a6eb62dd66bfc40", "--port", "443"],
    );
    assert_eq!(v["reachable"], Value::Bool(false));
    assert_eq!(v["blocking_hop"], HopKind::SecurityGroup.as_str());
}

#[test]
fn half_acl_exposes_only_the_upper_half() {
    let (_, v, _) = reach("SA.NET.1", &["--to", "eni-0342e6798a6350000"]);
    assert_eq!(v["reachable"], Value::Bool(true));
    let e = &v["exposed"][0];
    assert_eq!(e["whole_internet"], Value::Bool(false));
    assert_eq!(e["sources_text"], "128.0.0.0/1");
    let upper: ipnet::IpNet = "128.0.0.0/1".parse().unwrap();
    let sources: Vec<ipnet::IpNet> = e["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().parse().unwrap())
        .collect();
    assert!(sources.iter().all(|s| upper.contains(s)), "{sources:?}");
    // Special-purpose ranges inside the upper half are not internet sources.
    let private: ipnet::IpNet = "192.168.0.0/16".parse().unwrap();
    assert!(
        !sources
            .iter()
            .any(|s| s.contains(&private) || private.contains(s))
    );
    let (_, v, _) = reach(
        "SA.NET.1",
        &["--to", "eni-0342e6798a6350000", "--from", "1.2.3.0/24"],
    );
    assert_eq!(v["reachable"], Value::Bool(false));
    assert_eq!(v["blocking_hop"], HopKind::NaclInbound.as_str());
}

#[test]
fn ipv6_only_instance_is_reachable_over_ipv6() {
    let (_, v, _) = reach("SA.NET.1", &["--to", "i-05d0c3fd04383751d"]);
    assert_eq!(v["reachable"], Value::Bool(true));
    assert_eq!(v["reachable_v4"], Value::Bool(false));
    assert_eq!(v["ipv6"]["reachable"], Value::Bool(true));
    assert_eq!(v["ipv6"]["ip_version"], "IPv6");
    assert!(
        v["exposed"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["ip_version"] == "IPv6")
    );
}

#[test]
fn unresolved_prefix_list_is_indeterminate_and_resolved_one_is_exact() {
    let (_, v, _) = reach("SA.NET.1", &["--to", "eni-0794d64cfa2f35c04"]);
    assert_eq!(v["reachable"], "indeterminate");
    let sg = v["hops"].as_array().unwrap().last().unwrap();
    assert_eq!(sg["verdict"], "indeterminate");
    assert!(
        sg["detail"]
            .as_str()
            .unwrap()
            .contains("pl-0dabd68eb36ce6a28")
    );
    // Everything the evidence does determine is closed: the answer names where.
    assert_eq!(v["blocking_hop"], HopKind::SecurityGroup.as_str());
    let (_, v, _) = reach("SA.NET.1", &["--to", "eni-058a86d0073bd9e16"]);
    assert_eq!(v["reachable"], Value::Bool(true));
    assert_eq!(
        v["exposed"][0]["sources"],
        serde_json::json!(["198.51.100.0/24"])
    );
}

#[test]
fn ecs_task_arn_resolves_to_its_interface() {
    let arn = "arn:aws:ecs:us-east-1:222233334444:task/web/4e02daff71da6fae184bd90f8d22ecc7";
    let (_, v, _) = reach(
        "SA.NET.1",
        &["--to", arn, "--protocol", "tcp", "--port", "443"],
    );
    assert_eq!(v["network_interface_id"], "eni-07ae052abf1b5ea36");
    assert_eq!(v["owner_type"], "ecs_task");
    assert_eq!(v["service_name"], "storefront");
    assert_eq!(v["reachable"], Value::Bool(true));
}

#[test]
fn unknown_target_is_an_error() {
    let (code, v, err) = reach("SA.NET.1", &["--to", "eni-0000000000000000"]);
    assert_eq!(code, 2);
    assert!(v.is_null());
    assert!(
        err.contains("eni-0000000000000000") && err.contains("network interfaces"),
        "{err}"
    );
}

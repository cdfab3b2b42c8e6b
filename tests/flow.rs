//! Instance status checks and flow log records: reading them, their tables, and what `reach`
//! says with them.

mod common;

use std::path::Path;

use serde_json::{Value, json};

/// The demo instance with a public SSH port.
const DEMO_INSTANCE: &str = "i-03b8b9003cf7ed478";

/// The demo evidence copied into a scratch folder, for a test to add files to.
fn demo_copy(test: &str) -> std::path::PathBuf {
    let dir = common::scratch(test);
    common::copy_set(&common::snapshot("demo"), &dir);
    dir
}

/// `snapaudit reach DIR --to TARGET` as text and as JSON.
fn reach(dir: &Path, target: &str) -> (String, Value) {
    let dir = dir.display().to_string();
    let text = common::snapaudit(&["reach", &dir, "--to", target]);
    assert_eq!(text.code, 0, "{}", text.stderr);
    let json = common::snapaudit(&["reach", &dir, "--to", target, "--format", "json"]);
    (text.stdout, json.json())
}

#[test]
fn failing_status_checks_come_before_any_hop() {
    let dir = demo_copy("status-failing");
    let statuses = json!({"InstanceStatuses": [{
        "AvailabilityZone": "eu-west-1a",
        "InstanceId": DEMO_INSTANCE,
        "InstanceState": {"Code": 16, "Name": "running"},
        "SystemStatus": {"Status": "ok", "Details": [{"Name": "reachability", "Status": "passed"}]},
        "InstanceStatus": {"Status": "impaired", "Details": [
            {"Name": "reachability", "Status": "failed", "ImpairedSince": "2026-11-20T08:15:00.000Z"}]}
    }]});
    std::fs::write(
        dir.join("ec2/describe-instance-status.json"),
        statuses.to_string(),
    )
    .unwrap();
    let (text, v) = reach(&dir, DEMO_INSTANCE);
    let first = text.lines().next().unwrap();
    assert!(
        first.contains("system ok") && first.contains("instance impaired"),
        "{first}"
    );
    let fails = text.find("FAILS its status checks").expect("failure said");
    assert!(fails < text.find("1. public_ip").unwrap(), "{text}");
    let status = &v["status_checks"];
    assert_eq!(status["failing"], true);
    assert_eq!(status["instance"]["status"], "impaired");
    assert_eq!(
        status["evidence"][0]["file"],
        "ec2/describe-instance-status.json"
    );
}

#[test]
fn an_instance_missing_from_the_status_export_is_unknown_not_failing() {
    let (text, v) = reach(&common::snapshot("demo"), DEMO_INSTANCE);
    assert!(
        text.lines()
            .next()
            .unwrap()
            .contains("unknown: not in the export"),
        "{text}"
    );
    assert_eq!(v["status_checks"]["known"], false);
    assert!(v["status_checks"].get("failing").is_none());
}

//! Instance status checks and flow log records: reading them, their tables, and what `reach`
//! says with them.

mod common;

use std::path::Path;

use serde_json::{Value, json};

/// The demo instance with a public SSH port.
const DEMO_INSTANCE: &str = "i-03b8b9003cf7ed478";

/// The demo evidence without its flow log records, copied into a scratch folder for a test to
/// add files to.
fn demo_copy(test: &str) -> std::path::PathBuf {
    let dir = common::scratch(test);
    common::copy_set(&common::snapshot("demo"), &dir);
    std::fs::remove_dir_all(dir.join("logs")).unwrap();
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
    let dir = demo_copy("status-missing");
    let path = dir.join("ec2/describe-instance-status.json");
    let mut statuses: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let list = statuses["InstanceStatuses"].as_array_mut().unwrap();
    list.retain(|s| s["InstanceId"] != DEMO_INSTANCE);
    assert_eq!(list.len(), 1, "the other demo instance stays listed");
    std::fs::write(&path, statuses.to_string()).unwrap();
    let (text, v) = reach(&dir, DEMO_INSTANCE);
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

/// The demo instance's interface.
const DEMO_ENI: &str = "eni-0dc98e24f3cf61d00";

/// A delivery file with a custom field order: two internet sources on tcp 22 (one of them
/// twice), a private one, a NODATA record and two IPv6 rejects on 443.
fn delivery_file() -> String {
    let records = [
        "interface-id dstport srcaddr action log-status protocol packets bytes start end flow-direction",
        "ENI 22 198.51.100.7 ACCEPT OK 6 10 840 1764230400 1764230460 ingress",
        "ENI 22 198.51.100.7 ACCEPT OK 6 2 120 1764230460 1764230520 ingress",
        "ENI 22 198.51.100.8 ACCEPT OK 6 3 180 1764230460 1764230520 ingress",
        "ENI 22 10.20.0.5 ACCEPT OK 6 3 180 1764230460 1764230520 ingress",
        "ENI - - - NODATA - - - 1764230400 1764230460 -",
        "ENI 443 2600:1f18::1 REJECT OK 6 1 60 1764230400 1764230460 ingress",
        "ENI 443 2600:1f18::2 REJECT OK 6 1 60 1764230400 1764230460 ingress",
    ];
    records.join("\n").replace("ENI", DEMO_ENI) + "\n"
}

/// Writes `text` gzip-compressed to `path`.
fn write_gzip(path: &Path, text: &str) {
    use std::io::Write;
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(text.as_bytes()).unwrap();
    std::fs::write(path, gz.finish().unwrap()).unwrap();
}

/// Every row of `flow_records`, keyed `port/action/source_class/log_status`, and the run.
fn flow_rows(dir: &Path) -> (std::collections::BTreeMap<String, Value>, common::Run) {
    let dir = dir.display().to_string();
    let run = common::snapaudit(&["query", "--table", "flow_records", &dir, "."]);
    let rows = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .map(|v| {
            let key = format!(
                "{}/{}/{}/{}",
                v["port"], v["action"], v["source_class"], v["log_status"]
            );
            (key, v)
        })
        .collect();
    (rows, run)
}

#[test]
fn a_gzip_delivery_file_in_a_custom_field_order_is_aggregated() {
    let dir = demo_copy("flow-s3");
    write_gzip(&dir.join("flow/eni.log.gz"), &delivery_file());
    let (rows, run) = flow_rows(&dir);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let ssh = &rows["22/\"ACCEPT\"/\"internet\"/\"OK\""];
    assert_eq!(
        (
            &ssh["sources"],
            &ssh["records"],
            &ssh["packets"],
            &ssh["bytes"]
        ),
        (&json!(2), &json!(3), &json!(15), &json!(1140))
    );
    assert_eq!(ssh["direction"], "ingress");
    assert_eq!(ssh["first_seen"], "2025-11-27T08:00:00Z");
    assert_eq!(ssh["last_seen"], "2025-11-27T08:02:00Z");
    assert_eq!(ssh["evidence"][0]["file"], "flow/eni.log.gz");
    assert_eq!(ssh["evidence"][0]["pointer"], "line 2");
    assert_eq!(rows["22/\"ACCEPT\"/\"private\"/\"OK\""]["sources"], 1);
    let nodata = &rows["null/null/null/\"NODATA\""];
    assert_eq!(
        (&nodata["records"], &nodata["sources"]),
        (&json!(1), &json!(0))
    );
    let v6 = &rows["443/\"REJECT\"/\"internet\"/\"OK\""];
    assert_eq!(
        (&v6["sources"], &v6["protocol"]),
        (&json!(2), &json!("tcp"))
    );
}

#[test]
fn cloudwatch_events_read_with_the_flow_logs_format_and_bad_ones_named() {
    let dir = demo_copy("flow-cloudwatch");
    let message = format!("{DEMO_ENI} 3389 203.0.113.50 REJECT");
    let events = json!({"events": [
        {"logStreamName": format!("{DEMO_ENI}-all"), "timestamp": 1764230460000_i64, "message": message},
        {"logStreamName": format!("{DEMO_ENI}-all"), "timestamp": 1764230460000_i64, "message": "not a record"}
    ], "searchedLogStreams": []});
    std::fs::create_dir_all(dir.join("logs")).unwrap();
    std::fs::write(dir.join("logs/filter-log-events.json"), events.to_string()).unwrap();
    let flow_logs = json!({"FlowLogs": [{
        "FlowLogId": "fl-0cw", "ResourceId": "vpc-086c3510a698ca14e", "FlowLogStatus": "ACTIVE",
        "TrafficType": "ALL", "LogDestinationType": "cloud-watch-logs", "LogGroupName": "vpc-flow",
        "LogFormat": "${interface-id} ${dstport} ${srcaddr} ${action}"
    }]});
    std::fs::write(
        dir.join("ec2/describe-flow-logs.json"),
        flow_logs.to_string(),
    )
    .unwrap();
    let (rows, run) = flow_rows(&dir);
    let rdp = &rows["3389/\"REJECT\"/\"internet\"/\"OK\""];
    assert_eq!(rdp["evidence"][0]["pointer"], "/events/0");
    assert_eq!(run.code, 2, "an unreadable event is an error");
    assert!(
        run.stderr
            .contains("logs/filter-log-events.json at /events/1: log event skipped"),
        "{}",
        run.stderr
    );
}

#[test]
fn reach_sets_what_the_flow_logs_saw_beside_the_computed_path() {
    let (text, v) = reach(&common::snapshot("demo"), DEMO_INSTANCE);
    let observed = text
        .find("Observed (flow logs")
        .expect("an Observed section");
    assert!(observed > text.find("Verdict:").unwrap(), "{text}");
    let flows = v["observed"]["flows"].as_array().unwrap();
    let by_port = |port: u64| flows.iter().find(|f| f["port"] == port).unwrap();
    assert_eq!(by_port(22)["action"], "ACCEPT");
    assert_eq!(by_port(22)["sources"], 3);
    assert_eq!(by_port(22)["computed"], "open");
    let reject = by_port(3389);
    assert_eq!(reject["action"], "REJECT");
    assert!(
        reject["meaning"]
            .as_str()
            .unwrap()
            .starts_with("consistent with security_group"),
        "{reject}"
    );
    // Only the queried port.
    let dir = common::snapshot("demo").display().to_string();
    let run = common::snapaudit(&[
        "reach",
        &dir,
        "--to",
        DEMO_INSTANCE,
        "--port",
        "22",
        "--format",
        "json",
    ]);
    let flows = run.json()["observed"]["flows"].as_array().unwrap().clone();
    assert_eq!(flows.len(), 1);
}

#[test]
fn an_interface_without_flow_records_is_unknown_not_quiet() {
    let (text, v) = reach(&common::snapshot("demo"), "eni-013008a533ca07828");
    assert_eq!(v["observed"]["covered"], false);
    assert!(text.contains("unknown (not \"no traffic\")"), "{text}");
}

#[test]
fn coverage_names_each_interfaces_window_and_the_vpcs_without_records() {
    let demo = common::snapshot("demo").display().to_string();
    let run = common::snapaudit(&["evidence", &demo]);
    assert!(
        run.stdout
            .contains("vpc-086c3510a698ca14e: 3 of 9 interfaces have flow records"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains(
        "eni-0dc98e24f3cf61d00  2026-03-07T08:00:00Z to 2026-03-07T08:04:00Z  5 records"
    ));
    let dir = demo_copy("coverage-without");
    let run = common::snapaudit(&["evidence", &dir.display().to_string()]);
    assert!(
        run.stdout.contains(
            "vpc-086c3510a698ca14e: no flow records (flow log fl-05e66c64f79a0efce listed, its \
             records not exported): traffic to its 9 interfaces is unknown, not absent"
        ),
        "{}",
        run.stdout
    );
}

/// The number of records `flow_records` counts in `dir`, and the run.
fn records_counted(dir: &Path) -> (u64, common::Run) {
    let (rows, run) = flow_rows(dir);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let total = rows.values().map(|r| r["records"].as_u64().unwrap()).sum();
    (total, run)
}

#[test]
fn a_delivery_file_under_two_names_is_counted_once_with_a_warning() {
    let dir = demo_copy("flow-twice");
    write_gzip(&dir.join("flow/a.log.gz"), &delivery_file());
    let (once, _) = records_counted(&dir);
    std::fs::copy(dir.join("flow/a.log.gz"), dir.join("flow/b.log.gz")).unwrap();
    let (twice, run) = records_counted(&dir);
    assert_eq!((once, twice), (7, 7));
    assert!(
        run.stderr
            .contains("flow/b.log.gz: the same flow log records as flow/a.log.gz"),
        "{}",
        run.stderr
    );
}

#[test]
fn cloudwatch_events_count_once_per_event_id() {
    let dir = demo_copy("flow-event-ids");
    std::fs::create_dir_all(dir.join("logs")).unwrap();
    let message = format!(
        "2 111122223333 {DEMO_ENI} 198.51.100.9 10.20.0.37 40000 22 6 1 60 1772870400 1772870460 ACCEPT OK"
    );
    let event = |id: &str| {
        json!({"logStreamName": format!("{DEMO_ENI}-all"), "timestamp": 1772870460000_i64,
               "message": message, "eventId": id})
    };
    // Two events with the same text are two records; the same event exported twice is one.
    let first = json!({"events": [event("1"), event("2")]});
    std::fs::write(dir.join("logs/first.json"), first.to_string()).unwrap();
    let again = json!({"events": [event("2")]});
    std::fs::write(dir.join("logs/again.json"), again.to_string()).unwrap();
    assert_eq!(records_counted(&dir).0, 2);
}

/// The `flow_observations` rows of `dir` on `port`, as (interface, computed, computed_via).
fn observed_on(dir: &Path, port: u64) -> Vec<(String, Value, Value)> {
    let dir = dir.display().to_string();
    let run = common::snapaudit(&["query", "--table", "flow_observations", &dir, "."]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    (run.stdout.lines())
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["port"] == port)
        .map(|v| {
            let eni = v["network_interface_id"].as_str().unwrap().to_string();
            (eni, v["computed"].clone(), v["computed_via"].clone())
        })
        .collect()
}

/// `snapshots/SA.NET.4` in a scratch folder, with `edit` applied to one of its files' JSON.
fn net4_with(test: &str, file: &str, edit: impl FnOnce(&mut Value)) -> std::path::PathBuf {
    let dir = common::scratch(test);
    common::copy_set(&common::snapshot("SA.NET.4"), &dir);
    let path = dir.join(file);
    let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut doc);
    std::fs::write(&path, doc.to_string()).unwrap();
    dir
}

/// The SA.NET.4 fixture's NLB target: an ECS task with no public address.
const NLB_TARGET: &str = "eni-013008a533ca07828";

#[test]
fn a_flow_through_an_nlb_preserving_the_client_address_is_judged_by_that_path() {
    let rows = observed_on(&common::snapshot("SA.NET.4"), 8080);
    let via = "through load balancer api-public-nlb, listener TCP 8080, target port 8080";
    assert!(
        rows.contains(&(NLB_TARGET.into(), json!("open"), json!(via))),
        "{rows:?}"
    );
    // The node's health check comes from a private address: not in the view at all.
    assert_eq!(rows.iter().filter(|r| r.0 == NLB_TARGET).count(), 1);
    // A flow on a port no path opens is still closed, with no way named.
    let closed = ("eni-0a5b2a80d1aad895e".into(), json!("closed"), Value::Null);
    assert!(rows.contains(&closed), "{rows:?}");

    let (text, v) = reach(&common::snapshot("SA.NET.5"), "eni-0a5b2a80d1aad895e");
    let flows = v["observed"]["flows"].as_array().unwrap();
    let db = flows.iter().find(|f| f["port"] == 5432).unwrap();
    assert_eq!(db["computed"], "open");
    let via = "through load balancer db-public-nlb, listener TCP 5432, target port 5432";
    assert_eq!(db["computed_via"], via);
    let cited: Vec<(&str, &str)> = (db["evidence"].as_array().unwrap().iter())
        .map(|e| (e["role"].as_str().unwrap(), e["file"].as_str().unwrap()))
        .collect();
    assert_eq!(
        cited,
        [
            ("record", "logs/get-log-events.json"),
            ("load_balancer", "elbv2/describe-load-balancers.json"),
            ("target", "elbv2/describe-target-health.json"),
        ],
    );
    assert!(
        text.contains("    load balancer: elbv2/describe-load-balancers.json"),
        "{text}"
    );
    assert!(
        text.contains(&format!("consistent: computed open ({via})")),
        "{text}"
    );
}

#[test]
fn an_nlb_not_preserving_the_client_address_explains_no_internet_flow() {
    let dir = net4_with(
        "flow-nlb-no-preserve",
        "elbv2/describe-target-group-attributes.json",
        |doc| {
            let attributes = doc["Attributes"].as_array_mut().unwrap();
            let preserve = (attributes.iter_mut())
                .find(|a| a["Key"] == "preserve_client_ip.enabled")
                .unwrap();
            preserve["Value"] = json!("false");
        },
    );
    let rows = observed_on(&dir, 8080);
    let target = (NLB_TARGET.into(), json!("closed"), Value::Null);
    assert!(rows.contains(&target), "{rows:?}");
    let (_, report) = common::scan_json(&[&dir], &["--rule", "SA.NET.4"]);
    let fired = |eni: &str| {
        (report["findings"].as_array().unwrap().iter()).any(|f| f["resource_id"] == eni)
    };
    assert!(fired(NLB_TARGET), "{report}");
}

#[test]
fn an_nlb_path_the_evidence_cannot_settle_makes_the_flow_indeterminate() {
    // Without the load balancer's node interfaces its front leg is unknown.
    let dir = net4_with(
        "flow-nlb-indeterminate",
        "ec2/describe-network-interfaces.json",
        |doc| {
            let interfaces = doc["NetworkInterfaces"].as_array_mut().unwrap();
            interfaces.retain(|i| i["InterfaceType"] != "network_load_balancer");
        },
    );
    let rows = observed_on(&dir, 8080);
    let via = "through load balancer api-public-nlb, listener TCP 8080, target port 8080";
    let target = (NLB_TARGET.into(), json!("indeterminate"), json!(via));
    assert!(rows.contains(&target), "{rows:?}");
}

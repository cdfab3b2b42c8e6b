//! Reading evidence: document layouts, provenance, duplicates, bad and unrelated files, gaps.

mod common;

use std::path::PathBuf;

use common::{copy_set, scratch, snapaudit, snapshot};
use snapaudit::evidence::{self, Evidence};
use snapaudit::tables::Tables;

fn scan(paths: &[PathBuf]) -> Evidence {
    evidence::scan(paths)
}

fn pointers<T>(records: &[snapaudit::evidence::Record<T>]) -> Vec<(u32, String)> {
    records
        .iter()
        .map(|r| (r.source.document, r.source.pointer.clone()))
        .collect()
}

#[test]
fn concatenated_documents_keep_their_document_index() {
    let ev = scan(&[snapshot("demo/ecs/describe-services.json")]);
    assert!(ev.errors.is_empty(), "{:?}", ev.errors);
    let services = &ev.records.services;
    assert_eq!(services.len(), 3);
    assert_eq!(
        pointers(services),
        vec![
            (0, "/services/0".into()),
            (0, "/services/1".into()),
            (1, "/services/0".into())
        ]
    );
    assert_eq!(ev.files[0].file, "describe-services.json");
    assert_eq!(ev.files[0].sha256.len(), 64);
}

#[test]
fn an_array_of_documents_reads_like_concatenated_ones() {
    let text = std::fs::read_to_string(snapshot("demo/ecs/describe-services.json")).unwrap();
    let docs: Vec<serde_json::Value> = serde_json::Deserializer::from_str(&text)
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let dir = scratch("array");
    std::fs::write(
        dir.join("services.json"),
        serde_json::to_string(&docs).unwrap(),
    )
    .unwrap();
    let ev = scan(&[dir]);
    assert!(ev.errors.is_empty(), "{:?}", ev.errors);
    assert_eq!(
        pointers(&ev.records.services),
        vec![
            (0, "/0/services/0".into()),
            (0, "/0/services/1".into()),
            (0, "/1/services/0".into())
        ]
    );
}

#[test]
fn pages_with_next_token_are_all_read() {
    let ev = scan(&[snapshot("SA.ECS.1")]);
    assert!(ev.errors.is_empty(), "{:?}", ev.errors);
    let docs: Vec<u32> = ev
        .records
        .network_interfaces
        .iter()
        .map(|r| r.source.document)
        .collect();
    assert!(
        docs.contains(&0) && docs.contains(&1),
        "both pages are read: {docs:?}"
    );
}

#[test]
fn cli_v1_v2_and_boto3_timestamps_are_normalised() {
    let ev = scan(&[snapshot("ECS.2")]);
    assert!(ev.errors.is_empty(), "{:?}", ev.errors);
    let created: Vec<&str> = ev
        .records
        .services
        .iter()
        .filter_map(|s| s.item.created_at.as_ref().map(|t| t.0.as_str()))
        .collect();
    assert!(created.len() >= 3);
    for t in created {
        assert!(
            t.ends_with('Z') && t.contains('T'),
            "normalised to RFC 3339 UTC: {t}"
        );
    }
}

#[test]
fn a_task_set_exported_twice_is_kept_once() {
    let ev = scan(&[snapshot("demo")]);
    let arns: Vec<&str> = ev
        .records
        .task_sets
        .iter()
        .map(|t| t.item.task_set_arn.as_str())
        .collect();
    assert_eq!(arns.len(), 2, "{arns:?}");
    assert_eq!(ev.duplicates, 2);
    // the copy kept is the first in file order: describe-services sorts before describe-task-sets
    assert!(
        ev.records
            .task_sets
            .iter()
            .all(|t| ev.files[t.source.file as usize].file == "ecs/describe-services.json")
    );
}

#[test]
fn copies_that_differ_are_flagged_and_identical_ones_are_not() {
    let dir = scratch("conflict");
    let text = std::fs::read_to_string(snapshot("demo/ecs/describe-tasks.json")).unwrap();
    std::fs::write(dir.join("a-tasks.json"), &text).unwrap();
    std::fs::write(dir.join("b-tasks-again.json"), &text).unwrap();
    let ev = scan(std::slice::from_ref(&dir));
    assert_eq!((ev.records.tasks.len(), ev.duplicates), (7, 7));
    assert!(
        ev.warnings.is_empty(),
        "identical copies are just duplicates: {:?}",
        ev.warnings
    );

    // the first task's own status (12-space indent; containers have their own, deeper)
    let later = text.replacen(
        "\n            \"lastStatus\": \"RUNNING\"",
        "\n            \"lastStatus\": \"STOPPED\"",
        1,
    );
    assert_ne!(later, text);
    std::fs::write(dir.join("b-tasks-again.json"), later).unwrap();
    let ev = scan(&[dir]);
    assert_eq!(ev.warnings.len(), 1, "{:?}", ev.warnings);
    let w = &ev.warnings[0];
    assert_eq!(w.file, "b-tasks-again.json");
    assert!(
        w.message.contains("is also in a-tasks.json") && w.message.contains("different content"),
        "{}",
        w.message
    );
    let kept = ev
        .records
        .tasks
        .iter()
        .filter(|t| t.item.last_status.as_deref() == Some("RUNNING"))
        .count();
    assert_eq!(kept, 6, "the first copy in file order is the one used");
}

#[test]
fn invalid_json_is_an_error_with_position_and_the_rest_is_still_read() {
    let dir = scratch("invalid");
    copy_set(&snapshot("demo"), &dir);
    let tasks = dir.join("ecs/describe-tasks.json");
    let text = std::fs::read_to_string(&tasks).unwrap();
    let cut = text.find("\"lastStatus\"").unwrap();
    std::fs::write(
        &tasks,
        format!("{}\"lastStatus\" \"RUNNING\"\n}}", &text[..cut]),
    )
    .unwrap();
    let line = text[..cut].matches('\n').count() + 1;

    let ev = scan(std::slice::from_ref(&dir));
    assert_eq!(ev.errors.len(), 1, "{:?}", ev.errors);
    let e = &ev.errors[0];
    assert_eq!(e.file, "ecs/describe-tasks.json");
    assert_eq!(e.line, Some(line));
    assert!(e.column.is_some());
    assert!(e.message.contains("invalid JSON"), "{}", e.message);
    assert_eq!(ev.records.services.len(), 3, "other files are still read");

    let run = snapaudit(&["scan", "--format", "json", dir.to_str().unwrap()]);
    assert_eq!(run.code, 2, "evidence errors exit 2");
    let report = run.json();
    assert_eq!(report["summary"]["complete"], false);
    assert!(
        !report["findings"].as_array().unwrap().is_empty(),
        "findings from the rest are still reported"
    );
}

#[test]
fn files_that_are_not_evidence_are_skipped_not_errors() {
    let dir = scratch("unrelated");
    std::fs::write(dir.join("notes.txt"), "exported on monday\n").unwrap();
    std::fs::write(
        dir.join("package.json"),
        r#"{"name": "x", "services": {"web": {}}}"#,
    )
    .unwrap();
    std::fs::write(dir.join("list.json"), "[1, 2, 3]").unwrap();
    std::fs::write(dir.join("empty.json"), "").unwrap();
    std::fs::copy(
        snapshot("demo/ecs/describe-tasks.json"),
        dir.join("tasks.json"),
    )
    .unwrap();
    let ev = scan(&[dir]);
    assert!(ev.errors.is_empty(), "{:?}", ev.errors);
    let skipped: Vec<&str> = ev.skipped.iter().map(|s| s.file.as_str()).collect();
    assert_eq!(
        skipped,
        ["empty.json", "list.json", "notes.txt", "package.json"]
    );
    assert_eq!(ev.records.tasks.len(), 7);
}

#[test]
fn evidence_of_the_wrong_shape_is_an_error_naming_the_position() {
    let dir = scratch("shape");
    std::fs::write(
        dir.join("tasks.json"),
        "{\n  \"tasks\": [\n    {\"taskArn\": 42}\n  ]\n}\n",
    )
    .unwrap();
    let ev = scan(&[dir]);
    assert_eq!(ev.errors.len(), 1);
    assert_eq!(
        (ev.errors[0].line, ev.errors[0].column.is_some()),
        (Some(3), true)
    );
    assert!(
        ev.errors[0].message.contains("unexpected shape"),
        "{}",
        ev.errors[0].message
    );
}

#[test]
fn a_record_of_the_wrong_shape_is_skipped_alone_and_named() {
    let dir = scratch("bad-record");
    let text = std::fs::read_to_string(snapshot("demo/ecs/describe-tasks.json")).unwrap();
    let mut doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    doc["tasks"][2]["taskArn"] = serde_json::json!(["not", "a", "string"]);
    let pretty = serde_json::to_string_pretty(&doc).unwrap();
    std::fs::write(dir.join("describe-tasks.json"), &pretty).unwrap();
    let ev = scan(&[dir]);
    assert_eq!(ev.records.tasks.len(), 6, "the other six tasks are kept");
    assert_eq!(ev.errors.len(), 1, "{:?}", ev.errors);
    let e = &ev.errors[0];
    assert_eq!(e.pointer.as_deref(), Some("/tasks/2"));
    let line = pretty[..pretty.find("\"not\"").unwrap()]
        .matches('\n')
        .count()
        + 1;
    assert!(
        e.line.is_some_and(|l| l >= line - 1 && l <= line + 4),
        "{e:?} near line {line}"
    );
    assert!(e.message.contains("record skipped"), "{}", e.message);
}

#[test]
fn failed_calls_and_failures_entries_are_warnings_not_empty_results() {
    let ev = scan(&[snapshot("ECS.2")]);
    assert!(
        ev.warnings
            .iter()
            .any(|w| w.message.contains("could not describe") && w.message.contains("MISSING")),
        "{:?}",
        ev.warnings
    );
    let dir = scratch("boto-error");
    std::fs::write(
        dir.join("ec2.DescribeSubnets_1.json"),
        r#"{"status_code": 400, "data": {"Error": {"Code": "UnauthorizedOperation", "Message": "denied"}, "ResponseMetadata": {}}}"#,
    )
    .unwrap();
    let ev = scan(&[dir]);
    assert_eq!(ev.warnings.len(), 1);
    assert!(ev.warnings[0].message.contains("UnauthorizedOperation"));
    assert!(ev.warnings[0].message.contains("unknown, not absent"));
    assert!(ev.skipped.is_empty(), "a failed call is not 'not evidence'");
}

/// Every row of `table`, as rules and `query` see them.
fn rows(tables: &Tables, table: &str) -> Vec<serde_json::Value> {
    let height = tables.get(table).unwrap().height();
    (0..height).map(|i| tables.row(table, i).unwrap()).collect()
}

#[test]
fn a_running_task_whose_eni_is_missing_stays_in_the_view_and_is_warned_about() {
    let mut ev = scan(&[snapshot("SA.ECS.1")]);
    let tables = Tables::build(&mut ev).unwrap();
    let rows = rows(&tables, "ecs_task_network");
    let missing: Vec<_> = rows
        .iter()
        .filter(|r| r["eni_found"] == false && r["last_status"] == "RUNNING")
        .collect();
    assert_eq!(missing.len(), 1, "{missing:?}");
    let eni = missing[0]["eni_id"].as_str().unwrap();
    assert!(
        ev.warnings
            .iter()
            .any(|w| w.message.contains(eni) && w.message.contains("not in the evidence")),
        "{:?}",
        ev.warnings
    );
}

#[test]
fn account_and_region_come_from_the_data() {
    let mut ev = scan(&[snapshot("ECS.2")]);
    let tables = Tables::build(&mut ev).unwrap();
    let mut scopes: Vec<(String, String)> = rows(&tables, "ecs_services")
        .iter()
        .map(|r| {
            (
                r["account"].as_str().unwrap().into(),
                r["region"].as_str().unwrap().into(),
            )
        })
        .collect();
    scopes.sort();
    scopes.dedup();
    assert_eq!(
        scopes,
        [
            ("222233334444".to_string(), "us-east-1".to_string()),
            ("555566667777".into(), "eu-central-1".into())
        ]
    );
}

#[test]
fn nat_gateways_and_vpc_endpoints_are_read_with_account_and_region() {
    let mut ev = scan(&[common::root().join("tests/fixtures/remediate")]);
    assert!(ev.errors.is_empty(), "{:?}", ev.errors);
    assert_eq!(
        pointers(&ev.records.nat_gateways),
        [(0, "/NatGateways/0".into()), (0, "/NatGateways/1".into())]
    );
    assert_eq!(ev.records.vpc_endpoints.len(), 3);
    let tables = Tables::build(&mut ev).unwrap();
    for table in ["nat_gateways", "vpc_endpoints"] {
        for row in rows(&tables, table) {
            assert_eq!(row["account"], "444455556666", "{table}: {row}");
            assert_eq!(row["region"], "eu-central-1", "{table}: {row}");
            assert_eq!(
                row["evidence"].as_array().unwrap().len(),
                1,
                "{table}: {row}"
            );
        }
    }
}

#[test]
fn security_group_rules_are_read_with_account_region_and_their_group() {
    let fixture = common::root().join("tests/fixtures/remediate-sgr");
    let mut ev = scan(&[snapshot("demo"), fixture]);
    assert!(ev.errors.is_empty(), "{:?}", ev.errors);
    assert_eq!(ev.records.security_group_rules.len(), 7);
    let tables = Tables::build(&mut ev).unwrap();
    let rows = rows(&tables, "security_group_rule_ids");
    for row in &rows {
        assert_eq!(row["account"], "111122223333", "{row}");
        assert_eq!(
            row["region"], "eu-west-1",
            "the region of the group's VPC: {row}"
        );
        assert_eq!(row["evidence"].as_array().unwrap().len(), 1, "{row}");
    }
    let rule = |id: &str| rows.iter().find(|r| r["rule_id"] == id).unwrap();
    let all = rule("sgr-0legacyall000004");
    assert_eq!(
        (&all["group_id"], &all["direction"], &all["protocol"]),
        (
            &"sg-0a11open000000001".into(),
            &"inbound".into(),
            &"all".into()
        )
    );
    assert_eq!(rule("sgr-0bastionout00002")["direction"], "outbound");
    assert_eq!(rule("sgr-0legacyrdp6000006")["source"], "::/0");
    assert_eq!(
        rule("sgr-0webfromweb00007")["source"],
        "sg-043d2ffe47dc0871a",
        "a group as the source"
    );
}

/// `text` encoded as UTF-16 or UTF-32, little- or big-endian, with or without a byte-order mark.
fn encode_wide(text: &str, unit: usize, big_endian: bool, bom: bool) -> Vec<u8> {
    let marked: String = bom
        .then_some('\u{FEFF}')
        .into_iter()
        .chain(text.chars())
        .collect();
    let mut out = Vec::new();
    for c in marked.chars() {
        let units: Vec<u32> = if unit == 2 {
            c.encode_utf16(&mut [0; 2])
                .iter()
                .map(|&u| u32::from(u))
                .collect()
        } else {
            vec![u32::from(c)]
        };
        for u in units {
            let bytes = if big_endian {
                u.to_be_bytes()
            } else {
                u.to_le_bytes()
            };
            out.extend(if big_endian {
                &bytes[4 - unit..]
            } else {
                &bytes[..unit]
            });
        }
    }
    out
}

#[test]
fn utf16_and_utf32_files_are_decoded_and_a_utf8_bom_is_skipped() {
    let dir = scratch("encodings");
    let groups = std::fs::read_to_string(snapshot("EC2.18/describe-security-groups.json")).unwrap();
    let vpcs = std::fs::read_to_string(snapshot("EC2.6/describe-vpcs.json")).unwrap();
    let mut files = vec![(
        "vpcs-utf8-bom.json",
        [b"\xEF\xBB\xBF".as_slice(), vpcs.as_bytes()].concat(),
    )];
    for (unit, name) in [(2, "utf16"), (4, "utf32")] {
        for (big_endian, order) in [(false, "le"), (true, "be")] {
            for (bom, mark) in [(false, "plain"), (true, "bom")] {
                let file = format!("groups-{name}{order}-{mark}.json");
                files.push((file.leak(), encode_wide(&groups, unit, big_endian, bom)));
            }
        }
    }
    for (name, bytes) in &files {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
    let ev = scan(std::slice::from_ref(&dir));
    assert!(ev.errors.is_empty(), "{:?}", ev.errors);
    assert!(ev.skipped.is_empty(), "{:?}", ev.skipped);
    assert_eq!(ev.files.len(), 9, "every encoding is read");
    assert_eq!(
        ev.records.security_groups.len(),
        6,
        "the eight encodings hold the same groups"
    );
    assert_eq!(ev.records.vpcs.len(), 4);
    let (code, report) = common::scan_json(&[&dir], &[]);
    assert_eq!(report["summary"]["complete"], true, "{report}");
    assert_ne!(code, 2);
}

#[test]
fn a_file_whose_byte_order_mark_lies_is_an_error_naming_the_encoding() {
    let dir = scratch("bad-utf16");
    let mut broken = encode_wide("{\"Vpcs\": []}", 2, false, true);
    broken.extend([0x00, 0xD8, b' ', 0]);
    std::fs::write(dir.join("vpcs.json"), broken).unwrap();
    std::fs::copy(
        snapshot("EC2.6/describe-subnets.json"),
        dir.join("subnets.json"),
    )
    .unwrap();
    let ev = scan(std::slice::from_ref(&dir));
    assert_eq!(ev.errors.len(), 1, "{:?}", ev.errors);
    assert_eq!(ev.errors[0].file, "vpcs.json");
    assert!(
        ev.errors[0]
            .message
            .contains("UTF-16LE text that does not decode")
            && ev.errors[0].message.contains("re-export it as UTF-8"),
        "{}",
        ev.errors[0].message
    );
    assert_eq!(ev.records.subnets.len(), 4, "the other file is read");
    let (code, report) = common::scan_json(&[&dir], &[]);
    assert_eq!((code, &report["summary"]["complete"]), (2, &false.into()));
}

/// Creates a named pipe at `path`.
#[cfg(unix)]
fn make_fifo(path: &std::path::Path) {
    let made = std::process::Command::new("mkfifo").arg(path).status();
    assert!(made.unwrap().success(), "mkfifo {}", path.display());
}

#[cfg(unix)]
#[test]
fn symlinks_and_special_files_in_a_folder_are_listed_as_skipped_not_followed() {
    use std::os::unix::fs::symlink;
    let dir = scratch("links");
    let outside = scratch("links-outside");
    std::fs::copy(
        snapshot("EC2.6/describe-vpcs.json"),
        outside.join("vpcs.json"),
    )
    .unwrap();
    std::fs::copy(
        snapshot("EC2.6/describe-subnets.json"),
        dir.join("subnets.json"),
    )
    .unwrap();
    symlink(outside.join("vpcs.json"), dir.join("vpcs.json")).unwrap();
    symlink("/etc/passwd", dir.join("passwd.json")).unwrap();
    symlink("loop-b", dir.join("loop-a")).unwrap();
    symlink("loop-a", dir.join("loop-b")).unwrap();
    symlink(&outside, dir.join("more")).unwrap();
    let fifo = dir.join("pipe.json");
    make_fifo(&fifo);
    let _socket = std::os::unix::net::UnixListener::bind(dir.join("agent.sock")).unwrap();

    let ev = scan(std::slice::from_ref(&dir));
    assert!(ev.errors.is_empty(), "{:?}", ev.errors);
    let skipped: Vec<(&str, &str)> = (ev.skipped.iter())
        .map(|s| (s.file.as_str(), s.reason.as_str()))
        .collect();
    let vpcs_target = format!(
        "symbolic link (to {}), not followed",
        outside.join("vpcs.json").display()
    );
    let more_target = format!("symbolic link (to {}), not followed", outside.display());
    assert_eq!(
        skipped,
        [
            ("agent.sock", "socket, not read"),
            ("loop-a", "symbolic link (to loop-b), not followed"),
            ("loop-b", "symbolic link (to loop-a), not followed"),
            ("more", more_target.as_str()),
            (
                "passwd.json",
                "symbolic link (to /etc/passwd), not followed"
            ),
            ("pipe.json", "FIFO (named pipe), not read"),
            ("vpcs.json", vpcs_target.as_str()),
        ]
    );
    assert_eq!(ev.warnings.len(), 7, "{:?}", ev.warnings);
    assert!(
        ev.warnings
            .iter()
            .all(|w| w.message.contains("copy the file itself"))
    );
    assert_eq!(ev.records.subnets.len(), 4, "the regular file is read");
    assert!(ev.records.vpcs.is_empty(), "the link is not followed");
    let (_, report) = common::scan_json(&[&dir], &[]);
    assert_eq!(report["summary"]["complete"], false);
    assert_eq!(report["skipped"].as_array().unwrap().len(), 7);
}

#[cfg(unix)]
#[test]
fn a_fifo_or_a_symlink_loop_given_as_the_path_is_an_error_naming_it() {
    use std::os::unix::fs::symlink;
    let dir = scratch("given");
    let fifo = dir.join("pipe.json");
    make_fifo(&fifo);
    symlink(dir.join("loop-b"), dir.join("loop-a")).unwrap();
    symlink(dir.join("loop-a"), dir.join("loop-b")).unwrap();
    let vpcs = snapshot("EC2.6/describe-vpcs.json");
    let ev = scan(&[fifo.clone(), dir.join("loop-a"), vpcs.clone()]);
    let errors: Vec<(String, &str)> = (ev.errors.iter())
        .map(|e| (e.file.clone(), e.message.as_str()))
        .collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!(errors[0].0, fifo.display().to_string());
    assert_eq!(
        errors[0].1,
        "FIFO (named pipe), not a regular file or folder: not read; scan a file or folder"
    );
    assert_eq!(errors[1].0, dir.join("loop-a").display().to_string());
    assert!(
        errors[1]
            .1
            .starts_with("symbolic link that cannot be followed (")
            && !errors[1].1.contains("no such file"),
        "{}",
        errors[1].1
    );
    assert_eq!(ev.records.vpcs.len(), 4, "the other path is read");
    let (code, report) = common::scan_json(&[&fifo, &vpcs], &[]);
    assert_eq!((code, &report["summary"]["complete"]), (2, &false.into()));
}

/// `read_bytes`, the evidence fuzzer's entry point, reads a file as `scan` does: the same
/// records per file for JSON evidence and for a gzip flow log delivery file.
#[test]
fn read_bytes_reads_each_file_as_scan_does() {
    let root = snapshot("SA.NET.4");
    let scanned = evidence::scan(std::slice::from_ref(&root));
    assert!(scanned.errors.is_empty(), "{:?}", scanned.errors);
    assert!(scanned.files.iter().any(|f| f.file.ends_with(".log.gz")));
    for file in &scanned.files {
        let bytes = std::fs::read(root.join(&file.file)).unwrap();
        let out = evidence::read_bytes(&file.file, &bytes);
        let kinds: usize = out.kinds.iter().map(|(_, n)| n).sum();
        let flow = out.flow.as_ref().map_or(0, |f| f.len());
        assert_eq!(kinds + flow, file.records, "{}", file.file);
        assert!(out.errors.is_empty(), "{}: {:?}", file.file, out.errors);
    }
}

#[test]
fn a_task_names_only_the_interface_of_its_own_account() {
    let dir = scratch("task-account");
    copy_set(&snapshot("SA.NET.1"), &dir);
    let file = dir.join("ec2/describe-network-interfaces.json");
    let mut enis: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let eni = "eni-07ae052abf1b5ea36";
    let named = (enis["NetworkInterfaces"].as_array_mut().unwrap().iter_mut())
        .find(|e| e["NetworkInterfaceId"] == eni)
        .unwrap();
    // The same id, exported by another account than the task's (222233334444).
    named["OwnerId"] = "999988887777".into();
    std::fs::write(&file, enis.to_string()).unwrap();
    let filter = format!(r#"select(.network_interface_id == "{eni}")"#);
    let rows = common::query_values(&dir, "eni_exposure", &filter);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["account"], "999988887777");
    assert!(
        rows[0]["service_name"].is_null()
            && !rows[0]["owner_id"].as_str().unwrap().contains(":task/"),
        "another account's task was lent to the interface: {}",
        rows[0]["owner"]
    );
}

/// `network_interfaces` is built from the network model, not the records: its rows are still in
/// the evidence's order, and its address columns say what the evidence wrote, also where the
/// parsed addresses would write them otherwise (an IPv6 address in capitals with a leading
/// zero, no `PrivateIpAddress` beside the list of private addresses) and for Elastic IPs.
#[test]
fn network_interfaces_show_the_records_as_written_in_their_order() {
    let dir = scratch("interfaces-as-written");
    copy_set(&snapshot("SA.NET.1"), &dir);
    let file = dir.join("ec2/describe-network-interfaces.json");
    let mut enis: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let list = enis["NetworkInterfaces"].as_array_mut().unwrap();
    list.reverse();
    let find = |list: &mut Vec<serde_json::Value>, id: &str| -> usize {
        list.iter()
            .position(|e| e["NetworkInterfaceId"] == id)
            .unwrap()
    };
    let unlisted = find(list, "eni-01e67b4b13a500ae5");
    list[unlisted]
        .as_object_mut()
        .unwrap()
        .remove("PrivateIpAddress");
    let v6 = find(list, "eni-089744c6f8783c441");
    let capitals = "2600:1F18:6B2E:4A02:08C1:52D0:9F3E:A71B";
    list[v6]["Ipv6Addresses"][0]["Ipv6Address"] = capitals.into();
    let order: Vec<String> = (list.iter())
        .map(|e| e["NetworkInterfaceId"].as_str().unwrap().to_string())
        .collect();
    std::fs::write(&file, enis.to_string()).unwrap();

    let rows = common::query_values(&dir, "network_interfaces", ".");
    let ids: Vec<&str> = (rows.iter())
        .map(|r| r["network_interface_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, order);
    let row = |id: &str| {
        rows.iter()
            .find(|r| r["network_interface_id"] == id)
            .unwrap()
    };
    let unlisted = row("eni-01e67b4b13a500ae5");
    assert!(unlisted["private_ip"].is_null(), "{unlisted}");
    assert_eq!(
        row("eni-089744c6f8783c441")["ipv6_addresses"],
        serde_json::json!([capitals])
    );
    let elastic = row("eni-033b15c45b4f9479f");
    assert_eq!(elastic["public_ips"], serde_json::json!(["44.199.10.31"]));
    assert_eq!(elastic["elastic_ips"], serde_json::json!(["44.199.10.31"]));
    assert_eq!(
        elastic["eip_association_ids"],
        serde_json::json!(["eipassoc-0c86f2bc8717d9712"])
    );
    let pooled = row("eni-0393a0f23b3261333");
    assert_eq!(pooled["public_ips"], serde_json::json!(["3.88.41.203"]));
    assert_eq!(pooled["elastic_ips"], serde_json::json!([]));
    assert_eq!(pooled["private_ip"], "10.30.0.12");
    let pointer = &pooled["evidence"][0]["pointer"];
    let at = order
        .iter()
        .position(|id| id == "eni-0393a0f23b3261333")
        .unwrap();
    assert_eq!(pointer, &format!("/NetworkInterfaces/{at}"));
}

//! `snapaudit export`: CSV read back by Python's csv module, JSON Lines against `query`, and
//! the Parquet export read by DuckDB (hive partitions), each compared with `snapaudit tables`.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use common::{scan_json, scratch, skip_without, snapaudit, snapshot};
use serde_json::Value;

/// Table name → row count, as `snapaudit tables` prints them for the demo.
fn table_rows() -> BTreeMap<String, u64> {
    let run = snapaudit(&["tables", snapshot("demo").to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.stdout
        .lines()
        .filter(|l| !l.starts_with(' '))
        .map(|l| {
            let (name, rest) = l.split_once(" (").unwrap();
            let rows = rest.split_once(' ').unwrap().0.parse().unwrap();
            (name.to_string(), rows)
        })
        .collect()
}

/// `export` of `evidence` with `args`; it must succeed. Returns stdout.
fn export_of(evidence: &Path, args: &[&str]) -> String {
    let mut all = vec!["export", evidence.to_str().unwrap()];
    all.extend(args);
    let run = snapaudit(&all);
    assert_eq!(run.code, 0, "export failed: {}", run.stderr);
    run.stdout
}

/// `export` of the demo with `args`.
fn export(args: &[&str]) -> String {
    export_of(&snapshot("demo"), args)
}

/// Runs a Python program with `args`; its standard output parsed as JSON.
fn python_json(program: &str, args: &[&str]) -> Value {
    let out = Command::new("python3")
        .arg("-c")
        .arg(program)
        .args(args)
        .output()
        .expect("python3 runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "python3 failed: {stderr}");
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Reads every `*.csv` of a folder with Python's csv module: name → its rows as objects.
const READ_CSV: &str = r#"
import csv, json, pathlib, sys
out = {}
for path in sorted(pathlib.Path(sys.argv[1]).glob("*.csv")):
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        out[path.stem] = {"header": reader.fieldnames, "rows": list(reader)}
print(json.dumps(out))
"#;

#[test]
fn csv_read_back_by_pythons_csv_module_has_every_table_and_row() {
    let dir = scratch("export-csv");
    export(&[
        "--table",
        "all",
        "--format",
        "csv",
        "--out",
        dir.to_str().unwrap(),
    ]);
    let read = python_json(READ_CSV, &[dir.to_str().unwrap()]);
    let expected = table_rows();
    assert_eq!(read.as_object().unwrap().len(), expected.len());
    for (name, rows) in &expected {
        let table = &read[name.as_str()];
        assert_eq!(
            table["rows"].as_array().unwrap().len() as u64,
            *rows,
            "{name}"
        );
        let header = table["header"].as_array().unwrap();
        assert_eq!(header.last().unwrap(), "evidence", "{name}");
        assert!(!header.iter().any(|h| h.as_str().unwrap().ends_with("_ref")));
    }
    let services = &read["ecs_services"]["rows"];
    let web = services
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["service_name"] == "web");
    let web = web.expect("the web service is a row");
    let subnets: Value = serde_json::from_str(web["subnets"].as_str().unwrap()).unwrap();
    assert_eq!(subnets.as_array().unwrap().len(), 2, "lists are JSON text");
    let evidence: Value = serde_json::from_str(web["evidence"].as_str().unwrap()).unwrap();
    assert_eq!(evidence[0]["file"], "ecs/describe-services.json");
    assert_eq!(web["desired_count"], "2");
}

#[test]
fn jsonl_rows_are_the_rows_query_sees_in_the_same_order() {
    let exported = export(&["--table", "ecs_services", "--format", "jsonl"]);
    let demo = snapshot("demo");
    let queried = snapaudit(&[
        "query",
        demo.to_str().unwrap(),
        "--table",
        "ecs_services",
        ".",
    ]);
    let parse = |text: &str| -> Vec<Value> {
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let rows = parse(&exported);
    assert_eq!(rows.len() as u64, table_rows()["ecs_services"]);
    assert_eq!(rows, parse(&queried.stdout));
    assert!(rows[0]["security_groups"].is_array(), "lists stay native");
}

#[test]
fn an_export_is_byte_identical_each_time() {
    let once = export(&["--table", "eni_exposure", "--format", "csv"]);
    assert_eq!(
        once,
        export(&["--table", "eni_exposure", "--format", "csv"])
    );
    assert!(once.lines().count() > 1);
}

#[test]
fn parquet_needs_a_folder_and_an_unknown_table_is_named() {
    let demo = snapshot("demo");
    let demo = demo.to_str().unwrap();
    let run = snapaudit(&["export", demo, "--table", "all", "--format", "parquet"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--out DIR"), "{}", run.stderr);
    let run = snapaudit(&["export", demo, "--table", "nope", "--format", "csv"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("tables are: addresses"),
        "{}",
        run.stderr
    );
}

/// Counts, with DuckDB over the Parquet export: rows per table and the ECS.2 query. Exit 3
/// when DuckDB is missing.
const DUCKDB_COUNTS: &str = r#"
import json, pathlib, sys
try:
    import duckdb
except ImportError:
    sys.exit(3)
root = pathlib.Path(sys.argv[1])
def scan(table):
    return (f"read_parquet('{root}/{table}/**/*.parquet', hive_partitioning = true, "
            "hive_types_autocast = false)")
con = duckdb.connect()
out = {"rows": {}}
for table in sorted(p.name for p in root.iterdir()):
    out["rows"][table] = con.execute(f"select count(*) from {scan(table)}").fetchall()[0][0]
out["ecs2"] = con.execute(f"""
    select account, region, count(*) from {scan('ecs_services')}
    where network_mode = 'awsvpc' and assign_public_ip = 'ENABLED'
      and status is distinct from 'INACTIVE'
    group by all""").fetchall()
if (root / "eni_exposure").is_dir():
    out["hops"] = dict(con.execute(f"""
        select network_interface_id, hops_json from {scan('eni_exposure')}""").fetchall())
print(json.dumps(out))
"#;

/// DuckDB's counts over `dir`, or `None` when DuckDB is missing outside CI (under `CI=true`
/// it is required: .ci/run installs it).
fn duckdb_counts(dir: &Path) -> Option<Value> {
    let out = Command::new("python3")
        .arg("-c")
        .arg(DUCKDB_COUNTS)
        .arg(dir)
        .output()
        .expect("python3 runs");
    if out.status.code() == Some(3) {
        skip_without("DuckDB", "pip install duckdb");
        return None;
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "DuckDB failed: {stderr}");
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

#[test]
fn duckdb_reads_the_parquet_export_and_reproduces_the_ecs2_count() {
    let dir = scratch("export-parquet");
    export(&[
        "--table",
        "all",
        "--format",
        "parquet",
        "--out",
        dir.to_str().unwrap(),
    ]);
    let part = dir.join("ecs_services/account=111122223333/region=eu-west-1/part-0.parquet");
    assert!(part.is_file(), "Hive layout: {}", part.display());
    let Some(counts) = duckdb_counts(&dir) else {
        return;
    };
    let with_rows: BTreeMap<String, u64> = table_rows()
        .into_iter()
        .filter(|(_, rows)| *rows > 0)
        .collect();
    let read: BTreeMap<String, u64> = serde_json::from_value(counts["rows"].clone()).unwrap();
    assert_eq!(read, with_rows, "a table with no rows writes no file");
    let (_, report) = scan_json(&[&snapshot("demo")], &["--rule", "ECS.2"]);
    let findings = report["findings"].as_array().unwrap().len();
    assert!(findings > 0);
    assert_eq!(
        counts["ecs2"],
        serde_json::json!([["111122223333", "eu-west-1", findings]]),
        "the account stays text (hive_types_autocast = false)"
    );
    let read: BTreeMap<String, String> = serde_json::from_value(counts["hops"].clone()).unwrap();
    let parsed = read.into_iter().map(|(id, hops)| {
        let hops: Value = serde_json::from_str(&hops).unwrap();
        (id, hops)
    });
    assert_eq!(
        parsed.collect::<BTreeMap<_, _>>(),
        hops_by_interface(&snapshot("demo")),
        "the computed hops_json column is written to Parquet as `query` sees it"
    );
}

/// Each interface's `hops` as `query --table eni_exposure` gives them.
fn hops_by_interface(evidence: &Path) -> BTreeMap<String, Value> {
    let filter = "[.network_interface_id, .hops]";
    let rows: BTreeMap<String, Value> = (common::query_values(evidence, "eni_exposure", filter))
        .into_iter()
        .map(|pair| serde_json::from_value::<(String, Value)>(pair).unwrap())
        .collect();
    assert!(!rows.is_empty());
    assert!(rows.values().all(|h| !h.as_array().unwrap().is_empty()));
    rows
}

#[test]
fn the_csv_export_writes_each_interfaces_computed_hops_as_query_sees_them() {
    let evidence = snapshot("SA.NET.1");
    let dir = scratch("export-csv-hops");
    let file = dir.join("eni_exposure.csv");
    let args = ["--table", "eni_exposure", "--format", "csv", "--out"];
    export_of(&evidence, &[&args[..], &[file.to_str().unwrap()]].concat());
    let read = python_json(READ_CSV, &[dir.to_str().unwrap()]);
    let rows = read["eni_exposure"]["rows"].as_array().unwrap().iter();
    let hops: BTreeMap<String, Value> = rows
        .map(|r| {
            let id = r["network_interface_id"].as_str().unwrap().to_string();
            (
                id,
                serde_json::from_str(r["hops"].as_str().unwrap()).unwrap(),
            )
        })
        .collect();
    assert_eq!(hops, hops_by_interface(&evidence));
}

#[test]
fn duckdb_reproduces_the_ecs2_count_of_the_generated_tiny_preset() {
    let Some(evidence) = common::generated_preset("export-tiny", "tiny") else {
        return;
    };
    let out = evidence.parent().unwrap().join("parquet");
    let table = ["--table", "ecs_services", "--format", "parquet"];
    export_of(
        &evidence,
        &[&table[..], &["--out", out.to_str().unwrap()]].concat(),
    );
    let Some(counts) = duckdb_counts(&out) else {
        return;
    };
    let text = std::fs::read_to_string(evidence.join("MANIFEST.json")).unwrap();
    let manifest: Value = serde_json::from_str(&text).unwrap();
    let mut expected: BTreeMap<String, u64> = BTreeMap::new();
    for arn in manifest["expected"]["ECS.2"]["ids"].as_array().unwrap() {
        let parts: Vec<&str> = arn.as_str().unwrap().split(':').collect();
        *expected
            .entry(format!("{}/{}", parts[4], parts[3]))
            .or_default() += 1;
    }
    let found: BTreeMap<String, u64> = counts["ecs2"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                format!("{}/{}", g[0].as_str().unwrap(), g[1].as_str().unwrap()),
                g[2].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(
        found, expected,
        "ECS.2 per account/region, DuckDB against the manifest"
    );
}

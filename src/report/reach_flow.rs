//! The "Observed" section of `reach`: what the flow logs saw arrive at the interface from
//! internet sources (accepted and rejected, per protocol and port, in the captured window), set
//! beside the computed path: which hop a reject is consistent with, and which accepted flow the
//! evidence does not explain. An interface without flow records says so: unknown, never "no
//! traffic".

use std::io::Write;

use anyhow::Result;
use serde_json::{Value, json};

use super::reach_status::write_sources;
use crate::reach::{Protocol, Query, Reachable};
use crate::tables::Tables;
use crate::tables::exposure::Eni;

/// The rows of `table` for one interface, as JSON.
fn rows_of(tables: &Tables, table: &str, eni: &str) -> Result<Vec<Value>> {
    let ids = tables.get(table)?.column("network_interface_id")?.str()?;
    let rows: Vec<usize> = (0..ids.len())
        .filter(|i| ids.get(*i) == Some(eni))
        .collect();
    rows.into_iter().map(|i| tables.row(table, i)).collect()
}

/// Whether a flow row answers the query's protocol and port.
fn in_query(row: &Value, query: &Query) -> bool {
    let protocol = query.protocol.filter(|p| !p.is_all());
    protocol.is_none_or(|p| row["protocol"] == p.name())
        && query.port.is_none_or(|p| row["port"] == u64::from(p))
}

/// ` (through load balancer …)` when the way the evidence computes is not only the direct one.
fn through(row: &Value) -> String {
    match row["computed_via"].as_str() {
        Some(via) if via != "direct" => format!(" ({via})"),
        _ => String::new(),
    }
}

/// What a flow means beside the computed path: for a reject, the hop the engine finds closing
/// that protocol and port; for an accepted flow on a port computed closed, that the evidence
/// does not explain it. A path through a load balancer that preserves the client's address is
/// named when it is what the evidence computes open.
fn meaning(tables: &Tables, eni: &Eni, row: &Value) -> String {
    let accepted = row["action"] == "ACCEPT";
    match (accepted, row["computed"].as_str().unwrap_or("unknown")) {
        (true, "closed") => "NOT explained by the evidence: computed closed (see SA.NET.4)".into(),
        (true, state) => format!("consistent: computed {state}{}", through(row)),
        (false, "open") if row["computed_via"] != "direct" => format!(
            "rejected where the evidence computes it open{}: the operating system or a change \
             since the export",
            through(row)
        ),
        (false, _) => {
            let query = Query {
                protocol: row["protocol"].as_str().and_then(Protocol::parse),
                port: row["port"].as_u64().and_then(|p| u16::try_from(p).ok()),
                from: None,
            };
            let eval = tables.network().evaluate(eni, &query);
            match eval.reachable() {
                Reachable::Yes => "rejected where the evidence computes it open: the operating \
                                   system or a change since the export"
                    .into(),
                _ => eval
                    .blocking_hop(eni.primary_version(), eni)
                    .map_or("consistent with a closed path".into(), |h| {
                        format!("consistent with {}: {}", h.hop.as_str(), h.detail)
                    }),
            }
        }
    }
}

/// The Observed section as JSON: `{covered, window: {from, to}, flows: [...], note}`.
pub fn observed_json(tables: &Tables, eni: &Eni, query: &Query) -> Result<Value> {
    let records = rows_of(tables, "flow_records", &eni.id)?;
    if records.is_empty() {
        return Ok(json!({
            "covered": false,
            "note": "no flow log records for this interface in the evidence: what reached it is \
                     unknown (not \"no traffic\"); export its flow log records to see it",
        }));
    }
    let bound = |key: &'static str| records.iter().filter_map(move |r| r[key].as_str());
    let window = json!({"from": bound("first_seen").min(), "to": bound("last_seen").max()});
    let flows: Vec<Value> = rows_of(tables, "flow_observations", &eni.id)?
        .into_iter()
        .filter(|r| in_query(r, query))
        .map(|r| {
            let keep = [
                "protocol", "port", "action", "sources", "records", "packets", "bytes",
            ];
            let mut flow: serde_json::Map<String, Value> = keep
                .iter()
                .map(|k| (k.to_string(), r[*k].clone()))
                .collect();
            flow.insert("first_seen".into(), r["first_seen"].clone());
            flow.insert("last_seen".into(), r["last_seen"].clone());
            flow.insert("computed".into(), r["computed"].clone());
            flow.insert("computed_via".into(), r["computed_via"].clone());
            flow.insert("meaning".into(), json!(meaning(tables, eni, &r)));
            flow.insert("evidence".into(), r["evidence"].clone());
            Value::Object(flow)
        })
        .collect();
    Ok(json!({"covered": true, "window": window, "flows": flows}))
}

/// Writes the Observed section (as built by [`observed_json`]).
pub fn write_observed(out: &mut dyn Write, observed: &Value) -> Result<()> {
    if observed["covered"] != Value::Bool(true) {
        writeln!(
            out,
            "Observed: {}",
            observed["note"].as_str().unwrap_or_default()
        )?;
        return Ok(());
    }
    let window = &observed["window"];
    let text = |v: &Value| v.as_str().unwrap_or("?").to_string();
    writeln!(
        out,
        "Observed (flow logs, {} to {}), from internet sources:",
        text(&window["from"]),
        text(&window["to"])
    )?;
    let flows = observed["flows"].as_array().cloned().unwrap_or_default();
    if flows.is_empty() {
        writeln!(
            out,
            "  no flows from internet sources recorded in the window for this query"
        )?;
    }
    for f in flows {
        let port = f["port"]
            .as_u64()
            .map_or(String::new(), |p| format!(" {p}"));
        writeln!(
            out,
            "  {} {}{port}: {} sources, {} records, {} packets, {} to {}; {}",
            f["action"].as_str().unwrap_or("?"),
            f["protocol"].as_str().unwrap_or("?"),
            f["sources"],
            f["records"],
            f["packets"],
            text(&f["first_seen"]),
            text(&f["last_seen"]),
            f["meaning"].as_str().unwrap_or_default()
        )?;
        for (role, label) in [
            ("record", "    first record:"),
            ("load_balancer", "    load balancer:"),
            ("target", "    target:"),
        ] {
            let cited: Vec<&Value> = (f["evidence"].as_array().into_iter().flatten())
                .filter(|e| e["role"] == role)
                .collect();
            write_sources(out, label, &json!(cited))?;
        }
    }
    Ok(())
}

//! The `flow_observations` view: what the flow logs saw arrive from internet sources (records
//! with status `OK`, direction ingress or not recorded, not the reply side of a connection the
//! interface opened), joined to the interface's computed
//! exposure in `eni_exposure` (and its paths through load balancers), with `computed` saying
//! whether the evidence computes that protocol and port open to the internet.

use std::collections::HashMap;

use anyhow::Result;
use polars::prelude::*;
use serde_json::Value;

use super::Tables;

/// The columns taken from `eni_exposure`.
const EXPOSURE: [&str; 7] = [
    "network_interface_id",
    "owner",
    "owner_type",
    "owner_id",
    "reachable",
    "exposed_json",
    "reachable_via_load_balancer",
];

/// `flow_observations`: one row per `flow_records` row of internet sources, with `computed`
/// `open`, `indeterminate`, `closed`, or `unknown` when the interface is not in the evidence.
pub fn flow_observations(tables: &Tables) -> Result<DataFrame> {
    let exposure = tables
        .get("eni_exposure")?
        .clone()
        .lazy()
        .select(EXPOSURE.map(col))
        .with_column(col("network_interface_id").alias("exposure_interface"));
    let joined = tables
        .get("flow_records")?
        .clone()
        .lazy()
        .filter(
            col("source_class")
                .eq(lit("internet"))
                .and(col("log_status").eq(lit("OK")))
                .and(
                    col("direction")
                        .neq(lit("egress"))
                        .or(col("direction").is_null()),
                )
                .and(col("reply").neq(lit(true)).or(col("reply").is_null())),
        )
        .join(
            exposure,
            [col("network_interface_id")],
            [col("network_interface_id")],
            JoinArgs::new(JoinType::Left),
        )
        .collect()?;
    let computed = computed(&joined)?;
    let mut out = joined.drop_many(["exposed_json", "exposure_interface"]);
    out.with_column(Column::new("computed".into(), computed))?;
    Ok(out)
}

/// Whether each row's protocol and port is open to the internet by the interface's computed
/// exposure (each interface's exposure is read once).
fn computed(joined: &DataFrame) -> Result<Vec<&'static str>> {
    let mut exposures: HashMap<&str, Vec<Value>> = HashMap::new();
    let known = joined.column("exposure_interface")?.str()?;
    let exposed = joined.column("exposed_json")?.str()?;
    let protocol = joined.column("protocol")?.str()?;
    let port = joined.column("port")?.i64()?;
    let mut out = Vec::with_capacity(joined.height());
    for i in 0..joined.height() {
        let (Some(eni), Some(text)) = (known.get(i), exposed.get(i)) else {
            out.push("unknown");
            continue;
        };
        let list = match exposures.entry(eni) {
            std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => v.insert(serde_json::from_str(text)?),
        };
        out.push(state(list, protocol.get(i), port.get(i)));
    }
    Ok(out)
}

/// `open` when a determined exposure covers the protocol and port, `indeterminate` when only
/// an exposure that depends on missing evidence does, `closed` otherwise.
fn state(exposed: &[Value], protocol: Option<&str>, port: Option<i64>) -> &'static str {
    let covers = |e: &&Value| {
        let p = e["protocol"].as_str();
        let ported = matches!(p, Some("tcp" | "udp"));
        (p == Some("all") || p == protocol)
            && (!ported
                || port.is_some_and(|port| {
                    e["ports"]["from"].as_i64() <= Some(port)
                        && Some(port) <= e["ports"]["to"].as_i64()
                }))
    };
    let matching: Vec<&Value> = exposed.iter().filter(covers).collect();
    if matching
        .iter()
        .any(|e| e["indeterminate"] != Value::Bool(true))
    {
        "open"
    } else if matching.is_empty() {
        "closed"
    } else {
        "indeterminate"
    }
}

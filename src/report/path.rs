//! The JSON shape of a reachability path, shared by `reach --format json` and the
//! `eni_exposure` view's `hops_json` / `exposed_json` columns: hops with the evidence behind each,
//! and exposures with their exact sources.

use anyhow::Result;
use serde::Serialize;
use serde_json::{Value, json};

use crate::reach::{self, AddrSet, Exposure, Hop, IpVersion, Reachable};
use crate::tables::exposure::LbPath;
use crate::tables::{EvidenceRef, Tables};

/// A verdict as JSON: `true`, `false` or `"indeterminate"`.
pub fn reachable_json(r: Reachable) -> Value {
    match r {
        Reachable::Yes => Value::Bool(true),
        Reachable::No => Value::Bool(false),
        Reachable::Indeterminate => Value::String("indeterminate".into()),
    }
}

/// One hop as JSON, borrowed: `{hop, verdict, detail, evidence: [{role, file, sha256, document,
/// pointer}]}`. The fields are in name order, the order of a serialised [`Value`] object, so
/// writing this struct and writing its [`Value`] give the same text.
#[derive(Debug, Serialize)]
pub struct HopJson<'a> {
    /// What the hop found.
    pub detail: &'a str,
    /// The evidence records it relied on.
    pub evidence: Vec<EvidenceRef<'a>>,
    /// The hop's name.
    pub hop: &'static str,
    /// `pass`, `fail` or `indeterminate`.
    pub verdict: &'static str,
}

/// One hop with the evidence behind it ([`HopJson`]); an error when a record names a file
/// outside those read.
pub fn hop_json<'a>(tables: &'a Tables, hop: &'a Hop) -> Result<HopJson<'a>> {
    let network = tables.network();
    let role = hop.hop.as_str();
    let evidence = (hop.records.iter())
        .map(|r| tables.evidence_ref(role, network.source(*r)))
        .collect::<Result<Vec<_>>>()?;
    Ok(HopJson {
        detail: &hop.detail,
        evidence,
        hop: role,
        verdict: hop.verdict.as_str(),
    })
}

/// Hops as JSON: an array of [`HopJson`].
pub fn hops_json(tables: &Tables, hops: &[Hop]) -> Result<Value> {
    let hops = (hops.iter())
        .map(|h| Ok(serde_json::to_value(hop_json(tables, h)?)?))
        .collect::<Result<Vec<_>>>()?;
    Ok(Value::Array(hops))
}

/// Hops as the JSON text [`hops_json`] gives, written straight from the hops.
pub fn hops_text(tables: &Tables, hops: &[Hop]) -> Result<String> {
    let hops = (hops.iter())
        .map(|h| hop_json(tables, h))
        .collect::<Result<Vec<_>>>()?;
    Ok(serde_json::to_string(&hops)?)
}

/// One exposure as JSON: protocol, ports `{from, to}`, a label (`tcp 443`), the exact source
/// CIDRs, a short description of them, the IP version and whether they are the whole internet.
pub fn exposure_json(version: IpVersion, e: &Exposure) -> Value {
    json!({
        "protocol": e.protocol.name(),
        "ports": {"from": e.ports.from, "to": e.ports.to},
        "label": reach::describe_ports(e.protocol, e.ports),
        "sources": e.sources.to_cidrs().iter().map(ToString::to_string).collect::<Vec<_>>(),
        "sources_text": reach::describe_sources(&e.sources, &AddrSet::internet(version)),
        "ip_version": version.as_str(),
        "whole_internet": e.whole_internet,
        "indeterminate": e.indeterminate,
    })
}

/// One path through a load balancer as JSON, without its hops: `{load_balancer_arn,
/// load_balancer_name, load_balancer_type, listener: {protocol, port, rule} | null,
/// target_group_arn, target_id, target_port, network_interface_id, reachable,
/// first_blocking_hop, exposed: [{label, sources_text, whole_internet}]}` (the `eni_exposure`
/// view's `load_balancer_paths`).
pub fn lb_path_summary(tables: &Tables, path: &LbPath) -> Value {
    let network = tables.network();
    let lb = &network.balancers.balancers[path.balancer];
    let group = &network.balancers.groups[path.group];
    let target = &group.targets[path.target];
    let listener = path.route.map(|(li, ri)| {
        let l = &lb.listeners[li];
        json!({"protocol": l.protocol, "port": l.port, "rule": l.routes[ri].priority})
    });
    let exposed: Vec<Value> = (path.exposed.iter())
        .map(|e| {
            json!({
                "label": reach::describe_ports(e.protocol, e.ports),
                "sources_text": reach::describe_sources(&e.sources, &AddrSet::internet(IpVersion::V4)),
                "whole_internet": e.whole_internet,
            })
        })
        .collect();
    json!({
        "load_balancer_arn": lb.arn,
        "load_balancer_name": lb.name,
        "load_balancer_type": lb.kind.as_str(),
        "listener": listener,
        "target_group_arn": group.arn,
        "target_id": target.id,
        "target_port": target.port,
        "network_interface_id": target.eni.map(|i| network.enis[i].id.as_str()),
        "reachable": reachable_json(path.reachable),
        "first_blocking_hop": path.blocking_hop().map(|h| h.hop.as_str()),
        "exposed": exposed,
    })
}

/// One path through a load balancer as JSON: its summary ([`lb_path_summary`]) with every hop
/// and the evidence behind it (`hops`) and the exact exposures, as `reach` prints it.
pub fn lb_path_json(tables: &Tables, path: &LbPath) -> Result<Value> {
    let mut v = lb_path_summary(tables, path);
    v["hops"] = hops_json(tables, &path.hops)?;
    let exposed = path.exposed.iter().map(|e| exposure_json(IpVersion::V4, e));
    v["exposed"] = Value::Array(exposed.collect());
    Ok(v)
}

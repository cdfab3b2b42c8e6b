//! The JSON shape of a reachability path, shared by `reach --format json` and the
//! `eni_exposure` view's `hops_json` / `exposed_json` columns: hops with the evidence behind each,
//! and exposures with their exact sources.

use anyhow::Result;
use serde_json::{Value, json};

use crate::reach::{self, AddrSet, Exposure, Hop, IpVersion};
use crate::tables::Tables;

/// Hops as JSON: `{hop, verdict, detail, evidence: [{role, file, sha256, document, pointer}]}`.
pub fn hops_json(tables: &Tables, hops: &[Hop]) -> Result<Value> {
    let network = tables.network();
    let hops = hops
        .iter()
        .map(|h| {
            let evidence = h
                .records
                .iter()
                .map(|r| tables.source_json(h.hop.as_str(), network.source(*r)))
                .collect::<Result<Vec<_>>>()?;
            Ok(json!({
                "hop": h.hop.as_str(),
                "verdict": h.verdict.as_str(),
                "detail": h.detail,
                "evidence": evidence,
            }))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Value::Array(hops))
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

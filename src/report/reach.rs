//! `snapaudit reach`: one target's path from the internet, hop by hop, as text or JSON.

use std::io::Write;

use anyhow::{Result, bail};
use serde_json::{Value, json};

use super::path::{exposure_json, hops_json, reachable_json};
use super::reach_flow::{observed_json, write_observed};
use super::reach_lb::{via_json, write_via};
use super::reach_status::{status_json, write_status};
use crate::reach::{IpVersion, Protocol, Query, Reachable};
use crate::tables::Tables;
use crate::tables::exposure::{Eni, EniEvaluation};

/// What the evidence cannot show, whatever the verdict.
const NOT_SHOWN: [&str; 2] = [
    "the operating system's firewall (iptables, nftables, Windows Firewall) and whether a process listens on the port",
    "the operating system's own routes and interface configuration",
];

/// The interfaces a `--to` value names: an ENI id, the ENIs attached to an instance, or the ENI
/// of an ECS task (by ARN). An unknown target is an error naming what was searched.
pub fn resolve<'a>(tables: &'a Tables, target: &str) -> Result<Vec<&'a Eni>> {
    let enis = &tables.network().enis;
    let found: Vec<&Eni> = enis
        .iter()
        .filter(|e| {
            e.id == target
                || e.instance_id.as_deref() == Some(target)
                || e.owner.id.as_deref() == Some(target)
        })
        .collect();
    if found.is_empty() {
        bail!(
            "no network interface, instance or ECS task `{target}` in the evidence: searched the ids, \
             instance attachments and ECS task ARNs of {} network interfaces; export \
             describe-network-interfaces (and describe-tasks for a task ARN) covering it",
            enis.len()
        );
    }
    Ok(found)
}

fn query_json(query: &Query) -> Value {
    json!({
        "protocol": query.protocol.map_or("all".to_string(), Protocol::name),
        "port": query.port,
        "from": query.from.map_or("any internet address".to_string(), |n| n.to_string()),
    })
}

/// The path of one version as JSON: reachable, hops, blocking hop.
fn path_json(tables: &Tables, eni: &Eni, eval: &EniEvaluation, v: IpVersion) -> Result<Value> {
    Ok(json!({
        "ip_version": v.as_str(),
        "reachable": reachable_json(eval.reachable_in(v)),
        "hops": hops_json(tables, &eval.hops(v, eni))?,
        "blocking_hop": eval.blocking_hop(v, eni).map(|h| h.hop.as_str()),
    }))
}

/// One interface's answer. The top level is the public IPv4 path (`hops`, `blocking_hop`);
/// `reachable` is over any version; `ipv6` holds the IPv6 path when the interface has IPv6
/// addresses; `exposed` lists the exposures of both versions.
pub fn interface_json(tables: &Tables, eni: &Eni, query: &Query) -> Result<Value> {
    let eval = tables.network().evaluate(eni, query);
    let v4 = path_json(tables, eni, &eval, IpVersion::V4)?;
    let ipv6 = if eni.ipv6.is_empty() {
        Value::Null
    } else {
        path_json(tables, eni, &eval, IpVersion::V6)?
    };
    let status_checks = match &eni.instance_id {
        Some(instance) => status_json(tables, instance)?,
        None => Value::Null,
    };
    let exposed: Vec<Value> = eval
        .exposed()
        .into_iter()
        .map(|(v, e)| exposure_json(v, e))
        .collect();
    Ok(json!({
        "network_interface_id": eni.id,
        "status_checks": status_checks,
        "owner_type": eni.owner.kind.as_str(),
        "owner_id": eni.owner.id,
        "service_name": eni.owner.service_name,
        "service_arn": eni.owner.service_arn,
        "account": eni.account(),
        "region": eni.region(),
        "vpc_id": eni.vpc_id(),
        "subnet_id": eni.subnet_id(),
        "public_ips": eni.public_ips.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "ipv6_addresses": eni.ipv6.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "query": query_json(query),
        "reachable": reachable_json(eval.reachable()),
        "reachable_v4": reachable_json(eval.reachable_in(IpVersion::V4)),
        "ip_version": "IPv4",
        "hops": v4["hops"],
        "blocking_hop": match eval.reachable() {
            Reachable::Yes => None,
            _ => eval.blocking_hop(eni.primary_version(), eni).map(|h| h.hop.as_str()),
        },
        "ipv6": ipv6,
        "exposed": exposed,
        "via_load_balancers": via_json(tables, eni, query)?,
        "observed": observed_json(tables, eni, query)?,
        "not_shown": NOT_SHOWN,
    }))
}

/// The answer for a target: one interface's object, or, when the target names several
/// interfaces (an instance with more than one), `{target, reachable, interfaces: […]}`.
pub fn target_json(tables: &Tables, target: &str, enis: &[&Eni], query: &Query) -> Result<Value> {
    let mut items = enis
        .iter()
        .map(|e| interface_json(tables, e, query))
        .collect::<Result<Vec<_>>>()?;
    if items.len() == 1 {
        let mut one = items.remove(0);
        one["target"] = json!(target);
        return Ok(one);
    }
    let any = |v: &Value| items.iter().any(|i| i["reachable"] == *v);
    let reachable = if any(&Value::Bool(true)) {
        Value::Bool(true)
    } else if any(&json!("indeterminate")) {
        json!("indeterminate")
    } else {
        Value::Bool(false)
    };
    Ok(json!({"target": target, "reachable": reachable, "interfaces": items}))
}

/// A verdict in words, with the hop that blocks.
pub(super) fn verdict_text(v: &Value, blocking: &Value) -> String {
    match (v, blocking.as_str()) {
        (Value::Bool(true), _) => "REACHABLE from the internet".to_string(),
        (Value::Bool(false), Some(h)) => format!("NOT reachable (blocked at {h})"),
        (Value::Bool(false), None) => "NOT reachable".to_string(),
        (_, Some(h)) => format!(
            "INDETERMINATE: missing evidence decides the answer; every source the evidence \
             determines is blocked at {h}"
        ),
        _ => "INDETERMINATE: missing evidence decides the answer".to_string(),
    }
}

/// Numbered hops with their verdict, detail and evidence records; hop names in a column as
/// wide as the longest (at least 17).
pub(super) fn write_hops(out: &mut dyn Write, hops: &Value) -> Result<()> {
    let hops = hops.as_array().cloned().unwrap_or_default();
    let name = |h: &Value| h["hop"].as_str().unwrap_or_default().len();
    let width = hops.iter().map(name).max().unwrap_or(0).max(17);
    for (i, h) in hops.iter().enumerate() {
        writeln!(
            out,
            "  {:>w$}. {:<width$} {:<13} {}",
            i + 1,
            h["hop"].as_str().unwrap_or_default(),
            h["verdict"].as_str().unwrap_or_default(),
            h["detail"].as_str().unwrap_or_default(),
            w = if hops.len() > 9 { 2 } else { 1 },
        )?;
        for e in h["evidence"].as_array().into_iter().flatten() {
            writeln!(
                out,
                "       evidence: {} {} (sha256 {})",
                e["file"].as_str().unwrap_or_default(),
                e["pointer"].as_str().unwrap_or_default(),
                &e["sha256"].as_str().unwrap_or_default()
                    [..12.min(e["sha256"].as_str().unwrap_or_default().len())]
            )?;
        }
    }
    Ok(())
}

/// Writes one interface's answer (as built by [`interface_json`]) for a person.
fn write_interface(out: &mut dyn Write, v: &Value) -> Result<()> {
    let s = |k: &str| v[k].as_str().unwrap_or("-").to_string();
    let list = |k: &str| {
        let l: Vec<&str> = v[k]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        if l.is_empty() {
            "none".to_string()
        } else {
            l.join(", ")
        }
    };
    if v["status_checks"].is_object() {
        write_status(out, &v["status_checks"])?;
    }
    writeln!(
        out,
        "{} ({} {}{}) in {} / {}, account {}, region {}",
        s("network_interface_id"),
        s("owner_type"),
        s("owner_id"),
        v["service_name"]
            .as_str()
            .map_or(String::new(), |n| format!(", service {n}")),
        s("subnet_id"),
        s("vpc_id"),
        s("account"),
        s("region")
    )?;
    let q = &v["query"];
    writeln!(
        out,
        "Query: protocol {}, port {}, from {}",
        q["protocol"].as_str().unwrap_or("all"),
        q["port"]
            .as_u64()
            .map_or("any".to_string(), |p| p.to_string()),
        q["from"].as_str().unwrap_or_default()
    )?;
    writeln!(out, "\nIPv4 path (public IPv4: {}):", list("public_ips"))?;
    write_hops(out, &v["hops"])?;
    if v["ipv6"].is_object() {
        writeln!(out, "\nIPv6 path (addresses: {}):", list("ipv6_addresses"))?;
        write_hops(out, &v["ipv6"]["hops"])?;
        writeln!(
            out,
            "  IPv6 verdict: {}",
            verdict_text(&v["ipv6"]["reachable"], &v["ipv6"]["blocking_hop"])
        )?;
    }
    let through_lb = v["via_load_balancers"]
        .as_array()
        .is_some_and(|p| !p.is_empty());
    writeln!(
        out,
        "\nVerdict{}: {}",
        if through_lb { " (direct path)" } else { "" },
        verdict_text(&v["reachable"], &v["blocking_hop"])
    )?;
    write_via(out, &v["via_load_balancers"])?;
    write_observed(out, &v["observed"])?;
    write_exposed(out, v)
}

/// The exposures of both versions, then what the evidence cannot show.
fn write_exposed(out: &mut dyn Write, v: &Value) -> Result<()> {
    let exposed = v["exposed"].as_array().cloned().unwrap_or_default();
    if !exposed.is_empty() {
        writeln!(out, "Exposed:")?;
        for e in exposed {
            writeln!(
                out,
                "  {} from {} ({}){}",
                e["label"].as_str().unwrap_or_default(),
                e["sources_text"].as_str().unwrap_or_default(),
                e["ip_version"].as_str().unwrap_or_default(),
                if e["indeterminate"] == Value::Bool(true) {
                    " — depends on missing evidence"
                } else {
                    ""
                }
            )?;
        }
    }
    writeln!(out, "Not shown by the evidence:")?;
    for n in NOT_SHOWN {
        writeln!(out, "  - {n}")?;
    }
    Ok(())
}

/// Writes a target's answer (as built by [`target_json`]) for a person.
pub fn write_text(out: &mut dyn Write, answer: &Value) -> Result<()> {
    match answer["interfaces"].as_array() {
        Some(items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    writeln!(out, "\n{}", "-".repeat(72))?;
                }
                write_interface(out, item)?;
            }
            Ok(())
        }
        None => write_interface(out, answer),
    }
}

//! The load-balancer side of `snapaudit reach`: every path through a load balancer to the
//! target (`via_load_balancers`), and a load balancer's own front (`--to` its ARN or name), as
//! JSON and as text.

use std::io::Write;

use anyhow::Result;
use serde_json::{Value, json};

use super::path::{exposure_json, hops_json, lb_path_json, reachable_json};
use super::reach::{verdict_text, write_hops};
use crate::reach::{IpVersion, Query};
use crate::tables::Tables;
use crate::tables::exposure::{Balancer, Eni, listener_front, node_hops, scheme_hop, short_arn};

/// Every path through a load balancer to `eni`, hop by hop; with `--port`, only the paths whose
/// target port it is.
pub fn via_json(tables: &Tables, eni: &Eni, query: &Query) -> Result<Value> {
    let network = tables.network();
    let index = network.eni_index(eni.account(), &eni.id);
    let b = &network.balancers;
    let paths = (tables.lb_answers().paths.iter())
        .filter(|p| index.is_some() && b.groups[p.group].targets[p.target].eni == index)
        .filter(|p| query.port.is_none() || b.groups[p.group].targets[p.target].port == query.port)
        .map(|p| lb_path_json(tables, p))
        .collect::<Result<Vec<_>>>()?;
    Ok(Value::Array(paths))
}

/// The load balancer a `--to` value names (its ARN or name), if any.
pub fn find_balancer<'a>(tables: &'a Tables, target: &str) -> Option<&'a Balancer> {
    let balancers = &tables.network().balancers.balancers;
    (balancers.iter()).find(|b| b.arn == target || b.name == target)
}

/// A load balancer's own front: for each listener, the best node's hops from the internet.
pub fn balancer_json(tables: &Tables, lb: &Balancer) -> Result<Value> {
    let network = tables.network();
    let mut listeners = Vec::new();
    for (i, l) in lb.listeners.iter().enumerate() {
        let front = listener_front(network, lb, i);
        let (node, reachable, blocking, hops, exposed) = match &front {
            Some((n, e)) => (
                Some(network.enis[*n].id.as_str()),
                reachable_json(e.reachable),
                e.blocking_hop().map(|h| h.hop.as_str()),
                hops_json(tables, &node_hops(network, *n, e))?,
                (e.exposed.iter())
                    .map(|x| exposure_json(IpVersion::V4, x))
                    .collect(),
            ),
            None => (None, json!("indeterminate"), None, json!([]), Vec::new()),
        };
        listeners.push(json!({
            "protocol": l.protocol,
            "port": l.port,
            "routes": l.routes.iter().map(|r| json!({"rule": r.priority, "action": r.describe()})).collect::<Vec<_>>(),
            "node": node,
            "reachable": reachable,
            "first_blocking_hop": blocking,
            "hops": hops,
            "exposed": exposed,
        }));
    }
    Ok(json!({
        "load_balancer_arn": lb.arn,
        "load_balancer_name": lb.name,
        "load_balancer_type": lb.kind.as_str(),
        "scheme": if lb.internet_facing { "internet-facing" } else { "internal" },
        "scheme_hop": hops_json(tables, &[scheme_hop(lb)])?[0],
        "account": lb.account,
        "region": lb.region,
        "security_groups": lb.security_groups,
        "node_interfaces": lb.nodes.iter().map(|&n| network.enis[n].id.as_str()).collect::<Vec<_>>(),
        "listeners": listeners,
    }))
}

/// "web-alb HTTPS 443 → targetgroup/web/… port 8080".
fn path_title(p: &Value) -> String {
    let listener = match p["listener"].as_object() {
        Some(l) => format!(
            "{} {}",
            l["protocol"].as_str().unwrap_or_default(),
            l["port"]
        ),
        None => "(no listener)".to_string(),
    };
    let group = p["target_group_arn"]
        .as_str()
        .map_or("instances", short_arn);
    format!(
        "{} {listener} → {group} port {}",
        p["load_balancer_name"].as_str().unwrap_or_default(),
        p["target_port"]
    )
}

/// The paths through load balancers, each hop by hop with its verdict, then one line saying
/// whether any reaches the target and which.
pub fn write_via(out: &mut dyn Write, via: &Value) -> Result<()> {
    let paths = via.as_array().cloned().unwrap_or_default();
    if paths.is_empty() {
        return Ok(());
    }
    for p in &paths {
        writeln!(out, "\nThrough load balancer {}:", path_title(p))?;
        write_hops(out, &p["hops"])?;
        let verdict = verdict_text(&p["reachable"], &p["first_blocking_hop"]);
        writeln!(out, "  Path verdict: {verdict}")?;
    }
    let open: Vec<String> = (paths.iter())
        .filter(|p| p["reachable"] == Value::Bool(true))
        .map(path_title)
        .collect();
    if open.is_empty() {
        writeln!(out, "Through load balancers: no path reaches it")?;
    } else {
        writeln!(
            out,
            "Through load balancers: REACHABLE via {}",
            open.join("; ")
        )?;
    }
    Ok(())
}

/// A load balancer's own front (as built by [`balancer_json`]) for a person.
pub fn write_balancer(out: &mut dyn Write, v: &Value) -> Result<()> {
    let s = |k: &str| v[k].as_str().unwrap_or("-").to_string();
    writeln!(
        out,
        "{} ({} load balancer, {}), account {}, region {}",
        s("load_balancer_arn"),
        s("load_balancer_type"),
        s("scheme"),
        s("account"),
        s("region")
    )?;
    write_hops(out, &json!([v["scheme_hop"]]))?;
    for l in v["listeners"].as_array().into_iter().flatten() {
        let node = l["node"]
            .as_str()
            .unwrap_or("no node interface in the evidence");
        writeln!(
            out,
            "\nListener {} {} (best node {node}):",
            l["protocol"].as_str().unwrap_or_default(),
            l["port"]
        )?;
        for r in l["routes"].as_array().into_iter().flatten() {
            writeln!(
                out,
                "  rule {}: {}",
                r["rule"].as_str().unwrap_or_default(),
                r["action"].as_str().unwrap_or_default()
            )?;
        }
        write_hops(out, &l["hops"])?;
        writeln!(
            out,
            "  Verdict: {}",
            verdict_text(&l["reachable"], &l["first_blocking_hop"])
        )?;
    }
    Ok(())
}

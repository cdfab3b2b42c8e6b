//! The load-balancer views: `lb_exposure`, one row per path (load balancer, listener route,
//! target group, registered target) with its verdict and every hop, and
//! `load_balancer_exposure`, one row per load balancer with whether the internet reaches any of
//! its nodes on any of its listeners.

use anyhow::Result;
use polars::prelude::*;
use serde_json::Value;

use super::lb_path::LbPath;
use super::{Balancer, BalancerListener, Eni, Network, chunked_frame};
use crate::reach::{Evaluation, Hop, IpVersion};
use crate::report::path::{exposure_json, hops_text};
use crate::tables::frame::FrameBuilder;
use crate::tables::{Tables, source_ref};

/// `internet-facing` or `internal`.
fn scheme(lb: &Balancer) -> &'static str {
    if lb.internet_facing {
        "internet-facing"
    } else {
        "internal"
    }
}

/// The columns naming a row's load balancer: account, region, ARN, name, type and scheme.
fn balancer_columns<'r, T>(
    frame: FrameBuilder<'r, T>,
    lb: fn(&'r T) -> &'r Balancer,
) -> FrameBuilder<'r, T> {
    frame
        .str("account", move |r| lb(r).account.as_deref())
        .str("region", move |r| lb(r).region.as_deref())
        .str("load_balancer_arn", move |r| Some(&lb(r).arn))
        .str("load_balancer_name", move |r| Some(&lb(r).name))
        .str("load_balancer_type", move |r| Some(lb(r).kind.as_str()))
        .str("scheme", move |r| Some(scheme(lb(r))))
}

/// A computed row of `lb_exposure`.
struct PathRow<'a> {
    path: &'a LbPath,
    lb: &'a Balancer,
    eni: Option<&'a Eni>,
    blocking: Option<&'a Hop>,
    hops: String,
    exposed: String,
}

impl<'a> PathRow<'a> {
    /// The path's listener and the index of its route.
    fn route(&self) -> Option<(&'a BalancerListener, usize)> {
        let lb: &'a Balancer = self.lb;
        self.path.route.map(|(li, ri)| (&lb.listeners[li], ri))
    }
}

/// `lb_exposure`: one row per path through a load balancer to a registered target, built a
/// chunk of paths at a time.
pub fn lb_exposure(tables: &Tables) -> Result<DataFrame> {
    chunked_frame(&tables.lb_answers().paths, |paths| {
        let rows = (paths.iter())
            .map(|path| path_row(tables, path))
            .collect::<Result<Vec<_>>>()?;
        path_frame(&rows, tables.network())
    })
}

/// The computed row of one path.
fn path_row<'a>(tables: &'a Tables, path: &'a LbPath) -> Result<PathRow<'a>> {
    let network = tables.network();
    let b = &network.balancers;
    let exposed: Vec<Value> = (path.exposed.iter())
        .map(|e| exposure_json(IpVersion::V4, e))
        .collect();
    let target = &b.groups[path.group].targets[path.target];
    Ok(PathRow {
        path,
        lb: &b.balancers[path.balancer],
        eni: target.eni.map(|i| &network.enis[i]),
        blocking: path.blocking_hop(),
        hops: hops_text(tables, &path.hops)?,
        exposed: Value::Array(exposed).to_string(),
    })
}

/// The `lb_exposure` frame of computed rows.
fn path_frame(rows: &[PathRow], network: &Network) -> Result<DataFrame> {
    let b = &network.balancers;
    let route = PathRow::route;
    let group = |r: &PathRow| &b.groups[r.path.group];
    let target = |r: &PathRow| &b.groups[r.path.group].targets[r.path.target];
    balancer_columns(FrameBuilder::new(rows), |r| r.lb)
        .str("listener_protocol", |r| {
            route(r).map(|(l, _)| l.protocol.as_str())
        })
        .int("listener_port", |r| {
            route(r).map(|(l, _)| i64::from(l.port))
        })
        .str("rule_priority", |r| {
            route(r).map(|(l, ri)| l.routes[ri].priority.as_str())
        })
        .str("target_group_arn", |r| group(r).arn.as_deref())
        .str("target_type", |r| Some(group(r).target_type.as_str()))
        .str("target_id", |r| Some(target(r).id.as_str()))
        .int("target_port", |r| target(r).port.map(i64::from))
        .str("target_state", |r| target(r).state.as_deref())
        .str("network_interface_id", |r| r.eni.map(|e| e.id.as_str()))
        .str("owner_type", |r| r.eni.map(|e| e.owner.kind.as_str()))
        .str("owner_id", |r| r.eni.and_then(|e| e.owner.id.as_deref()))
        .str("service_name", |r| {
            r.eni.and_then(|e| e.owner.service_name.as_deref())
        })
        .str("service_arn", |r| {
            r.eni.and_then(|e| e.owner.service_arn.as_deref())
        })
        .str("reachable", |r| Some(r.path.reachable.as_str()))
        .str("blocking_hop", |r| r.blocking.map(|h| h.hop.as_str()))
        .str("blocking_detail", |r| r.blocking.map(|h| h.detail.as_str()))
        .str("hops_json", |r| Some(&r.hops))
        .str("exposed_json", |r| Some(&r.exposed))
        .string("load_balancer_ref", |r| {
            Some(source_ref(network.source(r.lb.record)))
        })
        .string("target_ref", |r| {
            Some(source_ref(network.source(target(r).record)))
        })
        .build()
}

/// A computed row of `load_balancer_exposure`.
struct BalancerRow<'a> {
    lb: &'a Balancer,
    front: Option<&'a Evaluation>,
    listeners: Vec<String>,
    nodes: Vec<&'a str>,
    hops: Option<String>,
}

impl<'a> BalancerRow<'a> {
    /// The hop that closes the best node's front, if closed.
    fn blocking(&self) -> Option<&'a Hop> {
        let front: Option<&'a Evaluation> = self.front;
        front.and_then(Evaluation::blocking_hop)
    }
}

/// `load_balancer_exposure`: one row per load balancer: its listeners and node interfaces, and
/// whether the internet reaches a node on a listener (`nodes_reachable`; null when the evidence
/// holds no listener or no node interface), with the best node's hops.
pub fn load_balancer_exposure(tables: &Tables) -> Result<DataFrame> {
    let network = tables.network();
    let answers = tables.lb_answers();
    let rows = (network.balancers.balancers.iter().zip(&answers.fronts))
        .map(|(lb, front)| {
            Ok(BalancerRow {
                lb,
                front: front.as_ref(),
                listeners: (lb.listeners.iter())
                    .map(|l| format!("{} {}", l.protocol, l.port))
                    .collect(),
                nodes: lb
                    .nodes
                    .iter()
                    .map(|&n| network.enis[n].id.as_str())
                    .collect(),
                hops: match front {
                    Some(e) => Some(hops_text(tables, &e.hops)?),
                    None => None,
                },
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let blocking = BalancerRow::blocking;
    balancer_columns(FrameBuilder::new(&rows), |r| r.lb)
        .list("listeners", |r| r.listeners.iter().map(String::as_str))
        .list("node_interfaces", |r| r.nodes.iter().copied())
        .list("security_groups", |r| {
            r.lb.security_groups.iter().map(String::as_str)
        })
        .str("nodes_reachable", |r| r.front.map(|e| e.reachable.as_str()))
        .str("blocking_hop", |r| blocking(r).map(|h| h.hop.as_str()))
        .str("blocking_detail", |r| {
            blocking(r).map(|h| h.detail.as_str())
        })
        .str("hops_json", |r| r.hops.as_deref())
        .string("load_balancer_ref", |r| {
            Some(source_ref(network.source(r.lb.record)))
        })
        .build()
}

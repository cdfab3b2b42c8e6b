//! The `flow_observations` view: what the flow logs saw arrive from internet sources (records
//! with status `OK`, direction ingress or not recorded, not the reply side of a connection the
//! interface opened), joined to the interface's computed exposure in `eni_exposure` and to the
//! load-balancer paths that end at the interface, with `computed` saying whether the evidence
//! computes that protocol and port open to the internet, and `computed_via` which way.
//!
//! Only paths that hand the target the internet client's own address count: a Network Load
//! Balancer that preserves client IP addresses. An Application Load Balancer, a Classic Load
//! Balancer and a Network Load Balancer without client IP preservation present their nodes'
//! private addresses to the target, so what they carry is not internet-sourced in the flow logs
//! and is never judged here.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::ops::Not;

use anyhow::Result;
use polars::prelude::*;
use serde_json::{Value, json};

use super::exposure::{Balancer, BalancerGroup, LbPath, preserves_client_ip, transport};
use super::{Tables, source_ref};
use crate::reach::{IpVersion, Reachable};
use crate::report::path::exposure_json;

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
/// `open`, `indeterminate`, `closed`, or `unknown` when the interface is not in the evidence, and
/// `computed_via` the ways that give that answer (`direct`, `through load balancer …`; null when
/// closed or unknown), citing the first such load balancer and target (`load_balancer_ref`,
/// `target_ref`).
pub fn flow_observations(tables: &Tables) -> Result<DataFrame> {
    let flows = tables.get("flow_records")?;
    let exposure = exposure_of_flows(tables, flows)?
        .lazy()
        .select(EXPOSURE.map(col))
        .with_column(col("network_interface_id").alias("exposure_interface"));
    let joined = flows
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
    let answers = computed(tables, &joined)?;
    let mut out = joined.drop_many(["exposed_json", "exposure_interface"]);
    out.with_column(Column::new("computed".into(), answers.computed))?;
    out.with_column(Column::new("computed_via".into(), answers.via))?;
    let (balancers, targets): (Vec<_>, Vec<_>) =
        answers.refs.into_iter().map(Option::unzip).unzip();
    out.with_column(Column::new("load_balancer_ref".into(), balancers))?;
    out.with_column(Column::new("target_ref".into(), targets))?;
    Ok(out)
}

/// The `eni_exposure` columns the view takes ([`EXPOSURE`]), of the interfaces the flow records
/// name (the others join no record): some of them are computed, written only for these rows.
fn exposure_of_flows(tables: &Tables, flows: &DataFrame) -> Result<DataFrame> {
    let named: HashSet<&str> = match flows.column("network_interface_id")?.str() {
        Ok(ids) => ids.iter().flatten().collect(),
        Err(_) => HashSet::new(),
    };
    let ids = tables.get("eni_exposure")?.column("network_interface_id")?;
    let rows: Vec<usize> = (ids.str()?.iter().enumerate())
        .filter(|(_, id)| id.is_some_and(|id| named.contains(id)))
        .map(|(row, _)| row)
        .collect();
    tables.columns_of("eni_exposure", &rows, Some(&EXPOSURE))
}

/// One way the internet reaches an interface, with the exposures it admits (in
/// [`exposure_json`]'s shape).
struct Way {
    /// `direct`, or `through load balancer NAME, listener PROTOCOL PORT, target port PORT`.
    via: String,
    /// What this way admits from the internet.
    exposed: Vec<Value>,
    /// The load balancer's and the target's records (`FILE:DOCUMENT:POINTER`), for a path.
    refs: Option<(String, String)>,
}

/// Per row: the answer, the ways that give it, and the records of the first load-balancer path
/// among them.
#[derive(Default)]
struct Answers {
    computed: Vec<&'static str>,
    via: Vec<Option<String>>,
    refs: Vec<Option<(String, String)>>,
}

/// Whether each row's protocol and port is open to the internet, directly or through a load
/// balancer that preserves the client's address.
fn computed(tables: &Tables, joined: &DataFrame) -> Result<Answers> {
    let mut balancer_ways = if joined.height() == 0 {
        HashMap::new()
    } else {
        balancer_ways(tables)
    };
    let mut ways: HashMap<&str, Vec<Way>> = HashMap::new();
    let known = joined.column("exposure_interface")?.str()?;
    let exposed = joined.column("exposed_json")?.str()?;
    let protocol = joined.column("protocol")?.str()?;
    let port = joined.column("port")?.i64()?;
    let mut out = Answers::default();
    for i in 0..joined.height() {
        let (Some(eni), Some(text)) = (known.get(i), exposed.get(i)) else {
            out.computed.push("unknown");
            out.via.push(None);
            out.refs.push(None);
            continue;
        };
        let list = match ways.entry(eni) {
            Entry::Occupied(o) => o.into_mut(),
            Entry::Vacant(v) => {
                let direct = Way {
                    via: "direct".into(),
                    exposed: serde_json::from_str(text)?,
                    refs: None,
                };
                let through = balancer_ways.remove(eni).unwrap_or_default();
                v.insert([direct].into_iter().chain(through).collect())
            }
        };
        let (state, giving) = judge(list, protocol.get(i), port.get(i));
        out.computed.push(state);
        out.via.push(giving.is_empty().not().then(|| {
            let names: Vec<&str> = giving.iter().map(|w| w.via.as_str()).collect();
            names.join("; ")
        }));
        out.refs.push(giving.iter().find_map(|w| w.refs.clone()));
    }
    Ok(out)
}

/// The best answer over the ways (`open` over `indeterminate` over `closed`) and the ways that
/// give it (none when closed).
fn judge<'w>(
    ways: &'w [Way],
    protocol: Option<&str>,
    port: Option<i64>,
) -> (&'static str, Vec<&'w Way>) {
    let states: Vec<&str> = (ways.iter())
        .map(|w| state(&w.exposed, protocol, port))
        .collect();
    let Some(best) = ["open", "indeterminate"]
        .into_iter()
        .find(|s| states.contains(s))
    else {
        return ("closed", Vec::new());
    };
    let giving = (ways.iter().zip(&states))
        .filter(|(_, s)| **s == best)
        .map(|(w, _)| w)
        .collect();
    (best, giving)
}

/// The load-balancer paths that hand their target the internet client's address, as ways into
/// the target's interface, by interface id, in path order. A closed path admits nothing; an
/// indeterminate one may admit the target port.
fn balancer_ways(tables: &Tables) -> HashMap<&str, Vec<Way>> {
    let network = tables.network();
    let b = &network.balancers;
    let mut ways: HashMap<&str, Vec<Way>> = HashMap::new();
    for path in &tables.lb_answers().paths {
        let (lb, group) = (&b.balancers[path.balancer], &b.groups[path.group]);
        let target = &group.targets[path.target];
        let Some(eni) = target.eni.map(|i| network.enis[i].id.as_str()) else {
            continue;
        };
        if !preserves_client_ip(lb, group) {
            continue;
        }
        let exposed = match path.reachable {
            Reachable::Yes => (path.exposed.iter())
                .map(|e| exposure_json(IpVersion::V4, e))
                .collect(),
            Reachable::Indeterminate => vec![undetermined(group, target.port)],
            Reachable::No => continue,
        };
        let via = via(lb, path, target.port);
        let record = |id| source_ref(network.source(id));
        let refs = Some((record(lb.record), record(target.record)));
        ways.entry(eni)
            .or_default()
            .push(Way { via, exposed, refs });
    }
    ways
}

/// What an indeterminate path may admit: the target group's protocol on the target port (every
/// port when neither the target nor its group names one).
fn undetermined(group: &BalancerGroup, port: Option<u16>) -> Value {
    let protocol = transport(group.protocol.as_deref().unwrap_or("TCP"));
    let (from, to) = port.or(group.port).map_or((0, u16::MAX), |p| (p, p));
    json!({
        "protocol": protocol.name(),
        "ports": {"from": from, "to": to},
        "indeterminate": true,
    })
}

/// `through load balancer NAME, listener PROTOCOL PORT, target port PORT`.
fn via(lb: &Balancer, path: &LbPath, target_port: Option<u16>) -> String {
    let listener = path.route.map(|(li, _)| &lb.listeners[li]);
    let parts = [
        Some(format!("through load balancer {}", lb.name)),
        listener.map(|l| format!("listener {} {}", l.protocol, l.port)),
        target_port.map(|p| format!("target port {p}")),
    ];
    parts.into_iter().flatten().collect::<Vec<_>>().join(", ")
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

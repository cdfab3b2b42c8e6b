//! The `eni_exposure` view: one row per network interface with its owner, addresses and internet
//! reachability, hop by hop.
//!
//! - [`owner`]: what an interface belongs to (instance, ECS task, load balancer, …).
//! - [`network`]: the evidence converted into the engine's inputs, per account ([`Network`]).
//! - [`evaluation`]: one interface evaluated over both IP versions ([`EniEvaluation`]).
//!
//! Every engine input carries a `record` id indexing [`Network::source`], so each hop names the
//! evidence records it relied on.

mod balancer;
mod balancer_read;
mod evaluation;
mod lb_path;
mod lb_view;
mod network;
mod owner;

use std::collections::HashMap;
use std::net::IpAddr;

use anyhow::Result;
use polars::prelude::*;
use rayon::prelude::*;
use serde_json::Value;

pub use balancer::{
    Balancer, BalancerGroup, BalancerKind, BalancerListener, BalancerTarget, Balancers,
    ListenerRoute, RouteAction, short_arn,
};
pub use evaluation::EniEvaluation;
pub use lb_path::{
    LbAnswers, LbPath, lb_answers, listener_front, node_hops, preserves_client_ip, scheme_hop,
    transport,
};
pub use lb_view::{lb_exposure, load_balancer_exposure};
pub use network::{ConfigKey, Eni, Network};
pub use owner::{Owner, OwnerKind, TaskRef, task_refs};

use super::frame::FrameBuilder;
use super::{Tables, source_ref};
use crate::progress::Progress;
use crate::reach::{Hop, IpVersion, Query, Reachable};
use crate::report::path::{exposure_json, hops_json, lb_path_summary};

/// A computed row of `eni_exposure`.
struct Row<'a> {
    eni: &'a Eni,
    reachable: [&'static str; 3],
    blocking: Option<Hop>,
    hops: String,
    exposed: String,
    public_ips: Vec<String>,
    ipv6: Vec<String>,
    via_load_balancers: Option<&'a (Reachable, String)>,
}

/// The answer over several load-balancer paths: yes if one is open, else indeterminate if one
/// is, else no.
fn any_path(paths: &[&LbPath]) -> Reachable {
    let has = |r| paths.iter().any(|p| p.reachable == r);
    if has(Reachable::Yes) {
        Reachable::Yes
    } else if has(Reachable::Indeterminate) {
        Reachable::Indeterminate
    } else {
        Reachable::No
    }
}

/// Each interface's load-balancer paths (by index into [`Network::enis`]) as `reachable` and JSON.
fn via_load_balancers(tables: &Tables) -> HashMap<usize, (Reachable, String)> {
    let b = &tables.network().balancers;
    let mut by_eni: HashMap<usize, Vec<&LbPath>> = HashMap::new();
    for path in &tables.lb_answers().paths {
        if let Some(eni) = b.groups[path.group].targets[path.target].eni {
            by_eni.entry(eni).or_default().push(path);
        }
    }
    by_eni
        .into_iter()
        .map(|(eni, paths)| {
            let json = paths.iter().map(|p| lb_path_summary(tables, p)).collect();
            (eni, (any_path(&paths), Value::Array(json).to_string()))
        })
        .collect()
}

/// `eni_exposure`: one row per interface, with no query narrowing. Each distinct configuration
/// is evaluated once, in parallel; each row is then built from its configuration's answer, a
/// chunk of rows at a time (see [`chunked_frame`]).
pub fn eni_exposure(tables: &Tables) -> Result<DataFrame> {
    let network = tables.network();
    let keys: Vec<ConfigKey> = network.enis.iter().map(|e| network.config_key(e)).collect();
    let mut first: HashMap<&ConfigKey, &Eni> = HashMap::new();
    for (key, eni) in keys.iter().zip(&network.enis) {
        first.entry(key).or_insert(eni);
    }
    let answers: HashMap<&ConfigKey, EniEvaluation> = first
        .into_par_iter()
        .map(|(key, eni)| (key, network.evaluate(eni, &Query::default())))
        .collect();
    let via = via_load_balancers(tables);
    let indexes: Vec<usize> = (0..network.enis.len()).collect();
    chunked_frame(&indexes, |chunk| {
        let rows = chunk
            .iter()
            .map(|&i| {
                let eni = &network.enis[i];
                row(tables, eni, &answers[&keys[i]], via.get(&i))
            })
            .collect::<Result<Vec<_>>>()?;
        frame(&rows, network)
    })
}

/// Rows per chunk of a computed view: each chunk's rows, with their JSON text, live only until
/// the chunk's frame holds them, so a view never holds its JSON twice.
const CHUNK_ROWS: usize = 4096;

/// A view's frame built from `items` a chunk at a time, the chunks in parallel and stacked in
/// order.
pub(super) fn chunked_frame<T: Sync>(
    items: &[T],
    build: impl Fn(&[T]) -> Result<DataFrame> + Sync,
) -> Result<DataFrame> {
    let progress = Progress::new("views", items.len());
    let mut chunks = items
        .par_chunks(CHUNK_ROWS)
        .map(|chunk| {
            let df = build(chunk);
            progress.advance(chunk.len());
            df
        })
        .collect::<Result<Vec<_>>>()?
        .into_iter();
    let mut df = match chunks.next() {
        Some(df) => df,
        None => build(&[])?,
    };
    for chunk in chunks {
        df.vstack_mut_owned(chunk)?;
    }
    Ok(df)
}

/// The computed row of one interface, from its configuration's answer.
fn row<'a>(
    tables: &Tables,
    eni: &'a Eni,
    eval: &EniEvaluation,
    via_load_balancers: Option<&'a (Reachable, String)>,
) -> Result<Row<'a>> {
    let version = eni.primary_version();
    let hops = hops_json(tables, &eval.hops(version, eni))?.to_string();
    let exposed: Vec<Value> = eval
        .exposed()
        .into_iter()
        .map(|(v, e)| exposure_json(v, e))
        .collect();
    let text = |v: &[IpAddr]| v.iter().map(ToString::to_string).collect();
    Ok(Row {
        eni,
        reachable: [
            eval.reachable().as_str(),
            eval.reachable_in(IpVersion::V4).as_str(),
            eval.reachable_in(IpVersion::V6).as_str(),
        ],
        blocking: eval.blocking_hop(version, eni),
        hops,
        exposed: Value::Array(exposed).to_string(),
        public_ips: text(&eni.public_ips),
        ipv6: text(&eni.ipv6),
        via_load_balancers,
    })
}

/// The `eni_exposure` frame of computed rows.
fn frame(rows: &[Row], network: &Network) -> Result<DataFrame> {
    FrameBuilder::new(rows)
        .str("account", |r| r.eni.account.as_deref())
        .str("region", |r| r.eni.region.as_deref())
        .str("network_interface_id", |r| Some(&r.eni.id))
        .str("vpc_id", |r| r.eni.vpc_id.as_deref())
        .str("subnet_id", |r| r.eni.subnet_id.as_deref())
        .str("interface_type", |r| r.eni.interface_type.as_deref())
        .str("owner_type", |r| Some(r.eni.owner.kind.as_str()))
        .str("owner_id", |r| r.eni.owner.id.as_deref())
        .str("service_name", |r| r.eni.owner.service_name.as_deref())
        .str("service_arn", |r| r.eni.owner.service_arn.as_deref())
        .string("owner", |r| Some(r.eni.owner.describe()))
        .list("public_ips", |r| r.public_ips.iter().map(String::as_str))
        .list("ipv6_addresses", |r| r.ipv6.iter().map(String::as_str))
        .list("security_groups", |r| {
            r.eni.groups.iter().map(String::as_str)
        })
        .bool("has_public_address", |r| {
            Some(!r.eni.public_ips.is_empty() || !r.eni.ipv6.is_empty())
        })
        .str("reachable", |r| Some(r.reachable[0]))
        .str("reachable_v4", |r| Some(r.reachable[1]))
        .str("reachable_v6", |r| Some(r.reachable[2]))
        .str("path_version", |r| Some(r.eni.primary_version().as_str()))
        .str("blocking_hop", |r| {
            r.blocking.as_ref().map(|h| h.hop.as_str())
        })
        .str("blocking_detail", |r| {
            r.blocking.as_ref().map(|h| h.detail.as_str())
        })
        .str("hops_json", |r| Some(&r.hops))
        .str("exposed_json", |r| Some(&r.exposed))
        .str("reachable_via_load_balancer", |r| {
            r.via_load_balancers.map(|(v, _)| v.as_str())
        })
        .str("load_balancer_paths_json", |r| {
            r.via_load_balancers.map(|(_, j)| j.as_str())
        })
        .string("record_ref", |r| {
            Some(source_ref(network.source(r.eni.record)))
        })
        .build()
}

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
mod columns;
mod eni;
mod evaluation;
mod hops;
mod lb_path;
mod lb_view;
mod listing;
mod network;
mod owner;
mod targets;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::Result;
use polars::prelude::*;
use rayon::prelude::*;
use serde_json::Value;

pub use balancer::{
    Balancer, BalancerGroup, BalancerKind, BalancerListener, BalancerTarget, Balancers,
    ListenerRoute, RouteAction, short_arn,
};
pub use columns::ENI_EXPOSURE_COMPUTED;
pub use eni::{Eni, Place, Profile};
pub use evaluation::EniEvaluation;
pub use hops::PathCache;
pub use lb_path::{
    LbAnswers, LbPath, lb_answers, listener_front, node_hops, preserves_client_ip, scheme_hop,
    transport,
};
pub use lb_view::{lb_exposure, load_balancer_exposure};
pub use listing::Listing;
pub use network::{ConfigKey, Network};
pub use owner::{Owner, OwnerKind, TaskRef, task_refs};
pub use targets::TargetInterfaces;

use super::Tables;
use super::frame::FrameBuilder;
use crate::progress::Progress;
use crate::reach::{Evaluation, HopKind, IpVersion, Query, Reachable};
use crate::report::path::{exposure_json, lb_path_summary};

/// A row of `eni_exposure`: an interface, its configuration (index into the configurations'
/// [`ConfigAnswer`]s) and its load-balancer paths.
struct Row<'a> {
    eni: &'a Eni,
    config: usize,
    via_load_balancers: Option<&'a (Reachable, String)>,
}

/// What the rows of one configuration share in the frame: its verdicts, the hop blocking it
/// and, as indexes into the view's [`Texts`], its blocking hop's detail and its exposures' JSON.
/// The evaluation itself is dropped once these are taken; a row's hops are computed on demand
/// ([`hops`]).
struct ConfigAnswer {
    reachable: Reachable,
    reachable_v4: Reachable,
    reachable_v6: Reachable,
    blocking_hop: Option<HopKind>,
    blocking_detail: IdxSize,
    exposed: IdxSize,
}

impl ConfigAnswer {
    /// Evaluates the configuration of `eni` and keeps what its rows show, its texts in `texts`.
    fn new(network: &Network, eni: &Eni, texts: &Texts) -> ConfigAnswer {
        let eval = shown_evaluation(network, eni);
        let exposed: Vec<Value> = (eval.exposed().into_iter())
            .map(|(v, e)| exposure_json(v, e))
            .collect();
        let blocking = eval.blocking_hop(eni.primary_version(), eni);
        ConfigAnswer {
            reachable: eval.reachable(),
            reachable_v4: eval.reachable_in(IpVersion::V4),
            reachable_v6: eval.reachable_in(IpVersion::V6),
            blocking_hop: blocking.as_ref().map(|h| h.hop),
            blocking_detail: texts.index(blocking.map(|h| h.detail)),
            exposed: texts.index(Some(Value::Array(exposed).to_string())),
        }
    }
}

/// The distinct texts of the configurations' answers, each held once however many
/// configurations give it: configurations are many (491,484 of the 1 M interfaces of
/// `bench/big_eni.sh`) but their exposures and blocking details few (11 and 7,775 texts there).
/// Index 0 is no text (null).
struct Texts(Mutex<HeldTexts>);

/// Each text's index, and the texts by index.
type HeldTexts = (HashMap<Arc<str>, IdxSize>, Vec<Option<Arc<str>>>);

impl Default for Texts {
    fn default() -> Self {
        Texts(Mutex::new((HashMap::new(), vec![None])))
    }
}

impl Texts {
    /// The index of `text` (0 for none), added on first sight.
    fn index(&self, text: Option<String>) -> IdxSize {
        let Some(text) = text else { return 0 };
        let mut held = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let (index, values) = &mut *held;
        if let Some(&i) = index.get(text.as_str()) {
            return i;
        }
        let i = values.len() as IdxSize;
        let text: Arc<str> = text.into();
        values.push(Some(Arc::clone(&text)));
        index.insert(text, i);
        i
    }

    /// The texts as a column, one row per index.
    fn into_column(self) -> Column {
        let (_, values) = self.0.into_inner().unwrap_or_else(PoisonError::into_inner);
        let values: Vec<Option<&str>> = values.iter().map(Option::as_deref).collect();
        Column::new("texts".into(), values)
    }
}

/// The evaluation of `eni` as far as its row shows it: the verdicts of both IP versions, the
/// exposures of both and the blocking hop of its primary version. A version in which the
/// interface has no address is closed at `public_ip`, which lets nothing through: unreachable,
/// nothing exposed, whatever the later hops say (the engine's answer, see the reach tests). Such
/// a version is evaluated only when it is the primary one, whose blocking hop the row shows;
/// otherwise it stands as that answer without hops, which no row reads.
fn shown_evaluation(network: &Network, eni: &Eni) -> EniEvaluation {
    let primary = eni.primary_version();
    let version = |version: IpVersion| {
        if version == primary || !eni.addresses(version).is_empty() {
            return network.evaluate_in(eni, version, &Query::default());
        }
        Evaluation {
            version,
            reachable: Reachable::No,
            hops: Vec::new(),
            exposed: Vec::new(),
            closed_if_known: None,
        }
    };
    EniEvaluation {
        v4: version(IpVersion::V4),
        v6: version(IpVersion::V6),
        nat_gateway: eni.is_nat_gateway(),
    }
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
        .into_par_iter()
        .map(|(eni, paths)| {
            let json = paths.iter().map(|p| lb_path_summary(tables, p)).collect();
            (eni, (any_path(&paths), Value::Array(json).to_string()))
        })
        .collect()
}

/// Each interface's configuration (see [`Network::config_key`]) as an index into the
/// configurations, and one interface of each.
fn configurations(network: &Network) -> (Vec<usize>, Vec<&Eni>) {
    let keys: Vec<ConfigKey> = (network.enis.par_iter())
        .map(|e| network.config_key(e))
        .collect();
    let mut index: HashMap<ConfigKey, usize> = HashMap::new();
    let mut first = Vec::new();
    let config_of = (keys.into_iter().zip(&network.enis))
        .map(|(key, eni)| {
            *index.entry(key).or_insert_with(|| {
                first.push(eni);
                first.len() - 1
            })
        })
        .collect();
    (config_of, first)
}

/// `eni_exposure`: one row per interface, with no query narrowing. Each distinct configuration
/// is evaluated once, in parallel, and what its interfaces share is kept once: the
/// distinct texts of all configurations are held once each ([`Texts`], [`text_column`]).
/// `hops_json` is not stored: it is computed per row when asked for ([`hops::write_hops`]).
pub fn eni_exposure(tables: &Tables) -> Result<DataFrame> {
    let network = tables.network();
    let (config_of, first) = configurations(network);
    let progress = Progress::new("views", first.len());
    let texts = Texts::default();
    let evaluate = || {
        (first.into_par_iter())
            .map(|eni| {
                let answer = ConfigAnswer::new(network, eni, &texts);
                progress.advance(1);
                answer
            })
            .collect::<Vec<_>>()
    };
    // The load-balancer paths are evaluated beside the configurations, not after them.
    let (answers, via) = rayon::join(evaluate, || via_load_balancers(tables));
    let rows: Vec<Row> = (network.enis.iter().zip(config_of).enumerate())
        .map(|(i, (eni, config))| Row {
            eni,
            config,
            via_load_balancers: via.get(&i),
        })
        .collect();
    let texts = texts.into_column();
    let blocking_detail = text_column("blocking_detail", &texts, &rows, &answers, |a| {
        a.blocking_detail
    })?;
    let exposed = text_column("exposed_json", &texts, &rows, &answers, |a| a.exposed)?;
    frame(&rows, &answers, [blocking_detail, exposed])
}

/// A string column taking each row's text from `texts` (index `text` of its configuration's
/// answer): the rows share the distinct texts rather than copying them.
fn text_column(
    name: &str,
    texts: &Column,
    rows: &[Row],
    answers: &[ConfigAnswer],
    text: impl Fn(&ConfigAnswer) -> IdxSize,
) -> Result<Column> {
    let index: Vec<IdxSize> = rows.iter().map(|r| text(&answers[r.config])).collect();
    let index = IdxCa::from_vec("text".into(), index);
    Ok(texts.take(&index)?.with_name(name.into()))
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

/// The `eni_exposure` frame of its rows: the columns a join or a lookup reads by name (`account`,
/// `network_interface_id`), the configuration's answers, and the columns written apart,
/// `blocking_detail` and `exposed_json`. The columns that are a function of the interface
/// alone are computed when asked for ([`ENI_EXPOSURE_COMPUTED`], in their places among these).
fn frame(
    rows: &[Row],
    answers: &[ConfigAnswer],
    [blocking_detail, exposed]: [Column; 2],
) -> Result<DataFrame> {
    let answer = |r: &Row| &answers[r.config];
    FrameBuilder::new(rows)
        .str("account", |r| r.eni.account())
        .str("network_interface_id", |r| Some(&r.eni.id))
        .bool("has_public_address", |r| {
            Some(!r.eni.public_ips.is_empty() || !r.eni.ipv6.is_empty())
        })
        .str("reachable", |r| Some(answer(r).reachable.as_str()))
        .str("reachable_v4", |r| Some(answer(r).reachable_v4.as_str()))
        .str("reachable_v6", |r| Some(answer(r).reachable_v6.as_str()))
        .str("blocking_hop", |r| {
            answer(r).blocking_hop.map(HopKind::as_str)
        })
        .column(blocking_detail)
        .column(exposed)
        .str("reachable_via_load_balancer", |r| {
            r.via_load_balancers.map(|(v, _)| v.as_str())
        })
        .str("load_balancer_paths_json", |r| {
            r.via_load_balancers.map(|(_, j)| j.as_str())
        })
        .build()
}

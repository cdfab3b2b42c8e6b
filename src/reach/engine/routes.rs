//! The `route` hop: where the subnet's route table sends the reply to each internet source.

use std::cmp::Reverse;
use std::collections::BTreeMap;

use super::super::grid::Field;
use super::super::model::{Hop, Route, RouteDest, RouteTable, Verdict};
use super::super::ranges::{AddrSet, IpVersion};
use super::super::text::describe_set;
use super::super::vocab::{HopKind, RecordId};
use super::{Ctx, HopResult, judge, unreadable_note};

/// Where each source's return traffic is routed.
pub(super) struct RouteAnalysis<'a> {
    pub table: &'a RouteTable,
    /// Route index → addresses (of the query base) whose longest match it is.
    pub winners: BTreeMap<usize, AddrSet>,
    /// Addresses no route matches.
    pub unmatched: AddrSet,
    /// Indexes of routes to prefix lists that are not resolved.
    pub unresolved: Vec<usize>,
    /// igw id → addresses routed to it.
    pub igws: BTreeMap<&'a str, RoutedTo>,
}

/// The addresses routed to one internet gateway.
pub(super) struct RoutedTo {
    /// Definitely routed to it.
    pub definite: AddrSet,
    /// Possibly routed to it (through prefix lists not in the evidence).
    pub possible: AddrSet,
}

/// Whether a route target is an internet gateway.
pub(super) fn is_igw(target: &str) -> bool {
    target.starts_with("igw-")
}

/// The addresses routed to `r`'s target, when it is an internet gateway the route can reach.
fn gateway_entry<'m, 'a>(
    igws: &'m mut BTreeMap<&'a str, RoutedTo>,
    r: &'a Route,
    version: IpVersion,
) -> Option<&'m mut RoutedTo> {
    (is_igw(&r.target) && !r.blackhole).then(|| {
        igws.entry(r.target.as_str()).or_insert_with(|| RoutedTo {
            definite: AddrSet::empty(version),
            possible: AddrSet::empty(version),
        })
    })
}

/// Longest-prefix matches every address of `base` against `table`.
pub(super) fn analyze<'a>(
    table: &'a RouteTable,
    version: IpVersion,
    base: &AddrSet,
) -> RouteAnalysis<'a> {
    let mut prefixes = Vec::new();
    let mut unresolved = Vec::new();
    for (i, r) in table.routes.iter().enumerate() {
        match &r.dest {
            RouteDest::Cidr(n) if IpVersion::of_net(n) == version => {
                prefixes.push((n.prefix_len(), false, i, *n));
            }
            RouteDest::Cidr(_) => {}
            RouteDest::PrefixList {
                cidrs: Some(cidrs), ..
            } => prefixes.extend(
                cidrs
                    .iter()
                    .filter(|n| IpVersion::of_net(n) == version)
                    .map(|n| (n.prefix_len(), true, i, *n)),
            ),
            RouteDest::PrefixList { cidrs: None, .. } => unresolved.push(i),
        }
    }
    // Longest prefix first; a CIDR route beats a prefix-list entry of equal length.
    prefixes.sort_by_key(|&(len, pl, i, _)| (Reverse(len), pl, i));
    let mut remaining = base.clone();
    let mut winners: BTreeMap<usize, AddrSet> = BTreeMap::new();
    for (_, _, i, net) in &prefixes {
        let hit = remaining.intersect(&AddrSet::from_cidr(net));
        if hit.is_empty() {
            continue;
        }
        remaining = remaining.subtract(&hit);
        let w = winners.entry(*i).or_insert_with(|| AddrSet::empty(version));
        *w = w.union(&hit);
    }
    let mut igws: BTreeMap<&str, RoutedTo> = BTreeMap::new();
    for (&i, set) in &winners {
        if let Some(to) = gateway_entry(&mut igws, &table.routes[i], version) {
            to.definite = to.definite.union(set);
            to.possible = to.possible.union(set);
        }
    }
    for &i in &unresolved {
        if let Some(to) = gateway_entry(&mut igws, &table.routes[i], version) {
            to.possible = base.clone();
        }
    }
    RouteAnalysis {
        table,
        winners,
        unmatched: remaining,
        unresolved,
        igws,
    }
}

/// The routes that decide the running sources.
struct RouteFacts<'a> {
    /// igw id → destinations of the routes sending running sources to it.
    to_igw: BTreeMap<&'a str, Vec<String>>,
    /// Blackhole routes matching running sources.
    blackholes: Vec<&'a Route>,
    /// Routes sending running sources anywhere but an internet gateway.
    elsewhere: Vec<&'a Route>,
    /// Running sources no route matches.
    unmatched: AddrSet,
    /// Routes to prefix lists not in the evidence, with the list id.
    unresolved: Vec<(&'a str, &'a Route)>,
    /// The table, then the routes cited.
    records: Vec<RecordId>,
}

fn dest_label(r: &Route) -> String {
    match &r.dest {
        RouteDest::Cidr(n) => n.to_string(),
        RouteDest::PrefixList { id, .. } => format!("prefix list {id}"),
    }
}

fn table_label(t: &RouteTable, vpc: &str) -> String {
    if t.main {
        format!("{} (main table of {vpc})", t.id)
    } else {
        format!("{} (explicitly associated with the subnet)", t.id)
    }
}

fn route_facts<'a>(ra: &RouteAnalysis<'a>, running: &AddrSet) -> RouteFacts<'a> {
    let table = ra.table;
    let mut facts = RouteFacts {
        to_igw: BTreeMap::new(),
        blackholes: Vec::new(),
        elsewhere: Vec::new(),
        unmatched: ra.unmatched.intersect(running),
        unresolved: Vec::new(),
        records: vec![table.record],
    };
    for (&i, set) in &ra.winners {
        if !set.meets(running) {
            continue;
        }
        let r = &table.routes[i];
        facts.records.push(r.record);
        if r.blackhole {
            facts.blackholes.push(r);
        } else if is_igw(&r.target) {
            let dests = facts.to_igw.entry(r.target.as_str()).or_default();
            dests.push(dest_label(r));
        } else {
            facts.elsewhere.push(r);
        }
    }
    for &i in &ra.unresolved {
        let r = &table.routes[i];
        if let RouteDest::PrefixList { id, .. } = &r.dest {
            facts.records.push(r.record);
            facts.unresolved.push((id.as_str(), r));
        }
    }
    facts
}

/// What a route to a prefix list not in the evidence would do.
fn unresolved_note(id: &str, r: &Route) -> String {
    let t = &r.target;
    if r.blackhole {
        format!("prefix list {id} → {t} is a blackhole route")
    } else if is_igw(t) {
        format!(
            "sources in prefix list {id} would route to {t}, but the prefix list is not in the evidence"
        )
    } else {
        format!(
            "sources in prefix list {id} (not in the evidence; AWS service ranges, e.g. an S3 gateway endpoint) would route to {t}"
        )
    }
}

fn route_detail(ctx: &Ctx, facts: &RouteFacts, verdict: Verdict, label: &str) -> String {
    let blackholes: Vec<String> = facts
        .blackholes
        .iter()
        .map(|r| format!("{} → {} is a blackhole route", dest_label(r), r.target))
        .collect();
    let mut others: Vec<String> = facts
        .elsewhere
        .iter()
        .map(|r| format!("{} → {}", dest_label(r), r.target))
        .collect();
    if !facts.unmatched.is_empty() {
        let sources = describe_set(&facts.unmatched, &ctx.base);
        others.push(format!("no route for {sources}"));
    }
    let mut rest: Vec<String> = blackholes.iter().chain(&others).cloned().collect();
    let mut detail = match verdict {
        Verdict::Pass => {
            let sends: Vec<String> = facts
                .to_igw
                .iter()
                .map(|(igw, dests)| format!("sends {} to {igw}", dests.join(", ")))
                .collect();
            let mut s = format!("{label} {}", sends.join(" and "));
            if !rest.is_empty() {
                s.push_str(&format!("; other sources: {}", rest.join("; ")));
            }
            s
        }
        Verdict::Fail if !blackholes.is_empty() => format!("{label}: {}", rest.join("; ")),
        Verdict::Fail if !others.is_empty() => format!(
            "{label} has no route to an internet gateway: {}",
            others.join("; ")
        ),
        Verdict::Fail => format!("{label} has no route for internet sources"),
        Verdict::Indeterminate => {
            rest.insert(
                0,
                format!("{label} has no definite route to an internet gateway"),
            );
            rest.join("; ")
        }
    };
    for (id, r) in &facts.unresolved {
        detail.push_str("; ");
        detail.push_str(&unresolved_note(id, r));
    }
    detail
}

/// Passes for the sources the subnet's route table sends to an internet gateway.
pub(super) fn hop(ctx: &Ctx, running: &Field) -> HopResult {
    let kind = ctx.kind(HopKind::Route);
    let Some(ra) = &ctx.routes else {
        let detail = "the subnet's route table is not in the evidence";
        return ctx.evidence_missing(running, kind, detail);
    };
    if !ra.table.unreadable.is_empty() {
        let table = ra.table;
        let detail = unreadable_note("route table", &table.id, &table.unreadable);
        let mut records = vec![table.record];
        records.extend(table.unreadable.iter().map(|(_, r)| *r));
        return ctx.unknown(running, kind, detail, records);
    }
    let empty = AddrSet::empty(ctx.version);
    let definite_set = (ra.igws.values()).fold(empty.clone(), |a, to| a.union(&to.definite));
    let possible_set = (ra.igws.values()).fold(empty, |a, to| a.union(&to.possible));
    let definite = ctx.broadcast(&definite_set);
    let possible = ctx.broadcast(&possible_set);
    let verdict = judge(running, &definite, &possible);
    let facts = route_facts(ra, &running.addresses(ctx.version));
    let label = table_label(ra.table, ctx.iface.vpc_id);
    let detail = route_detail(ctx, &facts, verdict, &label);
    HopResult {
        hop: Hop::new(kind, verdict, detail, facts.records),
        definite,
        possible,
    }
}

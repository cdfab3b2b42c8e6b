//! Hop-by-hop evaluation of internet reachability over exact ranges.
//!
//! Every hop yields two fields over the (protocol, port segment) grid: the
//! addresses it definitely lets through and those it may let through (a
//! superset, larger where evidence is missing). The final exposure is the
//! intersection of all hops; a hop's verdict is judged against what the hops
//! before it that did not fail still let through.
//!
//! Each hop lives in its own module and works in two steps: it gathers the
//! facts (which rules decide which addresses) into a small struct, then writes
//! the explanation from them. [`explain`] then names the hop that really
//! blocks a closed path.
//!
//! The same hops serve the direct path, and both legs of the path through a load balancer
//! ([`leg`]): only the hop names, the hops that apply and the sources differ.

mod explain;
mod igw;
mod leg;
mod nacl;
mod public_ip;
mod routes;
mod security_group;

use std::collections::BTreeSet;

use super::grid::{Field, Grid, PortKind, domain, nacl_range, port_kind, segments, sg_range};
use super::model::{
    Evaluation, Exposure, Hop, Interface, PortRange, Query, Reachable, SecurityGroup, Sources,
    Verdict,
};
use super::ranges::{AddrSet, IpVersion};
use super::text::describe_space;
use super::vocab::{HopKind, Protocol, RecordId};
pub(super) use leg::Leg;
use routes::RouteAnalysis;

pub use public_ip::public_address_detail;

/// What one evaluation shares with every hop.
struct Ctx<'a> {
    iface: &'a Interface<'a>,
    version: IpVersion,
    /// The path followed.
    leg: Leg<'a>,
    /// Sources of the query: internet addresses, or on the back leg of a load balancer path the
    /// addresses the load balancer sends from.
    base: AddrSet,
    grid: Grid,
    routes: Option<RouteAnalysis<'a>>,
    /// Whether the query selects every protocol and port.
    open_query: bool,
}

/// A hop's verdict with the fields it lets through.
struct HopResult {
    hop: Hop,
    /// Addresses the hop definitely lets through.
    definite: Field,
    /// Addresses the hop possibly lets through (a superset of `definite`).
    possible: Field,
}

impl HopResult {
    /// A hop that lets exactly `through` pass, with nothing left to evidence.
    fn exact(hop: Hop, through: Field) -> HopResult {
        HopResult {
            hop,
            definite: through.clone(),
            possible: through,
        }
    }
}

fn present_groups<'a>(iface: &Interface<'a>) -> Vec<&'a SecurityGroup> {
    iface.groups.iter().filter_map(|(_, g)| *g).collect()
}

fn protocols(iface: &Interface, version: IpVersion, query: &Query) -> Vec<Protocol> {
    if let Some(p) = query.protocol.filter(|p| !p.is_all()) {
        return vec![p];
    }
    let icmp = match version {
        IpVersion::V4 => Protocol::ICMP,
        IpVersion::V6 => Protocol::ICMPV6,
    };
    let mut set: BTreeSet<Protocol> = [Protocol::TCP, Protocol::UDP, icmp].into();
    if let Some(n) = iface.nacl {
        set.extend(n.entries.iter().map(|e| e.protocol).filter(|p| !p.is_all()));
    }
    for g in present_groups(iface) {
        set.extend(g.inbound.iter().map(|p| p.protocol).filter(|p| !p.is_all()));
    }
    set.into_iter().collect()
}

/// The queried part of a protocol's port dimension, `None` if the query excludes it.
fn query_domain(p: Protocol, query: &Query) -> Option<PortRange> {
    let explicit = query.protocol.is_some_and(|q| !q.is_all());
    match (port_kind(p), query.port) {
        (_, None) => Some(domain(p)),
        (PortKind::Ports, Some(x)) => Some(PortRange { from: x, to: x }),
        (PortKind::Icmp, Some(t)) if explicit && t <= 255 => Some(PortRange {
            from: t * 256,
            to: t * 256 + 255,
        }),
        _ => None,
    }
}

fn build_grid(iface: &Interface, version: IpVersion, query: &Query) -> Grid {
    let groups = present_groups(iface);
    let mut protos = Vec::new();
    for p in protocols(iface, version, query) {
        let Some(dom) = query_domain(p, query) else {
            continue;
        };
        let mut ranges: Vec<PortRange> = Vec::new();
        if let Some(n) = iface.nacl {
            ranges.extend(
                n.entries
                    .iter()
                    .filter(|e| !e.egress)
                    .filter_map(|e| nacl_range(e, p)),
            );
        }
        for g in &groups {
            ranges.extend(g.inbound.iter().filter_map(|perm| sg_range(perm, p)));
        }
        protos.push((p, segments(dom, ranges)));
    }
    Grid { protos }
}

impl Ctx<'_> {
    /// The leg's name for the direct path's hop `direct`.
    fn kind(&self, direct: HopKind) -> HopKind {
        self.leg.kind(direct)
    }

    /// Describes `set`, a subset of the query's sources.
    fn describe_sources(&self, set: &AddrSet) -> String {
        self.leg.describe(set, &self.base)
    }

    fn all(&self) -> Field {
        self.broadcast(&self.base)
    }

    fn none(&self) -> Field {
        self.broadcast(&AddrSet::empty(self.version))
    }

    /// Describes grid cells, as "all traffic" when they are the whole open grid.
    fn describe(&self, spaces: &[(Protocol, PortRange)]) -> String {
        let cells: usize = self.grid.protos.iter().map(|(_, segs)| segs.len()).sum();
        if self.open_query && spaces.len() == cells && self.grid.protos.len() > 1 {
            "all traffic".to_string()
        } else {
            describe_space(spaces)
        }
    }

    fn broadcast(&self, set: &AddrSet) -> Field {
        self.grid.field(|_, _| set.clone())
    }

    /// The protocols and ports still in play, for a detail.
    fn space(&self, running: &Field) -> String {
        let mut items = Vec::new();
        let mut whole = true;
        for (pi, (p, segs)) in self.grid.protos.iter().enumerate() {
            for (si, seg) in segs.iter().enumerate() {
                if running.cells[pi][si].is_empty() {
                    whole = false;
                } else {
                    items.push((*p, *seg));
                }
            }
        }
        if whole
            && self.grid.protos.iter().all(|(p, segs)| {
                segs.first().map(|s| s.from) == Some(domain(*p).from)
                    && segs.last().map(|s| s.to) == Some(domain(*p).to)
            })
            && self.grid.protos.len() > 1
        {
            "any protocol or port".to_string()
        } else {
            describe_space(&items)
        }
    }

    /// A hop whose evidence is missing: nothing definite, everything possible.
    fn evidence_missing(&self, running: &Field, kind: HopKind, detail: &str) -> HopResult {
        self.unknown(running, kind, detail.to_string(), Vec::new())
    }

    /// A hop whose effect is unknown (its evidence is missing or cannot be read): nothing
    /// passes for certain, anything may.
    fn unknown(
        &self,
        running: &Field,
        kind: HopKind,
        detail: String,
        records: Vec<RecordId>,
    ) -> HopResult {
        let (definite, possible) = (self.none(), self.all());
        let verdict = judge(running, &definite, &possible);
        HopResult {
            hop: Hop::new(kind, verdict, detail, records),
            definite,
            possible,
        }
    }

    /// A hop that lets every source through (`pass`) or none.
    fn all_or_nothing(
        &self,
        kind: HopKind,
        pass: bool,
        detail: String,
        records: Vec<RecordId>,
    ) -> HopResult {
        let through = if pass { self.all() } else { self.none() };
        let verdict = if pass { Verdict::Pass } else { Verdict::Fail };
        HopResult::exact(Hop::new(kind, verdict, detail, records), through)
    }
}

/// `WHAT ID has entries that cannot be read (…)`, naming each unreadable entry.
fn unreadable_note(what: &str, id: &str, unreadable: &[(String, RecordId)]) -> String {
    let problems: Vec<&str> = unreadable.iter().map(|(p, _)| p.as_str()).collect();
    format!(
        "{what} {id} has entries that cannot be read ({}); what they decide is indeterminate",
        problems.join("; ")
    )
}

/// Judges a hop that definitely lets `definite` and possibly `possible` through, against
/// what the hops before it still let through.
fn judge(running: &Field, definite: &Field, possible: &Field) -> Verdict {
    if running.meets(definite) {
        Verdict::Pass
    } else if running.meets(possible) {
        Verdict::Indeterminate
    } else {
        Verdict::Fail
    }
}

/// Merges consecutive segments with equal address sets into exposures.
fn exposures(
    ctx: &Ctx,
    p: Protocol,
    segs: &[PortRange],
    sets: &[AddrSet],
    indeterminate: bool,
) -> Vec<Exposure> {
    let mut out: Vec<Exposure> = Vec::new();
    for (seg, set) in segs.iter().zip(sets) {
        if set.is_empty() {
            continue;
        }
        if let Some(last) = out.last_mut()
            && u32::from(last.ports.to) + 1 == u32::from(seg.from)
            && last.sources == *set
        {
            last.ports.to = seg.to;
            continue;
        }
        out.push(Exposure {
            protocol: p,
            ports: *seg,
            sources: set.clone(),
            whole_internet: set.covers(&ctx.base),
            indeterminate,
        });
    }
    out
}

/// Evaluates internet reachability of one interface for one IP version.
///
/// Hops are evaluated in path order (see [`HopKind`]); each is judged against
/// what the earlier non-failing hops let through, so a hop after a failure
/// still gets a meaningful verdict. The exposure is exact: computed over
/// address intervals and port segments, never sampled.
///
/// A closed path is then explained by the hop that really blocks it (see
/// [`explain`]), and an indeterminate one names the hop that closes it for
/// every source the evidence determines ([`Evaluation::closed_if_known`]).
pub fn evaluate(iface: &Interface, version: IpVersion, query: &Query) -> Evaluation {
    evaluate_leg(iface, version, query, Leg::Direct)
}

/// Evaluates the front leg of a load balancer path: from the internet to one node interface of
/// the load balancer, for one IP version.
///
/// Exactly [`evaluate`], with the hops named `lb_public_ip` … `lb_security_group`. The caller
/// passes the listener's protocol and port in `query`, and in `query.from` the `source-ip`
/// block of a rule that narrows the clients. With `groups_enforced == false` (a Network Load
/// Balancer created without security groups) every client the earlier hops let through passes
/// `lb_security_group`. `lb_scheme` and `listener` are facts of the load balancer's
/// configuration, decided by the caller.
pub fn evaluate_lb_node(
    node: &Interface,
    version: IpVersion,
    query: &Query,
    groups_enforced: bool,
) -> Evaluation {
    evaluate_leg(node, version, query, Leg::LbNode { groups_enforced })
}

/// Evaluates the back leg of a load balancer path: from the load balancer's `sources` to one
/// target interface inside the VPC, for one IP version.
///
/// Three hops: `target_nacl_inbound` (the target subnet's ACL admits the sources on the target
/// port), `target_nacl_outbound` (the replies to them on 1024-65535 get out) and
/// `target_security_group` (a group of the target admits them, by address or by naming one of
/// `sources.groups`, which admits every source). The target needs no public address, route or
/// gateway. Exposures are over `sources.addresses` ([`Exposure::whole_internet`] meaning every
/// source); the caller passes the target port and the protocol (tcp, udp for UDP listeners)
/// in `query` and leaves `query.from` unset (a block there narrows the sources further).
/// `target_group` is decided by the caller.
pub fn evaluate_target(
    target: &Interface,
    version: IpVersion,
    query: &Query,
    sources: &Sources,
) -> Evaluation {
    evaluate_leg(target, version, query, Leg::Target(sources))
}

/// Evaluates one leg, then names what really blocks it (see [`evaluate`]).
fn evaluate_leg(iface: &Interface, version: IpVersion, query: &Query, leg: Leg) -> Evaluation {
    let hops = evaluate_hops(iface, version, query, leg);
    let eval = explain::closed_path(iface, version, query, leg, hops);
    let closed_if_known = (eval.reachable == Reachable::Indeterminate)
        .then(|| explain::known_block(iface, version, query, leg))
        .flatten();
    Evaluation {
        closed_if_known,
        ..eval
    }
}

/// The hop-by-hop evaluation itself, without naming what really blocks.
pub(super) fn evaluate_hops(
    iface: &Interface,
    version: IpVersion,
    query: &Query,
    leg: Leg,
) -> Evaluation {
    let sources = leg.sources(version);
    let base = match query.from {
        Some(from) if IpVersion::of_net(&from) == version => {
            sources.intersect(&AddrSet::from_cidr(&from))
        }
        Some(_) => AddrSet::empty(version),
        None => sources,
    };
    let grid = build_grid(iface, version, query);
    let routes = iface
        .route_table
        .map(|t| routes::analyze(t, version, &base));
    let ctx = Ctx {
        iface,
        version,
        leg,
        base,
        grid,
        routes,
        open_query: query.protocol.is_none_or(Protocol::is_all) && query.port.is_none(),
    };
    let mut running = ctx.all();
    let mut definite = ctx.all();
    let mut possible = ctx.all();
    let mut hops = Vec::new();
    for step in leg.steps() {
        let result = step(&ctx, &running);
        if result.hop.verdict != Verdict::Fail {
            running = running.intersect(&result.possible);
        }
        definite = definite.intersect(&result.definite);
        possible = possible.intersect(&result.possible);
        hops.push(result.hop);
    }
    let mut exposed = Vec::new();
    let mut maybe = Vec::new();
    for (pi, (p, segs)) in ctx.grid.protos.iter().enumerate() {
        exposed.extend(exposures(&ctx, *p, segs, &definite.cells[pi], false));
        let extra: Vec<AddrSet> = possible.cells[pi]
            .iter()
            .zip(&definite.cells[pi])
            .map(|(m, d)| m.subtract(d))
            .collect();
        maybe.extend(exposures(&ctx, *p, segs, &extra, true));
    }
    let reachable = if !exposed.is_empty() {
        Reachable::Yes
    } else if !maybe.is_empty() {
        Reachable::Indeterminate
    } else {
        Reachable::No
    };
    exposed.extend(maybe);
    Evaluation {
        version,
        reachable,
        hops,
        exposed,
        closed_if_known: None,
    }
}

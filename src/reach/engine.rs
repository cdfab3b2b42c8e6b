//! Hop-by-hop evaluation of internet reachability over exact ranges.
//!
//! Every hop yields two fields over the (protocol, port segment) grid: the
//! addresses it definitely lets through and those it may let through (a
//! superset, larger where evidence is missing). The final exposure is the
//! intersection of all hops; a hop's verdict is judged against what the hops
//! before it that did not fail still let through.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};

use super::grid::{
    Field, Grid, PortKind, contains_range, domain, entry_covers, first_match, nacl_range,
    port_kind, segments, sg_range,
};
use super::model::{
    Evaluation, Exposure, Hop, Interface, Nacl, NaclEntry, PortRange, Query, Reachable, Route,
    RouteDest, RouteTable, SecurityGroup, SgSource, Verdict, protocol_name,
};
use super::ranges::{AddrSet, IpVersion};
use super::text::{describe_ports, describe_set, describe_space};

/// Client ephemeral ports the reply of a tcp/udp connection goes to.
const EPHEMERAL: PortRange = PortRange {
    from: 1024,
    to: u16::MAX,
};

/// Where each source's return traffic is routed.
struct RouteAnalysis<'a> {
    table: &'a RouteTable,
    /// Route index → addresses (of the query base) whose longest match it is.
    winners: BTreeMap<usize, AddrSet>,
    /// Addresses no route matches.
    unmatched: AddrSet,
    /// Indexes of routes to prefix lists that are not resolved.
    unresolved: Vec<usize>,
    /// igw id → (addresses definitely routed to it, addresses possibly routed to it).
    igws: BTreeMap<&'a str, (AddrSet, AddrSet)>,
}

struct Ctx<'a> {
    iface: &'a Interface<'a>,
    version: IpVersion,
    /// Internet sources of the query.
    base: AddrSet,
    grid: Grid,
    routes: Option<RouteAnalysis<'a>>,
    /// Whether the query selects every protocol and port.
    open_query: bool,
}

struct HopEval {
    hop: Hop,
    /// Definitely let through.
    d: Field,
    /// Possibly let through (superset of `d`).
    m: Field,
}

fn is_igw(target: &str) -> bool {
    target.starts_with("igw-")
}

fn present_groups<'a>(iface: &Interface<'a>) -> Vec<&'a SecurityGroup> {
    iface.groups.iter().filter_map(|(_, g)| *g).collect()
}

fn protocols(iface: &Interface, version: IpVersion, query: &Query) -> Vec<i32> {
    if let Some(p) = query.protocol.filter(|p| *p >= 0) {
        return vec![p];
    }
    let icmp = match version {
        IpVersion::V4 => 1,
        IpVersion::V6 => 58,
    };
    let mut set: BTreeSet<i32> = [6, 17, icmp].into();
    if let Some(n) = iface.nacl {
        set.extend(n.entries.iter().map(|e| e.protocol).filter(|p| *p >= 0));
    }
    for g in present_groups(iface) {
        set.extend(g.inbound.iter().map(|p| p.protocol).filter(|p| *p >= 0));
    }
    set.into_iter().collect()
}

/// The queried part of a protocol's port dimension, `None` if the query excludes it.
fn query_domain(p: i32, query: &Query) -> Option<PortRange> {
    let explicit = query.protocol.is_some_and(|q| q >= 0);
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

fn analyze_routes<'a>(
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
    let mut igws: BTreeMap<&str, (AddrSet, AddrSet)> = BTreeMap::new();
    for (&i, set) in &winners {
        let r = &table.routes[i];
        if is_igw(&r.target) && !r.blackhole {
            let e = igws
                .entry(r.target.as_str())
                .or_insert_with(|| (AddrSet::empty(version), AddrSet::empty(version)));
            e.0 = e.0.union(set);
            e.1 = e.1.union(set);
        }
    }
    for &i in &unresolved {
        let r = &table.routes[i];
        if is_igw(&r.target) && !r.blackhole {
            let e = igws
                .entry(r.target.as_str())
                .or_insert_with(|| (AddrSet::empty(version), AddrSet::empty(version)));
            e.1 = base.clone();
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

impl Ctx<'_> {
    fn all(&self) -> Field {
        self.broadcast(&self.base)
    }

    fn none(&self) -> Field {
        self.broadcast(&AddrSet::empty(self.version))
    }

    /// Describes grid cells, as "all traffic" when they are the whole open grid.
    fn describe(&self, spaces: &[(i32, PortRange)]) -> String {
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
}

fn judge(running: &Field, d: &Field, m: &Field) -> Verdict {
    if !running.intersect(d).is_empty() {
        Verdict::Pass
    } else if !running.intersect(m).is_empty() {
        Verdict::Indeterminate
    } else {
        Verdict::Fail
    }
}

fn hop(name: &'static str, verdict: Verdict, detail: String, records: Vec<u32>) -> Hop {
    let mut seen = BTreeSet::new();
    let records = records.into_iter().filter(|r| seen.insert(*r)).collect();
    Hop {
        hop: name,
        verdict,
        detail,
        records,
    }
}

/// A hop whose evidence is missing: nothing definite, everything possible.
fn missing(ctx: &Ctx, running: &Field, name: &'static str, detail: &str) -> HopEval {
    let (d, m) = (ctx.none(), ctx.all());
    HopEval {
        hop: hop(name, judge(running, &d, &m), detail.to_string(), Vec::new()),
        d,
        m,
    }
}

fn fixed(ctx: &Ctx, name: &'static str, pass: bool, detail: String, records: Vec<u32>) -> HopEval {
    let f = if pass { ctx.all() } else { ctx.none() };
    let verdict = if pass { Verdict::Pass } else { Verdict::Fail };
    HopEval {
        hop: hop(name, verdict, detail, records),
        d: f.clone(),
        m: f,
    }
}

fn public_ip_hop(ctx: &Ctx, running: &Field) -> HopEval {
    let addrs: Vec<String> = ctx
        .iface
        .public_addresses
        .iter()
        .filter(|a| IpVersion::of_addr(a) == ctx.version)
        .map(ToString::to_string)
        .collect();
    let name = "public_ip";
    if addrs.is_empty() {
        let detail = match ctx.version {
            IpVersion::V4 => {
                "the interface has no public IPv4 address (neither Amazon-assigned nor Elastic IP)"
            }
            IpVersion::V6 => "the interface has no IPv6 address",
        };
        return fixed(ctx, name, false, detail.to_string(), Vec::new());
    }
    if running.is_empty() {
        let detail = "the query selects no internet source, protocol or port".to_string();
        return fixed(ctx, name, false, detail, Vec::new());
    }
    let detail = public_address_detail(ctx.version, &ctx.iface.public_addresses);
    fixed(ctx, name, true, detail, Vec::new())
}

/// What a passing `public_ip` hop says: the interface's addresses of `version`.
pub fn public_address_detail(version: IpVersion, addresses: &[std::net::IpAddr]) -> String {
    let what = match version {
        IpVersion::V4 => "public IPv4",
        IpVersion::V6 => "IPv6",
    };
    let addrs: Vec<String> = addresses
        .iter()
        .filter(|a| IpVersion::of_addr(a) == version)
        .map(ToString::to_string)
        .collect();
    format!("the interface has {what} {}", addrs.join(", "))
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

fn route_hop(ctx: &Ctx, running: &Field) -> HopEval {
    let name = "route";
    let Some(ra) = &ctx.routes else {
        return missing(
            ctx,
            running,
            name,
            "the subnet's route table is not in the evidence",
        );
    };
    let empty = AddrSet::empty(ctx.version);
    let d_set = ra.igws.values().fold(empty.clone(), |a, (d, _)| a.union(d));
    let m_set = ra.igws.values().fold(empty, |a, (_, m)| a.union(m));
    let (d, m) = (ctx.broadcast(&d_set), ctx.broadcast(&m_set));
    let verdict = judge(running, &d, &m);
    let addrs = running.addresses(ctx.version);
    let table = ra.table;
    let mut records = vec![table.record];
    let mut to_igw: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut others = Vec::new();
    let mut blackholes = Vec::new();
    for (&i, set) in &ra.winners {
        if set.intersect(&addrs).is_empty() {
            continue;
        }
        let r = &table.routes[i];
        records.push(r.record);
        let dest = dest_label(r);
        if r.blackhole {
            blackholes.push(format!("{dest} → {} is a blackhole route", r.target));
        } else if is_igw(&r.target) {
            to_igw.entry(r.target.as_str()).or_default().push(dest);
        } else {
            others.push(format!("{dest} → {}", r.target));
        }
    }
    let unmatched = ra.unmatched.intersect(&addrs);
    if !unmatched.is_empty() {
        others.push(format!(
            "no route for {}",
            describe_set(&unmatched, &ctx.base)
        ));
    }
    let mut notes = Vec::new();
    for &i in &ra.unresolved {
        let r = &table.routes[i];
        let RouteDest::PrefixList { id, .. } = &r.dest else {
            continue;
        };
        records.push(r.record);
        let t = &r.target;
        notes.push(if r.blackhole {
            format!("prefix list {id} → {t} is a blackhole route")
        } else if is_igw(t) {
            format!(
                "sources in prefix list {id} would route to {t}, but the prefix list is not in the evidence"
            )
        } else {
            format!(
                "sources in prefix list {id} (not in the evidence; AWS service ranges, e.g. an S3 gateway endpoint) would route to {t}"
            )
        });
    }
    let label = table_label(table, ctx.iface.vpc_id);
    let mut rest: Vec<String> = blackholes.iter().chain(&others).cloned().collect();
    let mut detail = match verdict {
        Verdict::Pass => {
            let sends: Vec<String> = to_igw
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
    if !notes.is_empty() {
        detail.push_str("; ");
        detail.push_str(&notes.join("; "));
    }
    HopEval {
        hop: hop(name, verdict, detail, records),
        d,
        m,
    }
}

fn igw_hop(ctx: &Ctx, running: &Field) -> HopEval {
    let name = "internet_gateway";
    let vpc = ctx.iface.vpc_id;
    let Some(ra) = &ctx.routes else {
        let attached = ctx
            .iface
            .igws
            .iter()
            .any(|g| g.available_vpcs.iter().any(|v| v == vpc));
        if ctx.iface.igw_evidence && !attached {
            let detail = format!("no internet gateway is attached to {vpc}");
            return fixed(ctx, name, false, detail, Vec::new());
        }
        return missing(
            ctx,
            running,
            name,
            "without the subnet's route table the internet gateway in use is unknown",
        );
    };
    let addrs = running.addresses(ctx.version);
    let mut d_set = AddrSet::empty(ctx.version);
    let mut m_set = AddrSet::empty(ctx.version);
    // Possibly routed to a gateway that passes: judges this hop on its own evidence.
    let mut carried = AddrSet::empty(ctx.version);
    let mut parts = Vec::new();
    let mut records = Vec::new();
    for (igw, (d, m)) in &ra.igws {
        if m.intersect(&addrs).is_empty() {
            continue;
        }
        match ctx.iface.igws.iter().find(|g| g.id == *igw) {
            Some(g) => {
                records.push(g.record);
                if g.available_vpcs.iter().any(|v| v == vpc) {
                    d_set = d_set.union(d);
                    m_set = m_set.union(m);
                    carried = carried.union(m);
                    parts.push(format!("{igw} is attached to {vpc} (available)"));
                } else if g.available_vpcs.is_empty() {
                    parts.push(format!(
                        "{igw} is not attached to {vpc} (detached), so it does not carry traffic"
                    ));
                } else {
                    parts.push(format!(
                        "{igw} is not attached to {vpc} (attached to {}), so it does not carry traffic",
                        g.available_vpcs.join(", ")
                    ));
                }
            }
            None if ctx.iface.igw_evidence => {
                // Nothing records an absence: cite the routes that name the gateway.
                records.extend(
                    ctx.iface
                        .route_table
                        .iter()
                        .flat_map(|t| &t.routes)
                        .filter(|r| r.target == *igw)
                        .map(|r| r.record),
                );
                parts.push(format!(
                    "{igw} (named by the route) is not among the account's internet gateways in \
                     the evidence, so it does not carry traffic"
                ));
            }
            None => {
                m_set = m_set.union(m);
                parts.push(format!(
                    "{igw} cannot be checked: there is no internet gateway evidence for the account/region"
                ));
            }
        }
    }
    if parts.is_empty() {
        parts.push("no route sends internet sources to an internet gateway".to_string());
    }
    let (d, m) = (ctx.broadcast(&d_set), ctx.broadcast(&m_set));
    let verdict = judge(running, &ctx.broadcast(&carried), &m);
    HopEval {
        hop: hop(name, verdict, parts.join("; "), records),
        d,
        m,
    }
}

fn sorted_entries(nacl: &Nacl, egress: bool) -> Vec<&NaclEntry> {
    let mut v: Vec<&NaclEntry> = nacl.entries.iter().filter(|e| e.egress == egress).collect();
    v.sort_by_key(|e| e.rule_number);
    v
}

#[derive(Default)]
struct EntryAcc {
    /// (protocol, segment) the entry decided within the running set.
    spaces: Vec<(i32, PortRange)>,
    /// Rule numbers of later allow entries the deny shadowed.
    before: BTreeSet<i64>,
}

fn nacl_in_hop(ctx: &Ctx, running: &Field) -> HopEval {
    let name = "nacl_inbound";
    let Some(nacl) = ctx.iface.nacl else {
        return missing(
            ctx,
            running,
            name,
            "the subnet's network ACL is not in the evidence",
        );
    };
    let entries = sorted_entries(nacl, false);
    let mut acc: BTreeMap<usize, EntryAcc> = BTreeMap::new();
    let mut unmatched_space = Vec::new();
    let mut cells = Vec::new();
    // Running sources admitted in the cells where something was denied.
    let mut admitted = AddrSet::empty(ctx.version);
    for (pi, (p, segs)) in ctx.grid.protos.iter().enumerate() {
        let mut row = Vec::new();
        for (si, seg) in segs.iter().enumerate() {
            let dec = first_match(&entries, *p, *seg, &ctx.base);
            let r = &running.cells[pi][si];
            if !dec.allowed.intersect(r).covers(r) {
                admitted = admitted.union(&dec.allowed.intersect(r));
            }
            if !r.is_empty() {
                for (i, hit) in &dec.hits {
                    let h = hit.intersect(r);
                    if h.is_empty() {
                        continue;
                    }
                    let a = acc.entry(*i).or_default();
                    a.spaces.push((*p, *seg));
                    if !entries[*i].allow
                        && let Some(later) = entries[i + 1..].iter().find(|e| {
                            e.allow
                                && entry_covers(e, *p, *seg, ctx.version)
                                && !AddrSet::from_cidr(&e.cidr).intersect(&h).is_empty()
                        })
                    {
                        a.before.insert(later.rule_number);
                    }
                }
                if !dec.unmatched.intersect(r).is_empty() {
                    unmatched_space.push((*p, *seg));
                }
            }
            row.push(dec.allowed);
        }
        cells.push(row);
    }
    let d = Field { cells };
    let verdict = judge(running, &d, &d);
    let mut records = vec![nacl.record];
    let mut parts = Vec::new();
    for (i, a) in &acc {
        let e = entries[*i];
        records.push(e.record);
        let what = ctx.describe(&a.spaces);
        if e.allow {
            parts.push(format!(
                "rule {} allows {what} from {}",
                e.rule_number, e.cidr
            ));
        } else {
            let mut s = format!("rule {} denies {what} from {}", e.rule_number, e.cidr);
            if let Some(first) = a.before.first() {
                s.push_str(&format!(" before rule {first} allows it"));
            }
            parts.push(s);
        }
    }
    if !unmatched_space.is_empty() {
        parts.push(format!(
            "no rule matches {} (denied)",
            describe_space(&unmatched_space)
        ));
    }
    if parts.is_empty() {
        parts.push("nothing left to evaluate".to_string());
    }
    let mut detail = format!("{}: {}", nacl.id, parts.join("; "));
    if verdict == Verdict::Pass && !admitted.is_empty() {
        detail.push_str(&format!(
            " → {} still admitted",
            describe_set(&admitted, &ctx.base)
        ));
    }
    HopEval {
        hop: hop(name, verdict, detail, records),
        d: d.clone(),
        m: d,
    }
}

/// The reply's (destination) port segments for protocol `p`.
fn reply_segments(p: i32, outs: &[&NaclEntry]) -> Vec<PortRange> {
    match port_kind(p) {
        PortKind::Ports => segments(EPHEMERAL, outs.iter().filter_map(|e| nacl_range(e, p))),
        PortKind::Icmp => {
            let echo_reply = if p == 58 { 129 * 256 } else { 0 };
            vec![PortRange {
                from: echo_reply,
                to: echo_reply,
            }]
        }
        PortKind::Point => vec![domain(p)],
    }
}

/// Explains why every reply of protocol `p` to the sources `rp` is dropped.
fn blocked_reply(
    p: i32,
    outs: &[&NaclEntry],
    deny_rules: &BTreeSet<i64>,
    unmatched: bool,
    rp: &AddrSet,
) -> String {
    let mut why: Vec<String> = deny_rules.iter().map(|n| format!("rule {n}")).collect();
    if unmatched {
        why.push("no matching rule".to_string());
    }
    let pname = protocol_name(p);
    let mut s = match port_kind(p) {
        PortKind::Ports => format!(
            "replies to {pname} clients on ports 1024-65535 are denied ({})",
            why.join(", ")
        ),
        PortKind::Icmp => format!(
            "echo replies ({}) are denied ({})",
            describe_ports(p, reply_segments(p, outs)[0]),
            why.join(", ")
        ),
        PortKind::Point => format!("{pname} replies are denied ({})", why.join(", ")),
    };
    if port_kind(p) == PortKind::Ports {
        let only: Vec<String> = outs
            .iter()
            .filter(|e| e.allow && IpVersion::of_net(&e.cidr) == rp.version())
            .filter(|e| !AddrSet::from_cidr(&e.cidr).intersect(rp).is_empty())
            .filter_map(|e| {
                let r = nacl_range(e, p)?;
                (r.from < EPHEMERAL.from).then(|| {
                    let to = r.to.min(EPHEMERAL.from - 1);
                    let ports = if r.from == to {
                        r.from.to_string()
                    } else {
                        format!("{}-{to}", r.from)
                    };
                    format!("{ports} allowed by rule {}", e.rule_number)
                })
            })
            .collect();
        if !only.is_empty() {
            s.push_str(&format!("; only {}", only.join(", ")));
        }
    }
    s
}

fn nacl_out_hop(ctx: &Ctx, running: &Field) -> HopEval {
    let name = "nacl_outbound";
    let Some(nacl) = ctx.iface.nacl else {
        return missing(
            ctx,
            running,
            name,
            "the subnet's network ACL is not in the evidence",
        );
    };
    let outs = sorted_entries(nacl, true);
    let mut acc: BTreeMap<usize, Vec<(i32, PortRange)>> = BTreeMap::new();
    let mut deciding: BTreeSet<usize> = BTreeSet::new();
    let mut blocked = Vec::new();
    let mut cells = Vec::new();
    for (pi, (p, segs)) in ctx.grid.protos.iter().enumerate() {
        let rp = running.proto_addresses(pi, ctx.version);
        let mut allowed = AddrSet::empty(ctx.version);
        let mut deny_rules = BTreeSet::new();
        let mut unmatched = false;
        let mut proto_acc: Vec<(usize, (i32, PortRange))> = Vec::new();
        for seg in reply_segments(*p, &outs) {
            let dec = first_match(&outs, *p, seg, &ctx.base);
            allowed = allowed.union(&dec.allowed);
            for (i, hit) in &dec.hits {
                if hit.intersect(&rp).is_empty() {
                    continue;
                }
                deciding.insert(*i);
                proto_acc.push((*i, (*p, seg)));
                if !outs[*i].allow {
                    deny_rules.insert(outs[*i].rule_number);
                }
            }
            unmatched |= !dec.unmatched.intersect(&rp).is_empty();
        }
        if !rp.is_empty() && allowed.intersect(&rp).is_empty() {
            blocked.push(blocked_reply(*p, &outs, &deny_rules, unmatched, &rp));
        } else {
            for (i, space) in proto_acc {
                acc.entry(i).or_default().push(space);
            }
        }
        cells.push(vec![allowed; segs.len()]);
    }
    let d = Field { cells };
    let verdict = judge(running, &d, &d);
    let mut parts: Vec<String> = acc
        .iter()
        .map(|(i, spaces)| {
            let e = outs[*i];
            let verb = if e.allow { "allows" } else { "denies" };
            format!(
                "rule {} {verb} replies on {} to {}",
                e.rule_number,
                describe_space(spaces),
                e.cidr
            )
        })
        .collect();
    parts.extend(blocked);
    if parts.is_empty() {
        parts.push("nothing left to evaluate".to_string());
    }
    let mut records = vec![nacl.record];
    records.extend(deciding.iter().map(|i| outs[*i].record));
    let detail = format!("{}: {}", nacl.id, parts.join("; "));
    HopEval {
        hop: hop(name, verdict, detail, records),
        d: d.clone(),
        m: d,
    }
}

fn source_label(source: &SgSource) -> String {
    match source {
        SgSource::Cidr(n) => n.to_string(),
        SgSource::Group(g) => g.clone(),
        SgSource::PrefixList { id, .. } => format!("prefix list {id}"),
    }
}

fn sg_hop(ctx: &Ctx, running: &Field) -> HopEval {
    let name = "security_group";
    if ctx.iface.groups.is_empty() {
        let detail = "the interface has no security group".to_string();
        return fixed(ctx, name, false, detail, Vec::new());
    }
    let groups = present_groups(ctx.iface);
    let absent: Vec<&str> = ctx
        .iface
        .groups
        .iter()
        .filter(|(_, g)| g.is_none())
        .map(|(id, _)| *id)
        .collect();
    let v = ctx.version;
    // (group index, permission index) → spaces where it definitely admits running sources.
    let mut admits: BTreeMap<(usize, usize), Vec<(i32, PortRange)>> = BTreeMap::new();
    // Relevant permissions that admit no running source (group refs, other ranges).
    let mut non_internet: BTreeSet<(usize, usize)> = BTreeSet::new();
    let mut unresolved: BTreeMap<(usize, usize), Vec<(i32, PortRange)>> = BTreeMap::new();
    let mut d_cells = Vec::new();
    let mut m_cells = Vec::new();
    for (pi, (p, segs)) in ctx.grid.protos.iter().enumerate() {
        let mut d_row = Vec::new();
        let mut m_row = Vec::new();
        for (si, seg) in segs.iter().enumerate() {
            let r = &running.cells[pi][si];
            let mut d = AddrSet::empty(v);
            let mut m = if absent.is_empty() {
                AddrSet::empty(v)
            } else {
                ctx.base.clone()
            };
            for (gi, g) in groups.iter().enumerate() {
                for (ki, perm) in g.inbound.iter().enumerate() {
                    if !sg_range(perm, *p).is_some_and(|pr| contains_range(pr, *seg)) {
                        continue;
                    }
                    let admitted = match &perm.source {
                        SgSource::Cidr(n) if IpVersion::of_net(n) != v => continue,
                        SgSource::Cidr(n) => AddrSet::from_cidr(n),
                        SgSource::PrefixList {
                            cidrs: Some(cidrs), ..
                        } => AddrSet::from_cidrs(v, cidrs),
                        SgSource::PrefixList { cidrs: None, .. } => {
                            m = ctx.base.clone();
                            if !r.is_empty() {
                                unresolved.entry((gi, ki)).or_default().push((*p, *seg));
                            }
                            continue;
                        }
                        SgSource::Group(_) => AddrSet::empty(v),
                    }
                    .intersect(&ctx.base);
                    d = d.union(&admitted);
                    m = m.union(&admitted);
                    if r.is_empty() {
                        continue;
                    }
                    if admitted.intersect(r).is_empty() {
                        non_internet.insert((gi, ki));
                    } else {
                        admits.entry((gi, ki)).or_default().push((*p, *seg));
                    }
                }
            }
            d_row.push(d);
            m_row.push(m);
        }
        d_cells.push(d_row);
        m_cells.push(m_row);
    }
    let (d, m) = (Field { cells: d_cells }, Field { cells: m_cells });
    let verdict = judge(running, &d, &m);
    let mut records: Vec<u32> = groups.iter().map(|g| g.record).collect();
    let mut parts = Vec::new();
    for ((gi, ki), spaces) in &admits {
        let (g, perm) = (groups[*gi], &groups[*gi].inbound[*ki]);
        records.push(perm.record);
        parts.push(format!(
            "{} admits {} from {}",
            g.id,
            ctx.describe(spaces),
            source_label(&perm.source)
        ));
    }
    let mut notes = Vec::new();
    for ((gi, ki), spaces) in &unresolved {
        let (g, perm) = (groups[*gi], &groups[*gi].inbound[*ki]);
        records.push(perm.record);
        notes.push(format!(
            "{} admits {} on {}, which is not in the evidence",
            g.id,
            source_label(&perm.source),
            describe_space(spaces)
        ));
    }
    notes.extend(
        absent
            .iter()
            .map(|id| format!("{id} is not in the evidence")),
    );
    // Per group: the non-internet sources it admits on the ports in play.
    let mut only: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for (gi, ki) in &non_internet {
        let perm = &groups[*gi].inbound[*ki];
        records.push(perm.record);
        let list = only.entry(*gi).or_default();
        let label = source_label(&perm.source);
        if !list.contains(&label) {
            list.push(label);
        }
    }
    let group_refs: Vec<String> = only
        .iter()
        .map(|(gi, srcs)| format!("{} admits only {}", groups[*gi].id, srcs.join(", ")))
        .collect();
    let detail = match verdict {
        Verdict::Fail => {
            let ids: Vec<&str> = groups.iter().map(|g| g.id.as_str()).collect();
            let verb = if ids.len() == 1 { "admits" } else { "admit" };
            let mut s = format!(
                "{} {verb} no internet source on {}",
                ids.join(", "),
                ctx.space(running)
            );
            if !group_refs.is_empty() {
                s.push_str(&format!(" ({})", group_refs.join("; ")));
            }
            s
        }
        Verdict::Pass | Verdict::Indeterminate => {
            if verdict == Verdict::Indeterminate {
                parts.insert(
                    0,
                    "no group in the evidence definitely admits an internet source".to_string(),
                );
            }
            let refs = only.iter().filter_map(|(gi, srcs)| {
                let groups_only: Vec<&str> = srcs
                    .iter()
                    .filter(|s| s.starts_with("sg-"))
                    .map(String::as_str)
                    .collect();
                (!groups_only.is_empty()).then(|| {
                    format!(
                        "{} also admits {} (not an internet source)",
                        groups[*gi].id,
                        groups_only.join(", ")
                    )
                })
            });
            parts.extend(refs);
            parts.extend(notes.iter().map(|n| format!("{n} (indeterminate)")));
            parts.join("; ")
        }
    };
    HopEval {
        hop: hop(name, verdict, detail, records),
        d,
        m,
    }
}

/// Merges consecutive segments with equal address sets into exposures.
fn exposures(
    ctx: &Ctx,
    p: i32,
    segs: &[PortRange],
    sets: &[AddrSet],
    indet: bool,
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
            indeterminate: indet,
        });
    }
    out
}

/// Evaluates internet reachability of one interface for one IP version.
///
/// Hops are evaluated in order (`public_ip`, `route`, `internet_gateway`,
/// `nacl_inbound`, `nacl_outbound`, `security_group`); each is judged against
/// what the earlier non-failing hops let through, so a hop after a failure
/// still gets a meaningful verdict. The exposure is exact: computed over
/// address intervals and port segments, never sampled.
pub fn evaluate(iface: &Interface, version: IpVersion, query: &Query) -> Evaluation {
    let internet = AddrSet::internet(version);
    let base = match query.from {
        Some(from) if IpVersion::of_net(&from) == version => {
            internet.intersect(&AddrSet::from_cidr(&from))
        }
        Some(_) => AddrSet::empty(version),
        None => internet,
    };
    let grid = build_grid(iface, version, query);
    let routes = iface.route_table.map(|t| analyze_routes(t, version, &base));
    let ctx = Ctx {
        iface,
        version,
        base,
        grid,
        routes,
        open_query: query.protocol.is_none_or(|p| p < 0) && query.port.is_none(),
    };
    let steps: [fn(&Ctx, &Field) -> HopEval; 6] = [
        public_ip_hop,
        route_hop,
        igw_hop,
        nacl_in_hop,
        nacl_out_hop,
        sg_hop,
    ];
    let mut running = ctx.all();
    let mut definite = ctx.all();
    let mut possible = ctx.all();
    let mut hops = Vec::new();
    for step in steps {
        let ev = step(&ctx, &running);
        if ev.hop.verdict != Verdict::Fail {
            running = running.intersect(&ev.m);
        }
        definite = definite.intersect(&ev.d);
        possible = possible.intersect(&ev.m);
        hops.push(ev.hop);
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
    }
}

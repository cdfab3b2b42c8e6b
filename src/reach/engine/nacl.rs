//! The `nacl_inbound` and `nacl_outbound` hops: the subnet's network ACL, first match wins,
//! inbound for the request and outbound for the reply.

use std::collections::{BTreeMap, BTreeSet};

use super::super::grid::{
    Field, PortKind, domain, entry_covers, first_match, nacl_range, port_kind, segments,
};
use super::super::model::{Hop, Nacl, NaclEntry, PortRange, Verdict};
use super::super::ranges::{AddrSet, IpVersion};
use super::super::text::{describe_ports, describe_space};
use super::super::vocab::{HopKind, Protocol};
use super::{Ctx, HopResult, judge, unreadable_note};

/// Client ephemeral ports the reply of a tcp/udp connection goes to.
const EPHEMERAL: PortRange = PortRange {
    from: 1024,
    to: u16::MAX,
};

/// What both ACL hops say without the subnet's network ACL.
const NO_ACL: &str = "the subnet's network ACL is not in the evidence";

/// The hop of an ACL with entries that cannot be read: indeterminate, naming them (first
/// match wins, so an unreadable entry may decide anything after it).
fn unreadable(ctx: &Ctx, running: &Field, kind: HopKind, nacl: &Nacl) -> Option<HopResult> {
    if nacl.unreadable.is_empty() {
        return None;
    }
    let detail = unreadable_note("network ACL", &nacl.id, &nacl.unreadable);
    let mut records = vec![nacl.record];
    records.extend(nacl.unreadable.iter().map(|(_, r)| *r));
    Some(ctx.unknown(running, kind, detail, records))
}

/// The subnet's entries of one direction, in rule order.
fn sorted_entries(nacl: &Nacl, egress: bool) -> Vec<&NaclEntry> {
    let mut v: Vec<&NaclEntry> = nacl.entries.iter().filter(|e| e.egress == egress).collect();
    v.sort_by_key(|e| e.rule_number);
    v
}

/// What one inbound entry decided for running sources.
#[derive(Default)]
struct EntryDecision {
    /// (protocol, segment) the entry decided within the running set.
    spaces: Vec<(Protocol, PortRange)>,
    /// For a deny: rule numbers of later allow entries it shadowed.
    shadowed_allows: BTreeSet<i64>,
}

/// The inbound entries that decide the running sources.
struct InboundFacts {
    /// Sources each cell's first matching entry allows.
    definite: Field,
    /// Entry index → what it decided.
    decided: BTreeMap<usize, EntryDecision>,
    /// (protocol, segment) where some running source matches no entry.
    unmatched: Vec<(Protocol, PortRange)>,
    /// Running sources admitted in the cells where something was denied.
    partly_admitted: AddrSet,
}

fn inbound_facts(ctx: &Ctx, entries: &[&NaclEntry], running: &Field) -> InboundFacts {
    let mut facts = InboundFacts {
        definite: Field { cells: Vec::new() },
        decided: BTreeMap::new(),
        unmatched: Vec::new(),
        partly_admitted: AddrSet::empty(ctx.version),
    };
    for (pi, (p, segs)) in ctx.grid.protos.iter().enumerate() {
        let mut row = Vec::new();
        for (si, seg) in segs.iter().enumerate() {
            let dec = first_match(entries, *p, *seg, &ctx.base);
            let r = &running.cells[pi][si];
            let admitted = dec.allowed.intersect(r);
            if !admitted.covers(r) {
                facts.partly_admitted = facts.partly_admitted.union(&admitted);
            }
            for (i, hit) in &dec.hits {
                let h = hit.intersect(r);
                if h.is_empty() {
                    continue;
                }
                let decision = facts.decided.entry(*i).or_default();
                decision.spaces.push((*p, *seg));
                if !entries[*i].allow
                    && let Some(later) = entries[i + 1..].iter().find(|e| {
                        e.allow
                            && entry_covers(e, *p, *seg, ctx.version)
                            && AddrSet::from_cidr(&e.cidr).meets(&h)
                    })
                {
                    decision.shadowed_allows.insert(later.rule_number);
                }
            }
            if dec.unmatched.meets(r) {
                facts.unmatched.push((*p, *seg));
            }
            row.push(dec.allowed);
        }
        facts.definite.cells.push(row);
    }
    facts
}

fn inbound_detail(ctx: &Ctx, entries: &[&NaclEntry], facts: &InboundFacts) -> Vec<String> {
    let mut parts = Vec::new();
    for (i, decision) in &facts.decided {
        let e = entries[*i];
        let what = ctx.describe(&decision.spaces);
        if e.allow {
            parts.push(format!(
                "rule {} allows {what} from {}",
                e.rule_number, e.cidr
            ));
        } else {
            let mut s = format!("rule {} denies {what} from {}", e.rule_number, e.cidr);
            if let Some(first) = decision.shadowed_allows.first() {
                s.push_str(&format!(" before rule {first} allows it"));
            }
            parts.push(s);
        }
    }
    if !facts.unmatched.is_empty() {
        parts.push(format!(
            "no rule matches {} (denied)",
            describe_space(&facts.unmatched)
        ));
    }
    parts
}

/// Passes for the sources whose first matching inbound entry allows them.
pub(super) fn inbound_hop(ctx: &Ctx, running: &Field) -> HopResult {
    let kind = ctx.kind(HopKind::NaclInbound);
    let Some(nacl) = ctx.iface.nacl else {
        return ctx.evidence_missing(running, kind, NO_ACL);
    };
    if let Some(unknown) = unreadable(ctx, running, kind, nacl) {
        return unknown;
    }
    let entries = sorted_entries(nacl, false);
    let facts = inbound_facts(ctx, &entries, running);
    let verdict = judge(running, &facts.definite, &facts.definite);
    let mut records = vec![nacl.record];
    records.extend(facts.decided.keys().map(|i| entries[*i].record));
    let mut detail = acl_detail(nacl, inbound_detail(ctx, &entries, &facts));
    if verdict == Verdict::Pass && !facts.partly_admitted.is_empty() {
        detail.push_str(&format!(
            " → {} still admitted",
            ctx.describe_sources(&facts.partly_admitted)
        ));
    }
    HopResult::exact(Hop::new(kind, verdict, detail, records), facts.definite)
}

/// "acl-…: part; part", or "nothing left to evaluate" when no entry was cited.
fn acl_detail(nacl: &Nacl, mut parts: Vec<String>) -> String {
    if parts.is_empty() {
        parts.push("nothing left to evaluate".to_string());
    }
    format!("{}: {}", nacl.id, parts.join("; "))
}

/// The reply's (destination) port segments for protocol `p`.
fn reply_segments(p: Protocol, outs: &[&NaclEntry]) -> Vec<PortRange> {
    match port_kind(p) {
        PortKind::Ports => segments(EPHEMERAL, outs.iter().filter_map(|e| nacl_range(e, p))),
        PortKind::Icmp => {
            let echo_reply = if p == Protocol::ICMPV6 { 129 * 256 } else { 0 };
            vec![PortRange {
                from: echo_reply,
                to: echo_reply,
            }]
        }
        PortKind::Point => vec![domain(p)],
    }
}

/// A protocol whose every reply to the running sources is dropped.
struct BlockedReply {
    protocol: Protocol,
    /// Rule numbers of the deny entries that drop them.
    deny_rules: BTreeSet<i64>,
    /// Whether some reply matches no entry.
    unmatched: bool,
    /// The running sources of the protocol.
    sources: AddrSet,
}

/// The outbound entries that decide the replies to running sources.
struct OutboundFacts {
    /// Sources whose replies the first matching entry allows, per cell.
    definite: Field,
    /// Entry index → the (protocol, reply ports) it decided, for protocols with some reply out.
    decided: BTreeMap<usize, Vec<(Protocol, PortRange)>>,
    /// Indexes of every entry deciding a reply to a running source.
    deciding: BTreeSet<usize>,
    /// Protocols with no reply out.
    blocked: Vec<BlockedReply>,
}

fn outbound_facts(ctx: &Ctx, outs: &[&NaclEntry], running: &Field) -> OutboundFacts {
    let mut facts = OutboundFacts {
        definite: Field { cells: Vec::new() },
        decided: BTreeMap::new(),
        deciding: BTreeSet::new(),
        blocked: Vec::new(),
    };
    for (pi, (p, segs)) in ctx.grid.protos.iter().enumerate() {
        let sources = running.proto_addresses(pi, ctx.version);
        let mut allowed = AddrSet::empty(ctx.version);
        let mut deny_rules = BTreeSet::new();
        let mut unmatched = false;
        let mut proto_decided: Vec<(usize, (Protocol, PortRange))> = Vec::new();
        for seg in reply_segments(*p, outs) {
            let dec = first_match(outs, *p, seg, &ctx.base);
            allowed = allowed.union(&dec.allowed);
            for (i, hit) in &dec.hits {
                if !hit.meets(&sources) {
                    continue;
                }
                facts.deciding.insert(*i);
                proto_decided.push((*i, (*p, seg)));
                if !outs[*i].allow {
                    deny_rules.insert(outs[*i].rule_number);
                }
            }
            unmatched |= dec.unmatched.meets(&sources);
        }
        if !sources.is_empty() && !allowed.meets(&sources) {
            facts.blocked.push(BlockedReply {
                protocol: *p,
                deny_rules,
                unmatched,
                sources,
            });
        } else {
            for (i, space) in proto_decided {
                facts.decided.entry(i).or_default().push(space);
            }
        }
        facts.definite.cells.push(vec![allowed; segs.len()]);
    }
    facts
}

/// Explains why every reply of a protocol to its running sources is dropped.
fn blocked_reply_detail(blocked: &BlockedReply, outs: &[&NaclEntry]) -> String {
    let p = blocked.protocol;
    let mut why: Vec<String> = (blocked.deny_rules.iter())
        .map(|n| format!("rule {n}"))
        .collect();
    if blocked.unmatched {
        why.push("no matching rule".to_string());
    }
    let pname = p.name();
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
        let only = low_port_allows(p, outs, &blocked.sources);
        if !only.is_empty() {
            s.push_str(&format!("; only {}", only.join(", ")));
        }
    }
    s
}

/// The allow entries for `sources` that open only ports below the ephemeral range.
fn low_port_allows(p: Protocol, outs: &[&NaclEntry], sources: &AddrSet) -> Vec<String> {
    outs.iter()
        .filter(|e| e.allow && IpVersion::of_net(&e.cidr) == sources.version())
        .filter(|e| AddrSet::from_cidr(&e.cidr).meets(sources))
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
        .collect()
}

/// Passes for the sources the outbound entries let a reply go back to.
pub(super) fn outbound_hop(ctx: &Ctx, running: &Field) -> HopResult {
    let kind = ctx.kind(HopKind::NaclOutbound);
    let Some(nacl) = ctx.iface.nacl else {
        return ctx.evidence_missing(running, kind, NO_ACL);
    };
    if let Some(unknown) = unreadable(ctx, running, kind, nacl) {
        return unknown;
    }
    let outs = sorted_entries(nacl, true);
    let facts = outbound_facts(ctx, &outs, running);
    let verdict = judge(running, &facts.definite, &facts.definite);
    let mut parts: Vec<String> = (facts.decided.iter())
        .map(|(i, spaces)| {
            let e = outs[*i];
            let verb = if e.allow { "allows" } else { "denies" };
            let ports = describe_space(spaces);
            format!(
                "rule {} {verb} replies on {ports} to {}",
                e.rule_number, e.cidr
            )
        })
        .collect();
    parts.extend(facts.blocked.iter().map(|b| blocked_reply_detail(b, &outs)));
    let mut records = vec![nacl.record];
    records.extend(facts.deciding.iter().map(|i| outs[*i].record));
    let detail = acl_detail(nacl, parts);
    HopResult::exact(Hop::new(kind, verdict, detail, records), facts.definite)
}

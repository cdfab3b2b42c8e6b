//! The `security_group` hop: does a group of the interface admit the source? On the front leg
//! of a load balancer path, a load balancer without groups admits every client; on its back leg,
//! a permission naming one of the load balancer's groups admits every source.

use std::collections::{BTreeMap, BTreeSet};

use super::super::grid::{Field, contains_range, sg_range};
use super::super::model::{Hop, PortRange, SecurityGroup, SgSource, Verdict};
use super::super::ranges::{AddrSet, IpVersion};
use super::super::text::describe_space;
use super::super::vocab::{HopKind, Protocol, RecordId};
use super::leg::Leg;
use super::{Ctx, HopResult, judge, present_groups, unreadable_note};

/// A permission: (index of its group among the present ones, index within the group).
type PermKey = (usize, usize);

/// What the groups in the evidence admit of the running sources.
struct SgFacts {
    /// Sources some permission admits.
    definite: Field,
    /// Sources some permission may admit (unresolved prefix lists, groups not in the evidence).
    possible: Field,
    /// Permission → spaces where it definitely admits running sources.
    admits: BTreeMap<PermKey, Vec<(Protocol, PortRange)>>,
    /// Relevant permissions that admit no running source (group refs, other ranges).
    non_internet: BTreeSet<PermKey>,
    /// Permission from a prefix list not in the evidence → spaces where it may admit.
    unresolved: BTreeMap<PermKey, Vec<(Protocol, PortRange)>>,
}

impl SgFacts {
    /// Gathers the facts over every grid cell.
    fn gather(ctx: &Ctx, groups: &[&SecurityGroup], any_absent: bool, running: &Field) -> Self {
        let mut facts = SgFacts {
            definite: Field { cells: Vec::new() },
            possible: Field { cells: Vec::new() },
            admits: BTreeMap::new(),
            non_internet: BTreeSet::new(),
            unresolved: BTreeMap::new(),
        };
        for (pi, (p, segs)) in ctx.grid.protos.iter().enumerate() {
            let (mut definite_row, mut possible_row) = (Vec::new(), Vec::new());
            for (si, seg) in segs.iter().enumerate() {
                let cell = (*p, *seg);
                let running_cell = &running.cells[pi][si];
                let (definite, possible) = facts.cell(ctx, groups, any_absent, cell, running_cell);
                definite_row.push(definite);
                possible_row.push(possible);
            }
            facts.definite.cells.push(definite_row);
            facts.possible.cells.push(possible_row);
        }
        facts
    }

    /// The sources the groups definitely and possibly admit on one cell.
    fn cell(
        &mut self,
        ctx: &Ctx,
        groups: &[&SecurityGroup],
        any_absent: bool,
        (p, seg): (Protocol, PortRange),
        running: &AddrSet,
    ) -> (AddrSet, AddrSet) {
        let v = ctx.version;
        let mut definite = AddrSet::empty(v);
        let mut possible = if any_absent {
            ctx.base.clone()
        } else {
            AddrSet::empty(v)
        };
        for (gi, g) in groups.iter().enumerate() {
            for (ki, perm) in g.inbound.iter().enumerate() {
                if !sg_range(perm, p).is_some_and(|pr| contains_range(pr, seg)) {
                    continue;
                }
                let admitted = match &perm.source {
                    SgSource::Cidr(n) if IpVersion::of_net(n) != v => continue,
                    SgSource::Cidr(n) => AddrSet::from_cidr(n),
                    SgSource::PrefixList {
                        cidrs: Some(cidrs), ..
                    } => AddrSet::from_cidrs(v, cidrs),
                    SgSource::PrefixList { cidrs: None, .. } => {
                        possible = ctx.base.clone();
                        if !running.is_empty() {
                            self.unresolved.entry((gi, ki)).or_default().push((p, seg));
                        }
                        continue;
                    }
                    SgSource::Group(id) if ctx.leg.admits_group(id) => ctx.base.clone(),
                    SgSource::Group(_) => AddrSet::empty(v),
                }
                .intersect(&ctx.base);
                definite = definite.union(&admitted);
                possible = possible.union(&admitted);
                if running.is_empty() {
                    continue;
                }
                if !admitted.meets(running) {
                    self.non_internet.insert((gi, ki));
                } else {
                    self.admits.entry((gi, ki)).or_default().push((p, seg));
                }
            }
        }
        (definite, possible)
    }
}

fn source_label(leg: Leg, source: &SgSource) -> String {
    match source {
        SgSource::Cidr(n) => n.to_string(),
        SgSource::Group(g) if leg.admits_group(g) => format!("{g} (the load balancer's group)"),
        SgSource::Group(g) => g.clone(),
        SgSource::PrefixList { id, .. } => format!("prefix list {id}"),
    }
}

/// The source of a permission admitting running sources, followed by those sources when the
/// details list them by address ("10.0.0.0/16 (10.0.1.17, 10.0.2.9)").
fn admitted_label(ctx: &Ctx, source: &SgSource, running: &Field) -> String {
    let label = source_label(ctx.leg, source);
    let admitted = match source {
        SgSource::Cidr(n) => AddrSet::from_cidr(n),
        SgSource::PrefixList {
            cidrs: Some(cidrs), ..
        } => AddrSet::from_cidrs(ctx.version, cidrs),
        SgSource::Group(_) | SgSource::PrefixList { cidrs: None, .. } => return label,
    };
    if !ctx.leg.lists_addresses(&ctx.base) {
        return label;
    }
    let admitted = admitted.intersect(&running.addresses(ctx.version));
    format!("{label} ({})", ctx.describe_sources(&admitted))
}

/// What the explanation draws on besides the facts.
struct Explained<'a> {
    groups: &'a [&'a SecurityGroup],
    /// Ids of the interface's groups that are not in the evidence.
    absent: Vec<&'a str>,
    /// Per group index: the non-internet sources it admits on the ports in play.
    non_internet_only: BTreeMap<usize, Vec<String>>,
}

impl Explained<'_> {
    /// "sg-… admits only sg-…, 10.0.0.0/8" for each group admitting only non-internet sources.
    fn only_non_internet(&self) -> Vec<String> {
        (self.non_internet_only.iter())
            .map(|(gi, srcs)| format!("{} admits only {}", self.groups[*gi].id, srcs.join(", ")))
            .collect()
    }

    /// For a closed path: the groups admit none of the leg's sources on what is in play.
    fn closed(&self, ctx: &Ctx, running: &Field) -> String {
        let ids: Vec<&str> = self.groups.iter().map(|g| g.id.as_str()).collect();
        let verb = if ids.len() == 1 { "admits" } else { "admit" };
        let space = ctx.space(running);
        if space.is_empty() {
            // No earlier hop let anything through (e.g. `--from ::/0` to an IPv4-only target).
            return format!("{}: nothing left to evaluate", ids.join(", "));
        }
        let mut s = format!(
            "{} {verb} {} on {space}",
            ids.join(", "),
            ctx.leg.no_source(&ctx.base),
        );
        let refs = self.only_non_internet();
        if !refs.is_empty() {
            s.push_str(&format!(" ({})", refs.join("; ")));
        }
        s
    }

    /// For an open or undecided path: what admits the leg's sources and what is unknown.
    fn open(&self, ctx: &Ctx, facts: &SgFacts, verdict: Verdict, running: &Field) -> String {
        let mut parts = Vec::new();
        if verdict == Verdict::Indeterminate {
            let any = ctx.leg.any_source();
            parts.push(format!("no group in the evidence definitely admits {any}"));
        }
        for ((gi, ki), spaces) in &facts.admits {
            let (g, perm) = (self.groups[*gi], &self.groups[*gi].inbound[*ki]);
            let what = ctx.describe(spaces);
            let from = admitted_label(ctx, &perm.source, running);
            parts.push(format!("{} admits {what} from {from}", g.id));
        }
        for (gi, srcs) in &self.non_internet_only {
            let groups_only: Vec<&str> = (srcs.iter())
                .filter(|s| s.starts_with("sg-"))
                .map(String::as_str)
                .collect();
            if !groups_only.is_empty() {
                parts.push(format!(
                    "{} also admits {} ({})",
                    self.groups[*gi].id,
                    groups_only.join(", "),
                    ctx.leg.foreign_group()
                ));
            }
        }
        for ((gi, ki), spaces) in &facts.unresolved {
            let (g, perm) = (self.groups[*gi], &self.groups[*gi].inbound[*ki]);
            parts.push(format!(
                "{} admits {} on {}, which is not in the evidence (indeterminate)",
                g.id,
                source_label(ctx.leg, &perm.source),
                describe_space(spaces)
            ));
        }
        let absent = self.absent.iter();
        parts.extend(absent.map(|id| format!("{id} is not in the evidence (indeterminate)")));
        parts.join("; ")
    }
}

/// The groups, then every permission cited, in the order the explanation cites them.
fn cited_records(groups: &[&SecurityGroup], facts: &SgFacts) -> Vec<RecordId> {
    let perm = |(gi, ki): &PermKey| groups[*gi].inbound[*ki].record;
    let mut records: Vec<RecordId> = groups.iter().map(|g| g.record).collect();
    records.extend(facts.admits.keys().map(perm));
    records.extend(facts.unresolved.keys().map(perm));
    records.extend(facts.non_internet.iter().map(perm));
    records
}

/// Passes for the sources some group of the interface admits.
pub(super) fn hop(ctx: &Ctx, running: &Field) -> HopResult {
    let kind = ctx.kind(HopKind::SecurityGroup);
    if let Leg::LbNode {
        groups_enforced: false,
    } = ctx.leg
    {
        let verdict = judge(running, &ctx.all(), &ctx.all());
        let detail = "the load balancer has no security group: all client traffic can reach \
                      its listeners"
            .to_string();
        return HopResult::exact(Hop::new(kind, verdict, detail, Vec::new()), ctx.all());
    }
    if ctx.iface.groups.is_empty() {
        let detail = "the interface has no security group".to_string();
        return ctx.all_or_nothing(kind, false, detail, Vec::new());
    }
    let groups = present_groups(ctx.iface);
    let absent: Vec<&str> = (ctx.iface.groups.iter())
        .filter(|(_, g)| g.is_none())
        .map(|(id, _)| *id)
        .collect();
    let unreadable: Vec<&SecurityGroup> = (groups.iter().copied())
        .filter(|g| !g.unreadable.is_empty())
        .collect();
    let unknown = !absent.is_empty() || !unreadable.is_empty();
    let facts = SgFacts::gather(ctx, &groups, unknown, running);
    let verdict = judge(running, &facts.definite, &facts.possible);
    let mut non_internet_only: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for (gi, ki) in &facts.non_internet {
        let list = non_internet_only.entry(*gi).or_default();
        let label = source_label(ctx.leg, &groups[*gi].inbound[*ki].source);
        if !list.contains(&label) {
            list.push(label);
        }
    }
    let explained = Explained {
        groups: &groups,
        absent,
        non_internet_only,
    };
    let mut detail = match verdict {
        Verdict::Fail => explained.closed(ctx, running),
        Verdict::Pass | Verdict::Indeterminate => explained.open(ctx, &facts, verdict, running),
    };
    let mut records = cited_records(&groups, &facts);
    for g in unreadable {
        detail = format!(
            "{detail}; {}",
            unreadable_note("security group", &g.id, &g.unreadable)
        );
        records.extend(g.unreadable.iter().map(|(_, r)| *r));
    }
    HopResult {
        hop: Hop::new(kind, verdict, detail, records),
        definite: facts.definite,
        possible: facts.possible,
    }
}

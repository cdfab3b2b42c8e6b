//! Naming the hop that really blocks a closed path, and the hop that would close an
//! indeterminate one if the missing prefix lists admitted nothing.

use super::super::model::{Evaluation, Hop, Interface, Query, Reachable, SecurityGroup, SgSource};
use super::super::ranges::{AddrSet, IpVersion};
use super::super::vocab::{HopKind, Protocol};
use super::evaluate_hops;
use super::leg::Leg;

/// The hop blocking `eval`, `None` (after every hop) when none fails.
fn block_order(eval: &Evaluation) -> (bool, Option<HopKind>) {
    let hop = eval.blocking_hop().map(|h| h.hop);
    (hop.is_none(), hop)
}

/// Judges a closed path on what the security groups open.
///
/// Over every protocol and port, a path whose ACL blocks the one port a group opens fails at the
/// security group (the ACL still lets other ports through). What blocks the service is the ACL:
/// so when an unnarrowed evaluation fails first at `security_group`, each permission that admits
/// sources of the leg (internet sources, or the load balancer's) is evaluated on its own (its
/// protocol, first port and source), and the evaluation failing earliest in path order explains
/// the closed path. Reachability and exposure are unchanged: the path is closed either way.
pub(super) fn closed_path(
    iface: &Interface,
    version: IpVersion,
    query: &Query,
    leg: Leg,
    eval: Evaluation,
) -> Evaluation {
    let narrowed = query.port.is_some() || query.protocol.is_some_and(|p| !p.is_all());
    let group_hop = leg.kind(HopKind::SecurityGroup);
    if narrowed
        || eval.reachable != Reachable::No
        || eval.blocking_hop().map(|h| h.hop) != Some(group_hop)
    {
        return eval;
    }
    let sources = leg.sources(version);
    let mut best: Option<Evaluation> = None;
    let permissions = (iface.groups.iter())
        .filter_map(|(_, g)| *g)
        .flat_map(|g| &g.inbound);
    for perm in permissions {
        let from = match &perm.source {
            SgSource::Cidr(n) if IpVersion::of_net(n) == version => Some(*n),
            SgSource::PrefixList {
                cidrs: Some(cidrs), ..
            } if !AddrSet::from_cidrs(version, cidrs)
                .intersect(&sources)
                .is_empty() =>
            {
                None
            }
            SgSource::Group(id) if leg.admits_group(id) => None,
            _ => continue,
        };
        if from.is_some_and(|n| !AddrSet::from_cidr(&n).meets(&sources)) {
            continue;
        }
        let port = match perm.protocol {
            Protocol::TCP | Protocol::UDP => perm.from_port.and_then(|p| u16::try_from(p).ok()),
            _ => None,
        };
        let q = Query {
            protocol: Some(perm.protocol),
            port,
            from: query.from.or(from),
        };
        let e = evaluate_hops(iface, version, &q, leg);
        if best
            .as_ref()
            .is_none_or(|b| block_order(&e) < block_order(b))
        {
            best = Some(e);
        }
    }
    match best {
        Some(b)
            if b.reachable == Reachable::No
                && b.blocking_hop().is_some_and(|h| h.hop < group_hop) =>
        {
            b
        }
        _ => eval,
    }
}

/// The interface's groups with every security-group source from a prefix list whose entries are
/// not in the evidence taken as admitting nothing.
fn known_groups(iface: &Interface) -> Vec<Option<SecurityGroup>> {
    let known = |g: &SecurityGroup| {
        let mut g = g.clone();
        for perm in &mut g.inbound {
            if let SgSource::PrefixList {
                cidrs: cidrs @ None,
                ..
            } = &mut perm.source
            {
                *cidrs = Some(Vec::new());
            }
        }
        g
    };
    iface.groups.iter().map(|(_, g)| g.map(known)).collect()
}

/// For an indeterminate path: the hop that closes it when prefix lists whose entries are not in
/// the evidence are taken as empty, its detail saying that only the undetermined part may pass;
/// `None` when that does not close the path.
pub(super) fn known_block(
    iface: &Interface,
    version: IpVersion,
    query: &Query,
    leg: Leg,
) -> Option<Hop> {
    let groups = known_groups(iface);
    let known_iface = Interface {
        groups: (iface.groups.iter())
            .zip(&groups)
            .map(|((id, _), g)| (*id, g.as_ref()))
            .collect(),
        ..iface.clone()
    };
    let raw = evaluate_hops(&known_iface, version, query, leg);
    let known = closed_path(&known_iface, version, query, leg, raw);
    if known.reachable != Reachable::No {
        return None;
    }
    let mut hop = known.blocking_hop()?.clone();
    hop.detail = format!(
        "{} (this closes the path for every source the evidence determines; only what \
         depends on prefix lists whose entries are not in the evidence may pass)",
        hop.detail
    );
    Some(hop)
}

//! The evaluation of one interface over both IP versions ([`EniEvaluation`]), and the policy
//! around the engine's answer: a NAT gateway's interface accepts nothing inbound, and an
//! indeterminate path is also judged with unresolved prefix lists taken as empty, so the hop that
//! closes it for every source the evidence determines can be named.

use super::network::{Eni, Network};
use crate::reach::{
    self, AddrSet, Evaluation, Exposure, Hop, Interface, IpVersion, Query, Reachable,
    SecurityGroup, SgSource, Verdict,
};

/// The evaluation of one interface, both IP versions.
#[derive(Debug, Clone)]
pub struct EniEvaluation {
    /// The public IPv4 path.
    pub v4: Evaluation,
    /// The IPv6 path.
    pub v6: Evaluation,
    /// For an indeterminate IPv4 path: the same path with prefix lists whose entries are not in
    /// the evidence taken as empty, kept when that closes it (so the hop blocking every source
    /// the evidence determines can be named).
    pub v4_known: Option<Evaluation>,
    /// The same for the IPv6 path.
    pub v6_known: Option<Evaluation>,
    /// A NAT gateway interface: never reachable inbound whatever the other hops say.
    pub nat_gateway: bool,
}

/// The hop that says a NAT gateway accepts no inbound connection.
fn interface_type_hop(record: u32) -> Hop {
    Hop {
        hop: "interface_type",
        verdict: Verdict::Fail,
        detail: "a NAT gateway interface never accepts connections initiated from the internet"
            .to_string(),
        records: vec![record],
    }
}

impl EniEvaluation {
    /// The same evaluation for another interface of the same configuration (see
    /// [`Network::config_key`]): only what the `public_ip` hops say of the addresses differs.
    pub fn for_interface(&self, eni: &Eni) -> EniEvaluation {
        let mut eval = self.clone();
        let paths = [
            (IpVersion::V4, &eni.public_ips, &mut eval.v4),
            (IpVersion::V6, &eni.ipv6, &mut eval.v6),
        ];
        for (version, addresses, path) in paths {
            for hop in &mut path.hops {
                if hop.hop == "public_ip" && hop.verdict == Verdict::Pass {
                    hop.detail = reach::public_address_detail(version, addresses);
                }
            }
        }
        eval
    }

    /// Reachability over one version (`No` for NAT gateways).
    pub fn reachable_in(&self, version: IpVersion) -> Reachable {
        if self.nat_gateway {
            return Reachable::No;
        }
        match version {
            IpVersion::V4 => self.v4.reachable,
            IpVersion::V6 => self.v6.reachable,
        }
    }

    /// Reachability over any version: yes if one is, else indeterminate if one is.
    pub fn reachable(&self) -> Reachable {
        let (a, b) = (
            self.reachable_in(IpVersion::V4),
            self.reachable_in(IpVersion::V6),
        );
        if a == Reachable::Yes || b == Reachable::Yes {
            Reachable::Yes
        } else if a == Reachable::Indeterminate || b == Reachable::Indeterminate {
            Reachable::Indeterminate
        } else {
            Reachable::No
        }
    }

    /// The evaluation of one version.
    pub fn of(&self, version: IpVersion) -> &Evaluation {
        match version {
            IpVersion::V4 => &self.v4,
            IpVersion::V6 => &self.v6,
        }
    }

    /// The hops of one version; a NAT gateway's `interface_type` hop comes first.
    pub fn hops(&self, version: IpVersion, eni: &Eni) -> Vec<Hop> {
        let mut hops = Vec::new();
        if self.nat_gateway {
            hops.push(interface_type_hop(eni.record));
        }
        hops.extend(self.of(version).hops.iter().cloned().map(|mut h| {
            // The address check rests on the interface's own record.
            if h.hop == "public_ip" && h.records.is_empty() {
                h.records.push(eni.record);
            }
            h
        }));
        hops
    }

    /// The first failing hop of one version (`interface_type` for NAT gateways). For an
    /// indeterminate path that is closed for every source the evidence determines, the hop that
    /// closes it, its detail saying that only the undetermined part may pass.
    pub fn blocking_hop(&self, version: IpVersion, eni: &Eni) -> Option<Hop> {
        let known = match version {
            IpVersion::V4 => &self.v4_known,
            IpVersion::V6 => &self.v6_known,
        };
        if let (Some(known), false) = (known, self.nat_gateway) {
            let mut hop = known.blocking_hop()?.clone();
            hop.detail = format!(
                "{} (this closes the path for every source the evidence determines; only what \
                 depends on prefix lists whose entries are not in the evidence may pass)",
                hop.detail
            );
            return Some(hop);
        }
        self.hops(version, eni)
            .into_iter()
            .find(|h| h.verdict == Verdict::Fail)
    }

    /// The exposures of both versions (none for NAT gateways).
    pub fn exposed(&self) -> Vec<(IpVersion, &Exposure)> {
        if self.nat_gateway {
            return Vec::new();
        }
        let v4 = self.v4.exposed.iter().map(|e| (IpVersion::V4, e));
        v4.chain(self.v6.exposed.iter().map(|e| (IpVersion::V6, e)))
            .collect()
    }
}

impl Network {
    /// Evaluates an interface over both IP versions.
    pub fn evaluate(&self, eni: &Eni, query: &Query) -> EniEvaluation {
        let one = |version| {
            let iface = self.interface(eni, version);
            let eval = explained(
                &iface,
                version,
                query,
                reach::evaluate(&iface, version, query),
            );
            let known = (eval.reachable == Reachable::Indeterminate)
                .then(|| {
                    let groups = known_groups(&iface);
                    let known_iface = Interface {
                        groups: iface
                            .groups
                            .iter()
                            .zip(&groups)
                            .map(|((id, _), g)| (*id, g.as_ref()))
                            .collect(),
                        ..iface.clone()
                    };
                    let e = reach::evaluate(&known_iface, version, query);
                    explained(&known_iface, version, query, e)
                })
                .filter(|e| e.reachable == Reachable::No);
            (eval, known)
        };
        let ((v4, v4_known), (v6, v6_known)) = (one(IpVersion::V4), one(IpVersion::V6));
        EniEvaluation {
            v4,
            v6,
            v4_known,
            v6_known,
            nat_gateway: eni.is_nat_gateway(),
        }
    }
}

/// The interface's groups with every security-group source from a prefix list whose entries are
/// not in the evidence taken as admitting nothing.
fn known_groups(iface: &Interface) -> Vec<Option<SecurityGroup>> {
    iface
        .groups
        .iter()
        .map(|(_, g)| {
            g.map(|g| {
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
            })
        })
        .collect()
}

/// The hops in path order.
const HOPS: [&str; 6] = [
    "public_ip",
    "route",
    "internet_gateway",
    "nacl_inbound",
    "nacl_outbound",
    "security_group",
];

fn hop_order(name: &str) -> usize {
    HOPS.iter().position(|h| *h == name).unwrap_or(HOPS.len())
}

/// Judges a closed path on what the security groups open.
///
/// Over every protocol and port, a path whose ACL blocks the one port a group opens fails at the
/// security group (the ACL still lets other ports through). What blocks the service is the ACL:
/// so when an unnarrowed evaluation fails first at `security_group`, each permission that admits
/// internet sources is evaluated on its own (its protocol, first port and source), and the
/// evaluation failing earliest in path order explains the closed path. Reachability and
/// exposure are unchanged: the path is closed either way.
fn explained(iface: &Interface, version: IpVersion, query: &Query, eval: Evaluation) -> Evaluation {
    let narrowed = query.port.is_some() || query.protocol.is_some_and(|p| p >= 0);
    if narrowed
        || eval.reachable != Reachable::No
        || eval.blocking_hop().map(|h| h.hop) != Some("security_group")
    {
        return eval;
    }
    let internet = AddrSet::internet(version);
    let mut best: Option<Evaluation> = None;
    for perm in iface
        .groups
        .iter()
        .filter_map(|(_, g)| *g)
        .flat_map(|g| &g.inbound)
    {
        let from = match &perm.source {
            SgSource::Cidr(n) if IpVersion::of_net(n) == version => Some(*n),
            SgSource::PrefixList {
                cidrs: Some(cidrs), ..
            } if !AddrSet::from_cidrs(version, cidrs)
                .intersect(&internet)
                .is_empty() =>
            {
                None
            }
            _ => continue,
        };
        if from.is_some_and(|n| AddrSet::from_cidr(&n).intersect(&internet).is_empty()) {
            continue;
        }
        let port = match perm.protocol {
            6 | 17 => perm.from_port.and_then(|p| u16::try_from(p).ok()),
            _ => None,
        };
        let q = Query {
            protocol: Some(perm.protocol),
            port,
            from: query.from.or(from),
        };
        let e = reach::evaluate(iface, version, &q);
        let order = |e: &Evaluation| e.blocking_hop().map_or(HOPS.len(), |h| hop_order(h.hop));
        if best.as_ref().is_none_or(|b| order(&e) < order(b)) {
            best = Some(e);
        }
    }
    match best {
        Some(b)
            if b.reachable == Reachable::No
                && b.blocking_hop()
                    .is_some_and(|h| hop_order(h.hop) < hop_order("security_group")) =>
        {
            b
        }
        _ => eval,
    }
}

//! The evaluation of one interface over both IP versions ([`EniEvaluation`]), and the policy the
//! engine does not know: a NAT gateway's interface accepts nothing inbound, and the address check
//! rests on the interface's own evidence record.

use super::eni::Eni;
use super::network::Network;
use crate::reach::{
    self, Evaluation, Exposure, Hop, HopKind, IpVersion, Query, Reachable, RecordId, Verdict,
};

/// The evaluation of one interface, both IP versions.
#[derive(Debug, Clone)]
pub struct EniEvaluation {
    /// The public IPv4 path.
    pub v4: Evaluation,
    /// The IPv6 path.
    pub v6: Evaluation,
    /// A NAT gateway interface: never reachable inbound whatever the other hops say.
    pub nat_gateway: bool,
}

/// The hop that says a NAT gateway accepts no inbound connection.
fn interface_type_hop(record: RecordId) -> Hop {
    let detail = "a NAT gateway interface never accepts connections initiated from the internet";
    Hop::new(
        HopKind::InterfaceType,
        Verdict::Fail,
        detail.to_string(),
        vec![record],
    )
}

/// Whether a hop of [`EniEvaluation::hops`] is the interface's own: what the `public_ip` hop
/// says of the addresses and the record it rests on, and a NAT gateway's `interface_type` hop,
/// which rests on the interface's record. Every other hop is the same for all interfaces of a
/// configuration.
pub fn is_interface_own(hop: &Hop) -> bool {
    matches!(hop.hop, HopKind::PublicIp | HopKind::InterfaceType)
}

/// The engine's `public_ip` hop as `eni` sees it: its own addresses when it passes, and its own
/// record when the engine names none.
fn public_ip_hop(hop: &Hop, version: IpVersion, eni: &Eni) -> Hop {
    let mut h = hop.clone();
    if h.verdict == Verdict::Pass {
        h.detail = reach::public_address_detail(version, eni.addresses(version));
    }
    // The address check rests on the interface's own record.
    if h.records.is_empty() {
        h.records.push(eni.record);
    }
    h
}

impl EniEvaluation {
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

    /// The hops of one version for `eni` ([`VersionPath::hops`]).
    pub fn hops(&self, version: IpVersion, eni: &Eni) -> Vec<Hop> {
        self.path(version).hops(eni)
    }

    /// One version's path.
    fn path(&self, version: IpVersion) -> VersionPath<'_> {
        VersionPath {
            eval: self.of(version),
            version,
            nat_gateway: self.nat_gateway,
        }
    }

    /// The hop blocking one version (`interface_type` for NAT gateways), as the engine names it
    /// (see [`Evaluation::blocking_hop`]).
    pub fn blocking_hop(&self, version: IpVersion, eni: &Eni) -> Option<Hop> {
        if self.nat_gateway {
            return Some(interface_type_hop(eni.record));
        }
        self.of(version).blocking_hop().cloned()
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

/// The path of one IP version of an interface's configuration: the engine's evaluation of that
/// version, and whether the interface is a NAT gateway's.
pub struct VersionPath<'a> {
    /// The engine's evaluation of `version`.
    pub eval: &'a Evaluation,
    /// The IP version.
    pub version: IpVersion,
    /// A NAT gateway interface (its `interface_type` hop comes first).
    pub nat_gateway: bool,
}

impl VersionPath<'_> {
    /// The hops for `eni`, which is the interface evaluated or another of the same
    /// configuration (see [`Network::config_key`]): only the hops [`is_interface_own`] names
    /// are the interface's own. A NAT gateway's `interface_type` hop comes first.
    pub fn hops(&self, eni: &Eni) -> Vec<Hop> {
        let nat = self.nat_gateway.then(|| interface_type_hop(eni.record));
        let engine = self.eval.hops.iter().map(|h| match h.hop {
            HopKind::PublicIp => public_ip_hop(h, self.version, eni),
            _ => h.clone(),
        });
        nat.into_iter().chain(engine).collect()
    }

    /// Only the hops of [`VersionPath::hops`] that are `eni`'s own ([`is_interface_own`]), in
    /// the same order: the rest are the same for every interface of the configuration.
    pub fn own_hops(&self, eni: &Eni) -> Vec<Hop> {
        let nat = self.nat_gateway.then(|| interface_type_hop(eni.record));
        let engine = (self.eval.hops.iter())
            .filter(|h| h.hop == HopKind::PublicIp)
            .map(|h| public_ip_hop(h, self.version, eni));
        nat.into_iter().chain(engine).collect()
    }
}

impl Network {
    /// Evaluates an interface over both IP versions.
    pub fn evaluate(&self, eni: &Eni, query: &Query) -> EniEvaluation {
        EniEvaluation {
            v4: self.evaluate_in(eni, IpVersion::V4, query),
            v6: self.evaluate_in(eni, IpVersion::V6, query),
            nat_gateway: eni.is_nat_gateway(),
        }
    }

    /// Evaluates an interface over one IP version (the engine's answer, without the NAT
    /// gateway policy: see [`VersionPath`]).
    pub fn evaluate_in(&self, eni: &Eni, version: IpVersion, query: &Query) -> Evaluation {
        reach::evaluate(&self.interface(eni, version), version, query)
    }
}

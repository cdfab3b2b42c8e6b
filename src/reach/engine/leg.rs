//! The legs the engine evaluates with the same hops: the direct path (internet → interface),
//! the front leg of a load balancer path (internet → load balancer node) and its back leg
//! (load balancer node → target). A leg names the hops, chooses which of them apply, and says
//! where the traffic comes from and how details name it.

use super::super::grid::Field;
use super::super::model::Sources;
use super::super::ranges::{AddrSet, IpVersion};
use super::super::text::{describe_addresses, describe_set};
use super::super::vocab::HopKind;
use super::{Ctx, HopResult, igw, nacl, public_ip, routes, security_group};

/// One hop's evaluation over what the hops before it still let through.
pub(super) type Step = fn(&Ctx, &Field) -> HopResult;

/// The hops from the internet to an interface with a public address.
const INTERNET_STEPS: [Step; 6] = [
    public_ip::hop,
    routes::hop,
    igw::hop,
    nacl::inbound_hop,
    nacl::outbound_hop,
    security_group::hop,
];

/// The hops between two interfaces of a VPC.
const INSIDE_VPC_STEPS: [Step; 3] = [nacl::inbound_hop, nacl::outbound_hop, security_group::hop];

/// Which path an evaluation follows.
#[derive(Debug, Clone, Copy)]
pub(in crate::reach) enum Leg<'a> {
    /// Internet → the interface.
    Direct,
    /// Internet → a load balancer node's interface.
    LbNode {
        /// Whether the load balancer has security groups; without, every client passes them.
        groups_enforced: bool,
    },
    /// Load balancer node → a target interface inside the VPC.
    Target(&'a Sources),
}

impl Leg<'_> {
    /// The leg's name for the direct path's hop `direct`.
    pub(super) fn kind(self, direct: HopKind) -> HopKind {
        match self {
            Leg::Direct => direct,
            Leg::LbNode { .. } => direct.on_lb_node(),
            Leg::Target(_) => direct.on_target(),
        }
    }

    /// The hops of the leg, in path order.
    pub(super) fn steps(self) -> &'static [Step] {
        match self {
            Leg::Direct | Leg::LbNode { .. } => &INTERNET_STEPS,
            Leg::Target(_) => &INSIDE_VPC_STEPS,
        }
    }

    /// Every source the leg's traffic can come from, for `version`.
    pub(super) fn sources(self, version: IpVersion) -> AddrSet {
        match self {
            Leg::Target(s) if s.addresses.version() == version => s.addresses.clone(),
            Leg::Target(_) => AddrSet::empty(version),
            Leg::Direct | Leg::LbNode { .. } => AddrSet::internet(version),
        }
    }

    /// Whether a group permission naming `group` admits every source of the leg.
    pub(super) fn admits_group(self, group: &str) -> bool {
        matches!(self, Leg::Target(s) if s.groups.iter().any(|g| g == group))
    }

    /// Whether details list the sources `base` by address: on the back leg, when they are not
    /// the internet (the load balancer's own addresses).
    pub(super) fn lists_addresses(self, base: &AddrSet) -> bool {
        matches!(self, Leg::Target(_)) && *base != AddrSet::internet(base.version())
    }

    /// Describes `set`, a subset of the query's sources `base`.
    pub(super) fn describe(self, set: &AddrSet, base: &AddrSet) -> String {
        if self.lists_addresses(base) {
            describe_addresses(set)
        } else {
            describe_set(set, base)
        }
    }

    /// "no internet source", or on the back leg "none of the sources (…)".
    pub(super) fn no_source(self, base: &AddrSet) -> String {
        match self {
            Leg::Target(_) => format!("none of the sources ({})", self.describe(base, base)),
            Leg::Direct | Leg::LbNode { .. } => "no internet source".to_string(),
        }
    }

    /// "an internet source", or on the back leg "a source".
    pub(super) fn any_source(self) -> &'static str {
        match self {
            Leg::Target(_) => "a source",
            Leg::Direct | Leg::LbNode { .. } => "an internet source",
        }
    }

    /// Why a group permission admits none of the leg's sources.
    pub(super) fn foreign_group(self) -> &'static str {
        match self {
            Leg::Target(_) => "not the load balancer's group",
            Leg::Direct | Leg::LbNode { .. } => "not an internet source",
        }
    }
}

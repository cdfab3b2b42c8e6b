//! Plain-data inputs and outputs of the reachability engine.

use std::collections::BTreeSet;
use std::net::IpAddr;

use ipnet::IpNet;

use super::ranges::{AddrSet, IpVersion};
use super::vocab::{HopKind, Protocol, RecordId};

/// An inclusive port range (for ICMP: `type * 256 + code`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PortRange {
    /// First port of the range.
    pub from: u16,
    /// Last port of the range (inclusive).
    pub to: u16,
}

/// Destination of a route: a CIDR block or a managed prefix list.
#[derive(Debug, Clone, PartialEq)]
pub enum RouteDest {
    /// `DestinationCidrBlock` / `DestinationIpv6CidrBlock`.
    Cidr(IpNet),
    /// `DestinationPrefixListId`, with its CIDRs when the caller could resolve them.
    PrefixList {
        /// Prefix list id (`pl-...`).
        id: String,
        /// Resolved entries, `None` when the prefix list is not in the evidence.
        cidrs: Option<Vec<IpNet>>,
    },
}

/// One route of a route table.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    /// Where the route sends traffic from.
    pub dest: RouteDest,
    /// Target id: `igw-...`, `local`, `nat-...`, `pcx-...`, `eigw-...`, ...
    pub target: String,
    /// Whether the route's `State` is `blackhole`.
    pub blackhole: bool,
    /// Caller's provenance record.
    pub record: RecordId,
}

/// The route table in effect for the interface's subnet.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteTable {
    /// Route table id (`rtb-...`).
    pub id: String,
    /// Whether it applies as the VPC's main table (no explicit association).
    pub main: bool,
    /// Its routes.
    pub routes: Vec<Route>,
    /// Routes that could not be read (what is wrong, their record): the hop is indeterminate.
    pub unreadable: Vec<(String, RecordId)>,
    /// Caller's provenance record.
    pub record: RecordId,
}

/// An internet gateway from the evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct Igw {
    /// Gateway id (`igw-...`).
    pub id: String,
    /// VPCs it is attached to with attachment state `available`.
    pub available_vpcs: Vec<String>,
    /// Caller's provenance record.
    pub record: RecordId,
}

/// One network ACL entry.
#[derive(Debug, Clone, PartialEq)]
pub struct NaclEntry {
    /// `RuleNumber` (32767 is the `*` default entry).
    pub rule_number: i64,
    /// `Egress`: true for outbound entries.
    pub egress: bool,
    /// `RuleAction` is `allow`.
    pub allow: bool,
    /// Protocol, or every protocol.
    pub protocol: Protocol,
    /// `CidrBlock` or `Ipv6CidrBlock`.
    pub cidr: IpNet,
    /// `PortRange` (tcp/udp; `None` means all ports).
    pub ports: Option<PortRange>,
    /// `IcmpTypeCode` as (type, code), -1 meaning any (icmp/icmpv6; `None` means any).
    pub icmp: Option<(i32, i32)>,
    /// Caller's provenance record.
    pub record: RecordId,
}

/// The network ACL associated with the interface's subnet.
#[derive(Debug, Clone, PartialEq)]
pub struct Nacl {
    /// ACL id (`acl-...`).
    pub id: String,
    /// Inbound and outbound entries, in any order.
    pub entries: Vec<NaclEntry>,
    /// Entries that could not be read (what is wrong, their record): both ACL hops are
    /// indeterminate.
    pub unreadable: Vec<(String, RecordId)>,
    /// Caller's provenance record.
    pub record: RecordId,
}

/// The source of a security group inbound permission.
#[derive(Debug, Clone, PartialEq)]
pub enum SgSource {
    /// `IpRanges` / `Ipv6Ranges` entry.
    Cidr(IpNet),
    /// `UserIdGroupPairs` entry: admits no internet source.
    Group(String),
    /// `PrefixListIds` entry, with its CIDRs when the caller could resolve them.
    PrefixList {
        /// Prefix list id (`pl-...`).
        id: String,
        /// Resolved entries, `None` when the prefix list is not in the evidence.
        cidrs: Option<Vec<IpNet>>,
    },
}

/// One (protocol, ports, source) inbound permission of a security group.
#[derive(Debug, Clone, PartialEq)]
pub struct SgPermission {
    /// Protocol, or every protocol (see [`Protocol::parse`]).
    pub protocol: Protocol,
    /// `FromPort` (tcp/udp first port; icmp type; -1 or `None` = all).
    pub from_port: Option<i32>,
    /// `ToPort` (tcp/udp last port; icmp code; -1 or `None` = all).
    pub to_port: Option<i32>,
    /// Who is admitted.
    pub source: SgSource,
    /// Caller's provenance record.
    pub record: RecordId,
}

/// A security group with its inbound permissions.
#[derive(Debug, Clone, PartialEq)]
pub struct SecurityGroup {
    /// Group id (`sg-...`).
    pub id: String,
    /// Inbound permissions, one per source.
    pub inbound: Vec<SgPermission>,
    /// Inbound permissions that could not be read (what is wrong, their record): they may
    /// admit anything, so what the group admits beyond its readable permissions is
    /// indeterminate.
    pub unreadable: Vec<(String, RecordId)>,
    /// Caller's provenance record.
    pub record: RecordId,
}

/// Everything known about one interface, for one IP version.
#[derive(Debug, Clone, PartialEq)]
pub struct Interface<'a> {
    /// The interface's VPC id.
    pub vpc_id: &'a str,
    /// Public IPv4 addresses (for V4) or IPv6 addresses (for V6).
    pub public_addresses: Vec<IpAddr>,
    /// The subnet's effective route table, `None` when not in the evidence.
    pub route_table: Option<&'a RouteTable>,
    /// The account/region's internet gateways.
    pub igws: &'a [Igw],
    /// Whether any internet gateway evidence exists for the account/region.
    pub igw_evidence: bool,
    /// The subnet's network ACL, `None` when not in the evidence.
    pub nacl: Option<&'a Nacl>,
    /// The interface's groups: id, and the group when it is in the evidence.
    pub groups: Vec<(&'a str, Option<&'a SecurityGroup>)>,
}

/// Where the traffic a load balancer forwards to a target comes from (see
/// [`super::evaluate_target`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Sources {
    /// The source addresses the target sees: the load balancer nodes' private addresses (ALB,
    /// CLB, NLB ip targets over TCP/TLS) or the internet clients' (NLB preserving client
    /// addresses). A set of the other IP version than the evaluated one reaches nothing.
    pub addresses: AddrSet,
    /// The security groups the traffic carries: the load balancer's groups (empty for a Network
    /// Load Balancer without groups). A target's group permission naming one admits every source.
    pub groups: Vec<String>,
}

/// Narrows an evaluation.
///
/// `port` applies to tcp/udp; with an explicit icmp/icmpv6 protocol it selects
/// the ICMP type; protocols without ports are left out when a port is given.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Query {
    /// Only this protocol ([`Protocol::ALL`] or `None`: all).
    pub protocol: Option<Protocol>,
    /// Only this destination port.
    pub port: Option<u16>,
    /// Only sources in this block (a block of the other version matches nothing).
    pub from: Option<IpNet>,
}

/// Verdict of one hop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Something remains exposed after the hop.
    Pass,
    /// Nothing remains because of the hop.
    Fail,
    /// Evidence the hop needs is missing.
    Indeterminate,
}

impl Verdict {
    /// "pass", "fail" or "indeterminate".
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Fail => "fail",
            Self::Indeterminate => "indeterminate",
        }
    }
}

/// Overall answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reachable {
    /// A definite exposure exists.
    Yes,
    /// Nothing is exposed.
    No,
    /// No definite exposure, but some depends on missing evidence.
    Indeterminate,
}

impl Reachable {
    /// "yes", "no" or "indeterminate".
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Yes => "yes",
            Self::No => "no",
            Self::Indeterminate => "indeterminate",
        }
    }
}

/// The verdict of one hop, explained.
#[derive(Debug, Clone, PartialEq)]
pub struct Hop {
    /// Which hop.
    pub hop: HopKind,
    /// The verdict.
    pub verdict: Verdict,
    /// Human-readable explanation.
    pub detail: String,
    /// Provenance records the verdict relied on.
    pub records: Vec<RecordId>,
}

impl Hop {
    /// A hop citing each of `records` once, in first-cited order.
    pub fn new(hop: HopKind, verdict: Verdict, detail: String, records: Vec<RecordId>) -> Hop {
        let mut seen = BTreeSet::new();
        let records = records.into_iter().filter(|r| seen.insert(*r)).collect();
        Hop {
            hop,
            verdict,
            detail,
            records,
        }
    }
}

/// One exposed (protocol, port range) and the sources that reach it.
#[derive(Debug, Clone, PartialEq)]
pub struct Exposure {
    /// Protocol (never [`Protocol::ALL`]).
    pub protocol: Protocol,
    /// Destination ports (ICMP: `type * 256 + code`; other protocols: 0).
    pub ports: PortRange,
    /// Exact source addresses.
    pub sources: AddrSet,
    /// Whether the sources are every source of the query: every internet address, or on the
    /// load balancer → target leg every address of [`Sources::addresses`].
    pub whole_internet: bool,
    /// Whether this exposure depends on missing evidence.
    pub indeterminate: bool,
}

/// Result of [`super::evaluate`], [`super::evaluate_lb_node`] or [`super::evaluate_target`].
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// The evaluated IP version.
    pub version: IpVersion,
    /// Overall answer.
    pub reachable: Reachable,
    /// The evaluated hops, in path order: the six of [`HopKind::evaluated`], their load
    /// balancer node counterparts (`lb_public_ip` … `lb_security_group`), or the target's three
    /// (`target_nacl_inbound`, `target_nacl_outbound`, `target_security_group`).
    pub hops: Vec<Hop>,
    /// Definite exposures, then indeterminate ones, per protocol and port range.
    pub exposed: Vec<Exposure>,
    /// For an indeterminate path that is closed for every source the evidence determines
    /// (prefix lists whose entries are not in the evidence taken as empty): the hop that closes
    /// it, its detail saying that only the undetermined part may pass.
    pub closed_if_known: Option<Hop>,
}

impl Evaluation {
    /// The hop that blocks internet traffic: [`Self::closed_if_known`] when set, else the
    /// first failing hop.
    pub fn blocking_hop(&self) -> Option<&Hop> {
        (self.closed_if_known.as_ref())
            .or_else(|| self.hops.iter().find(|h| h.verdict == Verdict::Fail))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_are_named() {
        assert_eq!(Verdict::Indeterminate.as_str(), "indeterminate");
        assert_eq!(Reachable::Yes.as_str(), "yes");
    }
}

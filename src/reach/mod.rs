//! Exact internet-reachability analysis of one network interface.
//!
//! [`evaluate`] computes, over address and port *ranges* (never by sampling),
//! the set of (protocol, port range, source addresses) from which an internet
//! address can reach an interface, together with a hop-by-hop verdict:
//! public address, route, internet gateway, network ACL in and out, and
//! security groups ([`HopKind`]). The answer names the hop that really blocks
//! a closed path, and for a path that only missing prefix lists keep open, the
//! hop that closes it for every source the evidence determines.
//!
//! The path through a load balancer is evaluated in two legs with the same
//! hops: [`evaluate_lb_node`] (internet → a load balancer node, the hops named
//! `lb_*`) and [`evaluate_target`] (the load balancer's [`Sources`] → a target
//! inside the VPC: its ACL both ways and its groups).
//!
//! Modules: `vocab` (hop names, protocols, record ids), `model` (the engine's
//! inputs and outputs), `ranges` (exact address sets), `grid` (the protocol ×
//! port segment grid and first-match ACL evaluation), `engine` (one module per
//! hop, the legs that run them, and the explanation of closed paths), `text`
//! (deterministic wording).

mod engine;
mod grid;
mod model;
mod ranges;
mod text;
mod vocab;

pub use engine::{evaluate, evaluate_lb_node, evaluate_target, public_address_detail};
pub use model::{
    Evaluation, Exposure, Hop, Igw, Interface, Nacl, NaclEntry, PortRange, Query, Reachable, Route,
    RouteDest, RouteTable, SecurityGroup, SgPermission, SgSource, Sources, Verdict,
};
pub use ranges::{AddrSet, IpVersion, SPECIAL_V4};
pub use text::{describe_ports, describe_sources};
pub use vocab::{HopKind, Protocol, RecordId};

#[cfg(test)]
mod tests;

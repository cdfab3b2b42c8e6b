//! Exact internet-reachability analysis of one network interface.
//!
//! [`evaluate`] computes, over address and port *ranges* (never by sampling),
//! the set of (protocol, port range, source addresses) from which an internet
//! address can reach an interface, together with a hop-by-hop verdict:
//! public address, route, internet gateway, network ACL in and out, and
//! security groups.

mod engine;
mod grid;
mod model;
mod ranges;
mod text;

pub use engine::{evaluate, public_address_detail};
pub use model::{
    Evaluation, Exposure, Hop, Igw, Interface, Nacl, NaclEntry, PortRange, Query, Reachable, Route,
    RouteDest, RouteTable, SecurityGroup, SgPermission, SgSource, Verdict, parse_protocol,
    protocol_name,
};
pub use ranges::{AddrSet, IpVersion};
pub use text::{describe_ports, describe_sources};

#[cfg(test)]
mod tests;

//! The engine's vocabulary: hop names, protocols and provenance record ids.

use std::fmt;

/// One hop of a path from the internet to an interface, in path order: the direct path
/// ([`HopKind::ALL`]), then the path through a load balancer ([`HopKind::LOAD_BALANCER_PATH`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HopKind {
    /// The interface's type forbids inbound connections (NAT gateways); set by the caller.
    InterfaceType,
    /// The interface has a public address of the evaluated version.
    PublicIp,
    /// The subnet's route table sends the reply to an internet gateway.
    Route,
    /// That internet gateway is attached to the VPC.
    InternetGateway,
    /// The subnet's network ACL admits the traffic.
    NaclInbound,
    /// The subnet's network ACL lets the reply out.
    NaclOutbound,
    /// A security group of the interface admits the traffic.
    SecurityGroup,
    /// The load balancer is internet-facing; set by the caller.
    LbScheme,
    /// The load balancer node's interface has a public address of the evaluated version.
    LbPublicIp,
    /// The node subnet's route table sends the reply to an internet gateway.
    LbRoute,
    /// That internet gateway is attached to the load balancer's VPC.
    LbInternetGateway,
    /// The node subnet's network ACL admits the client traffic.
    LbNaclInbound,
    /// The node subnet's network ACL lets the reply to the client out.
    LbNaclOutbound,
    /// A security group of the load balancer admits the client (or it enforces none).
    LbSecurityGroup,
    /// A listener forwards the protocol and port to a target group; set by the caller.
    Listener,
    /// The target is registered in the target group and receives traffic; set by the caller.
    TargetGroup,
    /// The target subnet's network ACL admits the load-balanced sources on the target port.
    TargetNaclInbound,
    /// The target subnet's network ACL lets the reply to those sources out.
    TargetNaclOutbound,
    /// A security group of the target admits those sources.
    TargetSecurityGroup,
}

impl HopKind {
    /// Every hop of the direct path, in path order.
    pub const ALL: [HopKind; 7] = [
        Self::InterfaceType,
        Self::PublicIp,
        Self::Route,
        Self::InternetGateway,
        Self::NaclInbound,
        Self::NaclOutbound,
        Self::SecurityGroup,
    ];

    /// Every hop of the path through a load balancer, in path order.
    pub const LOAD_BALANCER_PATH: [HopKind; 12] = [
        Self::LbScheme,
        Self::LbPublicIp,
        Self::LbRoute,
        Self::LbInternetGateway,
        Self::LbNaclInbound,
        Self::LbNaclOutbound,
        Self::LbSecurityGroup,
        Self::Listener,
        Self::TargetGroup,
        Self::TargetNaclInbound,
        Self::TargetNaclOutbound,
        Self::TargetSecurityGroup,
    ];

    /// The hops the engine evaluates for every interface on the direct path, in path order.
    pub fn evaluated() -> impl Iterator<Item = HopKind> {
        Self::ALL.into_iter().filter(|h| *h != Self::InterfaceType)
    }

    /// The name printed and serialised: `public_ip`, `route`, `internet_gateway`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InterfaceType => "interface_type",
            Self::PublicIp => "public_ip",
            Self::Route => "route",
            Self::InternetGateway => "internet_gateway",
            Self::NaclInbound => "nacl_inbound",
            Self::NaclOutbound => "nacl_outbound",
            Self::SecurityGroup => "security_group",
            Self::LbScheme => "lb_scheme",
            Self::LbPublicIp => "lb_public_ip",
            Self::LbRoute => "lb_route",
            Self::LbInternetGateway => "lb_internet_gateway",
            Self::LbNaclInbound => "lb_nacl_inbound",
            Self::LbNaclOutbound => "lb_nacl_outbound",
            Self::LbSecurityGroup => "lb_security_group",
            Self::Listener => "listener",
            Self::TargetGroup => "target_group",
            Self::TargetNaclInbound => "target_nacl_inbound",
            Self::TargetNaclOutbound => "target_nacl_outbound",
            Self::TargetSecurityGroup => "target_security_group",
        }
    }

    /// The hop of the front leg (internet → load balancer node) that a direct hop stands for;
    /// hops without a counterpart are returned unchanged.
    pub(super) fn on_lb_node(self) -> HopKind {
        match self {
            Self::PublicIp => Self::LbPublicIp,
            Self::Route => Self::LbRoute,
            Self::InternetGateway => Self::LbInternetGateway,
            Self::NaclInbound => Self::LbNaclInbound,
            Self::NaclOutbound => Self::LbNaclOutbound,
            Self::SecurityGroup => Self::LbSecurityGroup,
            other => other,
        }
    }

    /// The hop of the back leg (load balancer node → target) that a direct hop stands for;
    /// hops without a counterpart are returned unchanged.
    pub(super) fn on_target(self) -> HopKind {
        match self {
            Self::NaclInbound => Self::TargetNaclInbound,
            Self::NaclOutbound => Self::TargetNaclOutbound,
            Self::SecurityGroup => Self::TargetSecurityGroup,
            other => other,
        }
    }
}

impl fmt::Display for HopKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An IP protocol as AWS rules name it: a protocol number, or every protocol (`-1`).
///
/// Ordered as AWS numbers them, "all" first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Protocol(Option<u8>);

impl Protocol {
    /// Every protocol (`-1` / `all`).
    pub const ALL: Protocol = Protocol(None);
    /// ICMP (1).
    pub const ICMP: Protocol = Protocol(Some(1));
    /// TCP (6).
    pub const TCP: Protocol = Protocol(Some(6));
    /// UDP (17).
    pub const UDP: Protocol = Protocol(Some(17));
    /// ICMPv6 (58).
    pub const ICMPV6: Protocol = Protocol(Some(58));

    /// The protocol with IANA number `n`.
    pub const fn number(n: u8) -> Protocol {
        Protocol(Some(n))
    }

    /// Whether this stands for every protocol.
    pub fn is_all(self) -> bool {
        self == Self::ALL
    }

    /// Parses an AWS protocol (`-1`, `all`, `tcp`, `udp`, `icmp`, `icmpv6` or a number 0-255).
    pub fn parse(s: &str) -> Option<Protocol> {
        match s.trim().to_ascii_lowercase().as_str() {
            "-1" | "all" => Some(Self::ALL),
            "tcp" => Some(Self::TCP),
            "udp" => Some(Self::UDP),
            "icmp" => Some(Self::ICMP),
            "icmpv6" => Some(Self::ICMPV6),
            other => other.parse::<u8>().ok().map(Self::number),
        }
    }

    /// "tcp", "udp", "icmp", "icmpv6", "all" or "proto-N".
    pub fn name(self) -> String {
        match self {
            Self::ALL => "all".to_string(),
            Self::TCP => "tcp".to_string(),
            Self::UDP => "udp".to_string(),
            Self::ICMP => "icmp".to_string(),
            Self::ICMPV6 => "icmpv6".to_string(),
            Protocol(Some(n)) => format!("proto-{n}"),
        }
    }
}

/// The caller's id of the evidence record an engine input came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RecordId(pub u32);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocols_parse_and_name() {
        assert_eq!(Protocol::parse("TCP"), Some(Protocol::TCP));
        assert_eq!(Protocol::parse("-1"), Some(Protocol::ALL));
        assert_eq!(Protocol::parse("58"), Some(Protocol::ICMPV6));
        assert_eq!(Protocol::parse("icmpv6"), Some(Protocol::ICMPV6));
        assert_eq!(Protocol::parse("300"), None);
        assert_eq!(Protocol::parse("gre"), None);
        assert_eq!(Protocol::number(47).name(), "proto-47");
        assert_eq!(Protocol::ALL.name(), "all");
        assert!(Protocol::ALL < Protocol::ICMP && Protocol::TCP < Protocol::number(47));
    }

    #[test]
    fn hops_are_ordered_along_the_path() {
        let mut sorted = HopKind::ALL;
        sorted.sort();
        assert_eq!(sorted, HopKind::ALL);
        let names: Vec<&str> = HopKind::evaluated().map(HopKind::as_str).collect();
        assert_eq!(
            names,
            [
                "public_ip",
                "route",
                "internet_gateway",
                "nacl_inbound",
                "nacl_outbound",
                "security_group"
            ]
        );
        assert_eq!(HopKind::InterfaceType.to_string(), "interface_type");
    }

    #[test]
    fn load_balancer_hops_follow_the_direct_ones() {
        let mut sorted = HopKind::LOAD_BALANCER_PATH;
        sorted.sort();
        assert_eq!(sorted, HopKind::LOAD_BALANCER_PATH);
        assert!(HopKind::SecurityGroup < HopKind::LbScheme);
        let names: Vec<&str> = HopKind::LOAD_BALANCER_PATH.map(HopKind::as_str).to_vec();
        assert_eq!(
            names,
            [
                "lb_scheme",
                "lb_public_ip",
                "lb_route",
                "lb_internet_gateway",
                "lb_nacl_inbound",
                "lb_nacl_outbound",
                "lb_security_group",
                "listener",
                "target_group",
                "target_nacl_inbound",
                "target_nacl_outbound",
                "target_security_group"
            ]
        );
        let front: Vec<HopKind> = HopKind::evaluated().map(HopKind::on_lb_node).collect();
        assert_eq!(front, HopKind::LOAD_BALANCER_PATH[1..7]);
        assert_eq!(
            HopKind::NaclOutbound.on_target(),
            HopKind::TargetNaclOutbound
        );
    }
}

//! The engine's vocabulary: hop names, protocols and provenance record ids.

use std::fmt;

/// One hop of the path from the internet to an interface, in path order.
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
}

impl HopKind {
    /// Every hop, in path order.
    pub const ALL: [HopKind; 7] = [
        Self::InterfaceType,
        Self::PublicIp,
        Self::Route,
        Self::InternetGateway,
        Self::NaclInbound,
        Self::NaclOutbound,
        Self::SecurityGroup,
    ];

    /// The hops the engine evaluates for every interface, in path order.
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
}

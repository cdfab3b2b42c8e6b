//! VPC network records: security groups and their rules, network ACLs, route tables and
//! internet gateways.

use serde::Deserialize;

/// A port range of an ACL entry.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PortRange {
    /// First port.
    pub from: Option<i32>,
    /// Last port.
    pub to: Option<i32>,
}

/// ICMP type and code of an ACL entry.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IcmpTypeCode {
    /// ICMP type, -1 for all.
    #[serde(rename = "Type")]
    pub icmp_type: Option<i32>,
    /// ICMP code, -1 for all.
    pub code: Option<i32>,
}

/// One security group from `describe-security-groups`.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecurityGroup {
    /// Group id.
    pub group_id: String,
    /// Group name (`default` for the VPC's default group).
    pub group_name: Option<String>,
    /// Owning account.
    pub owner_id: Option<String>,
    /// VPC id.
    pub vpc_id: Option<String>,
    /// Inbound permissions.
    #[serde(default, deserialize_with = "crate::evidence::model::compact")]
    pub ip_permissions: Vec<IpPermission>,
    /// Outbound permissions.
    #[serde(default, deserialize_with = "crate::evidence::model::compact")]
    pub ip_permissions_egress: Vec<IpPermission>,
}

/// One permission of a security group.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IpPermission {
    /// `tcp`, `udp`, `icmp`, `icmpv6`, `-1` or a protocol number.
    pub ip_protocol: String,
    /// First port (ICMP: type).
    pub from_port: Option<i32>,
    /// Last port (ICMP: code).
    pub to_port: Option<i32>,
    /// IPv4 sources.
    #[serde(default, deserialize_with = "crate::evidence::model::compact")]
    pub ip_ranges: Vec<IpRange>,
    /// IPv6 sources.
    #[serde(default, deserialize_with = "crate::evidence::model::compact")]
    pub ipv6_ranges: Vec<Ipv6Range>,
    /// Prefix list sources.
    #[serde(default, deserialize_with = "crate::evidence::model::compact")]
    pub prefix_list_ids: Vec<PrefixListRef>,
    /// Security group sources.
    #[serde(default, deserialize_with = "crate::evidence::model::compact")]
    pub user_id_group_pairs: Vec<GroupPair>,
}

/// An IPv4 source of a permission.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IpRange {
    /// CIDR.
    pub cidr_ip: String,
    /// Description.
    pub description: Option<String>,
}

/// An IPv6 source of a permission.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Ipv6Range {
    /// CIDR.
    pub cidr_ipv6: String,
    /// Description.
    pub description: Option<String>,
}

/// A prefix list source of a permission.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PrefixListRef {
    /// Prefix list id.
    pub prefix_list_id: String,
    /// Description.
    pub description: Option<String>,
}

/// A security group source of a permission.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GroupPair {
    /// Group id.
    pub group_id: Option<String>,
    /// Owning account.
    pub user_id: Option<String>,
    /// Description.
    pub description: Option<String>,
}

/// One security group rule from `describe-security-group-rules`: a single source of a single
/// permission, with the `sgr-` id that `revoke-security-group-ingress` accepts.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecurityGroupRule {
    /// Rule id (`sgr-…`).
    pub security_group_rule_id: String,
    /// The group the rule belongs to.
    pub group_id: Option<String>,
    /// The group's account.
    pub group_owner_id: Option<String>,
    /// Whether the rule is outbound.
    pub is_egress: Option<bool>,
    /// `tcp`, `udp`, `icmp`, `icmpv6`, `-1` or a protocol number.
    pub ip_protocol: Option<String>,
    /// First port (ICMP: type; -1 for all traffic).
    pub from_port: Option<i32>,
    /// Last port (ICMP: code; -1 for all traffic).
    pub to_port: Option<i32>,
    /// IPv4 source or destination.
    pub cidr_ipv4: Option<String>,
    /// IPv6 source or destination.
    pub cidr_ipv6: Option<String>,
    /// Prefix list source or destination.
    pub prefix_list_id: Option<String>,
    /// Security group source or destination.
    pub referenced_group_info: Option<ReferencedGroup>,
    /// Description.
    pub description: Option<String>,
}

impl SecurityGroupRule {
    /// The CIDR, prefix list id or group id the rule names as its peer.
    pub fn peer(&self) -> Option<&str> {
        let group = self.referenced_group_info.as_ref();
        (self.cidr_ipv4.as_deref())
            .or(self.cidr_ipv6.as_deref())
            .or(self.prefix_list_id.as_deref())
            .or(group.and_then(|g| g.group_id.as_deref()))
    }
}

/// The security group a rule names as its peer.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReferencedGroup {
    /// Group id.
    pub group_id: Option<String>,
}

/// One network ACL from `describe-network-acls`.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NetworkAcl {
    /// ACL id.
    pub network_acl_id: String,
    /// VPC id.
    pub vpc_id: Option<String>,
    /// Owning account.
    pub owner_id: Option<String>,
    /// Whether it is the VPC's default ACL.
    pub is_default: Option<bool>,
    /// Entries, both directions.
    #[serde(default, deserialize_with = "crate::evidence::model::compact")]
    pub entries: Vec<AclEntry>,
    /// Subnet associations.
    #[serde(default, deserialize_with = "crate::evidence::model::compact")]
    pub associations: Vec<AclAssociation>,
}

/// One entry of a network ACL.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AclEntry {
    /// Rule number; lower is evaluated first.
    pub rule_number: i64,
    /// Protocol number as a string, `-1` for all.
    pub protocol: String,
    /// `allow` or `deny`.
    pub rule_action: String,
    /// Outbound when true.
    pub egress: bool,
    /// IPv4 CIDR.
    pub cidr_block: Option<String>,
    /// IPv6 CIDR.
    pub ipv6_cidr_block: Option<String>,
    /// Port range (tcp/udp).
    pub port_range: Option<PortRange>,
    /// ICMP type and code.
    pub icmp_type_code: Option<IcmpTypeCode>,
}

/// A subnet association of a network ACL.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AclAssociation {
    /// Subnet id.
    pub subnet_id: Option<String>,
}

/// One route table from `describe-route-tables`.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RouteTable {
    /// Route table id.
    pub route_table_id: String,
    /// VPC id.
    pub vpc_id: Option<String>,
    /// Owning account.
    pub owner_id: Option<String>,
    /// Routes.
    #[serde(default, deserialize_with = "crate::evidence::model::compact")]
    pub routes: Vec<Route>,
    /// Associations (main, subnet, gateway).
    #[serde(default, deserialize_with = "crate::evidence::model::compact")]
    pub associations: Vec<RouteTableAssociation>,
}

/// One route of a route table.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Route {
    /// IPv4 destination.
    pub destination_cidr_block: Option<String>,
    /// IPv6 destination.
    pub destination_ipv6_cidr_block: Option<String>,
    /// Prefix list destination.
    pub destination_prefix_list_id: Option<String>,
    /// Gateway target (`igw-`, `vgw-`, `local`, `vpce-`).
    pub gateway_id: Option<String>,
    /// NAT gateway target.
    pub nat_gateway_id: Option<String>,
    /// Instance target.
    pub instance_id: Option<String>,
    /// Network interface target.
    pub network_interface_id: Option<String>,
    /// Transit gateway target.
    pub transit_gateway_id: Option<String>,
    /// Peering target.
    pub vpc_peering_connection_id: Option<String>,
    /// Egress-only internet gateway target.
    pub egress_only_internet_gateway_id: Option<String>,
    /// Carrier gateway target.
    pub carrier_gateway_id: Option<String>,
    /// Local gateway target.
    pub local_gateway_id: Option<String>,
    /// `active` or `blackhole`.
    pub state: Option<String>,
}

impl Route {
    /// The route's target id, whichever field holds it.
    pub fn target(&self) -> Option<&str> {
        [
            &self.gateway_id,
            &self.nat_gateway_id,
            &self.egress_only_internet_gateway_id,
            &self.transit_gateway_id,
            &self.vpc_peering_connection_id,
            &self.network_interface_id,
            &self.instance_id,
            &self.carrier_gateway_id,
            &self.local_gateway_id,
        ]
        .into_iter()
        .find_map(|t| t.as_deref())
    }
}

/// An association of a route table.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RouteTableAssociation {
    /// Whether this is the VPC's main table.
    pub main: Option<bool>,
    /// The explicitly associated subnet.
    pub subnet_id: Option<String>,
}

/// An internet gateway attachment.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GatewayAttachment {
    /// `available` (internet gateway) or `attached` (egress-only), `detaching`, …
    pub state: Option<String>,
    /// The VPC.
    pub vpc_id: Option<String>,
}

/// One internet gateway from `describe-internet-gateways`.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InternetGateway {
    /// Gateway id.
    pub internet_gateway_id: String,
    /// Owning account.
    pub owner_id: Option<String>,
    /// VPC attachments.
    #[serde(default, deserialize_with = "crate::evidence::model::compact")]
    pub attachments: Vec<GatewayAttachment>,
}

/// One egress-only internet gateway from `describe-egress-only-internet-gateways`.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EgressOnlyInternetGateway {
    /// Gateway id.
    pub egress_only_internet_gateway_id: String,
    /// VPC attachments.
    #[serde(default, deserialize_with = "crate::evidence::model::compact")]
    pub attachments: Vec<GatewayAttachment>,
}

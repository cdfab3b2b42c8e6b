//! EC2 records: network interfaces, subnets, VPCs, instances, Elastic IPs, prefix lists and flow logs.

use compact_str::CompactString;
use serde::Deserialize;

use super::{Shared, Tag};

/// A public address association of an ENI or one of its private addresses.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Association {
    /// The public IPv4 address.
    pub public_ip: Option<CompactString>,
    /// `amazon` for an Amazon-assigned address, an account id for an Elastic IP.
    pub ip_owner_id: Option<Shared>,
    /// Elastic IP allocation id.
    pub allocation_id: Option<String>,
    /// Elastic IP association id (what `disassociate-address` takes).
    pub association_id: Option<String>,
}

impl Association {
    /// Whether the address is an Elastic IP (owned by an account, not by Amazon).
    pub fn is_elastic(&self) -> bool {
        self.allocation_id.is_some()
            || self
                .ip_owner_id
                .as_deref()
                .is_some_and(|o| o.len() == 12 && o.bytes().all(|b| b.is_ascii_digit()))
    }
}

/// `Attachment` of an ENI.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EniAttachment {
    /// The instance the ENI is attached to.
    pub instance_id: Option<CompactString>,
    /// The owner of that instance (`amazon-elb`, an account, …).
    pub instance_owner_id: Option<Shared>,
    /// `attached`, `detached`, …
    pub status: Option<Shared>,
}

/// A private address of an ENI, possibly with its own public association.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PrivateIpAddress {
    /// The private IPv4 address.
    pub private_ip_address: Option<CompactString>,
    /// Whether this is the primary address.
    pub primary: Option<bool>,
    /// Its public association, if any (boxed: most addresses have none, and a record holds
    /// room for it inline otherwise).
    pub association: Option<Box<Association>>,
}

/// An IPv6 address of an ENI.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Ipv6Address {
    /// The address.
    pub ipv6_address: CompactString,
}

/// A security group reference on an ENI or instance.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GroupRef {
    /// Group id.
    pub group_id: Shared,
    /// Group name.
    pub group_name: Option<Shared>,
}

/// One network interface from `describe-network-interfaces`.
#[derive(Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NetworkInterface {
    /// ENI id.
    pub network_interface_id: CompactString,
    /// Owning account.
    pub owner_id: Option<Shared>,
    /// Availability zone (carries the region).
    pub availability_zone: Option<Shared>,
    /// Subnet id.
    pub subnet_id: Option<Shared>,
    /// VPC id.
    pub vpc_id: Option<Shared>,
    /// `interface`, `nat_gateway`, `lambda`, `network_load_balancer`, …
    pub interface_type: Option<Shared>,
    /// Free-text description set by the creating service.
    pub description: Option<String>,
    /// `in-use`, `available`.
    pub status: Option<Shared>,
    /// The service that manages it (ECS, ELB, …).
    pub requester_id: Option<Shared>,
    /// The attachment.
    pub attachment: Option<EniAttachment>,
    /// The primary public association (boxed, as on [`PrivateIpAddress`]).
    pub association: Option<Box<Association>>,
    /// Primary private IPv4.
    pub private_ip_address: Option<CompactString>,
    /// All private IPv4 addresses with their associations.
    #[serde(default, deserialize_with = "crate::evidence::model::compact")]
    pub private_ip_addresses: Vec<PrivateIpAddress>,
    /// IPv6 addresses.
    #[serde(default, deserialize_with = "crate::evidence::model::compact")]
    pub ipv6_addresses: Vec<Ipv6Address>,
    /// Security groups.
    #[serde(default, deserialize_with = "crate::evidence::model::compact")]
    pub groups: Vec<GroupRef>,
}

impl NetworkInterface {
    /// Every private IPv4 address, primary first, each once.
    pub fn private_ips(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        let all = self.private_ip_address.iter().chain(
            self.private_ip_addresses
                .iter()
                .filter_map(|p| p.private_ip_address.as_ref()),
        );
        for ip in all {
            if !out.contains(&ip.as_str()) {
                out.push(ip);
            }
        }
        out
    }

    /// Every public IPv4 association, primary first, each address once.
    pub fn public_associations(&self) -> Vec<&Association> {
        let mut out: Vec<&Association> = Vec::new();
        let all = self.association.as_deref().into_iter().chain(
            self.private_ip_addresses
                .iter()
                .filter_map(|p| p.association.as_deref()),
        );
        for a in all {
            if a.public_ip.is_some() && !out.iter().any(|o| o.public_ip == a.public_ip) {
                out.push(a);
            }
        }
        out
    }
}

/// One subnet from `describe-subnets`.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Subnet {
    /// Subnet id.
    pub subnet_id: String,
    /// VPC id.
    pub vpc_id: Option<String>,
    /// Owning account.
    pub owner_id: Option<String>,
    /// Availability zone.
    pub availability_zone: Option<String>,
    /// IPv4 CIDR.
    pub cidr_block: Option<String>,
    /// Whether instances launched here get a public IPv4.
    pub map_public_ip_on_launch: Option<bool>,
    /// Whether network interfaces created here get an IPv6 address.
    pub assign_ipv6_address_on_creation: Option<bool>,
}

/// One VPC from `describe-vpcs`.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Vpc {
    /// VPC id.
    pub vpc_id: String,
    /// Owning account.
    pub owner_id: Option<String>,
    /// Primary IPv4 CIDR.
    pub cidr_block: Option<String>,
    /// Whether it is the region's default VPC.
    pub is_default: Option<bool>,
}

/// One reservation from `describe-instances`.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Reservation {
    /// Owning account.
    pub owner_id: Option<String>,
    /// The instances.
    #[serde(default, deserialize_with = "crate::evidence::model::compact")]
    pub instances: Vec<Instance>,
}

/// An EC2 instance.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Instance {
    /// Instance id.
    pub instance_id: String,
    /// Lifecycle state.
    pub state: Option<InstanceState>,
    /// Placement (availability zone).
    pub placement: Option<Placement>,
    /// Subnet id.
    pub subnet_id: Option<String>,
    /// VPC id.
    pub vpc_id: Option<String>,
    /// Public IPv4 of the primary interface.
    pub public_ip_address: Option<String>,
    /// Private IPv4 of the primary interface.
    pub private_ip_address: Option<String>,
    /// Instance type.
    pub instance_type: Option<String>,
    /// Tags.
    #[serde(default, deserialize_with = "crate::evidence::model::compact")]
    pub tags: Vec<Tag>,
}

/// `State` of an instance.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceState {
    /// `running`, `stopped`, …
    pub name: Option<String>,
}

/// `Placement` of an instance.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Placement {
    /// Availability zone.
    pub availability_zone: Option<String>,
}

/// One Elastic IP from `describe-addresses`.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Address {
    /// The public address.
    pub public_ip: Option<String>,
    /// Allocation id.
    pub allocation_id: Option<String>,
    /// Association id, when associated.
    pub association_id: Option<String>,
    /// `vpc` or `standard`.
    pub domain: Option<String>,
    /// The instance it is associated with.
    pub instance_id: Option<String>,
    /// The ENI it is associated with.
    pub network_interface_id: Option<String>,
    /// The ENI's owner.
    pub network_interface_owner_id: Option<String>,
    /// The private address it maps to.
    pub private_ip_address: Option<String>,
    /// The region it belongs to.
    pub network_border_group: Option<String>,
}

/// One managed prefix list from `describe-managed-prefix-lists`.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ManagedPrefixList {
    /// Prefix list id.
    pub prefix_list_id: String,
    /// Name.
    pub prefix_list_name: Option<String>,
    /// Owning account (`AWS` for AWS-managed lists).
    pub owner_id: Option<String>,
    /// `IPv4` or `IPv6`.
    pub address_family: Option<String>,
}

/// One entry from `get-managed-prefix-list-entries`.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PrefixListEntry {
    /// The prefix list the entry belongs to. `get-managed-prefix-list-entries` does not print it,
    /// so it is read from a `pl-…` id in the file name (the one kind not recognised by content alone).
    #[serde(skip)]
    pub list_id: String,
    /// CIDR.
    pub cidr: String,
    /// Description.
    pub description: Option<String>,
}

/// One flow log from `describe-flow-logs`.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FlowLog {
    /// Flow log id.
    pub flow_log_id: Option<String>,
    /// The VPC, subnet or ENI it covers.
    pub resource_id: Option<String>,
    /// `ACTIVE`, …
    pub flow_log_status: Option<String>,
    /// `ALL`, `ACCEPT`, `REJECT`.
    pub traffic_type: Option<String>,
    /// The record format (`${version} ${account-id} …`); absent means the default version 2.
    pub log_format: Option<String>,
    /// `cloud-watch-logs`, `s3` or `kinesis-data-firehose`.
    pub log_destination_type: Option<String>,
    /// The CloudWatch Logs group it delivers to.
    pub log_group_name: Option<String>,
}

/// One CloudWatch Logs event from `logs filter-log-events` or `logs get-log-events`: for a flow
/// log delivering to CloudWatch Logs, `message` is one flow record.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogEvent {
    /// The record text.
    pub message: String,
    /// The stream (`eni-…-all` for flow logs); `filter-log-events` only.
    pub log_stream_name: Option<String>,
    /// Milliseconds since the epoch.
    pub timestamp: Option<i64>,
    /// The event's id; `filter-log-events` only.
    pub event_id: Option<String>,
}

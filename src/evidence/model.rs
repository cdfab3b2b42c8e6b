//! Typed views of the AWS CLI records snapaudit reads. Only the fields the audit needs are kept;
//! unknown fields are ignored and every field that AWS may omit is optional.

use serde::Deserialize;

use super::timestamp::Timestamp;

/// A `{"name": …, "value": …}` pair, as in ECS attachment details.
#[derive(Debug, PartialEq, Deserialize)]
pub struct NameValue {
    /// The detail name, e.g. `networkInterfaceId`.
    pub name: String,
    /// The detail value.
    pub value: Option<String>,
}

/// An EC2 tag.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    /// Tag key.
    pub key: String,
    /// Tag value.
    pub value: Option<String>,
}

/// Returns the value of the `Name` tag, if any.
pub fn name_tag(tags: &[Tag]) -> Option<&str> {
    tags.iter()
        .find(|t| t.key == "Name")
        .and_then(|t| t.value.as_deref())
}

// ---------------------------------------------------------------------------------------- ECS

/// An entry of an ECS `failures[]` array: a resource the call could not describe.
#[derive(Debug, PartialEq, Deserialize)]
pub struct Failure {
    /// The ARN or name that failed.
    pub arn: Option<String>,
    /// Why, e.g. `MISSING`.
    pub reason: Option<String>,
    /// Extra detail AWS gives.
    pub detail: Option<String>,
}

/// `networkConfiguration` of a service, deployment or task set.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkConfiguration {
    /// Present only for the awsvpc network mode.
    pub awsvpc_configuration: Option<AwsVpcConfiguration>,
}

/// `awsvpcConfiguration`: where tasks are placed and whether they get a public IP.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AwsVpcConfiguration {
    /// Subnet ids.
    #[serde(default)]
    pub subnets: Vec<String>,
    /// Security group ids.
    #[serde(default)]
    pub security_groups: Vec<String>,
    /// `ENABLED` or `DISABLED` (AWS defaults to `DISABLED` when absent).
    pub assign_public_ip: Option<String>,
}

impl NetworkConfiguration {
    /// The configured `assignPublicIp` of an awsvpc configuration (`DISABLED` when unset).
    pub fn assign_public_ip(&self) -> Option<&str> {
        self.awsvpc_configuration
            .as_ref()
            .map(|a| a.assign_public_ip.as_deref().unwrap_or("DISABLED"))
    }
}

/// One ECS service from `describe-services`.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Service {
    /// Service ARN (carries account and region).
    pub service_arn: String,
    /// Service name.
    pub service_name: Option<String>,
    /// Cluster ARN.
    pub cluster_arn: Option<String>,
    /// `ACTIVE`, `DRAINING` or `INACTIVE`.
    pub status: Option<String>,
    /// `FARGATE`, `EC2`, `EXTERNAL`.
    pub launch_type: Option<String>,
    /// Network configuration of the service.
    pub network_configuration: Option<NetworkConfiguration>,
    /// Deployments of the ECS deployment controller.
    #[serde(default)]
    pub deployments: Vec<Deployment>,
    /// Task sets (EXTERNAL / CODE_DEPLOY controllers), inline.
    #[serde(default)]
    pub task_sets: Vec<TaskSet>,
    /// The deployment controller.
    pub deployment_controller: Option<DeploymentController>,
    /// Desired task count.
    pub desired_count: Option<i64>,
    /// Running task count.
    pub running_count: Option<i64>,
    /// When the service was created.
    pub created_at: Option<Timestamp>,
}

/// `deploymentController` of a service.
#[derive(Debug, PartialEq, Deserialize)]
pub struct DeploymentController {
    /// `ECS`, `CODE_DEPLOY` or `EXTERNAL`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// A deployment of a service (ECS controller).
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Deployment {
    /// Deployment id, e.g. `ecs-svc/1234567890123456789`; tasks carry it in `startedBy`.
    pub id: Option<String>,
    /// `PRIMARY`, `ACTIVE`, `INACTIVE`.
    pub status: Option<String>,
    /// The network configuration this deployment launches tasks with.
    pub network_configuration: Option<NetworkConfiguration>,
}

/// One ECS task set (from `describe-task-sets` or inline in `describe-services`).
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskSet {
    /// Task set id, e.g. `ecs-svc/1234567890123456789`; its tasks carry it in `startedBy`.
    pub id: Option<String>,
    /// Task set ARN.
    pub task_set_arn: String,
    /// The owning service's ARN.
    pub service_arn: Option<String>,
    /// Cluster ARN.
    pub cluster_arn: Option<String>,
    /// `PRIMARY`, `ACTIVE`, `DRAINING`.
    pub status: Option<String>,
    /// Launch type.
    pub launch_type: Option<String>,
    /// External id given by the deployment tool.
    pub external_id: Option<String>,
    /// Network configuration of the task set.
    pub network_configuration: Option<NetworkConfiguration>,
}

/// One ECS task from `describe-tasks`.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    /// Task ARN.
    pub task_arn: String,
    /// Cluster ARN.
    pub cluster_arn: Option<String>,
    /// `service:NAME` for service tasks.
    pub group: Option<String>,
    /// Deployment or task set id that started the task.
    pub started_by: Option<String>,
    /// `RUNNING`, `STOPPED`, `PENDING`, …
    pub last_status: Option<String>,
    /// Desired status.
    pub desired_status: Option<String>,
    /// Launch type.
    pub launch_type: Option<String>,
    /// Task definition ARN.
    pub task_definition_arn: Option<String>,
    /// ENI attachments (awsvpc).
    #[serde(default)]
    pub attachments: Vec<TaskAttachment>,
    /// When the task started.
    pub started_at: Option<Timestamp>,
    /// When the task stopped.
    pub stopped_at: Option<Timestamp>,
}

/// An attachment of a task; `ElasticNetworkInterface` for awsvpc tasks.
#[derive(Debug, PartialEq, Deserialize)]
pub struct TaskAttachment {
    /// Attachment type.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// `ATTACHED`, `DELETED`, …
    pub status: Option<String>,
    /// Name/value details, among them `networkInterfaceId`.
    #[serde(default)]
    pub details: Vec<NameValue>,
}

impl Task {
    /// The id of the task's ENI, from its `ElasticNetworkInterface` attachment.
    pub fn eni_id(&self) -> Option<&str> {
        self.attachments
            .iter()
            .filter(|a| a.kind.as_deref() == Some("ElasticNetworkInterface"))
            .flat_map(|a| &a.details)
            .find(|d| d.name == "networkInterfaceId")
            .and_then(|d| d.value.as_deref())
    }
}

// ---------------------------------------------------------------------------------------- EC2

/// A public address association of an ENI or one of its private addresses.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Association {
    /// The public IPv4 address.
    pub public_ip: Option<String>,
    /// `amazon` for an Amazon-assigned address, an account id for an Elastic IP.
    pub ip_owner_id: Option<String>,
    /// Elastic IP allocation id.
    pub allocation_id: Option<String>,
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
    pub instance_id: Option<String>,
    /// The owner of that instance (`amazon-elb`, an account, …).
    pub instance_owner_id: Option<String>,
    /// `attached`, `detached`, …
    pub status: Option<String>,
}

/// A private address of an ENI, possibly with its own public association.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PrivateIpAddress {
    /// The private IPv4 address.
    pub private_ip_address: Option<String>,
    /// Whether this is the primary address.
    pub primary: Option<bool>,
    /// Its public association, if any.
    pub association: Option<Association>,
}

/// An IPv6 address of an ENI.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Ipv6Address {
    /// The address.
    pub ipv6_address: String,
}

/// A security group reference on an ENI or instance.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GroupRef {
    /// Group id.
    pub group_id: String,
    /// Group name.
    pub group_name: Option<String>,
}

/// One network interface from `describe-network-interfaces`.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NetworkInterface {
    /// ENI id.
    pub network_interface_id: String,
    /// Owning account.
    pub owner_id: Option<String>,
    /// Availability zone (carries the region).
    pub availability_zone: Option<String>,
    /// Subnet id.
    pub subnet_id: Option<String>,
    /// VPC id.
    pub vpc_id: Option<String>,
    /// `interface`, `nat_gateway`, `lambda`, `network_load_balancer`, …
    pub interface_type: Option<String>,
    /// Free-text description set by the creating service.
    pub description: Option<String>,
    /// `in-use`, `available`.
    pub status: Option<String>,
    /// The service that manages it (ECS, ELB, …).
    pub requester_id: Option<String>,
    /// The attachment.
    pub attachment: Option<EniAttachment>,
    /// The primary public association.
    pub association: Option<Association>,
    /// Primary private IPv4.
    pub private_ip_address: Option<String>,
    /// All private IPv4 addresses with their associations.
    #[serde(default)]
    pub private_ip_addresses: Vec<PrivateIpAddress>,
    /// IPv6 addresses.
    #[serde(default)]
    pub ipv6_addresses: Vec<Ipv6Address>,
    /// Security groups.
    #[serde(default)]
    pub groups: Vec<GroupRef>,
}

impl NetworkInterface {
    /// Every public IPv4 association, primary first, each address once.
    pub fn public_associations(&self) -> Vec<&Association> {
        let mut out: Vec<&Association> = Vec::new();
        let all = self.association.iter().chain(
            self.private_ip_addresses
                .iter()
                .filter_map(|p| p.association.as_ref()),
        );
        for a in all {
            if a.public_ip.is_some() && !out.iter().any(|o| o.public_ip == a.public_ip) {
                out.push(a);
            }
        }
        out
    }
}

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
    #[serde(default)]
    pub ip_permissions: Vec<IpPermission>,
    /// Outbound permissions.
    #[serde(default)]
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
    #[serde(default)]
    pub ip_ranges: Vec<IpRange>,
    /// IPv6 sources.
    #[serde(default)]
    pub ipv6_ranges: Vec<Ipv6Range>,
    /// Prefix list sources.
    #[serde(default)]
    pub prefix_list_ids: Vec<PrefixListRef>,
    /// Security group sources.
    #[serde(default)]
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
    #[serde(default)]
    pub entries: Vec<AclEntry>,
    /// Subnet associations.
    #[serde(default)]
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
    #[serde(default)]
    pub routes: Vec<Route>,
    /// Associations (main, subnet, gateway).
    #[serde(default)]
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
    #[serde(default)]
    pub attachments: Vec<GatewayAttachment>,
}

/// One egress-only internet gateway from `describe-egress-only-internet-gateways`.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EgressOnlyInternetGateway {
    /// Gateway id.
    pub egress_only_internet_gateway_id: String,
    /// VPC attachments.
    #[serde(default)]
    pub attachments: Vec<GatewayAttachment>,
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
    #[serde(default)]
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
    #[serde(default)]
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
}

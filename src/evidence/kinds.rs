//! The recogniser: which top-level key of a document marks which kind of evidence.
//! Adding a kind is a line in `kinds!` and one in `record_keys!` (plus its record type in `model`).

use serde::Deserialize;

use super::elb::*;
use super::model::*;
use super::{Record, Source};

/// A recorded API error (`{"Error": {"Code": …, "Message": …}}`), as boto3 recorders keep it.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ApiError {
    /// AWS error code, e.g. `InvalidSubnetID.NotFound`.
    pub code: Option<String>,
    /// The message AWS returned.
    pub message: Option<String>,
}

/// Identity used to keep a record exported twice only once.
pub trait RecordKey {
    /// A key unique to the resource within one evidence set.
    fn key(&self) -> String;
}

macro_rules! kinds {
    ($( $field:ident : $key:literal => $ty:ty, $variant:ident, $label:literal; )*) => {
        /// A kind of evidence, recognised by a document's top-level key.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Kind { $( #[doc = $label] $variant, )* }

        impl Kind {
            /// Every kind, in a stable order.
            pub const ALL: &'static [Kind] = &[$(Kind::$variant),*];

            /// The top-level JSON key that marks this kind.
            pub fn key(self) -> &'static str {
                match self { $(Kind::$variant => $key,)* }
            }

            /// The AWS CLI command that exports this kind.
            pub fn command(self) -> &'static str {
                match self { $(Kind::$variant => $label,)* }
            }
        }

        /// One JSON document: the evidence arrays it holds, plus what a boto3 recording or an ECS
        /// call wraps around them. Unknown keys are ignored.
        #[derive(Debug, Default, Deserialize)]
        pub struct Document {
            $( #[serde(rename = $key)] #[doc = $label] pub $field: Option<Vec<Record<$ty>>>, )*
            /// ECS `failures[]`.
            pub failures: Option<Vec<Failure>>,
            /// boto3 recording: HTTP status.
            pub status_code: Option<u16>,
            /// boto3 recording: the response.
            pub data: Option<Box<Document>>,
            /// Recorded API error.
            #[serde(rename = "Error")]
            pub error: Option<ApiError>,
            /// The target group that target health or attributes beside it belong to.
            #[serde(rename = "TargetGroupArn")]
            pub target_group_arn: Option<String>,
            /// The load balancer that attributes beside it belong to.
            #[serde(rename = "LoadBalancerArn")]
            pub load_balancer_arn: Option<String>,
            /// Batfish's listeners, wrapped per load balancer.
            #[serde(rename = "LoadBalancerListeners")]
            pub listener_sets: Option<Vec<ListenerSet>>,
            /// Batfish's target health, wrapped per target group.
            #[serde(rename = "LoadBalancerTargetHealth")]
            pub target_health_sets: Option<Vec<TargetHealthSet>>,
            /// Batfish's attributes, wrapped per load balancer.
            #[serde(rename = "LoadBalancerAttributes")]
            pub attribute_sets: Option<Vec<AttributeSet>>,
        }

        impl Document {
            /// The kinds of evidence this document holds (an empty list still counts: the call
            /// was made and found nothing).
            pub fn kinds(&self) -> Vec<Kind> {
                let mut out = Vec::new();
                $( if self.$field.is_some() { out.push(Kind::$variant); } )*
                out
            }

            /// Starts the array of `kind`, streamed; false when the document already has one.
            pub fn begin(&mut self, kind: Kind) -> bool {
                match kind {
                    $( Kind::$variant => {
                        let fresh = self.$field.is_none();
                        self.$field.get_or_insert_default();
                        fresh
                    } )*
                }
            }

            /// Parses the texts of records of `kind` (in parallel) onto its array, which is
            /// thought to hold `expected` records in all.
            pub fn push_elements(&mut self, kind: Kind, texts: &[&[u8]], expected: usize) -> Result<(), serde_json::Error> {
                match kind {
                    $( Kind::$variant => super::stream::parse_records(self.$field.get_or_insert_default(), texts, expected), )*
                }
            }

            /// Takes in the arrays read as a stream beside the rest of the document; false when
            /// the rest holds one of them too (a repeated key, left to the whole-file reader).
            pub fn adopt_streamed(&mut self, streamed: Document) -> bool {
                $(
                    if streamed.$field.is_some() {
                        if self.$field.is_some() {
                            return false;
                        }
                        self.$field = streamed.$field;
                    }
                )*
                true
            }
        }

        /// Records of every kind, each with its provenance.
        #[derive(Debug, Default)]
        pub struct Records {
            $( #[doc = $label] pub $field: Vec<Record<$ty>>, )*
        }

        impl Records {
            /// Moves the arrays of `doc` in, each record tagged with its JSON pointer under `prefix`.
            pub fn take(&mut self, doc: &mut Document, at: &Source, counts: &mut Vec<(Kind, usize)>) {
                $(
                    if let Some(mut items) = doc.$field.take() {
                        counts.push((Kind::$variant, items.len()));
                        for (i, record) in items.iter_mut().enumerate() {
                            record.source = at.child($key, i);
                        }
                        move_all(&mut self.$field, &mut items);
                    }
                )*
            }

            /// Moves the arrays of a document already read as JSON in, record by record: a record
            /// that does not read as its kind is returned as `(pointer, why)` and the others are
            /// kept. This is the slow path, taken only for a file whose typed reading failed.
            pub fn take_values(
                &mut self,
                map: &mut serde_json::Map<String, serde_json::Value>,
                at: &Source,
                counts: &mut Vec<(Kind, usize)>,
            ) -> Vec<(String, String)> {
                let mut bad = Vec::new();
                $(
                    if let Some(serde_json::Value::Array(items)) = map.remove($key) {
                        let before = self.$field.len();
                        for (i, item) in items.into_iter().enumerate() {
                            let source = at.child($key, i);
                            match <$ty>::deserialize(item) {
                                Ok(item) => self.$field.push(Record { item, source }),
                                Err(e) => bad.push((source.pointer, e.to_string())),
                            }
                        }
                        // Only the records read count, as in `take`.
                        counts.push((Kind::$variant, self.$field.len() - before));
                    }
                )*
                bad
            }

            /// Keeps only the records whose source `keep` accepts; returns how many of each
            /// kind were dropped.
            pub fn retain(&mut self, keep: impl Fn(&Source) -> bool) -> Vec<(Kind, usize)> {
                let mut dropped = Vec::new();
                $(
                    let before = self.$field.len();
                    self.$field.retain(|r| keep(&r.source));
                    dropped.push((Kind::$variant, before - self.$field.len()));
                )*
                dropped
            }

            /// Appends `other`'s records after this one's.
            pub fn append(&mut self, other: &mut Records) {
                $( move_all(&mut self.$field, &mut other.$field); )*
            }

            /// Keeps the first record of each resource (in file order); returns how many
            /// repeated records were dropped and the repeats whose content differs.
            pub fn dedup(&mut self) -> (usize, Vec<Conflict>) {
                let mut dropped = 0;
                let mut conflicts = Vec::new();
                $( dropped += dedup_by_key(&mut self.$field, &mut conflicts); )*
                (dropped, conflicts)
            }

            /// Points every record at file `file` (sources are filled in before the index is known).
            pub fn set_file(&mut self, file: u32) {
                $( for r in &mut self.$field { r.source.file = file; } )*
            }

            /// Moves the records of `kinds` out into a set of their own, leaving the others:
            /// a step that alone reads a kind can own its records and free them when done.
            pub fn take_kinds(&mut self, kinds: &[Kind]) -> Records {
                let mut taken = Records::default();
                $( if kinds.contains(&Kind::$variant) { move_all(&mut taken.$field, &mut self.$field); } )*
                taken
            }

            /// Number of records of all kinds.
            pub fn count_all(&self) -> usize {
                0 $( + self.$field.len() )*
            }

            /// Number of records of a kind.
            pub fn count(&self, kind: Kind) -> usize {
                match kind { $(Kind::$variant => self.$field.len(),)* }
            }
        }
    };
}

kinds! {
    services: "services" => Service, EcsServices, "ecs describe-services";
    task_sets: "taskSets" => TaskSet, EcsTaskSets, "ecs describe-task-sets";
    tasks: "tasks" => Task, EcsTasks, "ecs describe-tasks";
    network_interfaces: "NetworkInterfaces" => NetworkInterface, NetworkInterfaces, "ec2 describe-network-interfaces";
    security_groups: "SecurityGroups" => SecurityGroup, SecurityGroups, "ec2 describe-security-groups";
    security_group_rules: "SecurityGroupRules" => SecurityGroupRule, SecurityGroupRules, "ec2 describe-security-group-rules";
    network_acls: "NetworkAcls" => NetworkAcl, NetworkAcls, "ec2 describe-network-acls";
    route_tables: "RouteTables" => RouteTable, RouteTables, "ec2 describe-route-tables";
    internet_gateways: "InternetGateways" => InternetGateway, InternetGateways, "ec2 describe-internet-gateways";
    egress_only_internet_gateways: "EgressOnlyInternetGateways" => EgressOnlyInternetGateway, EgressOnlyInternetGateways, "ec2 describe-egress-only-internet-gateways";
    subnets: "Subnets" => Subnet, Subnets, "ec2 describe-subnets";
    vpcs: "Vpcs" => Vpc, Vpcs, "ec2 describe-vpcs";
    reservations: "Reservations" => Reservation, Reservations, "ec2 describe-instances";
    instance_statuses: "InstanceStatuses" => InstanceStatus, InstanceStatuses, "ec2 describe-instance-status";
    addresses: "Addresses" => Address, Addresses, "ec2 describe-addresses";
    prefix_lists: "PrefixLists" => ManagedPrefixList, PrefixLists, "ec2 describe-managed-prefix-lists";
    prefix_list_entries: "Entries" => PrefixListEntry, PrefixListEntries, "ec2 get-managed-prefix-list-entries";
    flow_logs: "FlowLogs" => FlowLog, FlowLogs, "ec2 describe-flow-logs";
    log_events: "events" => LogEvent, LogEvents, "logs filter-log-events or get-log-events";
    nat_gateways: "NatGateways" => NatGateway, NatGateways, "ec2 describe-nat-gateways";
    vpc_endpoints: "VpcEndpoints" => VpcEndpoint, VpcEndpoints, "ec2 describe-vpc-endpoints";
    load_balancers: "LoadBalancers" => LoadBalancer, ElbLoadBalancers, "elbv2 describe-load-balancers";
    listeners: "Listeners" => Listener, ElbListeners, "elbv2 describe-listeners";
    listener_rules: "Rules" => ListenerRule, ElbRules, "elbv2 describe-rules";
    target_groups: "TargetGroups" => TargetGroup, ElbTargetGroups, "elbv2 describe-target-groups";
    target_health: "TargetHealthDescriptions" => TargetHealthDescription, ElbTargetHealth, "elbv2 describe-target-health";
    elb_attributes: "Attributes" => Attribute, ElbAttributes, "elbv2 describe-target-group-attributes or describe-load-balancer-attributes";
    classic_load_balancers: "LoadBalancerDescriptions" => ClassicLoadBalancer, ClassicLoadBalancers, "elb describe-load-balancers";
}

/// Moves `from`'s records after `into`'s: the vector itself when `into` is empty, so that a
/// large file's records are never copied (and held twice) on their way in.
fn move_all<T>(into: &mut Vec<T>, from: &mut Vec<T>) {
    if into.is_empty() {
        std::mem::swap(into, from);
    } else {
        into.append(from);
    }
}

/// A resource exported more than once with different content (e.g. snapshots taken at
/// different times).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The resource's key (ARN or id).
    pub key: String,
    /// The copy kept: the first in file order.
    pub kept: Source,
    /// A later copy that differs from it.
    pub dropped: Source,
}

/// Keeps the first record per key, preserving file order among the kept ones; a dropped copy
/// that differs from the kept one is noted in `conflicts`.
fn dedup_by_key<T: RecordKey + PartialEq>(
    records: &mut Vec<Record<T>>,
    conflicts: &mut Vec<Conflict>,
) -> usize {
    use std::collections::hash_map::Entry;
    let before = records.len();
    let mut first = std::collections::HashMap::with_capacity(before);
    let mut keep = vec![true; before];
    for (i, r) in records.iter().enumerate() {
        match first.entry(r.item.key()) {
            Entry::Vacant(v) => {
                v.insert(i);
            }
            Entry::Occupied(o) => {
                keep[i] = false;
                let kept = &records[*o.get()];
                if kept.item != r.item {
                    conflicts.push(Conflict {
                        key: o.key().clone(),
                        kept: kept.source.clone(),
                        dropped: r.source.clone(),
                    });
                }
            }
        }
    }
    let mut keep = keep.into_iter();
    records.retain(|_| keep.next().unwrap_or(true));
    before - records.len()
}

macro_rules! record_keys {
    ($( $ty:ty => |$r:ident| $key:expr; )*) => {
        $( impl RecordKey for $ty { fn key(&self) -> String { let $r = self; $key } } )*
    };
}

record_keys! {
    Service => |r| r.service_arn.clone();
    TaskSet => |r| r.task_set_arn.clone();
    Task => |r| r.task_arn.clone();
    NetworkInterface => |r| r.network_interface_id.to_string();
    SecurityGroup => |r| r.group_id.clone();
    SecurityGroupRule => |r| r.security_group_rule_id.clone();
    NetworkAcl => |r| r.network_acl_id.clone();
    RouteTable => |r| r.route_table_id.clone();
    InternetGateway => |r| r.internet_gateway_id.clone();
    EgressOnlyInternetGateway => |r| r.egress_only_internet_gateway_id.clone();
    Subnet => |r| r.subnet_id.clone();
    Vpc => |r| r.vpc_id.clone();
    Reservation => |r| r.instances.iter().map(|i| i.instance_id.as_str()).collect::<Vec<_>>().join(",");
    InstanceStatus => |r| r.instance_id.clone();
    Address => |r| format!("{:?}/{:?}", r.allocation_id, r.public_ip);
    ManagedPrefixList => |r| r.prefix_list_id.clone();
    PrefixListEntry => |r| format!("{}/{}", r.list_id, r.cidr);
    FlowLog => |r| format!("{:?}/{:?}", r.flow_log_id, r.resource_id);
    LogEvent => |r| r.event_id.clone().unwrap_or_else(|| format!("{:?}/{:?}/{}", r.log_stream_name, r.timestamp, r.message));
    NatGateway => |r| r.nat_gateway_id.clone();
    VpcEndpoint => |r| r.vpc_endpoint_id.clone();
    LoadBalancer => |r| r.load_balancer_arn.clone();
    Listener => |r| r.listener_arn.clone();
    ListenerRule => |r| r.rule_arn.clone();
    TargetGroup => |r| r.target_group_arn.clone();
    TargetHealthDescription => |r| format!("{}/{}/{:?}", r.target_group_arn, r.target.id, r.target.port);
    Attribute => |r| format!("{}/{}", r.owner_arn, r.key);
    ClassicLoadBalancer => |r| r.dns_name.clone().unwrap_or_else(|| r.load_balancer_name.clone());
}

//! Network tables: network ACLs and their entries, routes, internet gateways, subnets, VPCs,
//! instances, Elastic IPs, prefix list entries and flow logs (security groups have their own
//! module). Regions of VPC-scoped records come from [`Scope`].

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Result;
use polars::prelude::*;
use serde_json::{Value, json};

use super::frame::{FrameBuilder, children};
use super::scope::Scope;
use super::source_ref;
use crate::evidence::model::{AclEntry, NetworkAcl, RouteTable, name_tag};
use crate::evidence::{Records, az_region};
use crate::reach::Protocol;

/// Whether a CIDR is the whole address space of its version.
pub fn is_world(cidr: &str) -> bool {
    cidr == "0.0.0.0/0" || cidr == "::/0"
}

/// A protocol as snapaudit names it (`tcp`, `udp`, `icmp`, `icmpv6`, `all`, `proto-N`), or the
/// raw value when AWS printed something unknown.
pub fn protocol_label(raw: &str) -> String {
    Protocol::parse(raw).map_or_else(|| raw.to_string(), Protocol::name)
}

/// The direction of a security group rule or network ACL entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Traffic into the interface (`IpPermissions`, ACL `Egress: false`).
    Inbound,
    /// Traffic out of the interface (`IpPermissionsEgress`, ACL `Egress: true`).
    Outbound,
}

impl Direction {
    /// `inbound` or `outbound`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Inbound => "inbound",
            Self::Outbound => "outbound",
        }
    }

    /// Whether this is [`Direction::Inbound`].
    pub fn is_inbound(self) -> bool {
        self == Self::Inbound
    }

    /// The direction of a network ACL entry from its `Egress` flag.
    pub fn of_acl_entry(egress: bool) -> Direction {
        if egress {
            Self::Outbound
        } else {
            Self::Inbound
        }
    }
}

// --------------------------------------------------------------------------- network ACLs

/// The subnets an ACL is associated with.
fn acl_subnets(acl: &NetworkAcl) -> impl Iterator<Item = &str> {
    acl.associations
        .iter()
        .filter_map(|a| a.subnet_id.as_deref())
}

fn entry_json(e: &AclEntry) -> Value {
    json!({
        "rule_number": e.rule_number,
        "direction": Direction::of_acl_entry(e.egress).as_str(),
        "action": e.rule_action,
        "protocol": protocol_label(&e.protocol),
        "cidr": e.cidr_block.as_deref().or(e.ipv6_cidr_block.as_deref()),
        "from_port": e.port_range.as_ref().and_then(|p| p.from),
        "to_port": e.port_range.as_ref().and_then(|p| p.to),
        "open_to_world": entry_cidr(e).is_some_and(is_world),
    })
}

fn entry_cidr(e: &AclEntry) -> Option<&str> {
    e.cidr_block.as_deref().or(e.ipv6_cidr_block.as_deref())
}

/// `network_acls`: one row per ACL, its entries nested as `entries` (sorted by direction and
/// rule number, the order AWS evaluates them in).
pub fn network_acls(records: &Records, scope: &Scope) -> Result<DataFrame> {
    FrameBuilder::new(&records.network_acls)
        .str("account", |a| a.item.owner_id.as_deref())
        .str("region", |a| {
            scope.region(a.item.owner_id.as_deref(), a.item.vpc_id.as_deref())
        })
        .str("network_acl_id", |a| Some(&a.item.network_acl_id))
        .str("vpc_id", |a| a.item.vpc_id.as_deref())
        .bool("is_default", |a| a.item.is_default)
        .list("subnets", |a| acl_subnets(&a.item))
        .string("entries_json", |a| {
            let mut entries: Vec<&AclEntry> = a.item.entries.iter().collect();
            entries.sort_by_key(|e| (e.egress, e.rule_number));
            Some(Value::Array(entries.into_iter().map(entry_json).collect()).to_string())
        })
        .string("record_ref", |a| Some(source_ref(&a.source)))
        .build()
}

/// `network_acl_entries`: one row per entry, with its ACL's subnets.
pub fn network_acl_entries(records: &Records, scope: &Scope) -> Result<DataFrame> {
    let rows = children(&records.network_acls, |a| &a.entries);
    FrameBuilder::new(&rows)
        .str("account", |(a, _, _)| a.item.owner_id.as_deref())
        .str("region", |(a, _, _)| {
            scope.region(a.item.owner_id.as_deref(), a.item.vpc_id.as_deref())
        })
        .str("network_acl_id", |(a, _, _)| Some(&a.item.network_acl_id))
        .str("vpc_id", |(a, _, _)| a.item.vpc_id.as_deref())
        .bool("is_default", |(a, _, _)| a.item.is_default)
        .list("subnets", |(a, _, _)| acl_subnets(&a.item))
        .int("rule_number", |(_, _, e)| Some(e.rule_number))
        .str("direction", |(_, _, e)| {
            Some(Direction::of_acl_entry(e.egress).as_str())
        })
        .str("action", |(_, _, e)| Some(&e.rule_action))
        .string("protocol", |(_, _, e)| Some(protocol_label(&e.protocol)))
        .str("cidr", |(_, _, e)| entry_cidr(e))
        .int("from_port", |(_, _, e)| {
            e.port_range.as_ref().and_then(|p| p.from).map(i64::from)
        })
        .int("to_port", |(_, _, e)| {
            e.port_range.as_ref().and_then(|p| p.to).map(i64::from)
        })
        .bool("open_to_world", |(_, _, e)| {
            Some(entry_cidr(e).is_some_and(is_world))
        })
        .string("record_ref", |(a, i, _)| {
            Some(source_ref(&a.source.child("Entries", *i)))
        })
        .build()
}

// ------------------------------------------------------------------------------- routes

/// Whether a route table is its VPC's main table.
pub fn is_main(t: &RouteTable) -> bool {
    t.associations.iter().any(|a| a.main == Some(true))
}

/// The subnets explicitly associated with a route table.
pub fn table_subnets(t: &RouteTable) -> impl Iterator<Item = &str> {
    t.associations.iter().filter_map(|a| a.subnet_id.as_deref())
}

/// `routes`: one row per route, with its table's id, `main` and explicitly associated subnets.
pub fn routes(records: &Records, scope: &Scope) -> Result<DataFrame> {
    let rows = children(&records.route_tables, |t| &t.routes);
    FrameBuilder::new(&rows)
        .str("account", |(t, _, _)| t.item.owner_id.as_deref())
        .str("region", |(t, _, _)| {
            scope.region(t.item.owner_id.as_deref(), t.item.vpc_id.as_deref())
        })
        .str("route_table_id", |(t, _, _)| Some(&t.item.route_table_id))
        .str("vpc_id", |(t, _, _)| t.item.vpc_id.as_deref())
        .bool("main", |(t, _, _)| Some(is_main(&t.item)))
        .list("subnets", |(t, _, _)| table_subnets(&t.item))
        .str("destination", |(_, _, r)| {
            r.destination_cidr_block
                .as_deref()
                .or(r.destination_ipv6_cidr_block.as_deref())
                .or(r.destination_prefix_list_id.as_deref())
        })
        .str("destination_type", |(_, _, r)| {
            Some(if r.destination_cidr_block.is_some() {
                "cidr_ipv4"
            } else if r.destination_ipv6_cidr_block.is_some() {
                "cidr_ipv6"
            } else {
                "prefix_list"
            })
        })
        .str("target", |(_, _, r)| r.target())
        .str("state", |(_, _, r)| r.state.as_deref())
        .string("record_ref", |(t, i, _)| {
            Some(source_ref(&t.source.child("Routes", *i)))
        })
        .build()
}

// --------------------------------------------------------------------- gateways, VPCs, …

/// `internet_gateways`: one row per gateway with its attachments (`{vpc_id, state}`) and the
/// VPCs it is attached to with state `available`.
pub fn internet_gateways(records: &Records, scope: &Scope) -> Result<DataFrame> {
    FrameBuilder::new(&records.internet_gateways)
        .str("account", |g| g.item.owner_id.as_deref())
        .str("region", |g| {
            let owner = g.item.owner_id.as_deref();
            g.item
                .attachments
                .iter()
                .find_map(|a| scope.region(owner, a.vpc_id.as_deref()))
        })
        .str("internet_gateway_id", |g| Some(&g.item.internet_gateway_id))
        .list("attached_vpcs", |g| {
            g.item
                .attachments
                .iter()
                .filter(|a| a.state.as_deref() == Some("available"))
                .filter_map(|a| a.vpc_id.as_deref())
        })
        .string("attachments_json", |g| {
            let a: Vec<Value> = g
                .item
                .attachments
                .iter()
                .map(|a| json!({"vpc_id": a.vpc_id, "state": a.state}))
                .collect();
            Some(Value::Array(a).to_string())
        })
        .string("record_ref", |g| Some(source_ref(&g.source)))
        .build()
}

/// `subnets`: one row per subnet.
pub fn subnets(records: &Records) -> Result<DataFrame> {
    FrameBuilder::new(&records.subnets)
        .str("account", |s| s.item.owner_id.as_deref())
        .str("region", |s| {
            s.item.availability_zone.as_deref().and_then(az_region)
        })
        .str("subnet_id", |s| Some(&s.item.subnet_id))
        .str("vpc_id", |s| s.item.vpc_id.as_deref())
        .str("availability_zone", |s| s.item.availability_zone.as_deref())
        .str("cidr_block", |s| s.item.cidr_block.as_deref())
        .bool("map_public_ip_on_launch", |s| {
            s.item.map_public_ip_on_launch
        })
        .bool("assign_ipv6_address_on_creation", |s| {
            s.item.assign_ipv6_address_on_creation
        })
        .string("record_ref", |s| Some(source_ref(&s.source)))
        .build()
}

/// `vpcs`: one row per VPC; `flow_logs` says whether a flow log names the VPC, null when no
/// describe-flow-logs evidence covers its account (`flow_logs_exported` then tells whether the
/// evidence holds describe-flow-logs for other accounts); `flow_log_traffic_types` lists the
/// `TrafficType`s of the flow logs naming it.
pub fn vpcs(records: &Records, scope: &Scope) -> Result<DataFrame> {
    let mut traffic: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for f in &records.flow_logs {
        if let Some(id) = f.item.resource_id.as_deref() {
            let types = traffic.entry(id).or_default();
            types.extend(f.item.traffic_type.as_deref());
        }
    }
    FrameBuilder::new(&records.vpcs)
        .str("account", |v| v.item.owner_id.as_deref())
        .str("region", |v| {
            scope.region(v.item.owner_id.as_deref(), Some(&v.item.vpc_id))
        })
        .str("vpc_id", |v| Some(&v.item.vpc_id))
        .str("cidr_block", |v| v.item.cidr_block.as_deref())
        .bool("is_default", |v| v.item.is_default)
        .bool("flow_logs", |v| {
            scope
                .flow_logs_cover(v.item.owner_id.as_deref())
                .then(|| traffic.contains_key(v.item.vpc_id.as_str()))
        })
        .bool("flow_logs_exported", |_| Some(scope.flow_logs_exported()))
        .list("flow_log_traffic_types", |v| {
            (traffic.get(v.item.vpc_id.as_str()).into_iter()).flat_map(|t| t.iter().copied())
        })
        .string("record_ref", |v| Some(source_ref(&v.source)))
        .build()
}

/// `instances`: one row per instance of every reservation.
pub fn instances(records: &Records) -> Result<DataFrame> {
    let rows = children(&records.reservations, |r| &r.instances);
    FrameBuilder::new(&rows)
        .str("account", |(r, _, _)| r.item.owner_id.as_deref())
        .str("region", |(_, _, i)| {
            i.placement
                .as_ref()
                .and_then(|p| p.availability_zone.as_deref())
                .and_then(az_region)
        })
        .str("instance_id", |(_, _, i)| Some(&i.instance_id))
        .str("name", |(_, _, i)| name_tag(&i.tags))
        .str("state", |(_, _, i)| {
            i.state.as_ref().and_then(|s| s.name.as_deref())
        })
        .str("instance_type", |(_, _, i)| i.instance_type.as_deref())
        .str("vpc_id", |(_, _, i)| i.vpc_id.as_deref())
        .str("subnet_id", |(_, _, i)| i.subnet_id.as_deref())
        .str("private_ip", |(_, _, i)| i.private_ip_address.as_deref())
        .str("public_ip", |(_, _, i)| i.public_ip_address.as_deref())
        .string("record_ref", |(r, i, _)| {
            Some(source_ref(&r.source.child("Instances", *i)))
        })
        .build()
}

/// `addresses`: one row per Elastic IP.
pub fn addresses(records: &Records) -> Result<DataFrame> {
    FrameBuilder::new(&records.addresses)
        .str("account", |a| a.item.network_interface_owner_id.as_deref())
        .str("region", |a| a.item.network_border_group.as_deref())
        .str("public_ip", |a| a.item.public_ip.as_deref())
        .str("allocation_id", |a| a.item.allocation_id.as_deref())
        .str("association_id", |a| a.item.association_id.as_deref())
        .str("domain", |a| a.item.domain.as_deref())
        .str("instance_id", |a| a.item.instance_id.as_deref())
        .str("network_interface_id", |a| {
            a.item.network_interface_id.as_deref()
        })
        .str("private_ip", |a| a.item.private_ip_address.as_deref())
        .string("record_ref", |a| Some(source_ref(&a.source)))
        .build()
}

/// `prefix_list_entries`: one row per entry; account from describe-managed-prefix-lists.
pub fn prefix_list_entries(records: &Records) -> Result<DataFrame> {
    let owner: BTreeMap<&str, Option<&str>> = records
        .prefix_lists
        .iter()
        .map(|p| (p.item.prefix_list_id.as_str(), p.item.owner_id.as_deref()))
        .collect();
    FrameBuilder::new(&records.prefix_list_entries)
        .str("account", |e| {
            owner.get(e.item.list_id.as_str()).copied().flatten()
        })
        .str("region", |_| None)
        .str("prefix_list_id", |e| Some(&e.item.list_id))
        .str("cidr", |e| Some(&e.item.cidr))
        .str("description", |e| e.item.description.as_deref())
        .string("record_ref", |e| Some(source_ref(&e.source)))
        .build()
}

/// `flow_logs`: one row per flow log; account and region from the resource it covers.
pub fn flow_logs(records: &Records, scope: &Scope) -> Result<DataFrame> {
    let account = |id: Option<&str>| id.and_then(|i| scope.account_of(i));
    FrameBuilder::new(&records.flow_logs)
        .str("account", |f| account(f.item.resource_id.as_deref()))
        .str("region", |f| {
            let id = f.item.resource_id.as_deref();
            let acc = account(id);
            let vpc = match id {
                Some(i) if i.starts_with("subnet-") => scope.subnet_vpc(acc, i),
                other => other,
            };
            scope.region(acc, vpc)
        })
        .str("flow_log_id", |f| f.item.flow_log_id.as_deref())
        .str("resource_id", |f| f.item.resource_id.as_deref())
        .str("status", |f| f.item.flow_log_status.as_deref())
        .str("traffic_type", |f| f.item.traffic_type.as_deref())
        .string("record_ref", |f| Some(source_ref(&f.source)))
        .build()
}

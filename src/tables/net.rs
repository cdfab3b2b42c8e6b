//! Network tables: security groups and their rules, network ACLs and their entries, routes,
//! internet gateways, subnets, VPCs, instances, Elastic IPs, prefix list entries and flow logs.
//!
//! VPC-scoped records (groups, ACLs, route tables, gateways, VPCs) do not carry their region: it
//! is taken from the subnets, network interfaces and instances of the same VPC and account
//! ([`Scope`]), never from folder names. Joins never cross accounts.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Result;
use polars::prelude::*;
use serde_json::{Value, json};

use super::frame::{FrameBuilder, children};
use super::source_ref;
use crate::evidence::model::{
    AclEntry, IpPermission, NetworkAcl, RouteTable, SecurityGroup, name_tag,
};
use crate::evidence::{EvidenceFile, Kind, Record, Records, Source, az_region};
use crate::reach::Protocol;

/// `(account, id)`: the key of every join, so that joins never cross accounts.
pub type Key = (String, String);

fn key(account: Option<&str>, id: &str) -> Key {
    (account.unwrap_or_default().to_string(), id.to_string())
}

/// Where VPC-scoped resources live, learnt from the records that carry a zone.
#[derive(Debug, Default)]
pub struct Scope {
    /// `(account, vpc)` → region.
    vpc_region: BTreeMap<Key, String>,
    /// `(account, subnet)` → VPC.
    subnet_vpc: BTreeMap<Key, String>,
    /// Resource id (VPC, subnet, ENI) → account, for records that name only an id.
    resource_account: BTreeMap<String, String>,
    /// Accounts with describe-flow-logs evidence.
    flow_log_accounts: Option<BTreeSet<String>>,
    /// Accounts with describe-internet-gateways evidence.
    igw_accounts: Option<BTreeSet<String>>,
}

impl Scope {
    /// Learns regions from subnets, network interfaces and instances, and which accounts the
    /// account-less kinds (flow logs) cover.
    pub fn new(records: &Records, files: &[EvidenceFile]) -> Scope {
        let mut s = Scope::default();
        let mut learn = |account: Option<&str>, vpc: Option<&str>, az: Option<&str>| {
            if let (Some(vpc), Some(region)) = (vpc, az.and_then(az_region)) {
                s.vpc_region
                    .entry(key(account, vpc))
                    .or_insert_with(|| region.to_string());
            }
        };
        for r in &records.subnets {
            let i = &r.item;
            learn(
                i.owner_id.as_deref(),
                i.vpc_id.as_deref(),
                i.availability_zone.as_deref(),
            );
        }
        for r in &records.network_interfaces {
            let i = &r.item;
            learn(
                i.owner_id.as_deref(),
                i.vpc_id.as_deref(),
                i.availability_zone.as_deref(),
            );
        }
        for r in &records.reservations {
            for i in &r.item.instances {
                let az = i
                    .placement
                    .as_ref()
                    .and_then(|p| p.availability_zone.as_deref());
                learn(r.item.owner_id.as_deref(), i.vpc_id.as_deref(), az);
            }
        }
        for r in &records.subnets {
            let i = &r.item;
            if let Some(vpc) = &i.vpc_id {
                s.subnet_vpc
                    .insert(key(i.owner_id.as_deref(), &i.subnet_id), vpc.clone());
            }
        }
        let mut own = |id: &str, account: Option<&str>| {
            if let Some(a) = account {
                s.resource_account
                    .entry(id.to_string())
                    .or_insert_with(|| a.to_string());
            }
        };
        for r in &records.vpcs {
            own(&r.item.vpc_id, r.item.owner_id.as_deref());
        }
        for r in &records.subnets {
            own(&r.item.subnet_id, r.item.owner_id.as_deref());
        }
        for r in &records.network_interfaces {
            own(&r.item.network_interface_id, r.item.owner_id.as_deref());
        }
        let accounts: BTreeSet<String> = records
            .vpcs
            .iter()
            .filter_map(|r| r.item.owner_id.clone())
            .chain(
                records
                    .network_interfaces
                    .iter()
                    .filter_map(|r| r.item.owner_id.clone()),
            )
            .collect();
        let flow_named = records
            .flow_logs
            .iter()
            .filter_map(|r| r.item.resource_id.as_deref())
            .filter_map(|id| s.resource_account.get(id).cloned());
        s.flow_log_accounts = covered(files, Kind::FlowLogs, &accounts, flow_named);
        let igw_named = records
            .internet_gateways
            .iter()
            .filter_map(|r| r.item.owner_id.clone());
        s.igw_accounts = covered(files, Kind::InternetGateways, &accounts, igw_named);
        s
    }

    /// The region of a VPC of an account.
    pub fn region(&self, account: Option<&str>, vpc: Option<&str>) -> Option<&str> {
        vpc.and_then(|v| self.vpc_region.get(&key(account, v)))
            .map(String::as_str)
    }

    /// The VPC of a subnet of an account.
    pub fn subnet_vpc(&self, account: Option<&str>, subnet: &str) -> Option<&str> {
        self.subnet_vpc
            .get(&key(account, subnet))
            .map(String::as_str)
    }

    /// The account owning a VPC, subnet or network interface id.
    pub fn account_of(&self, id: &str) -> Option<&str> {
        self.resource_account.get(id).map(String::as_str)
    }

    /// Whether describe-flow-logs evidence covers the account (`None` when there is no such
    /// evidence for it).
    pub fn flow_logs_cover(&self, account: Option<&str>) -> bool {
        covers(&self.flow_log_accounts, account)
    }

    /// Whether describe-internet-gateways evidence covers the account.
    pub fn igws_cover(&self, account: Option<&str>) -> bool {
        covers(&self.igw_accounts, account)
    }
}

fn covers(set: &Option<BTreeSet<String>>, account: Option<&str>) -> bool {
    match (set, account) {
        (Some(set), Some(a)) => set.contains(a),
        _ => false,
    }
}

/// Accounts covered by the evidence of `kind`: those its records name, and every account when
/// the evidence set holds a single one (an empty export then still says "none"). `None` when no
/// file holds that kind.
fn covered(
    files: &[EvidenceFile],
    kind: Kind,
    accounts: &BTreeSet<String>,
    named: impl Iterator<Item = String>,
) -> Option<BTreeSet<String>> {
    if !files.iter().any(|f| f.kind.contains(&kind.command())) {
        return None;
    }
    let mut set: BTreeSet<String> = named.collect();
    if accounts.len() == 1 {
        set.extend(accounts.iter().cloned());
    }
    Some(set)
}

/// Whether a CIDR is the whole address space of its version.
pub fn is_world(cidr: &str) -> bool {
    cidr == "0.0.0.0/0" || cidr == "::/0"
}

/// A protocol as snapaudit names it (`tcp`, `udp`, `icmp`, `icmpv6`, `all`, `proto-N`), or the
/// raw value when AWS printed something unknown.
pub fn protocol_label(raw: &str) -> String {
    Protocol::parse(raw).map_or_else(|| raw.to_string(), Protocol::name)
}

// ------------------------------------------------------------------------- security groups

/// One source of one security group permission.
pub struct SgRule<'a> {
    /// The group.
    pub group: &'a Record<SecurityGroup>,
    /// `inbound` or `outbound`.
    pub direction: &'static str,
    /// The permission.
    pub perm: &'a IpPermission,
    /// `cidr_ipv4`, `cidr_ipv6`, `prefix_list` or `security_group`.
    pub source_type: &'static str,
    /// The CIDR, prefix list id or group id.
    pub source: &'a str,
    /// The source's description.
    pub description: Option<&'a str>,
    /// The exact record: `…/IpPermissions/N/IpRanges/M`.
    pub at: Source,
}

impl SgRule<'_> {
    /// The rule as JSON (nested in `security_groups` rows).
    pub fn to_json(&self) -> Value {
        json!({
            "direction": self.direction,
            "protocol": protocol_label(&self.perm.ip_protocol),
            "from_port": self.perm.from_port,
            "to_port": self.perm.to_port,
            "source_type": self.source_type,
            "source": self.source,
            "description": self.description,
            "open_to_world": is_world(self.source),
        })
    }
}

/// Every (permission, source) of a group, inbound then outbound, in record order.
pub fn sg_rules(group: &Record<SecurityGroup>) -> Vec<SgRule<'_>> {
    let mut out = Vec::new();
    let dirs = [
        ("inbound", "IpPermissions", &group.item.ip_permissions),
        (
            "outbound",
            "IpPermissionsEgress",
            &group.item.ip_permissions_egress,
        ),
    ];
    for (direction, field, perms) in dirs {
        for (pi, perm) in perms.iter().enumerate() {
            let base = group.source.child(field, pi);
            let mut push = |kind: &'static str, list: &str, i: usize, source, description| {
                out.push(SgRule {
                    group,
                    direction,
                    perm,
                    source_type: kind,
                    source,
                    description,
                    at: base.child(list, i),
                });
            };
            for (i, r) in perm.ip_ranges.iter().enumerate() {
                push(
                    "cidr_ipv4",
                    "IpRanges",
                    i,
                    &r.cidr_ip,
                    r.description.as_deref(),
                );
            }
            for (i, r) in perm.ipv6_ranges.iter().enumerate() {
                push(
                    "cidr_ipv6",
                    "Ipv6Ranges",
                    i,
                    &r.cidr_ipv6,
                    r.description.as_deref(),
                );
            }
            for (i, r) in perm.prefix_list_ids.iter().enumerate() {
                let d = r.description.as_deref();
                push("prefix_list", "PrefixListIds", i, &r.prefix_list_id, d);
            }
            for (i, r) in perm.user_id_group_pairs.iter().enumerate() {
                let id = r.group_id.as_deref().unwrap_or_default();
                let d = r.description.as_deref();
                push("security_group", "UserIdGroupPairs", i, id, d);
            }
        }
    }
    out
}

fn rules_json<'a>(rules: impl Iterator<Item = &'a SgRule<'a>>) -> Option<String> {
    Some(Value::Array(rules.map(SgRule::to_json).collect()).to_string())
}

/// `security_groups`: one row per group, its rules nested as `inbound` and `outbound`.
pub fn security_groups(records: &Records, scope: &Scope) -> Result<DataFrame> {
    let rows: Vec<(&Record<SecurityGroup>, Vec<SgRule>)> = records
        .security_groups
        .iter()
        .map(|g| (g, sg_rules(g)))
        .collect();
    FrameBuilder::new(&rows)
        .str("account", |(g, _)| g.item.owner_id.as_deref())
        .str("region", |(g, _)| {
            scope.region(g.item.owner_id.as_deref(), g.item.vpc_id.as_deref())
        })
        .str("group_id", |(g, _)| Some(&g.item.group_id))
        .str("group_name", |(g, _)| g.item.group_name.as_deref())
        .str("vpc_id", |(g, _)| g.item.vpc_id.as_deref())
        .bool("is_default", |(g, _)| {
            Some(g.item.group_name.as_deref() == Some("default"))
        })
        .int("inbound_permissions", |(g, _)| {
            Some(g.item.ip_permissions.len() as i64)
        })
        .int("outbound_permissions", |(g, _)| {
            Some(g.item.ip_permissions_egress.len() as i64)
        })
        .string("inbound_json", |(_, rules)| {
            rules_json(rules.iter().filter(|r| r.direction == "inbound"))
        })
        .string("outbound_json", |(_, rules)| {
            rules_json(rules.iter().filter(|r| r.direction == "outbound"))
        })
        .string("record_ref", |(g, _)| Some(source_ref(&g.source)))
        .build()
}

/// `security_group_rules`: one row per permission source.
pub fn security_group_rules(records: &Records, scope: &Scope) -> Result<DataFrame> {
    let rows: Vec<SgRule> = records.security_groups.iter().flat_map(sg_rules).collect();
    FrameBuilder::new(&rows)
        .str("account", |r| r.group.item.owner_id.as_deref())
        .str("region", |r| {
            let g = &r.group.item;
            scope.region(g.owner_id.as_deref(), g.vpc_id.as_deref())
        })
        .str("group_id", |r| Some(&r.group.item.group_id))
        .str("group_name", |r| r.group.item.group_name.as_deref())
        .str("vpc_id", |r| r.group.item.vpc_id.as_deref())
        .bool("is_default", |r| {
            Some(r.group.item.group_name.as_deref() == Some("default"))
        })
        .str("direction", |r| Some(r.direction))
        .string("protocol", |r| Some(protocol_label(&r.perm.ip_protocol)))
        .int("from_port", |r| r.perm.from_port.map(i64::from))
        .int("to_port", |r| r.perm.to_port.map(i64::from))
        .str("source_type", |r| Some(r.source_type))
        .str("source", |r| Some(r.source))
        .str("description", |r| r.description)
        .bool("open_to_world", |r| Some(is_world(r.source)))
        .string("record_ref", |r| Some(source_ref(&r.at)))
        .build()
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
        "direction": if e.egress { "outbound" } else { "inbound" },
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
            Some(if e.egress { "outbound" } else { "inbound" })
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
        .string("record_ref", |s| Some(source_ref(&s.source)))
        .build()
}

/// `vpcs`: one row per VPC; `flow_logs` says whether a flow log names the VPC, null when no
/// describe-flow-logs evidence covers its account.
pub fn vpcs(records: &Records, scope: &Scope) -> Result<DataFrame> {
    let logged: BTreeSet<&str> = records
        .flow_logs
        .iter()
        .filter_map(|f| f.item.resource_id.as_deref())
        .collect();
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
                .then(|| logged.contains(v.item.vpc_id.as_str()))
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

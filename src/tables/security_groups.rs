//! Security group tables: `security_groups` (rules nested), `security_group_rules` (one row
//! per permission source), `security_group_rule_ids` (the `sgr-` ids of
//! `describe-security-group-rules`), and [`sg_rules`], the one walk over a group's permissions
//! that the tables and the reachability adapter share.

use std::collections::HashMap;

use anyhow::Result;
use polars::prelude::*;
use serde_json::{Value, json};

use super::frame::FrameBuilder;
use super::net::{Direction, is_world, protocol_label};
use super::scope::{Key, Scope, key};
use super::source_ref;
use crate::evidence::model::{IpPermission, SecurityGroup, SecurityGroupRule};
use crate::evidence::{Record, Records, Source};

/// What a security group rule names as its peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// An `IpRanges` entry.
    CidrIpv4,
    /// An `Ipv6Ranges` entry.
    CidrIpv6,
    /// A `PrefixListIds` entry.
    PrefixList,
    /// A `UserIdGroupPairs` entry.
    SecurityGroup,
}

impl SourceKind {
    /// `cidr_ipv4`, `cidr_ipv6`, `prefix_list` or `security_group`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CidrIpv4 => "cidr_ipv4",
            Self::CidrIpv6 => "cidr_ipv6",
            Self::PrefixList => "prefix_list",
            Self::SecurityGroup => "security_group",
        }
    }
}

/// One source of one security group permission.
pub struct SgRule<'a> {
    /// The group.
    pub group: &'a Record<SecurityGroup>,
    /// Inbound or outbound.
    pub direction: Direction,
    /// The permission.
    pub perm: &'a IpPermission,
    /// What `source` names.
    pub source_kind: SourceKind,
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
            "direction": self.direction.as_str(),
            "protocol": protocol_label(&self.perm.ip_protocol),
            "from_port": self.perm.from_port,
            "to_port": self.perm.to_port,
            "source_type": self.source_kind.as_str(),
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
        (
            Direction::Inbound,
            "IpPermissions",
            &group.item.ip_permissions,
        ),
        (
            Direction::Outbound,
            "IpPermissionsEgress",
            &group.item.ip_permissions_egress,
        ),
    ];
    for (direction, field, perms) in dirs {
        for (pi, perm) in perms.iter().enumerate() {
            let base = group.source.child(field, pi);
            let mut push = |kind: SourceKind, list: &str, i: usize, source, description| {
                out.push(SgRule {
                    group,
                    direction,
                    perm,
                    source_kind: kind,
                    source,
                    description,
                    at: base.child(list, i),
                });
            };
            for (i, r) in perm.ip_ranges.iter().enumerate() {
                push(
                    SourceKind::CidrIpv4,
                    "IpRanges",
                    i,
                    &r.cidr_ip,
                    r.description.as_deref(),
                );
            }
            for (i, r) in perm.ipv6_ranges.iter().enumerate() {
                push(
                    SourceKind::CidrIpv6,
                    "Ipv6Ranges",
                    i,
                    &r.cidr_ipv6,
                    r.description.as_deref(),
                );
            }
            for (i, r) in perm.prefix_list_ids.iter().enumerate() {
                let d = r.description.as_deref();
                push(
                    SourceKind::PrefixList,
                    "PrefixListIds",
                    i,
                    &r.prefix_list_id,
                    d,
                );
            }
            for (i, r) in perm.user_id_group_pairs.iter().enumerate() {
                let id = r.group_id.as_deref().unwrap_or_default();
                let d = r.description.as_deref();
                push(SourceKind::SecurityGroup, "UserIdGroupPairs", i, id, d);
            }
        }
    }
    out
}

fn rules_json<'a>(rules: impl Iterator<Item = &'a SgRule<'a>>) -> Option<String> {
    Some(Value::Array(rules.map(SgRule::to_json).collect()).to_string())
}

/// `security_groups`: one row per group, its rules nested as `inbound` and `outbound`.
pub fn groups(records: &Records, scope: &Scope) -> Result<DataFrame> {
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
            rules_json(rules.iter().filter(|r| r.direction == Direction::Inbound))
        })
        .string("outbound_json", |(_, rules)| {
            rules_json(rules.iter().filter(|r| r.direction == Direction::Outbound))
        })
        .string("record_ref", |(g, _)| Some(source_ref(&g.source)))
        .build()
}

/// `security_group_rules`: one row per permission source.
pub fn rules(records: &Records, scope: &Scope) -> Result<DataFrame> {
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
        .str("direction", |r| Some(r.direction.as_str()))
        .string("protocol", |r| Some(protocol_label(&r.perm.ip_protocol)))
        .int("from_port", |r| r.perm.from_port.map(i64::from))
        .int("to_port", |r| r.perm.to_port.map(i64::from))
        .str("source_type", |r| Some(r.source_kind.as_str()))
        .str("source", |r| Some(r.source))
        .str("description", |r| r.description)
        .bool("open_to_world", |r| Some(is_world(r.source)))
        .string("record_ref", |r| Some(source_ref(&r.at)))
        .build()
}

/// `security_group_rule_ids`: one row per rule of `describe-security-group-rules`, with its
/// `sgr-` id; its region is that of its group's VPC (from `describe-security-groups`).
pub fn rule_ids(records: &Records, scope: &Scope) -> Result<DataFrame> {
    let group_vpc: HashMap<Key, &str> = (records.security_groups.iter())
        .filter_map(|g| {
            let vpc = g.item.vpc_id.as_deref()?;
            Some((key(g.item.owner_id.as_deref(), &g.item.group_id), vpc))
        })
        .collect();
    let region = |rule: &SecurityGroupRule| {
        let account = rule.group_owner_id.as_deref();
        let group = rule.group_id.as_deref()?;
        scope.region(account, group_vpc.get(&key(account, group)).copied())
    };
    FrameBuilder::new(&records.security_group_rules)
        .str("account", |r| r.item.group_owner_id.as_deref())
        .str("region", |r| region(&r.item))
        .str("group_id", |r| r.item.group_id.as_deref())
        .str("rule_id", |r| Some(&r.item.security_group_rule_id))
        .str("direction", |r| {
            let direction = |egress| match egress {
                true => Direction::Outbound,
                false => Direction::Inbound,
            };
            r.item.is_egress.map(|egress| direction(egress).as_str())
        })
        .string("protocol", |r| {
            r.item.ip_protocol.as_deref().map(protocol_label)
        })
        .int("from_port", |r| r.item.from_port.map(i64::from))
        .int("to_port", |r| r.item.to_port.map(i64::from))
        .str("source", |r| r.item.peer())
        .string("record_ref", |r| Some(source_ref(&r.source)))
        .build()
}

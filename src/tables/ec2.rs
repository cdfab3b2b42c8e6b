//! The `network_interfaces` table: one row per network interface.

use anyhow::Result;
use polars::prelude::*;

use super::frame::FrameBuilder;
use super::source_ref;
use crate::evidence::{Records, az_region};

/// `network_interfaces`: one row per ENI with every public address it holds.
pub fn network_interfaces(records: &Records) -> Result<DataFrame> {
    FrameBuilder::new(&records.network_interfaces)
        .str("account", |r| r.item.owner_id.as_deref())
        .str("region", |r| {
            r.item.availability_zone.as_deref().and_then(az_region)
        })
        .str("availability_zone", |r| r.item.availability_zone.as_deref())
        .str("network_interface_id", |r| {
            Some(&r.item.network_interface_id)
        })
        .str("vpc_id", |r| r.item.vpc_id.as_deref())
        .str("subnet_id", |r| r.item.subnet_id.as_deref())
        .str("interface_type", |r| r.item.interface_type.as_deref())
        .str("description", |r| r.item.description.as_deref())
        .str("status", |r| r.item.status.as_deref())
        .str("requester_id", |r| r.item.requester_id.as_deref())
        .str("instance_id", |r| {
            r.item
                .attachment
                .as_ref()
                .and_then(|a| a.instance_id.as_deref())
        })
        .str("instance_owner_id", |r| {
            r.item
                .attachment
                .as_ref()
                .and_then(|a| a.instance_owner_id.as_deref())
        })
        .str("private_ip", |r| r.item.private_ip_address.as_deref())
        .list("public_ips", |r| {
            r.item
                .public_associations()
                .into_iter()
                .filter_map(|a| a.public_ip.as_deref())
        })
        .list("elastic_ips", |r| {
            r.item
                .public_associations()
                .into_iter()
                .filter(|a| a.is_elastic())
                .filter_map(|a| a.public_ip.as_deref())
        })
        .list("eip_association_ids", |r| {
            r.item
                .public_associations()
                .into_iter()
                .filter_map(|a| a.association_id.as_deref())
        })
        .list("ipv6_addresses", |r| {
            r.item
                .ipv6_addresses
                .iter()
                .map(|a| a.ipv6_address.as_str())
        })
        .list("security_groups", |r| {
            r.item.groups.iter().map(|g| g.group_id.as_str())
        })
        .string("record_ref", |r| Some(source_ref(&r.source)))
        .build()
}

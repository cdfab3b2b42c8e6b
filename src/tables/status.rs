//! The `instance_status` table: one row per instance in `describe-instance-status`, with its
//! system and instance status checks.

use std::collections::HashMap;

use anyhow::Result;
use polars::prelude::*;

use super::frame::FrameBuilder;
use super::source_ref;
use crate::evidence::model::StatusSummary;
use crate::evidence::{Records, az_region};

/// `instance_status`: the two status checks of each instance the call listed. The call lists
/// running instances only unless made with `--include-all-instances`, so an instance missing
/// here has unknown checks, not failing ones. The account comes from `describe-instances` or
/// from an interface attached to the instance (the status call does not name it).
pub fn instance_status(records: &Records) -> Result<DataFrame> {
    let accounts = instance_accounts(records);
    let status = |s: &Option<StatusSummary>| s.as_ref().and_then(|s| s.status.clone());
    let details = |s: &Option<StatusSummary>| s.as_ref().map(StatusSummary::details_text);
    FrameBuilder::new(&records.instance_statuses)
        .str("account", |r| {
            accounts.get(r.item.instance_id.as_str()).copied()
        })
        .str("region", |r| {
            r.item.availability_zone.as_deref().and_then(az_region)
        })
        .str("availability_zone", |r| r.item.availability_zone.as_deref())
        .str("instance_id", |r| Some(&r.item.instance_id))
        .str("state", |r| {
            r.item
                .instance_state
                .as_ref()
                .and_then(|s| s.name.as_deref())
        })
        .string("system_status", |r| status(&r.item.system_status))
        .string("system_details", |r| details(&r.item.system_status))
        .string("instance_status", |r| status(&r.item.instance_status))
        .string("instance_details", |r| details(&r.item.instance_status))
        .string("record_ref", |r| Some(source_ref(&r.source)))
        .build()
}

/// Instance id → owning account, from `describe-instances` and interface attachments.
fn instance_accounts(records: &Records) -> HashMap<&str, &str> {
    let mut accounts = HashMap::new();
    for r in &records.reservations {
        if let Some(owner) = r.item.owner_id.as_deref() {
            for i in &r.item.instances {
                accounts.insert(i.instance_id.as_str(), owner);
            }
        }
    }
    for r in &records.network_interfaces {
        let i = &r.item;
        let instance = i.attachment.as_ref().and_then(|a| a.instance_id.as_deref());
        if let (Some(instance), Some(owner)) = (instance, i.owner_id.as_deref()) {
            accounts.entry(instance).or_insert(owner);
        }
    }
    accounts
}

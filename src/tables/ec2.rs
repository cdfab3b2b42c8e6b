//! The `network_interfaces` table: one row per network interface, in evidence order. It is a view
//! of the network model (every column is held by the interface's [`Eni`]), built when first
//! asked for: a scan whose rules do not read it never holds a second copy of every interface
//! (a large export holds millions). `ecs_task_network` joins only the interfaces its tasks name
//! ([`task_interfaces`]).

use std::collections::BTreeSet;

use anyhow::Result;
use compact_str::CompactString;
use polars::prelude::*;

use super::exposure::{Eni, Listing, Network};
use super::frame::FrameBuilder;
use super::{Tables, source_ref};

/// `network_interfaces`: one row per ENI with every public address it holds, in the order of
/// the evidence records.
pub fn network_interfaces(tables: &Tables) -> Result<DataFrame> {
    let network = tables.network();
    interface_frame(network, &network.enis_in_evidence_order())
}

/// The `network_interfaces` rows of the interfaces `frame`'s `account` and `eni_id` columns name
/// (each once, in the model's order): what `ecs_task_network` joins its tasks to.
pub fn task_interfaces(network: &Network, frame: &DataFrame) -> Result<DataFrame> {
    let (accounts, ids) = (
        frame.column("account")?.str()?,
        frame.column("eni_id")?.str()?,
    );
    let named: BTreeSet<usize> = (accounts.iter().zip(ids.iter()))
        .filter_map(|(account, id)| network.eni_index(account, id?))
        .collect();
    let enis: Vec<&Eni> = named.into_iter().map(|i| &network.enis[i]).collect();
    interface_frame(network, &enis)
}

/// The texts of an address list.
fn texts(values: &[CompactString]) -> impl Iterator<Item = &str> {
    values.iter().map(CompactString::as_str)
}

/// The `network_interfaces` rows of `enis`, in that order.
fn interface_frame(network: &Network, enis: &[&Eni]) -> Result<DataFrame> {
    let rows: Vec<_> = (enis.iter()).map(|&e| (e, Listing::of_eni(e))).collect();
    FrameBuilder::new(&rows)
        .str("account", |(e, _)| e.account())
        .str("region", |(e, _)| e.region())
        .str("availability_zone", |(e, _)| e.zone())
        .str("network_interface_id", |(e, _)| Some(&e.id))
        .str("vpc_id", |(e, _)| e.vpc_id())
        .str("subnet_id", |(e, _)| e.subnet_id())
        .str("interface_type", |(e, _)| e.interface_type())
        .str("description", |(e, _)| e.description.as_deref())
        .str("status", |(e, _)| e.profile.status.as_deref())
        .str("requester_id", |(e, _)| e.profile.requester_id.as_deref())
        .str("instance_id", |(e, _)| e.instance_id.as_deref())
        .str("instance_owner_id", |(e, _)| {
            e.profile.instance_owner_id.as_deref()
        })
        .str("private_ip", |(_, l)| l.private_ip.as_deref())
        .list("public_ips", |(_, l)| texts(&l.public_ips))
        .list("elastic_ips", |(_, l)| texts(&l.elastic_ips))
        .list("eip_association_ids", |(_, l)| {
            l.eip_association_ids.iter().map(String::as_str)
        })
        .list("ipv6_addresses", |(_, l)| texts(&l.ipv6))
        .list("security_groups", |(e, _)| {
            e.groups.iter().map(|g| g.as_str())
        })
        .string("record_ref", |(e, _)| {
            Some(source_ref(network.source(e.record)))
        })
        .build()
}

//! The columns of `eni_exposure` that are a function of the interface alone: written from the
//! network model when a consumer asks for them ([`ENI_EXPOSURE_COMPUTED`]), never held for every
//! row (each stored string column costs a 16-byte view per row, null or not: 16 MB per column
//! at a million interfaces). Row `i` of the view is interface `i` of the model.

use std::borrow::Cow;

use anyhow::{Result, anyhow};

use super::Eni;
use super::hops::write_hops;
use crate::tables::computed::{Computed, Write};
use crate::tables::{Tables, source_ref};

/// The interface of row `row` of `eni_exposure`.
pub(super) fn row_interface(tables: &Tables, row: usize) -> Result<&Eni> {
    (tables.network().enis.get(row)).ok_or_else(|| anyhow!("eni_exposure has no row {row}"))
}

/// `eni_exposure`'s computed columns, each after the stored column it follows.
pub const ENI_EXPOSURE_COMPUTED: &[Computed] = &[
    Computed {
        name: "region",
        after: "account",
        write: Write::Str(|t, row| Ok(row_interface(t, row)?.region())),
    },
    Computed {
        name: "vpc_id",
        after: "network_interface_id",
        write: Write::Str(|t, row| Ok(row_interface(t, row)?.vpc_id())),
    },
    Computed {
        name: "subnet_id",
        after: "network_interface_id",
        write: Write::Str(|t, row| Ok(row_interface(t, row)?.subnet_id())),
    },
    Computed {
        name: "interface_type",
        after: "network_interface_id",
        write: Write::Str(|t, row| Ok(row_interface(t, row)?.interface_type())),
    },
    Computed {
        name: "owner_type",
        after: "network_interface_id",
        write: Write::Str(|t, row| Ok(Some(row_interface(t, row)?.owner.kind.as_str()))),
    },
    Computed {
        name: "owner_id",
        after: "network_interface_id",
        write: Write::Str(|t, row| Ok(row_interface(t, row)?.owner.id.as_deref())),
    },
    Computed {
        name: "service_name",
        after: "network_interface_id",
        write: Write::Str(|t, row| Ok(row_interface(t, row)?.owner.service_name.as_deref())),
    },
    Computed {
        name: "service_arn",
        after: "network_interface_id",
        write: Write::Str(|t, row| Ok(row_interface(t, row)?.owner.service_arn.as_deref())),
    },
    Computed {
        name: "owner",
        after: "network_interface_id",
        write: Write::Text(write_owner),
    },
    Computed {
        name: "public_ips",
        after: "network_interface_id",
        write: Write::List(|t, row| Ok(addresses(&row_interface(t, row)?.public_ips))),
    },
    Computed {
        name: "ipv6_addresses",
        after: "network_interface_id",
        write: Write::List(|t, row| Ok(addresses(&row_interface(t, row)?.ipv6))),
    },
    Computed {
        name: "security_groups",
        after: "network_interface_id",
        write: Write::List(|t, row| {
            Ok((row_interface(t, row)?.groups.iter())
                .map(|g| Cow::Borrowed(g.as_str()))
                .collect())
        }),
    },
    Computed {
        name: "path_version",
        after: "reachable_v6",
        write: Write::Str(|t, row| Ok(Some(row_interface(t, row)?.primary_version().as_str()))),
    },
    Computed {
        name: "hops_json",
        after: "blocking_detail",
        write: Write::Text(write_hops),
    },
    Computed {
        name: "record_ref",
        after: "load_balancer_paths_json",
        write: Write::Text(write_record_ref),
    },
];

/// The texts of an interface's addresses.
fn addresses(ips: &[std::net::IpAddr]) -> Vec<Cow<'static, str>> {
    ips.iter().map(|ip| Cow::Owned(ip.to_string())).collect()
}

/// Writes the `owner` of row `row`: what the interface belongs to, in words.
fn write_owner(tables: &Tables, row: usize, out: &mut String) -> Result<()> {
    out.clear();
    out.push_str(&row_interface(tables, row)?.owner.describe());
    Ok(())
}

/// Writes the `record_ref` of row `row` of `eni_exposure` (interface `row` of the network), a
/// computed column: the interface's own record, as `FILE:DOCUMENT:POINTER`.
pub fn write_record_ref(tables: &Tables, row: usize, out: &mut String) -> Result<()> {
    let network = tables.network();
    out.clear();
    out.push_str(&source_ref(
        network.source(row_interface(tables, row)?.record),
    ));
    Ok(())
}

//! The `public_ip` hop: does the interface have an address of the evaluated version?

use std::net::IpAddr;

use super::super::grid::Field;
use super::super::ranges::IpVersion;
use super::super::vocab::HopKind;
use super::{Ctx, HopResult};

/// Passes when the interface has an address of the version and the query selects something.
pub(super) fn hop(ctx: &Ctx, running: &Field) -> HopResult {
    let has_address = ctx
        .iface
        .public_addresses
        .iter()
        .any(|a| IpVersion::of_addr(a) == ctx.version);
    let kind = ctx.kind(HopKind::PublicIp);
    if !has_address {
        let detail = match ctx.version {
            IpVersion::V4 => {
                "the interface has no public IPv4 address (neither Amazon-assigned nor Elastic IP)"
            }
            IpVersion::V6 => "the interface has no IPv6 address",
        };
        return ctx.all_or_nothing(kind, false, detail.to_string(), Vec::new());
    }
    if running.is_empty() {
        let detail = "the query selects no internet source, protocol or port".to_string();
        return ctx.all_or_nothing(kind, false, detail, Vec::new());
    }
    let detail = public_address_detail(ctx.version, &ctx.iface.public_addresses);
    ctx.all_or_nothing(kind, true, detail, Vec::new())
}

/// What a passing `public_ip` hop says: the interface's addresses of `version`.
pub fn public_address_detail(version: IpVersion, addresses: &[IpAddr]) -> String {
    let what = match version {
        IpVersion::V4 => "public IPv4",
        IpVersion::V6 => "IPv6",
    };
    let addrs: Vec<String> = addresses
        .iter()
        .filter(|a| IpVersion::of_addr(a) == version)
        .map(ToString::to_string)
        .collect();
    format!("the interface has {what} {}", addrs.join(", "))
}

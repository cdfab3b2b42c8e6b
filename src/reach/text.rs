//! Human-readable, deterministic descriptions for hop details.

use super::grid::{PortKind, domain, port_kind};
use super::model::PortRange;
use super::ranges::AddrSet;
use super::vocab::Protocol;

/// At most this many CIDR blocks are listed in a detail.
const MAX_CIDRS: usize = 6;

/// "tcp 22", "tcp 1024-65535", "tcp (all ports)", "icmp type 8", "proto-47", ...
pub fn describe_ports(p: Protocol, r: PortRange) -> String {
    let name = p.name();
    match port_kind(p) {
        PortKind::Point => name,
        _ if r == domain(p) => match port_kind(p) {
            PortKind::Icmp => format!("{name} (all types)"),
            _ => format!("{name} (all ports)"),
        },
        PortKind::Ports if r.from == r.to => format!("{name} {}", r.from),
        PortKind::Ports => format!("{name} {}-{}", r.from, r.to),
        PortKind::Icmp => {
            let (t1, c1, t2, c2) = (r.from / 256, r.from % 256, r.to / 256, r.to % 256);
            if r.from == r.to {
                format!("{name} type {t1} code {c1}")
            } else if c1 == 0 && c2 == 255 && t1 == t2 {
                format!("{name} type {t1}")
            } else if c1 == 0 && c2 == 255 {
                format!("{name} types {t1}-{t2}")
            } else {
                format!("{name} type/code {t1}/{c1}-{t2}/{c2}")
            }
        }
    }
}

/// Merges adjacent ranges of the same protocol and describes them, comma-separated.
///
/// `items` must be sorted by protocol, then port.
pub(super) fn describe_space(items: &[(Protocol, PortRange)]) -> String {
    let mut merged: Vec<(Protocol, PortRange)> = Vec::new();
    for &(p, r) in items {
        match merged.last_mut() {
            Some((lp, lr)) if *lp == p && u32::from(lr.to) + 1 >= u32::from(r.from) => {
                lr.to = lr.to.max(r.to);
            }
            _ => merged.push((p, r)),
        }
    }
    merged
        .iter()
        .map(|&(p, r)| describe_ports(p, r))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Describes internet sources: "every internet source" or CIDR blocks read within `base`
/// ("128.0.0.0/1" standing for its internet part).
pub fn describe_sources(set: &AddrSet, base: &AddrSet) -> String {
    let rest = base.subtract(set);
    if !set.is_empty() && !rest.is_empty() {
        let kept = set.union(&base.complement()).to_cidrs().len();
        let missing = rest.to_cidrs();
        if missing.len() <= MAX_CIDRS && missing.len() < kept {
            let list: Vec<String> = missing.iter().map(ToString::to_string).collect();
            return format!("every internet source except {}", list.join(", "));
        }
    }
    describe_set(set, base)
}

/// Describes `set` as its addresses and CIDR blocks ("10.0.1.17, 10.0.2.0/24"), a single
/// address without its prefix length.
pub(super) fn describe_addresses(set: &AddrSet) -> String {
    if set.is_empty() {
        return "no address".to_string();
    }
    let blocks: Vec<String> = (set.to_cidrs().iter())
        .map(|n| {
            if n.prefix_len() == n.max_prefix_len() {
                n.addr().to_string()
            } else {
                n.to_string()
            }
        })
        .collect();
    list_blocks(blocks)
}

/// Lists at most [`MAX_CIDRS`] blocks, counting the rest.
fn list_blocks(blocks: Vec<String>) -> String {
    if blocks.len() > MAX_CIDRS {
        format!(
            "{} and {} more blocks",
            blocks[..MAX_CIDRS].join(", "),
            blocks.len() - MAX_CIDRS
        )
    } else {
        blocks.join(", ")
    }
}

/// Describes `set` (a subset of `base`) as CIDR blocks read within `base`.
///
/// Blocks lying wholly outside `base` are used to shorten the list and then
/// dropped, so "128.0.0.0/1" stands for "the internet part of 128.0.0.0/1".
pub(super) fn describe_set(set: &AddrSet, base: &AddrSet) -> String {
    if set.is_empty() {
        return "no address".to_string();
    }
    if set.covers(base) {
        return "every internet source".to_string();
    }
    let outside = base.complement();
    let cidrs: Vec<String> = set
        .union(&outside)
        .to_cidrs()
        .iter()
        .filter(|n| !outside.covers(&AddrSet::from_cidr(n)))
        .map(ToString::to_string)
        .collect();
    list_blocks(cidrs)
}

#[cfg(test)]
mod tests {
    use super::super::ranges::IpVersion;
    use super::*;

    #[test]
    fn ports_and_sets_read_well() {
        assert_eq!(
            describe_ports(Protocol::TCP, PortRange { from: 22, to: 22 }),
            "tcp 22"
        );
        assert_eq!(
            describe_ports(
                Protocol::ICMP,
                PortRange {
                    from: 2048,
                    to: 2303
                }
            ),
            "icmp type 8"
        );
        assert_eq!(
            describe_ports(Protocol::number(47), PortRange { from: 0, to: 0 }),
            "proto-47"
        );
        assert_eq!(
            describe_space(&[
                (Protocol::TCP, PortRange { from: 0, to: 21 }),
                (Protocol::TCP, PortRange { from: 22, to: 22 }),
                (Protocol::UDP, PortRange { from: 53, to: 53 })
            ]),
            "tcp 0-22, udp 53"
        );
        let base = AddrSet::internet(IpVersion::V4);
        let half = base.intersect(&AddrSet::from_cidr(&"128.0.0.0/1".parse().unwrap()));
        assert_eq!(describe_set(&half, &base), "128.0.0.0/1");
        assert_eq!(describe_set(&base, &base), "every internet source");
        let nodes = AddrSet::from_cidrs(
            IpVersion::V4,
            &[
                "10.0.1.17/32".parse().unwrap(),
                "10.0.2.0/24".parse().unwrap(),
            ],
        );
        assert_eq!(describe_addresses(&nodes), "10.0.1.17, 10.0.2.0/24");
    }
}

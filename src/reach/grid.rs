//! The (protocol, port segment) grid, rule ranges and first-match ACL evaluation.

use std::collections::BTreeSet;

use super::model::{NaclEntry, PortRange, SgPermission};
use super::ranges::{AddrSet, IpVersion};
use super::vocab::Protocol;

/// How a protocol's "port" dimension is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PortKind {
    /// tcp/udp destination ports 0-65535.
    Ports,
    /// icmp/icmpv6 `type * 256 + code`.
    Icmp,
    /// Any other protocol: the single point 0.
    Point,
}

/// Port dimension kind of a protocol.
pub(super) fn port_kind(p: Protocol) -> PortKind {
    match p {
        Protocol::TCP | Protocol::UDP => PortKind::Ports,
        Protocol::ICMP | Protocol::ICMPV6 => PortKind::Icmp,
        _ => PortKind::Point,
    }
}

/// Whole port dimension of a protocol.
pub(super) fn domain(p: Protocol) -> PortRange {
    match port_kind(p) {
        PortKind::Point => PortRange { from: 0, to: 0 },
        _ => PortRange {
            from: 0,
            to: u16::MAX,
        },
    }
}

/// Encoded range of an ICMP (type, code) pair, -1 meaning any; `None` if invalid.
pub(super) fn icmp_range(icmp_type: i32, code: i32) -> Option<PortRange> {
    if icmp_type == -1 {
        return Some(PortRange {
            from: 0,
            to: u16::MAX,
        });
    }
    let t = u16::try_from(icmp_type).ok().filter(|t| *t <= 255)?;
    if code == -1 {
        return Some(PortRange {
            from: t * 256,
            to: t * 256 + 255,
        });
    }
    let c = u16::try_from(code).ok().filter(|c| *c <= 255)?;
    Some(PortRange {
        from: t * 256 + c,
        to: t * 256 + c,
    })
}

/// Port range of protocol `p` matched by an ACL entry; `None` if it does not match `p`.
pub(super) fn nacl_range(e: &NaclEntry, p: Protocol) -> Option<PortRange> {
    if e.protocol.is_all() {
        return Some(domain(p));
    }
    if e.protocol != p {
        return None;
    }
    match port_kind(p) {
        PortKind::Ports => match e.ports {
            None => Some(domain(p)),
            Some(r) if r.from <= r.to => Some(r),
            Some(_) => None,
        },
        PortKind::Icmp => e.icmp.map_or(Some(domain(p)), |(t, c)| icmp_range(t, c)),
        PortKind::Point => Some(domain(p)),
    }
}

/// Port range of protocol `p` admitted by a permission; `None` if it does not admit `p`.
pub(super) fn sg_range(perm: &SgPermission, p: Protocol) -> Option<PortRange> {
    if perm.protocol.is_all() {
        return Some(domain(p));
    }
    if perm.protocol != p {
        return None;
    }
    match port_kind(p) {
        PortKind::Ports => {
            let from = perm.from_port.unwrap_or(-1);
            if from == -1 {
                return Some(domain(p));
            }
            let to = match perm.to_port {
                None | Some(-1) => i32::from(u16::MAX),
                Some(t) => t,
            };
            let from = u16::try_from(from).ok()?;
            let to = u16::try_from(to).ok()?;
            (from <= to).then_some(PortRange { from, to })
        }
        PortKind::Icmp => icmp_range(perm.from_port.unwrap_or(-1), perm.to_port.unwrap_or(-1)),
        PortKind::Point => Some(domain(p)),
    }
}

/// Whether `outer` contains all of `inner`.
pub(super) fn contains_range(outer: PortRange, inner: PortRange) -> bool {
    outer.from <= inner.from && inner.to <= outer.to
}

/// Splits `within` into elementary segments at the bounds of `ranges`.
pub(super) fn segments(
    within: PortRange,
    ranges: impl IntoIterator<Item = PortRange>,
) -> Vec<PortRange> {
    let mut cuts: BTreeSet<u32> = BTreeSet::new();
    cuts.insert(u32::from(within.from));
    cuts.insert(u32::from(within.to) + 1);
    for r in ranges {
        let lo = r.from.max(within.from);
        let hi = r.to.min(within.to);
        if lo <= hi {
            cuts.insert(u32::from(lo));
            cuts.insert(u32::from(hi) + 1);
        }
    }
    let cuts: Vec<u32> = cuts.into_iter().collect();
    cuts.windows(2)
        .map(|w| PortRange {
            from: w[0] as u16,
            to: (w[1] - 1) as u16,
        })
        .collect()
}

/// Protocols with their elementary port segments.
#[derive(Debug, Clone)]
pub(super) struct Grid {
    /// (protocol, segments covering its queried port dimension in order).
    pub protos: Vec<(Protocol, Vec<PortRange>)>,
}

/// One address set per grid cell.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Field {
    /// `cells[protocol index][segment index]`.
    pub cells: Vec<Vec<AddrSet>>,
}

impl Grid {
    /// A field whose cells are computed by `f(protocol, segment)`.
    pub fn field(&self, mut f: impl FnMut(Protocol, PortRange) -> AddrSet) -> Field {
        Field {
            cells: self
                .protos
                .iter()
                .map(|(p, segs)| segs.iter().map(|s| f(*p, *s)).collect())
                .collect(),
        }
    }
}

impl Field {
    /// Cell-wise intersection.
    pub fn intersect(&self, other: &Field) -> Field {
        Field {
            cells: self
                .cells
                .iter()
                .zip(&other.cells)
                .map(|(a, b)| a.iter().zip(b).map(|(x, y)| x.intersect(y)).collect())
                .collect(),
        }
    }

    /// Whether the fields share an address in some cell: `!self.intersect(other).is_empty()`,
    /// without building the intersection.
    pub fn meets(&self, other: &Field) -> bool {
        (self.cells.iter().zip(&other.cells)).any(|(a, b)| a.iter().zip(b).any(|(x, y)| x.meets(y)))
    }

    /// Whether every cell is empty.
    pub fn is_empty(&self) -> bool {
        self.cells.iter().flatten().all(AddrSet::is_empty)
    }

    /// Union of the cells of protocol index `pi`.
    pub fn proto_addresses(&self, pi: usize, version: IpVersion) -> AddrSet {
        self.cells[pi]
            .iter()
            .fold(AddrSet::empty(version), |acc, c| acc.union(c))
    }

    /// Union of all cells.
    pub fn addresses(&self, version: IpVersion) -> AddrSet {
        (0..self.cells.len()).fold(AddrSet::empty(version), |acc, pi| {
            acc.union(&self.proto_addresses(pi, version))
        })
    }
}

/// First-match result of an ordered ACL entry list for one (protocol, segment).
pub(super) struct Decision {
    /// Addresses whose first matching entry allows.
    pub allowed: AddrSet,
    /// (entry index, addresses it decided), in evaluation order.
    pub hits: Vec<(usize, AddrSet)>,
    /// Addresses no entry matched (implicitly denied).
    pub unmatched: AddrSet,
}

/// Whether entry `e` matches every port of `seg` for protocol `p` and `version`.
pub(super) fn entry_covers(e: &NaclEntry, p: Protocol, seg: PortRange, version: IpVersion) -> bool {
    IpVersion::of_net(&e.cidr) == version
        && nacl_range(e, p).is_some_and(|r| contains_range(r, seg))
}

/// Evaluates `entries` (already in rule order) for the addresses `candidates`.
pub(super) fn first_match(
    entries: &[&NaclEntry],
    p: Protocol,
    seg: PortRange,
    candidates: &AddrSet,
) -> Decision {
    let version = candidates.version();
    let mut remaining = candidates.clone();
    let mut allowed = AddrSet::empty(version);
    let mut hits = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        if remaining.is_empty() {
            break;
        }
        if !entry_covers(e, p, seg, version) {
            continue;
        }
        let hit = remaining.intersect(&AddrSet::from_cidr(&e.cidr));
        if hit.is_empty() {
            continue;
        }
        remaining = remaining.subtract(&hit);
        if e.allow {
            allowed = allowed.union(&hit);
        }
        hits.push((i, hit));
    }
    Decision {
        allowed,
        hits,
        unmatched: remaining,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_split_at_bounds() {
        let segs = segments(
            domain(Protocol::TCP),
            [
                PortRange { from: 22, to: 22 },
                PortRange { from: 20, to: 80 },
            ],
        );
        let bounds: Vec<(u16, u16)> = segs.iter().map(|s| (s.from, s.to)).collect();
        assert_eq!(
            bounds,
            vec![(0, 19), (20, 21), (22, 22), (23, 80), (81, 65535)]
        );
    }

    #[test]
    fn icmp_encoding() {
        assert_eq!(
            icmp_range(8, -1),
            Some(PortRange {
                from: 2048,
                to: 2303
            })
        );
        assert_eq!(icmp_range(0, 0), Some(PortRange { from: 0, to: 0 }));
        assert_eq!(icmp_range(300, 0), None);
    }
}

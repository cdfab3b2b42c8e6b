//! Exact sets of IP addresses as sorted, disjoint, inclusive `u128` intervals.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::LazyLock;

use ipnet::{IpNet, Ipv4Subnets, Ipv6Subnets};

/// IP version of an address set or of an evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IpVersion {
    /// IPv4 (addresses `0..=u32::MAX`).
    V4,
    /// IPv6 (addresses `0..=u128::MAX`).
    V6,
}

impl IpVersion {
    /// Largest address of this version, as a `u128`.
    pub fn max_value(self) -> u128 {
        match self {
            Self::V4 => u128::from(u32::MAX),
            Self::V6 => u128::MAX,
        }
    }

    /// Version of a CIDR block.
    pub fn of_net(net: &IpNet) -> Self {
        match net {
            IpNet::V4(_) => Self::V4,
            IpNet::V6(_) => Self::V6,
        }
    }

    /// Version of an address.
    pub fn of_addr(addr: &IpAddr) -> Self {
        match addr {
            IpAddr::V4(_) => Self::V4,
            IpAddr::V6(_) => Self::V6,
        }
    }

    /// "IPv4" or "IPv6".
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V4 => "IPv4",
            Self::V6 => "IPv6",
        }
    }
}

/// IPv4 special-purpose ranges that are never internet sources.
///
/// The documentation ranges of RFC 5737 (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24) are
/// deliberately *not* listed: exports and examples use them to stand for public (partner) ranges,
/// and a rule admitting them must be reported as an exposure, not as a closed path.
pub const SPECIAL_V4: [&str; 11] = [
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "224.0.0.0/4",
    "240.0.0.0/4",
];

/// IPv6 global unicast space, the internet sources of IPv6.
const GLOBAL_V6: &str = "2000::/3";

fn addr_value(addr: IpAddr) -> u128 {
    match addr {
        IpAddr::V4(a) => u128::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a),
    }
}

/// An exact set of addresses of one IP version.
///
/// Binary operations require both operands to be of the same version and
/// panic otherwise (mixing versions is a programming error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddrSet {
    version: IpVersion,
    ranges: Vec<(u128, u128)>,
}

impl AddrSet {
    /// The empty set.
    pub fn empty(version: IpVersion) -> Self {
        Self {
            version,
            ranges: Vec::new(),
        }
    }

    /// Every address of the version.
    pub fn full(version: IpVersion) -> Self {
        Self {
            version,
            ranges: vec![(0, version.max_value())],
        }
    }

    /// The addresses of one CIDR block (its version decides the set's version).
    pub fn from_cidr(net: &IpNet) -> Self {
        Self {
            version: IpVersion::of_net(net),
            ranges: vec![(addr_value(net.network()), addr_value(net.broadcast()))],
        }
    }

    /// The union of the CIDR blocks of `version`; blocks of the other version are ignored.
    pub fn from_cidrs<'a>(version: IpVersion, nets: impl IntoIterator<Item = &'a IpNet>) -> Self {
        let ranges = nets
            .into_iter()
            .filter(|n| IpVersion::of_net(n) == version)
            .map(|n| (addr_value(n.network()), addr_value(n.broadcast())))
            .collect();
        Self::normalized(version, ranges)
    }

    /// Internet sources: IPv4 minus special-purpose ranges, or IPv6 global unicast (2000::/3).
    /// Both sets are worked out once per process: every hop of every evaluation asks for them.
    pub fn internet(version: IpVersion) -> Self {
        static INTERNET: LazyLock<[AddrSet; 2]> = LazyLock::new(|| {
            [
                AddrSet::compute_internet(IpVersion::V4),
                AddrSet::compute_internet(IpVersion::V6),
            ]
        });
        match version {
            IpVersion::V4 => INTERNET[0].clone(),
            IpVersion::V6 => INTERNET[1].clone(),
        }
    }

    /// [`AddrSet::internet`] from its definition.
    fn compute_internet(version: IpVersion) -> Self {
        match version {
            IpVersion::V4 => {
                let special: Vec<IpNet> =
                    SPECIAL_V4.iter().filter_map(|s| s.parse().ok()).collect();
                Self::full(version).subtract(&Self::from_cidrs(version, &special))
            }
            IpVersion::V6 => GLOBAL_V6
                .parse::<IpNet>()
                .map_or_else(|_| Self::empty(version), |n| Self::from_cidr(&n)),
        }
    }

    fn normalized(version: IpVersion, mut ranges: Vec<(u128, u128)>) -> Self {
        ranges.sort_unstable();
        let mut out: Vec<(u128, u128)> = Vec::with_capacity(ranges.len());
        for (lo, hi) in ranges {
            match out.last_mut() {
                Some(last) if lo <= last.1.saturating_add(1) => last.1 = last.1.max(hi),
                _ => out.push((lo, hi)),
            }
        }
        Self {
            version,
            ranges: out,
        }
    }

    fn check(&self, other: &Self) {
        assert_eq!(
            self.version, other.version,
            "address sets of different IP versions"
        );
    }

    /// IP version of the set.
    pub fn version(&self) -> IpVersion {
        self.version
    }

    /// The sorted, disjoint, non-adjacent inclusive intervals of the set.
    pub fn intervals(&self) -> &[(u128, u128)] {
        &self.ranges
    }

    /// Whether the set has no address.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Addresses in either set.
    pub fn union(&self, other: &Self) -> Self {
        self.check(other);
        let mut all = self.ranges.clone();
        all.extend_from_slice(&other.ranges);
        Self::normalized(self.version, all)
    }

    /// Whether the sets share an address: `!self.intersect(other).is_empty()`, without
    /// building the intersection.
    pub fn meets(&self, other: &Self) -> bool {
        self.check(other);
        let (a, b) = (&self.ranges, &other.ranges);
        let (mut i, mut j) = (0, 0);
        while i < a.len() && j < b.len() {
            if a[i].0.max(b[j].0) <= a[i].1.min(b[j].1) {
                return true;
            }
            if a[i].1 < b[j].1 {
                i += 1;
            } else {
                j += 1;
            }
        }
        false
    }

    /// Addresses in both sets.
    pub fn intersect(&self, other: &Self) -> Self {
        self.check(other);
        let (a, b) = (&self.ranges, &other.ranges);
        let (mut i, mut j) = (0, 0);
        let mut out = Vec::new();
        while i < a.len() && j < b.len() {
            let lo = a[i].0.max(b[j].0);
            let hi = a[i].1.min(b[j].1);
            if lo <= hi {
                out.push((lo, hi));
            }
            if a[i].1 < b[j].1 {
                i += 1;
            } else {
                j += 1;
            }
        }
        Self {
            version: self.version,
            ranges: out,
        }
    }

    /// Addresses of the version not in the set.
    pub fn complement(&self) -> Self {
        let max = self.version.max_value();
        let mut out = Vec::new();
        let mut next = Some(0u128);
        for &(lo, hi) in &self.ranges {
            if let Some(n) = next
                && lo > n
            {
                out.push((n, lo - 1));
            }
            next = hi.checked_add(1);
        }
        if let Some(n) = next
            && n <= max
        {
            out.push((n, max));
        }
        Self {
            version: self.version,
            ranges: out,
        }
    }

    /// Addresses in `self` but not in `other`, in one pass over both interval lists.
    pub fn subtract(&self, other: &Self) -> Self {
        self.check(other);
        let b = &other.ranges;
        let mut out = Vec::with_capacity(self.ranges.len());
        let mut j = 0;
        for &(lo, hi) in &self.ranges {
            // Intervals of `other` wholly below this one cannot cut it or any later one.
            while j < b.len() && b[j].1 < lo {
                j += 1;
            }
            let mut start = lo;
            let mut k = j;
            let mut rest = true;
            while k < b.len() && b[k].0 <= hi {
                if b[k].0 > start {
                    out.push((start, b[k].0 - 1));
                }
                match b[k].1.checked_add(1) {
                    Some(next) if next <= hi => start = start.max(next),
                    _ => {
                        rest = false;
                        break;
                    }
                }
                k += 1;
            }
            if rest {
                out.push((start, hi));
            }
        }
        Self {
            version: self.version,
            ranges: out,
        }
    }

    /// Whether the address is in the set (an address of the other version never is).
    pub fn contains(&self, addr: IpAddr) -> bool {
        if IpVersion::of_addr(&addr) != self.version {
            return false;
        }
        let v = addr_value(addr);
        let idx = self.ranges.partition_point(|&(_, hi)| hi < v);
        self.ranges.get(idx).is_some_and(|&(lo, _)| lo <= v)
    }

    /// Whether every address of `other` is in `self`: each interval of `other` lies within one
    /// of `self`'s (they are disjoint and non-adjacent), checked without building a set.
    pub fn covers(&self, other: &Self) -> bool {
        self.check(other);
        let mut i = 0;
        other.ranges.iter().all(|&(lo, hi)| {
            while i < self.ranges.len() && self.ranges[i].1 < lo {
                i += 1;
            }
            self.ranges.get(i).is_some_and(|&(a, b)| a <= lo && hi <= b)
        })
    }

    /// The minimal list of CIDR blocks whose union is exactly the set.
    pub fn to_cidrs(&self) -> Vec<IpNet> {
        let mut out = Vec::new();
        for &(lo, hi) in &self.ranges {
            match self.version {
                IpVersion::V4 => out.extend(
                    Ipv4Subnets::new(Ipv4Addr::from(lo as u32), Ipv4Addr::from(hi as u32), 0)
                        .map(IpNet::V4),
                ),
                IpVersion::V6 => out.extend(
                    Ipv6Subnets::new(Ipv6Addr::from(lo), Ipv6Addr::from(hi), 0).map(IpNet::V6),
                ),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> IpNet {
        s.parse().unwrap()
    }

    #[test]
    fn set_algebra_and_cidrs() {
        let a = AddrSet::from_cidr(&net("10.0.0.0/8"));
        let b = AddrSet::from_cidr(&net("10.128.0.0/9"));
        let d = a.subtract(&b);
        assert_eq!(d.to_cidrs(), vec![net("10.0.0.0/9")]);
        assert_eq!(d.union(&b), a);
        assert!(a.covers(&b) && !b.covers(&a));
        assert!(d.intersect(&b).is_empty());
        assert!(a.contains("10.1.2.3".parse().unwrap()));
        assert!(!a.contains("11.0.0.0".parse().unwrap()));
        assert!(!a.contains("::1".parse().unwrap()));
        let full = AddrSet::full(IpVersion::V4);
        assert_eq!(full.to_cidrs(), vec![net("0.0.0.0/0")]);
        assert!(full.complement().is_empty());
        assert_eq!(full.complement().complement(), full);
        let v6 = AddrSet::full(IpVersion::V6);
        assert_eq!(v6.to_cidrs(), vec![net("::/0")]);
        assert_eq!(
            v6.subtract(&AddrSet::from_cidr(&net("::/1"))).to_cidrs(),
            vec![net("8000::/1")]
        );
    }

    /// `subtract`, `covers` and `meets` walk the intervals directly; they must agree with their
    /// definitions through `complement` on sets that touch, nest, overlap and reach the ends.
    #[test]
    fn subtract_and_covers_match_their_definitions() {
        let cases: [&[(u128, u128)]; 7] = [
            &[],
            &[(0, u128::from(u32::MAX))],
            &[(0, 9), (20, 29), (40, 49)],
            &[(5, 24), (45, 60)],
            &[(10, 19), (30, 39), (50, u128::from(u32::MAX))],
            &[(0, 0), (9, 20), (29, 40)],
            &[(25, 26), (100, 200)],
        ];
        let set = |r: &[(u128, u128)]| AddrSet::normalized(IpVersion::V4, r.to_vec());
        for a in cases {
            for b in cases {
                let (a, b) = (set(a), set(b));
                assert_eq!(
                    a.subtract(&b),
                    a.intersect(&b.complement()),
                    "{a:?} - {b:?}"
                );
                assert_eq!(a.covers(&b), b.intersect(&a.complement()).is_empty());
                assert_eq!(a.meets(&b), !a.intersect(&b).is_empty());
            }
        }
    }

    #[test]
    fn internet_excludes_special_ranges() {
        let i4 = AddrSet::internet(IpVersion::V4);
        assert!(i4.contains("8.8.8.8".parse().unwrap()));
        assert!(!i4.contains("192.168.1.1".parse().unwrap()));
        assert!(!i4.contains("255.255.255.255".parse().unwrap()));
        let i6 = AddrSet::internet(IpVersion::V6);
        assert_eq!(i6.to_cidrs(), vec![net("2000::/3")]);
    }
}

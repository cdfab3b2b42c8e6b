//! Property test: the range engine agrees with a brute-force per-packet evaluator, on the
//! direct path and on the load balancer → target leg.

use std::net::{IpAddr, Ipv4Addr};

use ipnet::{IpNet, Ipv4Net};
use proptest::prelude::*;
use snapaudit::reach::{
    AddrSet, Evaluation, Igw, Interface, IpVersion, Nacl, NaclEntry, PortRange, Protocol, Query,
    Reachable, RecordId, Route, RouteDest, RouteTable, SPECIAL_V4, SecurityGroup, SgPermission,
    SgSource, Sources, evaluate, evaluate_target,
};

/// Random CIDRs clustered on a few first octets so that rules overlap.
fn cidr() -> impl Strategy<Value = Ipv4Net> {
    (
        prop::sample::select(vec![0u32, 8, 10, 52, 127, 128, 192, 200, 255]),
        any::<u32>(),
        prop::sample::select(vec![0u8, 1, 2, 3, 6, 8, 9, 16, 24, 31, 32]),
    )
        .prop_map(|(octet, rest, len)| {
            let addr = (octet << 24) | (rest & 0x00ff_ffff);
            Ipv4Net::new(Ipv4Addr::from(addr), len).unwrap().trunc()
        })
}

fn port_range() -> impl Strategy<Value = PortRange> {
    prop_oneof![
        prop::sample::select(vec![
            (0u16, 1023u16),
            (1024, 65535),
            (22, 22),
            (20, 25),
            (1000, 2000),
            (30000, 40000),
            (0, 65535),
        ])
        .prop_map(|(from, to)| PortRange { from, to }),
        (0u16..3000, 0u16..200).prop_map(|(from, len)| PortRange {
            from,
            to: from.saturating_add(len),
        }),
    ]
}

/// Generic routing encapsulation: a protocol without ports.
const GRE: Protocol = Protocol::number(47);

fn protocol() -> impl Strategy<Value = Protocol> {
    prop::sample::select(vec![
        Protocol::ALL,
        Protocol::TCP,
        Protocol::TCP,
        Protocol::UDP,
        Protocol::ICMP,
        GRE,
    ])
}

fn icmp_pair() -> impl Strategy<Value = (i32, i32)> {
    (
        prop::sample::select(vec![-1, 0, 3, 8]),
        prop::sample::select(vec![-1, 0, 1]),
    )
}

fn nacl_entry() -> impl Strategy<Value = NaclEntry> {
    (
        1i64..300,
        any::<bool>(),
        any::<bool>(),
        protocol(),
        cidr(),
        prop::option::of(port_range()),
        prop::option::of(icmp_pair()),
        any::<u32>(),
    )
        .prop_map(
            |(rule_number, egress, allow, protocol, net, ports, icmp, record)| NaclEntry {
                rule_number,
                egress,
                allow,
                protocol,
                cidr: IpNet::V4(net),
                ports,
                icmp,
                record: RecordId(record),
            },
        )
}

fn route() -> impl Strategy<Value = Route> {
    (
        cidr(),
        prop::sample::select(vec!["igw-1", "igw-1", "igw-2", "nat-1", "local", "pcx-1"]),
        prop::bool::weighted(0.15),
    )
        .prop_map(|(net, target, blackhole)| Route {
            dest: RouteDest::Cidr(IpNet::V4(net)),
            target: target.to_string(),
            blackhole,
            record: RecordId(0),
        })
}

fn permission() -> impl Strategy<Value = SgPermission> {
    (
        protocol(),
        port_range(),
        icmp_pair(),
        prop_oneof![
            4 => cidr().prop_map(|n| SgSource::Cidr(IpNet::V4(n))),
            1 => prop::sample::select(vec!["sg-other", "sg-lb"])
                .prop_map(|g| SgSource::Group(g.to_string())),
        ],
    )
        .prop_map(|(protocol, ports, icmp, source)| {
            let (from, to) = match protocol {
                Protocol::ICMP => icmp,
                Protocol::TCP | Protocol::UDP => (i32::from(ports.from), i32::from(ports.to)),
                _ => (-1, -1),
            };
            SgPermission {
                protocol,
                from_port: Some(from),
                to_port: Some(to),
                source,
                record: RecordId(0),
            }
        })
}

/// A sampled packet: source address, protocol, port (icmp: type * 256 + code).
fn packet() -> impl Strategy<Value = (u32, Protocol, u16)> {
    (
        prop_oneof![
            any::<u32>(),
            (
                prop::sample::select(vec![0u32, 8, 10, 52, 127, 128, 192, 200, 255]),
                any::<u32>()
            )
                .prop_map(|(o, r)| (o << 24) | (r & 0x00ff_ffff)),
        ],
        prop::sample::select(vec![Protocol::TCP, Protocol::UDP, Protocol::ICMP, GRE]),
        prop_oneof![
            prop::sample::select(vec![0u16, 22, 25, 26, 1023, 1024, 2000, 2001, 65535]),
            any::<u16>(),
            (prop::sample::select(vec![0u16, 3, 8]), 0u16..3).prop_map(|(t, c)| t * 256 + c),
        ],
    )
}

fn contains(net: &IpNet, a: u32) -> bool {
    net.contains(&IpAddr::V4(Ipv4Addr::from(a)))
}

/// The brute force's notion of an internet source: outside the special-purpose ranges.
fn is_internet(a: u32) -> bool {
    !SPECIAL_V4
        .iter()
        .any(|s| contains(&s.parse::<IpNet>().unwrap(), a))
}

fn icmp_matches(t: i32, c: i32, port: u16) -> bool {
    (t == -1 || t == i32::from(port / 256)) && (t == -1 || c == -1 || c == i32::from(port % 256))
}

/// First-match decision of the sorted ACL for one packet direction.
fn acl_allows(entries: &[NaclEntry], egress: bool, a: u32, p: Protocol, port: u16) -> bool {
    let mut sorted: Vec<&NaclEntry> = entries.iter().filter(|e| e.egress == egress).collect();
    sorted.sort_by_key(|e| e.rule_number);
    for e in sorted {
        if !contains(&e.cidr, a) || (!e.protocol.is_all() && e.protocol != p) {
            continue;
        }
        let port_ok = e.protocol.is_all()
            || match p {
                Protocol::TCP | Protocol::UDP => {
                    e.ports.is_none_or(|r| r.from <= port && port <= r.to)
                }
                Protocol::ICMP => e.icmp.is_none_or(|(t, c)| icmp_matches(t, c, port)),
                _ => true,
            };
        if port_ok {
            return e.allow;
        }
    }
    false
}

/// Whether some ephemeral reply port is allowed out. The first-match decision
/// only changes at entry port bounds, so those points (and 1024) suffice.
fn reply_allowed(entries: &[NaclEntry], a: u32, p: Protocol) -> bool {
    match p {
        Protocol::TCP | Protocol::UDP => {
            let mut points = vec![1024u32];
            for e in entries.iter().filter(|e| e.egress) {
                if let Some(r) = e.ports {
                    points.push(u32::from(r.from));
                    points.push(u32::from(r.to) + 1);
                }
            }
            points
                .into_iter()
                .filter(|x| (1024..=65535).contains(x))
                .any(|x| acl_allows(entries, true, a, p, x as u16))
        }
        _ => acl_allows(entries, true, a, p, 0),
    }
}

fn route_ok(routes: &[Route], a: u32) -> bool {
    let mut best: Option<&Route> = None;
    for r in routes {
        let RouteDest::Cidr(n) = &r.dest else {
            continue;
        };
        let len = n.prefix_len();
        let better = best.is_none_or(|b| match &b.dest {
            RouteDest::Cidr(bn) => len > bn.prefix_len(),
            RouteDest::PrefixList { .. } => true,
        });
        if contains(n, a) && better {
            best = Some(r);
        }
    }
    // igw-1 is attached to the VPC; igw-2 is detached.
    best.is_some_and(|r| r.target == "igw-1" && !r.blackhole)
}

/// Whether a permission admits source `a`, carrying security groups `groups`, on (`p`, `port`).
fn sg_admits(perms: &[SgPermission], groups: &[String], a: u32, p: Protocol, port: u16) -> bool {
    perms.iter().any(|perm| {
        let source_ok = match &perm.source {
            SgSource::Cidr(n) => contains(n, a),
            SgSource::Group(g) => groups.contains(g),
            SgSource::PrefixList { .. } => false,
        };
        if !source_ok || (!perm.protocol.is_all() && perm.protocol != p) {
            return false;
        }
        if perm.protocol.is_all() {
            return true;
        }
        let (from, to) = (perm.from_port.unwrap(), perm.to_port.unwrap());
        match p {
            Protocol::TCP | Protocol::UDP => {
                from == -1 || (from <= i32::from(port) && i32::from(port) <= to)
            }
            Protocol::ICMP => icmp_matches(from, to, port),
            _ => true,
        }
    })
}

fn brute_force(
    routes: &[Route],
    acl: &[NaclEntry],
    perms: &[SgPermission],
    (a, p, port): (u32, Protocol, u16),
) -> bool {
    is_internet(a) && route_ok(routes, a) && filters_admit(acl, perms, &[], (a, p, port))
}

/// The ACL in, the ACL out and the groups, for one packet from a source carrying `groups`.
fn filters_admit(
    acl: &[NaclEntry],
    perms: &[SgPermission],
    groups: &[String],
    (a, p, port): (u32, Protocol, u16),
) -> bool {
    acl_allows(acl, false, a, p, port)
        && reply_allowed(acl, a, p)
        && sg_admits(perms, groups, a, p, port)
}

/// An entry each way for every protocol from 0.0.0.0/0.
fn acl_backstop(rule_number: i64, allow: bool) -> [NaclEntry; 2] {
    [false, true].map(|egress| NaclEntry {
        rule_number,
        egress,
        allow,
        protocol: Protocol::ALL,
        cidr: "0.0.0.0/0".parse().unwrap(),
        ports: None,
        icmp: None,
        record: RecordId(0),
    })
}

/// The exposures are non-empty subsets of `base`, sorted, disjoint and maximal per protocol,
/// and say whether they cover `base`.
fn check_exposures(eval: &Evaluation, base: &AddrSet) -> Result<(), TestCaseError> {
    // Evidence is complete: nothing is indeterminate.
    prop_assert!(eval.exposed.iter().all(|x| !x.indeterminate));
    prop_assert_eq!(eval.reachable == Reachable::Yes, !eval.exposed.is_empty());
    for x in &eval.exposed {
        prop_assert!(!x.sources.is_empty());
        prop_assert!(base.covers(&x.sources));
        prop_assert_eq!(x.whole_internet, x.sources == *base);
    }
    for w in eval.exposed.windows(2) {
        if w[0].protocol == w[1].protocol {
            prop_assert!(w[0].ports.to < w[1].ports.from);
            prop_assert!(
                u32::from(w[0].ports.to) + 1 < u32::from(w[1].ports.from)
                    || w[0].sources != w[1].sources
            );
        }
    }
    Ok(())
}

/// Each packet is exposed exactly when `expected` says so (packets of protocol 47 only when
/// a rule names it: otherwise the engine folds it into no grid row).
fn check_packets(
    eval: &Evaluation,
    packets: &[(u32, Protocol, u16)],
    gre_named: bool,
    expected: impl Fn((u32, Protocol, u16)) -> bool,
) -> Result<(), TestCaseError> {
    for &(a, p, raw_port) in packets {
        if p == GRE && !gre_named {
            continue;
        }
        let port = if p == GRE { 0 } else { raw_port };
        let addr = IpAddr::V4(Ipv4Addr::from(a));
        let got = eval.exposed.iter().any(|x| {
            x.protocol == p
                && x.ports.from <= port
                && port <= x.ports.to
                && x.sources.contains(addr)
        });
        prop_assert_eq!(
            got,
            expected((a, p, port)),
            "packet {} proto {} port {}",
            addr,
            p.name(),
            port
        );
    }
    Ok(())
}

fn names_gre(acl: &[NaclEntry], perms: &[SgPermission]) -> bool {
    acl.iter().any(|e| e.protocol == GRE) || perms.iter().any(|p| p.protocol == GRE)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn engine_matches_brute_force(
        mut routes in prop::collection::vec(route(), 0..5),
        mut acl in prop::collection::vec(nacl_entry(), 0..9),
        default_deny in any::<bool>(),
        mut perms in prop::collection::vec(permission(), 0..6),
        backstops in (prop::bool::weighted(0.7), prop::bool::weighted(0.7), prop::bool::weighted(0.3)),
        low_replies in prop::option::of((prop::sample::select(vec![Protocol::TCP, Protocol::UDP]), cidr())),
        packets in prop::collection::vec(packet(), 300),
    ) {
        // Permissive backstops make exposures common, so partial denials are tested.
        let (default_route, allow_rest, open_tcp) = backstops;
        if default_route {
            routes.push(Route {
                dest: RouteDest::Cidr("0.0.0.0/0".parse().unwrap()),
                target: "igw-1".into(),
                blackhole: false,
                record: RecordId(0),
            });
        }
        if allow_rest {
            acl.extend(acl_backstop(1000, true));
        }
        // Outbound allowing only low ports to part of the space, then denying.
        if let Some((p, net)) = low_replies {
            for (rule_number, allow, protocol, ports) in
                [(2, true, p, Some(PortRange { from: 0, to: 1023 })), (3, false, p, None)]
            {
                acl.push(NaclEntry {
                    rule_number,
                    egress: true,
                    allow,
                    protocol,
                    cidr: IpNet::V4(net),
                    ports,
                    icmp: None,
                    record: RecordId(0),
                });
            }
        }
        if open_tcp {
            perms.push(SgPermission {
                protocol: Protocol::TCP,
                from_port: Some(0),
                to_port: Some(65535),
                source: SgSource::Cidr("0.0.0.0/0".parse().unwrap()),
                record: RecordId(0),
            });
        }
        if default_deny {
            acl.extend(acl_backstop(32767, false));
        }
        let table = RouteTable { id: "rtb-1".into(), main: true, routes: routes.clone(), unreadable: Vec::new(), record: RecordId(0) };
        let igws = vec![
            Igw { id: "igw-1".into(), available_vpcs: vec!["vpc-1".into()], record: RecordId(0) },
            Igw { id: "igw-2".into(), available_vpcs: vec![], record: RecordId(0) },
        ];
        let nacl = Nacl { id: "acl-1".into(), entries: acl.clone(), unreadable: Vec::new(), record: RecordId(0) };
        let sg = SecurityGroup { id: "sg-1".into(), inbound: perms.clone(), unreadable: Vec::new(), record: RecordId(0) };
        let iface = Interface {
            vpc_id: "vpc-1",
            public_addresses: vec!["3.3.3.3".parse().unwrap()],
            route_table: Some(&table),
            igws: &igws,
            igw_evidence: true,
            nacl: Some(&nacl),
            groups: vec![("sg-1", Some(&sg))],
        };
        let eval = evaluate(&iface, IpVersion::V4, &Query::default());
        check_exposures(&eval, &AddrSet::internet(IpVersion::V4))?;
        check_packets(&eval, &packets, names_gre(&acl, &perms), |packet| {
            brute_force(&routes, &acl, &perms, packet)
        })?;
    }

    #[test]
    fn target_leg_matches_brute_force(
        mut acl in prop::collection::vec(nacl_entry(), 0..9),
        backstops in (prop::bool::weighted(0.6), any::<bool>()),
        perms in prop::collection::vec(permission(), 0..6),
        source_blocks in prop::collection::vec(cidr(), 1..4),
        carried in prop::sample::subsequence(vec!["sg-lb", "sg-x"], 0..=2),
        packets in prop::collection::vec(packet(), 300),
    ) {
        let (allow_rest, default_deny) = backstops;
        if allow_rest {
            acl.extend(acl_backstop(1000, true));
        }
        if default_deny {
            acl.extend(acl_backstop(32767, false));
        }
        let blocks: Vec<IpNet> = source_blocks.into_iter().map(IpNet::V4).collect();
        let sources = Sources {
            addresses: AddrSet::from_cidrs(IpVersion::V4, &blocks),
            groups: carried.into_iter().map(String::from).collect(),
        };
        let nacl = Nacl { id: "acl-1".into(), entries: acl.clone(), unreadable: Vec::new(), record: RecordId(0) };
        let sg = SecurityGroup { id: "sg-t".into(), inbound: perms.clone(), unreadable: Vec::new(), record: RecordId(0) };
        let target = Interface {
            vpc_id: "vpc-1",
            public_addresses: Vec::new(),
            route_table: None,
            igws: &[],
            igw_evidence: false,
            nacl: Some(&nacl),
            groups: vec![("sg-t", Some(&sg))],
        };
        let eval = evaluate_target(&target, IpVersion::V4, &Query::default(), &sources);
        check_exposures(&eval, &sources.addresses)?;
        check_packets(&eval, &packets, names_gre(&acl, &perms), |(a, p, port)| {
            sources.addresses.contains(IpAddr::V4(Ipv4Addr::from(a)))
                && filters_admit(&acl, &perms, &sources.groups, (a, p, port))
        })?;
    }
}

//! Unit tests of the hops and of the exposure computation.

use std::net::IpAddr;

use ipnet::IpNet;

use super::*;

fn net(s: &str) -> IpNet {
    s.parse().unwrap()
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn route(dest: &str, target: &str, record: u32) -> Route {
    Route {
        dest: RouteDest::Cidr(net(dest)),
        target: target.to_string(),
        blackhole: false,
        record,
    }
}

fn table(routes: Vec<Route>) -> RouteTable {
    RouteTable {
        id: "rtb-1".to_string(),
        main: false,
        routes,
        record: 1,
    }
}

fn entry(rule: i64, egress: bool, allow: bool, protocol: i32, cidr: &str) -> NaclEntry {
    NaclEntry {
        rule_number: rule,
        egress,
        allow,
        protocol,
        cidr: net(cidr),
        ports: None,
        icmp: None,
        record: 1000 + u32::try_from(rule).unwrap() + if egress { 50_000 } else { 0 },
    }
}

fn ports(mut e: NaclEntry, from: u16, to: u16) -> NaclEntry {
    e.ports = Some(PortRange { from, to });
    e
}

/// Allows everything both ways, then the default deny.
fn open_acl() -> Vec<NaclEntry> {
    let mut v = Vec::new();
    for egress in [false, true] {
        for cidr in ["0.0.0.0/0", "::/0"] {
            v.push(entry(100, egress, true, -1, cidr));
            v.push(entry(32767, egress, false, -1, cidr));
        }
    }
    v
}

fn nacl(entries: Vec<NaclEntry>) -> Nacl {
    Nacl {
        id: "acl-1".to_string(),
        entries,
        record: 2,
    }
}

fn perm(protocol: i32, from: i32, to: i32, source: SgSource, record: u32) -> SgPermission {
    SgPermission {
        protocol,
        from_port: Some(from),
        to_port: Some(to),
        source,
        record,
    }
}

fn cidr_src(s: &str) -> SgSource {
    SgSource::Cidr(net(s))
}

fn group(id: &str, inbound: Vec<SgPermission>) -> SecurityGroup {
    SecurityGroup {
        id: id.to_string(),
        inbound,
        record: 3,
    }
}

fn igw(attached: bool) -> Vec<Igw> {
    vec![Igw {
        id: "igw-1".to_string(),
        available_vpcs: if attached {
            vec!["vpc-1".to_string()]
        } else {
            Vec::new()
        },
        record: 4,
    }]
}

/// Owns everything an [`Interface`] borrows.
struct Fixture {
    addrs: Vec<IpAddr>,
    table: Option<RouteTable>,
    igws: Vec<Igw>,
    igw_evidence: bool,
    nacl: Option<Nacl>,
    groups: Vec<(String, Option<SecurityGroup>)>,
}

impl Fixture {
    /// An interface open to ssh from anywhere (v4 and v6).
    fn open() -> Self {
        Fixture {
            addrs: vec![ip("3.3.3.3"), ip("2600:1f18::1")],
            table: Some(table(vec![
                route("10.0.0.0/16", "local", 10),
                route("0.0.0.0/0", "igw-1", 11),
                route("::/0", "igw-1", 12),
            ])),
            igws: igw(true),
            igw_evidence: true,
            nacl: Some(nacl(open_acl())),
            groups: vec![(
                "sg-a".to_string(),
                Some(group(
                    "sg-a",
                    vec![
                        perm(6, 22, 22, cidr_src("0.0.0.0/0"), 20),
                        perm(6, 22, 22, cidr_src("::/0"), 21),
                    ],
                )),
            )],
        }
    }

    fn eval(&self, version: IpVersion, query: &Query) -> Evaluation {
        let iface = Interface {
            vpc_id: "vpc-1",
            public_addresses: self.addrs.clone(),
            route_table: self.table.as_ref(),
            igws: &self.igws,
            igw_evidence: self.igw_evidence,
            nacl: self.nacl.as_ref(),
            groups: self
                .groups
                .iter()
                .map(|(id, g)| (id.as_str(), g.as_ref()))
                .collect(),
        };
        evaluate(&iface, version, query)
    }
}

fn v4(f: &Fixture) -> Evaluation {
    f.eval(IpVersion::V4, &Query::default())
}

fn ssh() -> Query {
    Query {
        protocol: Some(6),
        port: Some(22),
        from: None,
    }
}

fn hop<'a>(e: &'a Evaluation, name: &str) -> &'a Hop {
    e.hops.iter().find(|h| h.hop == name).unwrap()
}

fn verdicts(e: &Evaluation) -> Vec<&'static str> {
    e.hops.iter().map(|h| h.verdict.as_str()).collect()
}

#[test]
fn open_interface_exposes_ssh_to_whole_internet() {
    let e = v4(&Fixture::open());
    assert_eq!(e.reachable, Reachable::Yes);
    assert_eq!(verdicts(&e), ["pass"; 6]);
    assert_eq!(e.exposed.len(), 1);
    let x = &e.exposed[0];
    assert_eq!((x.protocol, x.ports), (6, PortRange { from: 22, to: 22 }));
    assert!(x.whole_internet && !x.indeterminate);
    assert_eq!(x.sources, AddrSet::internet(IpVersion::V4));
    assert_eq!(
        hop(&e, "route").detail,
        "rtb-1 (explicitly associated with the subnet) sends 0.0.0.0/0 to igw-1"
    );
    assert_eq!(hop(&e, "route").records, vec![1, 11]);
    assert_eq!(
        hop(&e, "security_group").detail,
        "sg-a admits tcp 22 from 0.0.0.0/0"
    );
    assert_eq!(hop(&e, "security_group").records, vec![3, 20]);
    assert!(e.blocking_hop().is_none());
}

#[test]
fn no_public_ip_fails_first_hop_but_later_hops_are_evaluated() {
    let mut f = Fixture::open();
    f.addrs = vec![ip("2600:1f18::1")];
    let e = v4(&f);
    assert_eq!(e.reachable, Reachable::No);
    assert_eq!(
        verdicts(&e),
        ["fail", "pass", "pass", "pass", "pass", "pass"]
    );
    assert_eq!(e.blocking_hop().unwrap().hop, "public_ip");
    assert!(e.exposed.is_empty());
    assert!(
        hop(&e, "public_ip")
            .detail
            .contains("no public IPv4 address")
    );
}

#[test]
fn private_subnet_routes_to_nat() {
    let mut f = Fixture::open();
    f.table = Some(table(vec![
        route("10.0.0.0/16", "local", 10),
        route("0.0.0.0/0", "nat-9", 11),
    ]));
    let e = v4(&f);
    assert_eq!(e.reachable, Reachable::No);
    let r = hop(&e, "route");
    assert_eq!(r.verdict, Verdict::Fail);
    assert_eq!(
        r.detail,
        "rtb-1 (explicitly associated with the subnet) has no route to an internet gateway: 0.0.0.0/0 → nat-9"
    );
    assert_eq!(e.blocking_hop().unwrap().hop, "route");
    assert_eq!(hop(&e, "internet_gateway").verdict, Verdict::Fail);
}

#[test]
fn blackhole_route_fails() {
    let mut f = Fixture::open();
    let mut t = table(vec![route("0.0.0.0/0", "igw-1", 11)]);
    t.routes[0].blackhole = true;
    t.main = true;
    f.table = Some(t);
    let e = v4(&f);
    let r = hop(&e, "route");
    assert_eq!(r.verdict, Verdict::Fail);
    assert_eq!(
        r.detail,
        "rtb-1 (main table of vpc-1): 0.0.0.0/0 → igw-1 is a blackhole route"
    );
    assert_eq!(e.reachable, Reachable::No);
}

#[test]
fn detached_absent_and_unknown_igw() {
    let mut f = Fixture::open();
    f.igws = igw(false);
    let e = v4(&f);
    let g = hop(&e, "internet_gateway");
    assert_eq!(g.verdict, Verdict::Fail);
    assert!(
        g.detail
            .contains("igw-1 is not attached to vpc-1 (detached)")
    );
    assert_eq!(g.records, vec![4]);
    assert_eq!(e.reachable, Reachable::No);

    f.igws = Vec::new();
    let e = v4(&f);
    let g = hop(&e, "internet_gateway");
    assert_eq!(g.verdict, Verdict::Fail);
    assert!(g.detail.contains("igw-1 (named by the route) is not among"));
    assert!(
        !g.records.is_empty(),
        "the route naming the absent gateway is cited"
    );

    f.igw_evidence = false;
    let e = v4(&f);
    assert_eq!(hop(&e, "internet_gateway").verdict, Verdict::Indeterminate);
    assert_eq!(e.reachable, Reachable::Indeterminate);
    assert!(e.exposed.iter().all(|x| x.indeterminate));
    assert_eq!(e.exposed.len(), 1);
}

#[test]
fn acl_deny_before_allow() {
    let mut f = Fixture::open();
    let mut entries = open_acl();
    entries.push(ports(entry(50, false, false, 6, "0.0.0.0/0"), 22, 22));
    f.nacl = Some(nacl(entries));
    let e = f.eval(IpVersion::V4, &ssh());
    let n = hop(&e, "nacl_inbound");
    assert_eq!(n.verdict, Verdict::Fail);
    assert_eq!(
        n.detail,
        "acl-1: rule 50 denies tcp 22 from 0.0.0.0/0 before rule 100 allows it"
    );
    assert_eq!(n.records, vec![2, 1050]);
    assert_eq!(e.blocking_hop().unwrap().hop, "nacl_inbound");
    assert_eq!(e.reachable, Reachable::No);
    // Other ports are unaffected.
    let e = f.eval(IpVersion::V4, &Query::default());
    assert_eq!(e.reachable, Reachable::No);
    assert_eq!(hop(&e, "nacl_inbound").verdict, Verdict::Pass);
    assert_eq!(hop(&e, "security_group").verdict, Verdict::Fail);
}

#[test]
fn acl_outbound_allowing_only_low_ports_blocks_replies() {
    let mut f = Fixture::open();
    let mut entries: Vec<NaclEntry> = open_acl().into_iter().filter(|e| !e.egress).collect();
    entries.push(ports(entry(100, true, true, 6, "0.0.0.0/0"), 0, 1023));
    entries.push(entry(32767, true, false, -1, "0.0.0.0/0"));
    f.nacl = Some(nacl(entries));
    let e = f.eval(IpVersion::V4, &ssh());
    let n = hop(&e, "nacl_outbound");
    assert_eq!(n.verdict, Verdict::Fail);
    assert_eq!(
        n.detail,
        "acl-1: replies to tcp clients on ports 1024-65535 are denied (rule 32767); only 0-1023 allowed by rule 100"
    );
    assert_eq!(e.reachable, Reachable::No);
}

#[test]
fn sg_admitting_only_another_group() {
    let mut f = Fixture::open();
    f.groups = vec![(
        "sg-a".to_string(),
        Some(group(
            "sg-a",
            vec![perm(6, 22, 22, SgSource::Group("sg-c".to_string()), 20)],
        )),
    )];
    let e = f.eval(IpVersion::V4, &ssh());
    let s = hop(&e, "security_group");
    assert_eq!(s.verdict, Verdict::Fail);
    assert_eq!(
        s.detail,
        "sg-a admits no internet source on tcp 22 (sg-a admits only sg-c)"
    );
    assert_eq!(s.records, vec![3, 20]);
    assert_eq!(e.reachable, Reachable::No);
}

#[test]
fn ipv6_only_exposure() {
    let mut f = Fixture::open();
    f.addrs = vec![ip("2600:1f18::1")];
    f.table = Some(table(vec![route("::/0", "igw-1", 12)]));
    let e4 = v4(&f);
    assert_eq!(e4.reachable, Reachable::No);
    let e6 = f.eval(IpVersion::V6, &Query::default());
    assert_eq!(e6.reachable, Reachable::Yes);
    assert_eq!(e6.exposed.len(), 1);
    assert!(e6.exposed[0].whole_internet);
    assert_eq!(e6.exposed[0].sources.to_cidrs(), vec![net("2000::/3")]);
    assert_eq!(
        hop(&e6, "route").detail,
        "rtb-1 (explicitly associated with the subnet) sends ::/0 to igw-1"
    );
}

#[test]
fn sg_prefix_list_unresolved_then_resolved() {
    let mut f = Fixture::open();
    let pl = |cidrs: Option<Vec<IpNet>>| {
        vec![(
            "sg-a".to_string(),
            Some(group(
                "sg-a",
                vec![perm(
                    6,
                    443,
                    443,
                    SgSource::PrefixList {
                        id: "pl-7".to_string(),
                        cidrs,
                    },
                    30,
                )],
            )),
        )]
    };
    f.groups = pl(None);
    let e = v4(&f);
    assert_eq!(e.reachable, Reachable::Indeterminate);
    let s = hop(&e, "security_group");
    assert_eq!(s.verdict, Verdict::Indeterminate);
    assert!(
        s.detail
            .contains("sg-a admits prefix list pl-7 on tcp 443, which is not in the evidence")
    );
    assert_eq!(e.exposed.len(), 1);
    assert!(e.exposed[0].indeterminate);
    assert_eq!(e.exposed[0].ports, PortRange { from: 443, to: 443 });

    f.groups = pl(Some(vec![net("52.94.0.0/22"), net("2600::/32")]));
    let e = v4(&f);
    assert_eq!(e.reachable, Reachable::Yes);
    assert_eq!(e.exposed.len(), 1);
    assert!(!e.exposed[0].indeterminate && !e.exposed[0].whole_internet);
    assert_eq!(e.exposed[0].sources.to_cidrs(), vec![net("52.94.0.0/22")]);
}

#[test]
fn acl_partial_deny_leaves_upper_half() {
    let mut f = Fixture::open();
    let mut entries = open_acl();
    entries.push(ports(entry(90, false, false, 6, "0.0.0.0/1"), 22, 22));
    f.nacl = Some(nacl(entries));
    let e = f.eval(IpVersion::V4, &ssh());
    assert_eq!(e.reachable, Reachable::Yes);
    let expected =
        AddrSet::internet(IpVersion::V4).intersect(&AddrSet::from_cidr(&net("128.0.0.0/1")));
    assert_eq!(e.exposed.len(), 1);
    assert_eq!(e.exposed[0].sources, expected);
    assert!(!e.exposed[0].whole_internet);
    assert_eq!(
        hop(&e, "nacl_inbound").detail,
        "acl-1: rule 90 denies tcp 22 from 0.0.0.0/1 before rule 100 allows it; rule 100 allows tcp 22 from 0.0.0.0/0 → 128.0.0.0/1 still admitted"
    );
    // Unrestricted query: the summary speaks of the denied cells only.
    let e = v4(&f);
    let detail = &hop(&e, "nacl_inbound").detail;
    assert!(
        detail.contains("rule 100 allows all traffic from 0.0.0.0/0"),
        "{detail}"
    );
    assert!(detail.ends_with("→ 128.0.0.0/1 still admitted"), "{detail}");
}

#[test]
fn longest_prefix_match_wins() {
    let mut f = Fixture::open();
    f.table = Some(table(vec![
        route("0.0.0.0/0", "nat-9", 11),
        route("0.0.0.0/1", "igw-1", 13),
    ]));
    let e = f.eval(IpVersion::V4, &ssh());
    assert_eq!(e.reachable, Reachable::Yes);
    let expected =
        AddrSet::internet(IpVersion::V4).intersect(&AddrSet::from_cidr(&net("0.0.0.0/1")));
    assert_eq!(e.exposed[0].sources, expected);
    assert_eq!(
        hop(&e, "route").detail,
        "rtb-1 (explicitly associated with the subnet) sends 0.0.0.0/1 to igw-1; other sources: 0.0.0.0/0 → nat-9"
    );
    assert!(e.exposed[0].sources.contains(ip("8.8.8.8")));
    assert!(!e.exposed[0].sources.contains(ip("200.1.1.1")));
}

#[test]
fn route_prefix_lists() {
    let mut f = Fixture::open();
    let mut t = table(vec![route("0.0.0.0/0", "igw-1", 11)]);
    t.routes.push(Route {
        dest: RouteDest::PrefixList {
            id: "pl-s3".to_string(),
            cidrs: None,
        },
        target: "vpce-1".to_string(),
        blackhole: false,
        record: 14,
    });
    f.table = Some(t.clone());
    let e = f.eval(IpVersion::V4, &ssh());
    assert_eq!(e.reachable, Reachable::Yes);
    assert!(e.exposed[0].whole_internet);
    assert!(
        hop(&e, "route")
            .detail
            .contains("sources in prefix list pl-s3")
    );
    assert!(hop(&e, "route").detail.contains("would route to vpce-1"));

    // Resolved: its CIDRs are ordinary, longer routes.
    t.routes[1].dest = RouteDest::PrefixList {
        id: "pl-s3".to_string(),
        cidrs: Some(vec![net("52.216.0.0/15")]),
    };
    f.table = Some(t.clone());
    let e = f.eval(IpVersion::V4, &ssh());
    assert!(!e.exposed[0].sources.contains(ip("52.216.1.1")));
    assert!(e.exposed[0].sources.contains(ip("52.218.1.1")));

    // Unresolved prefix list to the igw only: indeterminate.
    t.routes = vec![Route {
        dest: RouteDest::PrefixList {
            id: "pl-x".to_string(),
            cidrs: None,
        },
        target: "igw-1".to_string(),
        blackhole: false,
        record: 15,
    }];
    f.table = Some(t);
    let e = f.eval(IpVersion::V4, &ssh());
    assert_eq!(hop(&e, "route").verdict, Verdict::Indeterminate);
    assert_eq!(hop(&e, "internet_gateway").verdict, Verdict::Pass);
    assert_eq!(e.reachable, Reachable::Indeterminate);
}

#[test]
fn missing_evidence_is_indeterminate() {
    let mut f = Fixture::open();
    f.nacl = None;
    let e = v4(&f);
    assert_eq!(hop(&e, "nacl_inbound").verdict, Verdict::Indeterminate);
    assert_eq!(hop(&e, "nacl_outbound").verdict, Verdict::Indeterminate);
    assert_eq!(e.reachable, Reachable::Indeterminate);

    let mut f = Fixture::open();
    f.groups.push(("sg-z".to_string(), None));
    let e = v4(&f);
    // sg-a still definitely exposes ssh; the rest depends on sg-z.
    assert_eq!(e.reachable, Reachable::Yes);
    let s = hop(&e, "security_group");
    assert_eq!(s.verdict, Verdict::Pass);
    assert!(s.detail.contains("sg-z is not in the evidence"));
    assert!(
        e.exposed
            .iter()
            .any(|x| x.indeterminate && x.protocol == 17)
    );

    let mut f = Fixture::open();
    f.table = None;
    let e = v4(&f);
    assert_eq!(hop(&e, "route").verdict, Verdict::Indeterminate);
    assert_eq!(hop(&e, "internet_gateway").verdict, Verdict::Indeterminate);
    assert_eq!(e.reachable, Reachable::Indeterminate);
}

#[test]
fn other_protocols_and_icmp() {
    let mut f = Fixture::open();
    f.groups = vec![(
        "sg-a".to_string(),
        Some(group(
            "sg-a",
            vec![
                perm(47, -1, -1, cidr_src("0.0.0.0/0"), 40),
                perm(1, 8, -1, cidr_src("0.0.0.0/0"), 41),
            ],
        )),
    )];
    let mut entries = open_acl();
    // Echo replies (type 0) denied outbound before the allow-all.
    let mut deny_reply = entry(10, true, false, 1, "0.0.0.0/0");
    deny_reply.icmp = Some((0, -1));
    entries.push(deny_reply);
    f.nacl = Some(nacl(entries));
    let e = v4(&f);
    assert_eq!(e.reachable, Reachable::Yes);
    let protos: Vec<(i32, PortRange)> = e.exposed.iter().map(|x| (x.protocol, x.ports)).collect();
    assert_eq!(protos, vec![(47, PortRange { from: 0, to: 0 })]);
    assert!(
        hop(&e, "nacl_outbound")
            .detail
            .contains("echo replies (icmp type 0 code 0) are denied (rule 10)")
    );
    assert_eq!(protocol_name(e.exposed[0].protocol), "proto-47");
}

#[test]
fn query_from_narrows_sources() {
    let f = Fixture::open();
    let q = Query {
        from: Some(net("8.8.0.0/16")),
        ..ssh()
    };
    let e = f.eval(IpVersion::V4, &q);
    assert_eq!(e.exposed.len(), 1);
    assert!(e.exposed[0].whole_internet);
    assert_eq!(e.exposed[0].sources.to_cidrs(), vec![net("8.8.0.0/16")]);
    let q = Query {
        from: Some(net("10.0.0.0/8")),
        ..ssh()
    };
    let e = f.eval(IpVersion::V4, &q);
    assert_eq!(e.reachable, Reachable::No);
    assert_eq!(e.blocking_hop().unwrap().hop, "public_ip");
}

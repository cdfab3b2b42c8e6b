//! The public address, route and internet gateway hops, missing evidence and query narrowing.

use super::*;

#[test]
fn open_interface_exposes_ssh_to_whole_internet() {
    let e = v4(&Fixture::open());
    assert_eq!(e.reachable, Reachable::Yes);
    assert_eq!(verdicts(&e), ["pass"; 6]);
    assert_eq!(e.exposed.len(), 1);
    let x = &e.exposed[0];
    assert_eq!(
        (x.protocol, x.ports),
        (Protocol::TCP, PortRange { from: 22, to: 22 })
    );
    assert!(x.whole_internet && !x.indeterminate);
    assert_eq!(x.sources, AddrSet::internet(IpVersion::V4));
    assert_eq!(
        hop(&e, HopKind::Route).detail,
        "rtb-1 (explicitly associated with the subnet) sends 0.0.0.0/0 to igw-1"
    );
    assert_eq!(hop(&e, HopKind::Route).records, ids(&[1, 11]));
    assert_eq!(
        hop(&e, HopKind::SecurityGroup).detail,
        "sg-a admits tcp 22 from 0.0.0.0/0"
    );
    assert_eq!(hop(&e, HopKind::SecurityGroup).records, ids(&[3, 20]));
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
    assert_eq!(e.blocking_hop().unwrap().hop, HopKind::PublicIp);
    assert!(e.exposed.is_empty());
    assert!(
        hop(&e, HopKind::PublicIp)
            .detail
            .contains("no public IPv4 address")
    );
}

/// Without an address of the version the path is closed with nothing exposed, however open or
/// unknown the later hops are: the `eni_exposure` view relies on it to skip evaluating such a
/// version when its hops are not shown.
#[test]
fn no_address_of_the_version_is_closed_whatever_the_other_hops() {
    let open = Fixture::open;
    let unknown = || Fixture {
        table: None,
        igw_evidence: false,
        nacl: None,
        groups: vec![("sg-gone".to_string(), None)],
        ..Fixture::open()
    };
    for (version, keep) in [(IpVersion::V4, "2600:1f18::1"), (IpVersion::V6, "3.3.3.3")] {
        for mut f in [open(), unknown()] {
            f.addrs = vec![ip(keep)];
            let e = f.eval(version, &Query::default());
            assert_eq!(e.reachable, Reachable::No, "{version:?}");
            assert!(e.exposed.is_empty() && e.closed_if_known.is_none());
            assert_eq!(e.blocking_hop().unwrap().hop, HopKind::PublicIp);
        }
    }
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
    let r = hop(&e, HopKind::Route);
    assert_eq!(r.verdict, Verdict::Fail);
    assert_eq!(
        r.detail,
        "rtb-1 (explicitly associated with the subnet) has no route to an internet gateway: 0.0.0.0/0 → nat-9"
    );
    assert_eq!(e.blocking_hop().unwrap().hop, HopKind::Route);
    assert_eq!(hop(&e, HopKind::InternetGateway).verdict, Verdict::Fail);
}

#[test]
fn blackhole_route_fails() {
    let mut f = Fixture::open();
    let mut t = table(vec![route("0.0.0.0/0", "igw-1", 11)]);
    t.routes[0].blackhole = true;
    t.main = true;
    f.table = Some(t);
    let e = v4(&f);
    let r = hop(&e, HopKind::Route);
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
    let g = hop(&e, HopKind::InternetGateway);
    assert_eq!(g.verdict, Verdict::Fail);
    assert!(
        g.detail
            .contains("igw-1 is not attached to vpc-1 (detached)")
    );
    assert_eq!(g.records, ids(&[4]));
    assert_eq!(e.reachable, Reachable::No);

    f.igws = Vec::new();
    let e = v4(&f);
    let g = hop(&e, HopKind::InternetGateway);
    assert_eq!(g.verdict, Verdict::Fail);
    assert!(g.detail.contains("igw-1 (named by the route) is not among"));
    assert!(
        !g.records.is_empty(),
        "the route naming the absent gateway is cited"
    );

    f.igw_evidence = false;
    let e = v4(&f);
    assert_eq!(
        hop(&e, HopKind::InternetGateway).verdict,
        Verdict::Indeterminate
    );
    assert_eq!(e.reachable, Reachable::Indeterminate);
    assert!(e.exposed.iter().all(|x| x.indeterminate));
    assert_eq!(e.exposed.len(), 1);
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
        hop(&e6, HopKind::Route).detail,
        "rtb-1 (explicitly associated with the subnet) sends ::/0 to igw-1"
    );
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
        hop(&e, HopKind::Route).detail,
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
        record: RecordId(14),
    });
    f.table = Some(t.clone());
    let e = f.eval(IpVersion::V4, &ssh());
    assert_eq!(e.reachable, Reachable::Yes);
    assert!(e.exposed[0].whole_internet);
    assert!(
        hop(&e, HopKind::Route)
            .detail
            .contains("sources in prefix list pl-s3")
    );
    assert!(
        hop(&e, HopKind::Route)
            .detail
            .contains("would route to vpce-1")
    );

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
        record: RecordId(15),
    }];
    f.table = Some(t);
    let e = f.eval(IpVersion::V4, &ssh());
    assert_eq!(hop(&e, HopKind::Route).verdict, Verdict::Indeterminate);
    assert_eq!(hop(&e, HopKind::InternetGateway).verdict, Verdict::Pass);
    assert_eq!(e.reachable, Reachable::Indeterminate);
}

#[test]
fn missing_evidence_is_indeterminate() {
    let mut f = Fixture::open();
    f.nacl = None;
    let e = v4(&f);
    assert_eq!(
        hop(&e, HopKind::NaclInbound).verdict,
        Verdict::Indeterminate
    );
    assert_eq!(
        hop(&e, HopKind::NaclOutbound).verdict,
        Verdict::Indeterminate
    );
    assert_eq!(e.reachable, Reachable::Indeterminate);

    let mut f = Fixture::open();
    f.groups.push(("sg-z".to_string(), None));
    let e = v4(&f);
    // sg-a still definitely exposes ssh; the rest depends on sg-z.
    assert_eq!(e.reachable, Reachable::Yes);
    let s = hop(&e, HopKind::SecurityGroup);
    assert_eq!(s.verdict, Verdict::Pass);
    assert!(s.detail.contains("sg-z is not in the evidence"));
    assert!(
        e.exposed
            .iter()
            .any(|x| x.indeterminate && x.protocol == Protocol::UDP)
    );

    let mut f = Fixture::open();
    f.table = None;
    let e = v4(&f);
    assert_eq!(hop(&e, HopKind::Route).verdict, Verdict::Indeterminate);
    assert_eq!(
        hop(&e, HopKind::InternetGateway).verdict,
        Verdict::Indeterminate
    );
    assert_eq!(e.reachable, Reachable::Indeterminate);
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
    assert_eq!(e.blocking_hop().unwrap().hop, HopKind::PublicIp);
}

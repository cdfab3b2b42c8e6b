//! The two legs of a path through a load balancer: internet → node, and node → target.

use super::*;

/// A load balancer node open to https from anywhere.
fn node() -> Fixture {
    let mut f = Fixture::open();
    f.groups = vec![(
        "sg-lb".to_string(),
        Some(group(
            "sg-lb",
            vec![perm(Protocol::TCP, 443, 443, cidr_src("0.0.0.0/0"), 20)],
        )),
    )];
    f
}

fn node_without_groups() -> Fixture {
    let mut f = node();
    f.groups = Vec::new();
    f
}

fn https() -> Query {
    Query {
        protocol: Some(Protocol::TCP),
        port: Some(443),
        from: None,
    }
}

fn front(f: &Fixture, groups_enforced: bool) -> Evaluation {
    evaluate_lb_node(&f.iface(), IpVersion::V4, &https(), groups_enforced)
}

/// A private target whose group admits `source` on 8080.
fn target(source: SgSource) -> Fixture {
    let mut f = Fixture::open();
    f.addrs = Vec::new();
    f.table = None;
    f.groups = vec![(
        "sg-t".to_string(),
        Some(group(
            "sg-t",
            vec![perm(Protocol::TCP, 8080, 8080, source, 30)],
        )),
    )];
    f
}

/// The nodes' private addresses, carrying the load balancer's group.
fn nodes() -> Sources {
    Sources {
        addresses: AddrSet::from_cidrs(IpVersion::V4, &[net("10.0.1.17/32"), net("10.0.2.9/32")]),
        groups: vec!["sg-lb".to_string()],
    }
}

/// Internet clients, their addresses preserved, with no group.
fn clients() -> Sources {
    Sources {
        addresses: AddrSet::internet(IpVersion::V4),
        groups: Vec::new(),
    }
}

fn back(f: &Fixture, sources: &Sources) -> Evaluation {
    let query = Query {
        protocol: Some(Protocol::TCP),
        port: Some(8080),
        from: None,
    };
    evaluate_target(&f.iface(), IpVersion::V4, &query, sources)
}

fn kinds(e: &Evaluation) -> Vec<HopKind> {
    e.hops.iter().map(|h| h.hop).collect()
}

#[test]
fn front_leg_names_the_load_balancer_hops() {
    let e = front(&node(), true);
    assert_eq!(e.reachable, Reachable::Yes);
    assert_eq!(kinds(&e), HopKind::LOAD_BALANCER_PATH[1..7]);
    assert_eq!(
        hop(&e, HopKind::LbSecurityGroup).detail,
        "sg-lb admits tcp 443 from 0.0.0.0/0"
    );
    let mut narrowed = https();
    narrowed.from = Some(net("203.0.113.0/24"));
    let e = evaluate_lb_node(&node().iface(), IpVersion::V4, &narrowed, true);
    assert_eq!(
        e.exposed[0].sources,
        AddrSet::from_cidr(&net("203.0.113.0/24"))
    );
    assert!(e.exposed[0].whole_internet);
}

#[test]
fn front_leg_blocks_like_the_direct_path() {
    let mut f = node();
    f.table = Some(table(vec![route("0.0.0.0/0", "nat-9", 11)]));
    let e = front(&f, true);
    assert_eq!(e.reachable, Reachable::No);
    assert_eq!(e.blocking_hop().unwrap().hop, HopKind::LbRoute);
    let direct = f.eval(IpVersion::V4, &https());
    assert_eq!(
        hop(&e, HopKind::LbRoute).detail,
        hop(&direct, HopKind::Route).detail
    );
}

#[test]
fn network_load_balancer_without_groups_admits_every_client() {
    let mut f = node_without_groups();
    let e = front(&f, false);
    assert_eq!(e.reachable, Reachable::Yes);
    assert!(e.exposed[0].whole_internet);
    let h = hop(&e, HopKind::LbSecurityGroup);
    assert_eq!(h.verdict, Verdict::Pass);
    assert_eq!(
        h.detail,
        "the load balancer has no security group: all client traffic can reach its listeners"
    );
    // Without groups the earlier hops still decide.
    f.addrs = Vec::new();
    let e = front(&f, false);
    assert_eq!(e.reachable, Reachable::No);
    assert_eq!(e.blocking_hop().unwrap().hop, HopKind::LbPublicIp);
    // A node of a load balancer with groups, none of them on the node, admits nothing.
    let e = front(&node_without_groups(), true);
    assert_eq!(e.blocking_hop().unwrap().hop, HopKind::LbSecurityGroup);
}

#[test]
fn target_admitting_the_load_balancer_group_is_open() {
    let e = back(&target(SgSource::Group("sg-lb".to_string())), &nodes());
    assert_eq!(e.reachable, Reachable::Yes);
    assert_eq!(kinds(&e), HopKind::LOAD_BALANCER_PATH[9..]);
    assert_eq!(
        hop(&e, HopKind::TargetSecurityGroup).detail,
        "sg-t admits tcp 8080 from sg-lb (the load balancer's group)"
    );
    assert_eq!(hop(&e, HopKind::TargetSecurityGroup).records, ids(&[3, 30]));
    assert_eq!(e.exposed.len(), 1);
    assert_eq!(e.exposed[0].sources, nodes().addresses);
    assert!(e.exposed[0].whole_internet);
    // The same group admits clients whose addresses are preserved only if they carry it.
    let e = back(&target(SgSource::Group("sg-lb".to_string())), &clients());
    assert_eq!(e.reachable, Reachable::No);
    assert_eq!(
        hop(&e, HopKind::TargetSecurityGroup).detail,
        "sg-t admits none of the sources (every internet source) on tcp 8080 \
         (sg-t admits only sg-lb)"
    );
}

#[test]
fn target_admitting_the_vpc_range_admits_the_nodes() {
    let e = back(&target(cidr_src("10.0.0.0/16")), &nodes());
    assert_eq!(e.reachable, Reachable::Yes);
    assert_eq!(verdicts(&e), ["pass"; 3]);
    assert_eq!(
        hop(&e, HopKind::TargetSecurityGroup).detail,
        "sg-t admits tcp 8080 from 10.0.0.0/16 (10.0.1.17, 10.0.2.9)"
    );
    assert!(e.exposed[0].whole_internet);
}

#[test]
fn target_admitting_the_vpc_range_is_closed_to_preserved_clients() {
    let e = back(&target(cidr_src("10.0.0.0/16")), &clients());
    assert_eq!(e.reachable, Reachable::No);
    assert!(e.exposed.is_empty());
    let h = e.blocking_hop().unwrap();
    assert_eq!(h.hop, HopKind::TargetSecurityGroup);
    assert_eq!(
        h.detail,
        "sg-t admits none of the sources (every internet source) on tcp 8080 \
         (sg-t admits only 10.0.0.0/16)"
    );
}

#[test]
fn target_acl_denying_the_node_subnet_blocks() {
    let mut f = target(SgSource::Group("sg-lb".to_string()));
    let mut entries = open_acl();
    entries.push(entry(50, false, false, Protocol::ALL, "10.0.2.0/24"));
    f.nacl = Some(nacl(entries));
    let e = back(&f, &nodes());
    assert_eq!(e.reachable, Reachable::Yes);
    assert_eq!(
        e.exposed[0].sources,
        AddrSet::from_cidr(&net("10.0.1.17/32"))
    );
    assert!(!e.exposed[0].whole_internet);
    assert_eq!(
        hop(&e, HopKind::TargetNaclInbound).detail,
        "acl-1: rule 50 denies tcp 8080 from 10.0.2.0/24 before rule 100 allows it; \
         rule 100 allows tcp 8080 from 0.0.0.0/0 → 10.0.1.17 still admitted"
    );
    f.nacl = Some(nacl(
        [
            open_acl(),
            vec![entry(50, false, false, Protocol::ALL, "10.0.0.0/16")],
        ]
        .concat(),
    ));
    let e = back(&f, &nodes());
    assert_eq!(e.reachable, Reachable::No);
    assert_eq!(e.blocking_hop().unwrap().hop, HopKind::TargetNaclInbound);
}

#[test]
fn target_without_reply_path_is_closed() {
    let mut f = target(cidr_src("10.0.0.0/16"));
    let mut entries: Vec<NaclEntry> = open_acl().into_iter().filter(|e| !e.egress).collect();
    let low = entry(40, true, true, Protocol::TCP, "10.0.0.0/16");
    entries.push(ports(low, 0, 1023));
    entries.push(entry(32767, true, false, Protocol::ALL, "0.0.0.0/0"));
    f.nacl = Some(nacl(entries));
    let e = back(&f, &nodes());
    assert_eq!(e.reachable, Reachable::No);
    let h = e.blocking_hop().unwrap();
    assert_eq!(h.hop, HopKind::TargetNaclOutbound);
    assert_eq!(
        h.detail,
        "acl-1: replies to tcp clients on ports 1024-65535 are denied (rule 32767); \
         only 0-1023 allowed by rule 40"
    );
}

#[test]
fn sources_of_the_other_version_reach_nothing() {
    let f = target(SgSource::Group("sg-lb".to_string()));
    let e = evaluate_target(&f.iface(), IpVersion::V6, &Query::default(), &nodes());
    assert_eq!(e.reachable, Reachable::No);
}

//! The network ACL and security group hops, and what they let through.

use super::*;

#[test]
fn acl_deny_before_allow() {
    let mut f = Fixture::open();
    let mut entries = open_acl();
    entries.push(ports(
        entry(50, false, false, Protocol::TCP, "0.0.0.0/0"),
        22,
        22,
    ));
    f.nacl = Some(nacl(entries));
    let e = f.eval(IpVersion::V4, &ssh());
    let n = hop(&e, HopKind::NaclInbound);
    assert_eq!(n.verdict, Verdict::Fail);
    assert_eq!(
        n.detail,
        "acl-1: rule 50 denies tcp 22 from 0.0.0.0/0 before rule 100 allows it"
    );
    assert_eq!(n.records, ids(&[2, 1050]));
    assert_eq!(e.blocking_hop().unwrap().hop, HopKind::NaclInbound);
    assert_eq!(e.reachable, Reachable::No);
    // Other ports are unaffected: over every port the ACL passes and the group closes the path.
    let raw = engine::evaluate_hops(
        &f.iface(),
        IpVersion::V4,
        &Query::default(),
        engine::Leg::Direct,
    );
    assert_eq!(raw.reachable, Reachable::No);
    assert_eq!(hop(&raw, HopKind::NaclInbound).verdict, Verdict::Pass);
    assert_eq!(hop(&raw, HopKind::SecurityGroup).verdict, Verdict::Fail);
    // What blocks the one port the group opens is the ACL, and the evaluation says so.
    let e = v4(&f);
    assert_eq!(e.reachable, Reachable::No);
    assert_eq!(e.blocking_hop().unwrap().hop, HopKind::NaclInbound);
    assert_eq!(hop(&e, HopKind::NaclInbound).detail, n.detail);
}

#[test]
fn acl_outbound_allowing_only_low_ports_blocks_replies() {
    let mut f = Fixture::open();
    let mut entries: Vec<NaclEntry> = open_acl().into_iter().filter(|e| !e.egress).collect();
    entries.push(ports(
        entry(100, true, true, Protocol::TCP, "0.0.0.0/0"),
        0,
        1023,
    ));
    entries.push(entry(32767, true, false, Protocol::ALL, "0.0.0.0/0"));
    f.nacl = Some(nacl(entries));
    let e = f.eval(IpVersion::V4, &ssh());
    let n = hop(&e, HopKind::NaclOutbound);
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
            vec![perm(
                Protocol::TCP,
                22,
                22,
                SgSource::Group("sg-c".to_string()),
                20,
            )],
        )),
    )];
    let e = f.eval(IpVersion::V4, &ssh());
    let s = hop(&e, HopKind::SecurityGroup);
    assert_eq!(s.verdict, Verdict::Fail);
    assert_eq!(
        s.detail,
        "sg-a admits no internet source on tcp 22 (sg-a admits only sg-c)"
    );
    assert_eq!(s.records, ids(&[3, 20]));
    assert_eq!(e.reachable, Reachable::No);
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
                    Protocol::TCP,
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
    let s = hop(&e, HopKind::SecurityGroup);
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
    entries.push(ports(
        entry(90, false, false, Protocol::TCP, "0.0.0.0/1"),
        22,
        22,
    ));
    f.nacl = Some(nacl(entries));
    let e = f.eval(IpVersion::V4, &ssh());
    assert_eq!(e.reachable, Reachable::Yes);
    let expected =
        AddrSet::internet(IpVersion::V4).intersect(&AddrSet::from_cidr(&net("128.0.0.0/1")));
    assert_eq!(e.exposed.len(), 1);
    assert_eq!(e.exposed[0].sources, expected);
    assert!(!e.exposed[0].whole_internet);
    assert_eq!(
        hop(&e, HopKind::NaclInbound).detail,
        "acl-1: rule 90 denies tcp 22 from 0.0.0.0/1 before rule 100 allows it; rule 100 allows tcp 22 from 0.0.0.0/0 → 128.0.0.0/1 still admitted"
    );
    // Unrestricted query: the summary speaks of the denied cells only.
    let e = v4(&f);
    let detail = &hop(&e, HopKind::NaclInbound).detail;
    assert!(
        detail.contains("rule 100 allows all traffic from 0.0.0.0/0"),
        "{detail}"
    );
    assert!(detail.ends_with("→ 128.0.0.0/1 still admitted"), "{detail}");
}

#[test]
fn other_protocols_and_icmp() {
    let mut f = Fixture::open();
    f.groups = vec![(
        "sg-a".to_string(),
        Some(group(
            "sg-a",
            vec![
                perm(Protocol::number(47), -1, -1, cidr_src("0.0.0.0/0"), 40),
                perm(Protocol::ICMP, 8, -1, cidr_src("0.0.0.0/0"), 41),
            ],
        )),
    )];
    let mut entries = open_acl();
    // Echo replies (type 0) denied outbound before the allow-all.
    let mut deny_reply = entry(10, true, false, Protocol::ICMP, "0.0.0.0/0");
    deny_reply.icmp = Some((0, -1));
    entries.push(deny_reply);
    f.nacl = Some(nacl(entries));
    let e = v4(&f);
    assert_eq!(e.reachable, Reachable::Yes);
    let protos: Vec<(Protocol, PortRange)> =
        e.exposed.iter().map(|x| (x.protocol, x.ports)).collect();
    assert_eq!(
        protos,
        vec![(Protocol::number(47), PortRange { from: 0, to: 0 })]
    );
    assert!(
        hop(&e, HopKind::NaclOutbound)
            .detail
            .contains("echo replies (icmp type 0 code 0) are denied (rule 10)")
    );
    assert_eq!(e.exposed[0].protocol.name(), "proto-47");
}

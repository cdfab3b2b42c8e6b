//! Unit tests of the hops and of the exposure computation: shared fixtures here, the tests of
//! the path (address, routes, gateway, missing evidence) and of the filters (ACL, groups) in
//! their own modules.

use std::net::IpAddr;

use ipnet::IpNet;

use super::*;

mod filters;
mod lb;
mod paths;

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
        record: RecordId(record),
    }
}

fn table(routes: Vec<Route>) -> RouteTable {
    RouteTable {
        id: "rtb-1".to_string(),
        main: false,
        routes,
        unreadable: Vec::new(),
        record: RecordId(1),
    }
}

fn entry(rule: i64, egress: bool, allow: bool, protocol: Protocol, cidr: &str) -> NaclEntry {
    NaclEntry {
        rule_number: rule,
        egress,
        allow,
        protocol,
        cidr: net(cidr),
        ports: None,
        icmp: None,
        record: RecordId(1000 + u32::try_from(rule).unwrap() + if egress { 50_000 } else { 0 }),
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
            v.push(entry(100, egress, true, Protocol::ALL, cidr));
            v.push(entry(32767, egress, false, Protocol::ALL, cidr));
        }
    }
    v
}

fn nacl(entries: Vec<NaclEntry>) -> Nacl {
    Nacl {
        id: "acl-1".to_string(),
        entries,
        unreadable: Vec::new(),
        record: RecordId(2),
    }
}

fn perm(protocol: Protocol, from: i32, to: i32, source: SgSource, record: u32) -> SgPermission {
    SgPermission {
        protocol,
        from_port: Some(from),
        to_port: Some(to),
        source,
        record: RecordId(record),
    }
}

fn cidr_src(s: &str) -> SgSource {
    SgSource::Cidr(net(s))
}

fn group(id: &str, inbound: Vec<SgPermission>) -> SecurityGroup {
    SecurityGroup {
        id: id.to_string(),
        inbound,
        unreadable: Vec::new(),
        record: RecordId(3),
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
        record: RecordId(4),
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
                        perm(Protocol::TCP, 22, 22, cidr_src("0.0.0.0/0"), 20),
                        perm(Protocol::TCP, 22, 22, cidr_src("::/0"), 21),
                    ],
                )),
            )],
        }
    }

    fn iface(&self) -> Interface<'_> {
        Interface {
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
        }
    }

    fn eval(&self, version: IpVersion, query: &Query) -> Evaluation {
        evaluate(&self.iface(), version, query)
    }
}

fn v4(f: &Fixture) -> Evaluation {
    f.eval(IpVersion::V4, &Query::default())
}

fn ssh() -> Query {
    Query {
        protocol: Some(Protocol::TCP),
        port: Some(22),
        from: None,
    }
}

fn hop(e: &Evaluation, kind: HopKind) -> &Hop {
    e.hops.iter().find(|h| h.hop == kind).unwrap()
}

fn ids(records: &[u32]) -> Vec<RecordId> {
    records.iter().copied().map(RecordId).collect()
}

fn verdicts(e: &Evaluation) -> Vec<&'static str> {
    e.hops.iter().map(|h| h.verdict.as_str()).collect()
}

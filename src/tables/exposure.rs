//! The adapter from evidence to the reachability engine ([`Network`]), and the `eni_exposure`
//! view: one row per network interface with its owner, addresses and internet reachability.
//!
//! Per interface, the engine gets the subnet's explicitly associated route table (else the VPC's
//! main table), the subnet's network ACL (none when no ACL names the subnet: the engine then says
//! indeterminate), the interface's security groups, and the internet gateways of the account.
//! Prefix lists are resolved from `get-managed-prefix-list-entries` evidence; a list without
//! entries in the evidence stays unresolved. Every engine input carries a `record` id indexing
//! [`Network::source`], so each hop names the evidence records it relied on.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;

use anyhow::Result;
use ipnet::IpNet;
use polars::prelude::*;
use rayon::prelude::*;
use serde_json::{Value, json};

use super::frame::FrameBuilder;
use super::net::{Key, Scope, is_main, table_subnets};
use super::{Tables, source_ref};
use crate::evidence::model::{AclEntry, NetworkInterface};
use crate::evidence::{Record, Records, Source, az_region};
use crate::reach::{
    self, AddrSet, Evaluation, Exposure, Hop, HopKind, Igw, Interface, IpVersion, Nacl, NaclEntry,
    PortRange, Protocol, Query, Reachable, RecordId, Route, RouteDest, RouteTable, SecurityGroup,
    SgPermission, SgSource, Verdict,
};

fn key(account: Option<&str>, id: &str) -> Key {
    (account.unwrap_or_default().to_string(), id.to_string())
}

/// What an interface belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    /// `ec2_instance`, `ecs_task`, `load_balancer`, `nat_gateway`, `lambda` or `other`.
    pub kind: &'static str,
    /// Instance id, task ARN, load balancer / NAT gateway / function name, else the description.
    pub id: Option<String>,
    /// For ECS tasks: the service name.
    pub service_name: Option<String>,
    /// For ECS tasks: the service ARN.
    pub service_arn: Option<String>,
}

/// An ECS task as the `ecs_task_network` view names it.
#[derive(Debug, Clone)]
pub struct TaskRef {
    /// Task ARN.
    pub task_arn: String,
    /// `lastStatus`.
    pub last_status: Option<String>,
    /// Service name.
    pub service_name: Option<String>,
    /// Service ARN.
    pub service_arn: Option<String>,
}

impl Owner {
    /// Classifies an interface: an ECS task attachment naming it wins, then the interface type
    /// and description AWS gives to NAT gateway, load balancer and Lambda interfaces, then an
    /// instance attachment, then RDS and VPC endpoint descriptions, then a Fargate/ECS description.
    pub fn of(eni: &NetworkInterface, task: Option<&TaskRef>) -> Owner {
        let desc = eni.description.as_deref().unwrap_or_default();
        let itype = eni.interface_type.as_deref().unwrap_or_default();
        let instance = eni
            .attachment
            .as_ref()
            .and_then(|a| a.instance_id.as_deref())
            .filter(|i| i.starts_with("i-"));
        let owner = |kind, id: Option<&str>| Owner {
            kind,
            id: id.filter(|s| !s.is_empty()).map(String::from),
            service_name: None,
            service_arn: None,
        };
        if let Some(t) = task {
            return Owner {
                kind: "ecs_task",
                id: Some(t.task_arn.clone()),
                service_name: t.service_name.clone(),
                service_arn: t.service_arn.clone(),
            };
        }
        if itype == "nat_gateway" {
            let nat = desc.split_whitespace().find(|w| w.starts_with("nat-"));
            return owner("nat_gateway", nat.or(Some(desc)));
        }
        if matches!(itype, "network_load_balancer" | "gateway_load_balancer")
            || desc.starts_with("ELB ")
        {
            return owner("load_balancer", Some(desc.trim_start_matches("ELB ")));
        }
        if itype == "lambda" || desc.starts_with("AWS Lambda VPC ENI") {
            let name = desc
                .trim_start_matches("AWS Lambda VPC ENI")
                .trim_start_matches('-');
            return owner("lambda", Some(name));
        }
        if let Some(i) = instance {
            return owner("ec2_instance", Some(i));
        }
        if desc == "RDSNetworkInterface" {
            return owner("rds", None);
        }
        if itype == "vpc_endpoint" || desc.starts_with("VPC Endpoint Interface ") {
            let endpoint = desc.split_whitespace().find(|w| w.starts_with("vpce-"));
            return owner("vpc_endpoint", endpoint);
        }
        if desc.starts_with("arn:aws:ecs:") || eni.requester_id.as_deref() == Some(FARGATE) {
            return owner("ecs_task", Some(desc));
        }
        owner("other", Some(desc))
    }

    /// "instance i-…", "ECS task … of service …", "NAT gateway nat-…", …
    pub fn describe(&self) -> String {
        let id = self.id.as_deref().unwrap_or("(unnamed)");
        match self.kind {
            "ec2_instance" => format!("instance {id}"),
            "ecs_task" => match &self.service_name {
                Some(s) => format!("ECS task {id} of service {s}"),
                None => format!("ECS task {id}"),
            },
            "load_balancer" => format!("load balancer {id}"),
            "nat_gateway" => format!("NAT gateway {id}"),
            "lambda" => format!("Lambda function {id}"),
            "rds" => "RDS database".to_string(),
            "vpc_endpoint" => format!("VPC endpoint {id}"),
            _ => format!("interface owner {id}"),
        }
    }
}

/// The account AWS Fargate creates task interfaces from (their `RequesterId`).
const FARGATE: &str = "578734482556";

/// One network interface, with what the engine needs to know about it.
#[derive(Debug, Clone)]
pub struct Eni {
    /// ENI id.
    pub id: String,
    /// Owning account.
    pub account: Option<String>,
    /// Region, from its availability zone.
    pub region: Option<String>,
    /// VPC id.
    pub vpc_id: Option<String>,
    /// Subnet id.
    pub subnet_id: Option<String>,
    /// `InterfaceType`.
    pub interface_type: Option<String>,
    /// What it belongs to.
    pub owner: Owner,
    /// Attached instance id (any owner).
    pub instance_id: Option<String>,
    /// Public IPv4 addresses.
    pub public_ips: Vec<IpAddr>,
    /// IPv6 addresses.
    pub ipv6: Vec<IpAddr>,
    /// Security group ids.
    pub groups: Vec<String>,
    /// Its evidence record (see [`Network::source`]).
    pub record: RecordId,
}

/// The evaluation of one interface, both IP versions.
#[derive(Debug, Clone)]
pub struct EniEvaluation {
    /// The public IPv4 path.
    pub v4: Evaluation,
    /// The IPv6 path.
    pub v6: Evaluation,
    /// A NAT gateway interface: never reachable inbound whatever the other hops say.
    pub nat_gateway: bool,
}

/// The hop that says a NAT gateway accepts no inbound connection.
fn interface_type_hop(record: RecordId) -> Hop {
    Hop {
        hop: HopKind::InterfaceType,
        verdict: Verdict::Fail,
        detail: "a NAT gateway interface never accepts connections initiated from the internet"
            .to_string(),
        records: vec![record],
    }
}

impl EniEvaluation {
    /// The same evaluation for another interface of the same configuration (see
    /// [`Network::config_key`]): only what the `public_ip` hops say of the addresses differs.
    pub fn for_interface(&self, eni: &Eni) -> EniEvaluation {
        let mut eval = self.clone();
        let paths = [
            (IpVersion::V4, &eni.public_ips, &mut eval.v4),
            (IpVersion::V6, &eni.ipv6, &mut eval.v6),
        ];
        for (version, addresses, path) in paths {
            for hop in &mut path.hops {
                if hop.hop == HopKind::PublicIp && hop.verdict == Verdict::Pass {
                    hop.detail = reach::public_address_detail(version, addresses);
                }
            }
        }
        eval
    }

    /// Reachability over one version (`No` for NAT gateways).
    pub fn reachable_in(&self, version: IpVersion) -> Reachable {
        if self.nat_gateway {
            return Reachable::No;
        }
        match version {
            IpVersion::V4 => self.v4.reachable,
            IpVersion::V6 => self.v6.reachable,
        }
    }

    /// Reachability over any version: yes if one is, else indeterminate if one is.
    pub fn reachable(&self) -> Reachable {
        let (a, b) = (
            self.reachable_in(IpVersion::V4),
            self.reachable_in(IpVersion::V6),
        );
        if a == Reachable::Yes || b == Reachable::Yes {
            Reachable::Yes
        } else if a == Reachable::Indeterminate || b == Reachable::Indeterminate {
            Reachable::Indeterminate
        } else {
            Reachable::No
        }
    }

    /// The evaluation of one version.
    pub fn of(&self, version: IpVersion) -> &Evaluation {
        match version {
            IpVersion::V4 => &self.v4,
            IpVersion::V6 => &self.v6,
        }
    }

    /// The hops of one version; a NAT gateway's `interface_type` hop comes first.
    pub fn hops(&self, version: IpVersion, eni: &Eni) -> Vec<Hop> {
        let mut hops = Vec::new();
        if self.nat_gateway {
            hops.push(interface_type_hop(eni.record));
        }
        hops.extend(self.of(version).hops.iter().cloned().map(|mut h| {
            // The address check rests on the interface's own record.
            if h.hop == HopKind::PublicIp && h.records.is_empty() {
                h.records.push(eni.record);
            }
            h
        }));
        hops
    }

    /// The hop blocking one version (`interface_type` for NAT gateways), as the engine names it
    /// (see [`Evaluation::blocking_hop`]).
    pub fn blocking_hop(&self, version: IpVersion, eni: &Eni) -> Option<Hop> {
        if self.nat_gateway {
            return Some(interface_type_hop(eni.record));
        }
        self.of(version).blocking_hop().cloned()
    }

    /// The exposures of both versions (none for NAT gateways).
    pub fn exposed(&self) -> Vec<(IpVersion, &Exposure)> {
        if self.nat_gateway {
            return Vec::new();
        }
        let v4 = self.v4.exposed.iter().map(|e| (IpVersion::V4, e));
        v4.chain(self.v6.exposed.iter().map(|e| (IpVersion::V6, e)))
            .collect()
    }
}

impl Eni {
    /// The version whose path decides the blocking hop: IPv4 when the interface has a public
    /// IPv4 address or no IPv6 address, else IPv6.
    pub fn primary_version(&self) -> IpVersion {
        if self.public_ips.is_empty() && !self.ipv6.is_empty() {
            IpVersion::V6
        } else {
            IpVersion::V4
        }
    }
}

/// What an interface's evaluation depends on, besides the text of its addresses.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConfigKey {
    account: Option<String>,
    vpc: String,
    route_table: Option<usize>,
    nacl: Option<usize>,
    groups: Vec<String>,
    public_v4: bool,
    public_v6: bool,
    nat_gateway: bool,
}

/// Engine inputs for every interface of the evidence, with the provenance arena.
#[derive(Debug, Default)]
pub struct Network {
    sources: Vec<Source>,
    route_tables: Vec<RouteTable>,
    /// `(account, subnet)` → explicitly associated table.
    subnet_table: BTreeMap<Key, usize>,
    /// `(account, vpc)` → the main table (flagged `main`).
    main_table: BTreeMap<Key, usize>,
    nacls: Vec<Nacl>,
    subnet_nacl: BTreeMap<Key, usize>,
    groups: BTreeMap<Key, SecurityGroup>,
    /// account → its internet gateways.
    igws: BTreeMap<String, Vec<Igw>>,
    /// Accounts with describe-internet-gateways evidence.
    igw_accounts: BTreeSet<String>,
    /// The interfaces, sorted by account then id.
    pub enis: Vec<Eni>,
}

fn parse_net(s: &str) -> Option<IpNet> {
    s.parse().ok()
}

impl Network {
    /// Builds the engine inputs; `tasks` maps ENI ids to the ECS task that names them.
    pub fn new(records: &Records, scope: &Scope, tasks: &BTreeMap<String, TaskRef>) -> Network {
        let mut n = Network::default();
        let mut lists: BTreeMap<&str, Vec<IpNet>> = BTreeMap::new();
        for e in &records.prefix_list_entries {
            if let Some(net) = parse_net(&e.item.cidr) {
                lists.entry(e.item.list_id.as_str()).or_default().push(net);
            }
        }
        let resolve = |id: &str| lists.get(id).cloned();
        n.add_route_tables(records, &resolve);
        n.add_nacls(records);
        n.add_groups(records, &resolve);
        for g in &records.internet_gateways {
            let record = n.record(&g.source);
            let igw = Igw {
                id: g.item.internet_gateway_id.clone(),
                available_vpcs: g
                    .item
                    .attachments
                    .iter()
                    .filter(|a| a.state.as_deref() == Some("available"))
                    .filter_map(|a| a.vpc_id.clone())
                    .collect(),
                record,
            };
            let account = g.item.owner_id.clone().unwrap_or_default();
            n.igws.entry(account).or_default().push(igw);
        }
        let accounts: BTreeSet<&str> = records
            .network_interfaces
            .iter()
            .filter_map(|e| e.item.owner_id.as_deref())
            .collect();
        n.igw_accounts = accounts
            .into_iter()
            .filter(|a| scope.igws_cover(Some(a)))
            .map(String::from)
            .collect();
        for r in &records.network_interfaces {
            let eni = n.eni(r, tasks.get(&r.item.network_interface_id));
            n.enis.push(eni);
        }
        n.enis
            .sort_by(|a, b| (&a.account, &a.id).cmp(&(&b.account, &b.id)));
        n
    }

    /// Adds a source to the arena; its index is the engine's `record` id.
    fn record(&mut self, source: &Source) -> RecordId {
        self.sources.push(source.clone());
        RecordId((self.sources.len() - 1) as u32)
    }

    /// The evidence record behind an engine `record` id.
    pub fn source(&self, record: RecordId) -> &Source {
        &self.sources[record.0 as usize]
    }

    fn add_route_tables(
        &mut self,
        records: &Records,
        resolve: &dyn Fn(&str) -> Option<Vec<IpNet>>,
    ) {
        for t in &records.route_tables {
            let record = self.record(&t.source);
            let mut routes = Vec::new();
            for (i, r) in t.item.routes.iter().enumerate() {
                let dest = if let Some(c) = r
                    .destination_cidr_block
                    .as_deref()
                    .or(r.destination_ipv6_cidr_block.as_deref())
                    .and_then(parse_net)
                {
                    RouteDest::Cidr(c)
                } else if let Some(id) = &r.destination_prefix_list_id {
                    RouteDest::PrefixList {
                        id: id.clone(),
                        cidrs: resolve(id),
                    }
                } else {
                    continue;
                };
                let at = t.source.child("Routes", i);
                routes.push(Route {
                    dest,
                    target: r.target().unwrap_or("unknown").to_string(),
                    blackhole: r.state.as_deref() == Some("blackhole"),
                    record: self.record(&at),
                });
            }
            let account = t.item.owner_id.as_deref();
            let table = RouteTable {
                id: t.item.route_table_id.clone(),
                main: false,
                routes,
                record,
            };
            if is_main(&t.item)
                && let Some(vpc) = &t.item.vpc_id
            {
                self.main_table
                    .insert(key(account, vpc), self.route_tables.len());
                self.route_tables.push(RouteTable {
                    main: true,
                    ..table.clone()
                });
            }
            for s in table_subnets(&t.item) {
                self.subnet_table
                    .insert(key(account, s), self.route_tables.len());
            }
            self.route_tables.push(table);
        }
    }

    fn add_nacls(&mut self, records: &Records) {
        for a in &records.network_acls {
            let record = self.record(&a.source);
            let mut entries = Vec::new();
            for (i, e) in a.item.entries.iter().enumerate() {
                let at = a.source.child("Entries", i);
                if let Some(mut entry) = nacl_entry(e) {
                    entry.record = self.record(&at);
                    entries.push(entry);
                }
            }
            for s in a
                .item
                .associations
                .iter()
                .filter_map(|x| x.subnet_id.as_deref())
            {
                self.subnet_nacl
                    .insert(key(a.item.owner_id.as_deref(), s), self.nacls.len());
            }
            self.nacls.push(Nacl {
                id: a.item.network_acl_id.clone(),
                entries,
                record,
            });
        }
    }

    fn add_groups(&mut self, records: &Records, resolve: &dyn Fn(&str) -> Option<Vec<IpNet>>) {
        for g in &records.security_groups {
            let record = self.record(&g.source);
            let mut inbound = Vec::new();
            for rule in super::net::sg_rules(g)
                .into_iter()
                .filter(|r| r.direction == "inbound")
            {
                let Some(protocol) = Protocol::parse(&rule.perm.ip_protocol) else {
                    continue;
                };
                let source = match rule.source_type {
                    "cidr_ipv4" | "cidr_ipv6" => match parse_net(rule.source) {
                        Some(n) => SgSource::Cidr(n),
                        None => continue,
                    },
                    "prefix_list" => SgSource::PrefixList {
                        id: rule.source.to_string(),
                        cidrs: resolve(rule.source),
                    },
                    _ => SgSource::Group(rule.source.to_string()),
                };
                inbound.push(SgPermission {
                    protocol,
                    from_port: rule.perm.from_port,
                    to_port: rule.perm.to_port,
                    source,
                    record: self.record(&rule.at),
                });
            }
            let k = key(g.item.owner_id.as_deref(), &g.item.group_id);
            self.groups.insert(
                k,
                SecurityGroup {
                    id: g.item.group_id.clone(),
                    inbound,
                    record,
                },
            );
        }
    }

    fn eni(&mut self, r: &Record<NetworkInterface>, task: Option<&TaskRef>) -> Eni {
        let i = &r.item;
        let ips = |addrs: Vec<&str>| -> Vec<IpAddr> {
            addrs.into_iter().filter_map(|a| a.parse().ok()).collect()
        };
        Eni {
            id: i.network_interface_id.clone(),
            account: i.owner_id.clone(),
            region: i
                .availability_zone
                .as_deref()
                .and_then(az_region)
                .map(String::from),
            vpc_id: i.vpc_id.clone(),
            subnet_id: i.subnet_id.clone(),
            interface_type: i.interface_type.clone(),
            owner: Owner::of(i, task),
            instance_id: i.attachment.as_ref().and_then(|a| a.instance_id.clone()),
            public_ips: ips(i
                .public_associations()
                .into_iter()
                .filter_map(|a| a.public_ip.as_deref())
                .collect()),
            ipv6: ips(i
                .ipv6_addresses
                .iter()
                .map(|a| a.ipv6_address.as_str())
                .collect()),
            groups: i.groups.iter().map(|g| g.group_id.clone()).collect(),
            record: self.record(&r.source),
        }
    }

    /// The engine's view of an interface for one IP version.
    pub fn interface<'a>(&'a self, eni: &'a Eni, version: IpVersion) -> Interface<'a> {
        let account = eni.account.as_deref();
        let subnet = eni.subnet_id.as_deref().unwrap_or_default();
        let vpc = eni.vpc_id.as_deref().unwrap_or_default();
        let table = self
            .subnet_table
            .get(&key(account, subnet))
            .or_else(|| self.main_table.get(&key(account, vpc)))
            .map(|&i| &self.route_tables[i]);
        let addresses = match version {
            IpVersion::V4 => &eni.public_ips,
            IpVersion::V6 => &eni.ipv6,
        };
        let account_key = account.unwrap_or_default();
        Interface {
            vpc_id: vpc,
            public_addresses: addresses.clone(),
            route_table: table,
            igws: self.igws.get(account_key).map_or(&[], Vec::as_slice),
            igw_evidence: self.igw_accounts.contains(account_key),
            nacl: self
                .subnet_nacl
                .get(&key(account, subnet))
                .map(|&i| &self.nacls[i]),
            groups: eni
                .groups
                .iter()
                .map(|g| (g.as_str(), self.groups.get(&key(account, g))))
                .collect(),
        }
    }

    /// Everything an interface's evaluation depends on besides the text of its addresses:
    /// interfaces with equal keys get the same answer, so a large export evaluates each
    /// configuration once.
    pub fn config_key(&self, eni: &Eni) -> ConfigKey {
        let account = eni.account.as_deref();
        let subnet = eni.subnet_id.as_deref().unwrap_or_default();
        let vpc = eni.vpc_id.as_deref().unwrap_or_default();
        ConfigKey {
            account: account.map(String::from),
            vpc: vpc.to_string(),
            route_table: self
                .subnet_table
                .get(&key(account, subnet))
                .or_else(|| self.main_table.get(&key(account, vpc)))
                .copied(),
            nacl: self.subnet_nacl.get(&key(account, subnet)).copied(),
            groups: eni.groups.clone(),
            public_v4: !eni.public_ips.is_empty(),
            public_v6: !eni.ipv6.is_empty(),
            nat_gateway: eni.interface_type.as_deref() == Some("nat_gateway"),
        }
    }

    /// Evaluates an interface over both IP versions.
    pub fn evaluate(&self, eni: &Eni, query: &Query) -> EniEvaluation {
        let one = |version| reach::evaluate(&self.interface(eni, version), version, query);
        EniEvaluation {
            v4: one(IpVersion::V4),
            v6: one(IpVersion::V6),
            nat_gateway: eni.interface_type.as_deref() == Some("nat_gateway"),
        }
    }
}

/// An ACL entry as the engine reads it; `None` when its protocol or CIDR cannot be read.
fn nacl_entry(e: &AclEntry) -> Option<NaclEntry> {
    let cidr = e
        .cidr_block
        .as_deref()
        .or(e.ipv6_cidr_block.as_deref())
        .and_then(parse_net)?;
    let port = |p: Option<i32>| p.and_then(|p| u16::try_from(p).ok());
    Some(NaclEntry {
        rule_number: e.rule_number,
        egress: e.egress,
        allow: e.rule_action.eq_ignore_ascii_case("allow"),
        protocol: Protocol::parse(&e.protocol)?,
        cidr,
        ports: e.port_range.as_ref().and_then(|p| {
            Some(PortRange {
                from: port(p.from)?,
                to: port(p.to)?,
            })
        }),
        icmp: e
            .icmp_type_code
            .as_ref()
            .map(|c| (c.icmp_type.unwrap_or(-1), c.code.unwrap_or(-1))),
        record: RecordId(0),
    })
}

/// ENI id → the ECS task naming it, from the `ecs_task_network` view (a RUNNING task wins over
/// a stopped one).
pub fn task_refs(view: &DataFrame) -> Result<BTreeMap<String, TaskRef>> {
    let col = |name: &str| -> Result<Vec<Option<String>>> {
        Ok(view
            .column(name)?
            .str()?
            .iter()
            .map(|v| v.map(String::from))
            .collect())
    };
    let (enis, arns, status) = (col("eni_id")?, col("task_arn")?, col("last_status")?);
    let (names, services) = (col("service_name")?, col("service_arn")?);
    let mut out: BTreeMap<String, TaskRef> = BTreeMap::new();
    for i in 0..view.height() {
        let (Some(eni), Some(arn)) = (&enis[i], &arns[i]) else {
            continue;
        };
        let task = TaskRef {
            task_arn: arn.clone(),
            last_status: status[i].clone(),
            service_name: names[i].clone(),
            service_arn: services[i].clone(),
        };
        let running = |t: &TaskRef| t.last_status.as_deref() == Some("RUNNING");
        match out.get(eni) {
            Some(old) if running(old) || !running(&task) => {}
            _ => {
                out.insert(eni.clone(), task);
            }
        }
    }
    Ok(out)
}

/// Hops as JSON: `{hop, verdict, detail, evidence: [{role, file, sha256, document, pointer}]}`.
pub fn hops_json(tables: &Tables, hops: &[Hop]) -> Result<Value> {
    let network = tables.network();
    let hops = hops
        .iter()
        .map(|h| {
            let evidence = h
                .records
                .iter()
                .map(|r| tables.source_json(h.hop.as_str(), network.source(*r)))
                .collect::<Result<Vec<_>>>()?;
            Ok(json!({
                "hop": h.hop.as_str(),
                "verdict": h.verdict.as_str(),
                "detail": h.detail,
                "evidence": evidence,
            }))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Value::Array(hops))
}

/// One exposure as JSON: protocol, ports `{from, to}`, a label (`tcp 443`), the exact source
/// CIDRs, a short description of them, the IP version and whether they are the whole internet.
pub fn exposure_json(version: IpVersion, e: &Exposure) -> Value {
    json!({
        "protocol": e.protocol.name(),
        "ports": {"from": e.ports.from, "to": e.ports.to},
        "label": reach::describe_ports(e.protocol, e.ports),
        "sources": e.sources.to_cidrs().iter().map(ToString::to_string).collect::<Vec<_>>(),
        "sources_text": reach::describe_sources(&e.sources, &AddrSet::internet(version)),
        "ip_version": version.as_str(),
        "whole_internet": e.whole_internet,
        "indeterminate": e.indeterminate,
    })
}

/// A computed row of `eni_exposure`.
struct Row<'a> {
    eni: &'a Eni,
    reachable: [&'static str; 3],
    blocking: Option<Hop>,
    hops: String,
    exposed: String,
    public_ips: Vec<String>,
    ipv6: Vec<String>,
}

/// `eni_exposure`: one row per interface, with no query narrowing. Each distinct configuration
/// is evaluated once, in parallel; each row is then built from its configuration's answer.
pub fn eni_exposure(tables: &Tables) -> Result<DataFrame> {
    let network = tables.network();
    let keys: Vec<ConfigKey> = network.enis.iter().map(|e| network.config_key(e)).collect();
    let mut first: HashMap<&ConfigKey, &Eni> = HashMap::new();
    for (key, eni) in keys.iter().zip(&network.enis) {
        first.entry(key).or_insert(eni);
    }
    let answers: HashMap<&ConfigKey, EniEvaluation> = first
        .into_par_iter()
        .map(|(key, eni)| (key, network.evaluate(eni, &Query::default())))
        .collect();
    let rows = network
        .enis
        .par_iter()
        .zip(&keys)
        .map(|(eni, key)| {
            let eval = answers[key].for_interface(eni);
            let version = eni.primary_version();
            let hops = hops_json(tables, &eval.hops(version, eni))?.to_string();
            let exposed: Vec<Value> = eval
                .exposed()
                .into_iter()
                .map(|(v, e)| exposure_json(v, e))
                .collect();
            let text = |v: &[IpAddr]| v.iter().map(ToString::to_string).collect();
            Ok(Row {
                eni,
                reachable: [
                    eval.reachable().as_str(),
                    eval.reachable_in(IpVersion::V4).as_str(),
                    eval.reachable_in(IpVersion::V6).as_str(),
                ],
                blocking: eval.blocking_hop(version, eni),
                hops,
                exposed: Value::Array(exposed).to_string(),
                public_ips: text(&eni.public_ips),
                ipv6: text(&eni.ipv6),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    FrameBuilder::new(&rows)
        .str("account", |r| r.eni.account.as_deref())
        .str("region", |r| r.eni.region.as_deref())
        .str("network_interface_id", |r| Some(&r.eni.id))
        .str("vpc_id", |r| r.eni.vpc_id.as_deref())
        .str("subnet_id", |r| r.eni.subnet_id.as_deref())
        .str("interface_type", |r| r.eni.interface_type.as_deref())
        .str("owner_type", |r| Some(r.eni.owner.kind))
        .str("owner_id", |r| r.eni.owner.id.as_deref())
        .str("service_name", |r| r.eni.owner.service_name.as_deref())
        .str("service_arn", |r| r.eni.owner.service_arn.as_deref())
        .string("owner", |r| Some(r.eni.owner.describe()))
        .list("public_ips", |r| r.public_ips.iter().map(String::as_str))
        .list("ipv6_addresses", |r| r.ipv6.iter().map(String::as_str))
        .list("security_groups", |r| {
            r.eni.groups.iter().map(String::as_str)
        })
        .str("reachable", |r| Some(r.reachable[0]))
        .str("reachable_v4", |r| Some(r.reachable[1]))
        .str("reachable_v6", |r| Some(r.reachable[2]))
        .str("path_version", |r| Some(r.eni.primary_version().as_str()))
        .str("blocking_hop", |r| {
            r.blocking.as_ref().map(|h| h.hop.as_str())
        })
        .str("blocking_detail", |r| {
            r.blocking.as_ref().map(|h| h.detail.as_str())
        })
        .str("hops_json", |r| Some(&r.hops))
        .str("exposed_json", |r| Some(&r.exposed))
        .string("record_ref", |r| {
            Some(source_ref(network.source(r.eni.record)))
        })
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner(json: &str) -> Owner {
        Owner::of(&serde_json::from_str(json).unwrap(), None)
    }

    #[test]
    fn owners_are_read_from_type_description_and_attachment() {
        let cases = [
            (
                r#"{"NetworkInterfaceId": "eni-1", "InterfaceType": "nat_gateway", "Description": "Interface for NAT Gateway nat-0a1"}"#,
                "nat_gateway",
                Some("nat-0a1"),
            ),
            (
                r#"{"NetworkInterfaceId": "eni-2", "Description": "ELB app/web/50dc6c495c0c9188"}"#,
                "load_balancer",
                Some("app/web/50dc6c495c0c9188"),
            ),
            (
                r#"{"NetworkInterfaceId": "eni-3", "InterfaceType": "lambda", "Description": "AWS Lambda VPC ENI-resize"}"#,
                "lambda",
                Some("resize"),
            ),
            (
                r#"{"NetworkInterfaceId": "eni-4", "Attachment": {"InstanceId": "i-0b2"}}"#,
                "ec2_instance",
                Some("i-0b2"),
            ),
            (
                r#"{"NetworkInterfaceId": "eni-5", "Description": "RDSNetworkInterface"}"#,
                "rds",
                None,
            ),
            (
                r#"{"NetworkInterfaceId": "eni-6", "InterfaceType": "vpc_endpoint", "Description": "VPC Endpoint Interface vpce-0c3"}"#,
                "vpc_endpoint",
                Some("vpce-0c3"),
            ),
            (
                r#"{"NetworkInterfaceId": "eni-7", "Description": "arn:aws:ecs:eu-west-1:111122223333:attachment/x"}"#,
                "ecs_task",
                Some("arn:aws:ecs:eu-west-1:111122223333:attachment/x"),
            ),
            (
                r#"{"NetworkInterfaceId": "eni-8", "Description": "hand-made"}"#,
                "other",
                Some("hand-made"),
            ),
        ];
        for (json, kind, id) in cases {
            let o = owner(json);
            assert_eq!((o.kind, o.id.as_deref()), (kind, id), "{json}");
        }
        assert_eq!(
            owner(r#"{"NetworkInterfaceId": "eni-5", "Description": "RDSNetworkInterface"}"#)
                .describe(),
            "RDS database"
        );
    }
}

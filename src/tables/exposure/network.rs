//! The per-account network model the reachability engine reads ([`Network`]): route tables,
//! network ACLs, security groups and internet gateways converted from the evidence, every
//! interface as an [`Eni`], and the arena of evidence records their `record` ids index.
//!
//! Per interface, the engine gets the subnet's explicitly associated route table (else the VPC's
//! main table), the subnet's network ACL (none when no ACL names the subnet: the engine then says
//! indeterminate), the interface's security groups, and the internet gateways of the account.
//! Prefix lists are resolved from `get-managed-prefix-list-entries` evidence; a list without
//! entries in the evidence stays unresolved.

use std::collections::{BTreeMap, BTreeSet};

use ipnet::IpNet;

use super::balancer::Balancers;
use super::eni::{Eni, EniTexts};
use super::owner::TaskRefs;
use super::targets::TargetInterfaces;
use crate::evidence::model::{AclEntry, NetworkInterface, Shared};
use crate::evidence::{Record, Records, Source};
use crate::reach::{
    Igw, Interface, IpVersion, Nacl, NaclEntry, PortRange, Protocol, RecordId, Route, RouteDest,
    RouteTable, SecurityGroup, SgPermission, SgSource,
};
use crate::tables::net::{is_main, table_subnets};
use crate::tables::scope::{Key, Scope, key};
use crate::tables::security_groups::{SourceKind, sg_rules};
use crate::tables::validate;

/// What an interface's evaluation depends on, besides the text of its addresses.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConfigKey {
    account: Option<Shared>,
    vpc: Option<Shared>,
    route_table: Option<usize>,
    nacl: Option<usize>,
    groups: Box<[Shared]>,
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
    /// The load balancers and target groups.
    pub balancers: Balancers,
}

fn parse_net(s: &str) -> Option<IpNet> {
    s.parse().ok()
}

impl Network {
    /// Builds the engine inputs from the records, and the interface records (`enis`, freed
    /// one by one as each becomes an [`Eni`]); `tasks` gives the ECS task naming an interface
    /// of an account. Also returns the interfaces load-balancer targets resolve to.
    pub fn new(
        records: &Records,
        enis: Vec<Record<NetworkInterface>>,
        scope: &Scope,
        tasks: &TaskRefs,
    ) -> (Network, TargetInterfaces) {
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
        n.add_igws(records, &enis, scope);
        n.add_enis(enis, tasks);
        let targets = TargetInterfaces::new(&n.enis, records);
        n.balancers = n.read_balancers(records, scope, &targets);
        // The arena grew by doubling; it is read, never grown, from here on.
        n.sources.shrink_to_fit();
        (n, targets)
    }

    /// The interfaces in the order of their evidence records (the `network_interfaces` order).
    pub fn enis_in_evidence_order(&self) -> Vec<&Eni> {
        let mut enis: Vec<&Eni> = self.enis.iter().collect();
        enis.sort_unstable_by_key(|e| e.record);
        enis
    }

    /// The index in [`Network::enis`] of interface `id` of `account`.
    pub fn eni_index(&self, account: Option<&str>, id: &str) -> Option<usize> {
        (self.enis)
            .binary_search_by(|e| (e.account(), e.id.as_str()).cmp(&(account, id)))
            .ok()
    }

    /// Adds a source to the arena; its index is the engine's `record` id.
    pub(super) fn record(&mut self, source: &Source) -> RecordId {
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
            let mut unreadable = Vec::new();
            for (i, r) in t.item.routes.iter().enumerate() {
                let at = t.source.child("Routes", i);
                if let Some(problem) = validate::route(r) {
                    unreadable.push((problem, self.record(&at)));
                    continue;
                }
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
                unreadable,
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
            let mut unreadable = Vec::new();
            for (i, e) in a.item.entries.iter().enumerate() {
                let at = a.source.child("Entries", i);
                let problems = validate::acl_entry(e);
                if !problems.is_empty() {
                    let what = format!("rule {}: {}", e.rule_number, problems.join("; "));
                    unreadable.push((what, self.record(&at)));
                } else if let Some(mut entry) = nacl_entry(e) {
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
                unreadable,
                record,
            });
        }
    }

    fn add_groups(&mut self, records: &Records, resolve: &dyn Fn(&str) -> Option<Vec<IpNet>>) {
        for g in &records.security_groups {
            let record = self.record(&g.source);
            let mut inbound = Vec::new();
            let mut unreadable = Vec::new();
            let mut bad = Vec::new();
            for (i, p) in g.item.ip_permissions.iter().enumerate() {
                let problems = validate::permission(p);
                if !problems.is_empty() {
                    let at = g.source.child("IpPermissions", i);
                    unreadable.push((problems.join("; "), self.record(&at)));
                    bad.push(p);
                }
            }
            for rule in sg_rules(g).into_iter().filter(|r| r.direction.is_inbound()) {
                if bad.iter().any(|p| std::ptr::eq(*p, rule.perm)) {
                    continue;
                }
                let Some(protocol) = Protocol::parse(&rule.perm.ip_protocol) else {
                    continue;
                };
                let source = match rule.source_kind {
                    SourceKind::CidrIpv4 | SourceKind::CidrIpv6 => match parse_net(rule.source) {
                        Some(n) => SgSource::Cidr(n),
                        None => continue,
                    },
                    SourceKind::PrefixList => SgSource::PrefixList {
                        id: rule.source.to_string(),
                        cidrs: resolve(rule.source),
                    },
                    SourceKind::SecurityGroup => SgSource::Group(rule.source.to_string()),
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
                    unreadable,
                    record,
                },
            );
        }
    }

    fn add_igws(&mut self, records: &Records, enis: &[Record<NetworkInterface>], scope: &Scope) {
        for g in &records.internet_gateways {
            let record = self.record(&g.source);
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
            self.igws.entry(account).or_default().push(igw);
        }
        let accounts: BTreeSet<&str> = (enis.iter())
            .filter_map(|e| e.item.owner_id.as_deref())
            .collect();
        self.igw_accounts = accounts
            .into_iter()
            .filter(|a| scope.igws_cover(Some(a)))
            .map(String::from)
            .collect();
    }

    /// Every interface, sorted by account then id (built in that order: an [`Eni`] is large to
    /// move), their records in the arena in evidence order. Each record's content is freed once
    /// its interface is built, so the records and the interfaces are never all held at once.
    fn add_enis(&mut self, mut enis: Vec<Record<NetworkInterface>>, tasks: &TaskRefs) {
        let first = self.sources.len();
        let key = |i: usize| {
            let item = &enis[i].item;
            (item.owner_id.as_deref(), &item.network_interface_id)
        };
        let mut order: Vec<usize> = (0..enis.len()).collect();
        order.sort_unstable_by(|&a, &b| key(a).cmp(&key(b)).then(a.cmp(&b)));
        let sources = enis.iter_mut().map(|r| std::mem::take(&mut r.source));
        self.sources.extend(sources);
        self.enis.reserve_exact(enis.len());
        let mut shared = EniTexts::default();
        for i in order {
            let item = std::mem::take(&mut enis[i].item);
            let task = tasks.get(item.owner_id.as_deref(), &item.network_interface_id);
            let record = RecordId((first + i) as u32);
            self.enis
                .push(Eni::new(&item, task.cloned(), record, &mut shared));
        }
    }

    /// The index of the route table in effect for an interface's subnet: the explicitly
    /// associated one, else the VPC's main table.
    fn route_table_of(&self, eni: &Eni) -> Option<usize> {
        let account = eni.account();
        let subnet = eni.subnet_id().unwrap_or_default();
        let vpc = eni.vpc_id().unwrap_or_default();
        self.subnet_table
            .get(&key(account, subnet))
            .or_else(|| self.main_table.get(&key(account, vpc)))
            .copied()
    }

    /// The index of the network ACL associated with an interface's subnet.
    fn nacl_of(&self, eni: &Eni) -> Option<usize> {
        let subnet = eni.subnet_id().unwrap_or_default();
        self.subnet_nacl.get(&key(eni.account(), subnet)).copied()
    }

    /// The engine's view of an interface for one IP version.
    pub fn interface<'a>(&'a self, eni: &'a Eni, version: IpVersion) -> Interface<'a> {
        let account = eni.account();
        let account_key = account.unwrap_or_default();
        Interface {
            vpc_id: eni.vpc_id().unwrap_or_default(),
            public_addresses: eni.addresses(version).to_vec(),
            route_table: self.route_table_of(eni).map(|i| &self.route_tables[i]),
            igws: self.igws.get(account_key).map_or(&[], Vec::as_slice),
            igw_evidence: self.igw_accounts.contains(account_key),
            nacl: self.nacl_of(eni).map(|i| &self.nacls[i]),
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
        ConfigKey {
            account: eni.place.account.clone(),
            vpc: eni.place.vpc_id.clone(),
            route_table: self.route_table_of(eni),
            nacl: self.nacl_of(eni),
            groups: eni.groups.clone(),
            public_v4: !eni.public_ips.is_empty(),
            public_v6: !eni.ipv6.is_empty(),
            nat_gateway: eni.is_nat_gateway(),
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

//! What a subnet reaches without a public address: the `nat_gateways` and `vpc_endpoints`
//! tables, and [`Egress`], the per-VPC facts the remediation preflight reads (which subnets send
//! their default route to an available NAT gateway, which ECR and S3 endpoints exist, and which
//! of the exports those answers need are missing).

use std::collections::{BTreeMap, HashMap, HashSet};

use anyhow::Result;
use foldhash::fast::RandomState;
use polars::prelude::*;

use super::frame::{FrameBuilder, first_by};
use super::net::{is_main, table_subnets};
use super::scope::Scope;
use super::source_ref;
use crate::evidence::model::{NatGateway, RouteTable};
use crate::evidence::{EvidenceFile, Kind, Records};

/// `nat_gateways`: one row per NAT gateway.
pub fn nat_gateways(records: &Records, scope: &Scope) -> Result<DataFrame> {
    FrameBuilder::new(&records.nat_gateways)
        .str("account", |n| nat_account(scope, &n.item))
        .str("region", |n| {
            scope.region(nat_account(scope, &n.item), n.item.vpc_id.as_deref())
        })
        .str("nat_gateway_id", |n| Some(&n.item.nat_gateway_id))
        .str("state", |n| n.item.state.as_deref())
        .str("subnet_id", |n| n.item.subnet_id.as_deref())
        .str("vpc_id", |n| n.item.vpc_id.as_deref())
        .str("connectivity_type", |n| n.item.connectivity_type.as_deref())
        .string("record_ref", |n| Some(source_ref(&n.source)))
        .build()
}

/// A NAT gateway's account (the export does not carry one): its VPC's or its subnet's.
fn nat_account<'s>(scope: &'s Scope, nat: &NatGateway) -> Option<&'s str> {
    [&nat.vpc_id, &nat.subnet_id]
        .into_iter()
        .find_map(|id| id.as_deref().and_then(|id| scope.account_of(id)))
}

/// `vpc_endpoints`: one row per VPC endpoint.
pub fn vpc_endpoints(records: &Records, scope: &Scope) -> Result<DataFrame> {
    FrameBuilder::new(&records.vpc_endpoints)
        .str("account", |e| e.item.owner_id.as_deref())
        .str("region", |e| {
            scope.region(e.item.owner_id.as_deref(), e.item.vpc_id.as_deref())
        })
        .str("vpc_endpoint_id", |e| Some(&e.item.vpc_endpoint_id))
        .str("vpc_endpoint_type", |e| e.item.vpc_endpoint_type.as_deref())
        .str("vpc_id", |e| e.item.vpc_id.as_deref())
        .str("service_name", |e| e.item.service_name.as_deref())
        .str("state", |e| e.item.state.as_deref())
        .list("route_table_ids", |e| {
            e.item.route_table_ids.iter().map(String::as_str)
        })
        .list("subnet_ids", |e| {
            e.item.subnet_ids.iter().map(String::as_str)
        })
        .string("record_ref", |e| Some(source_ref(&e.source)))
        .build()
}

/// The exports the egress answers rest on, as AWS CLI commands.
const EGRESS_EXPORTS: [Kind; 4] = [
    Kind::Subnets,
    Kind::RouteTables,
    Kind::NatGateways,
    Kind::VpcEndpoints,
];

/// The VPC endpoints a task without a public address needs to pull an image from ECR.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Endpoints {
    /// An available `ecr.api` interface endpoint.
    pub ecr_api: bool,
    /// An available `ecr.dkr` interface endpoint.
    pub ecr_dkr: bool,
    /// An available `s3` gateway endpoint (image layers live in S3).
    pub s3: bool,
}

/// Egress facts of the evidence, per `(account, VPC)`.
pub struct Egress<'r> {
    /// Subnets (by id) whose default IPv4 route goes to an available public NAT gateway.
    nat_routed: HashSet<&'r str, RandomState>,
    /// Each subnet id's VPC, from the first describe-subnets record of that id.
    subnet_vpc: HashMap<&'r str, Option<&'r str>, RandomState>,
    /// Each VPC's subnets as `(owner, subnet)`, in record order.
    vpc_subnets: HashMap<&'r str, Vec<(Option<&'r str>, &'r str)>, RandomState>,
    /// The endpoints each VPC has.
    endpoints: BTreeMap<&'r str, Endpoints>,
    /// The exports among [`EGRESS_EXPORTS`] that no file held.
    missing: Vec<&'static str>,
}

impl<'r> Egress<'r> {
    /// Learns the NAT routes and endpoints of every VPC of the evidence.
    pub fn new(records: &'r Records, files: &[EvidenceFile]) -> Egress<'r> {
        let missing: Vec<&'static str> = EGRESS_EXPORTS
            .iter()
            .map(|k| k.command())
            .filter(|c| !files.iter().any(|f| f.kind.contains(c)))
            .collect();
        let nat_known = !missing.contains(&Kind::NatGateways.command());
        let mut subnet_vpc = HashMap::default();
        let mut vpc_subnets: HashMap<&str, Vec<_>, RandomState> = HashMap::default();
        for s in &records.subnets {
            let (id, vpc) = (s.item.subnet_id.as_str(), s.item.vpc_id.as_deref());
            subnet_vpc.entry(id).or_insert(vpc);
            if let Some(vpc) = vpc {
                let owner = s.item.owner_id.as_deref();
                vpc_subnets.entry(vpc).or_default().push((owner, id));
            }
        }
        let nats = first_by(&records.nat_gateways, |n| Some(n.nat_gateway_id.as_str()));
        let usable = |id: &str| nats.get(id).map_or(!nat_known, |n| nat_usable(&n.item));
        let tables = RouteTables::new(records);
        let nat_routed = records
            .subnets
            .iter()
            .map(|s| s.item.subnet_id.as_str())
            .filter(|s| {
                let vpc = subnet_vpc.get(s).copied().flatten();
                tables.of(s, vpc).is_some_and(|t| default_nat(t, &usable))
            })
            .collect();
        Egress {
            nat_routed,
            subnet_vpc,
            vpc_subnets,
            endpoints: vpc_endpoints_by_vpc(records),
            missing,
        }
    }

    /// Whether the subnet's default IPv4 route goes to an available NAT gateway (when
    /// describe-nat-gateways is missing, any NAT gateway the route names counts).
    pub fn nat_routed(&self, subnet: &str) -> bool {
        self.nat_routed.contains(subnet)
    }

    /// The NAT-routed subnets of a VPC, in id order.
    pub fn nat_subnets(&self, account: Option<&str>, vpc: &str) -> Vec<&'r str> {
        let in_vpc = self.vpc_subnets.get(vpc).map_or(&[][..], Vec::as_slice);
        let mut subnets: Vec<&str> = in_vpc
            .iter()
            .filter(|(owner, _)| account.is_none() || *owner == account)
            .map(|(_, subnet)| *subnet)
            .filter(|s| self.nat_routed(s))
            .collect();
        subnets.sort_unstable();
        subnets
    }

    /// The VPC of a subnet, from describe-subnets.
    pub fn subnet_vpc(&self, subnet: &str) -> Option<&'r str> {
        self.subnet_vpc.get(subnet).copied().flatten()
    }

    /// The endpoints of a VPC; `None` when describe-vpc-endpoints is not in the evidence.
    pub fn endpoints(&self, vpc: &str) -> Option<Endpoints> {
        let exported = !self.missing.contains(&Kind::VpcEndpoints.command());
        exported.then(|| self.endpoints.get(vpc).copied().unwrap_or_default())
    }

    /// The exports the answers need that the evidence lacks.
    pub fn missing(&self) -> &[&'static str] {
        &self.missing
    }
}

/// The available endpoints of each VPC.
fn vpc_endpoints_by_vpc(records: &Records) -> BTreeMap<&str, Endpoints> {
    let mut endpoints: BTreeMap<&str, Endpoints> = BTreeMap::new();
    for e in &records.vpc_endpoints {
        let (e, Some(vpc)) = (&e.item, e.item.vpc_id.as_deref()) else {
            continue;
        };
        if e.state.as_deref().is_some_and(|s| s != "available") {
            continue;
        }
        let service = e.service_name.as_deref().unwrap_or_default();
        let kind = e.vpc_endpoint_type.as_deref();
        let found = endpoints.entry(vpc).or_default();
        found.ecr_api |= kind == Some("Interface") && service.ends_with(".ecr.api");
        found.ecr_dkr |= kind == Some("Interface") && service.ends_with(".ecr.dkr");
        found.s3 |= kind == Some("Gateway") && service.ends_with(".s3");
    }
    endpoints
}

/// The route tables by what selects them for a subnet: an explicit association, else the main
/// table of the subnet's VPC (the first table of each in record order).
struct RouteTables<'r> {
    explicit: HashMap<&'r str, &'r RouteTable>,
    main: HashMap<Option<&'r str>, &'r RouteTable>,
}

impl<'r> RouteTables<'r> {
    fn new(records: &'r Records) -> Self {
        let mut explicit = HashMap::new();
        let mut main = HashMap::new();
        for t in &records.route_tables {
            for s in table_subnets(&t.item) {
                explicit.entry(s).or_insert(&t.item);
            }
            if is_main(&t.item) {
                main.entry(t.item.vpc_id.as_deref()).or_insert(&t.item);
            }
        }
        RouteTables { explicit, main }
    }

    /// The route table of a subnet of `vpc`: its explicit association, else its VPC's main
    /// table.
    fn of(&self, subnet: &str, vpc: Option<&str>) -> Option<&'r RouteTable> {
        let explicit = self.explicit.get(subnet);
        explicit.or_else(|| self.main.get(&vpc)).copied()
    }
}

/// Whether a NAT gateway forwards to the internet: available and not a private NAT gateway.
fn nat_usable(nat: &NatGateway) -> bool {
    nat.state.as_deref() == Some("available") && nat.connectivity_type.as_deref() != Some("private")
}

/// Whether a table's active `0.0.0.0/0` route targets a NAT gateway that `usable` accepts.
fn default_nat(table: &RouteTable, usable: &impl Fn(&str) -> bool) -> bool {
    table.routes.iter().any(|r| {
        r.destination_cidr_block.as_deref() == Some("0.0.0.0/0")
            && r.state.as_deref() != Some("blackhole")
            && r.nat_gateway_id.as_deref().is_some_and(usable)
    })
}

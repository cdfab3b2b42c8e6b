//! Where VPC-scoped resources live ([`Scope`]) and the `(account, id)` key every join uses.
//!
//! VPC-scoped records (groups, ACLs, route tables, gateways, VPCs) do not carry their region: it
//! is taken from the subnets, network interfaces and instances of the same VPC and account, never
//! from folder names. Joins never cross accounts.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use crate::evidence::{EvidenceFile, Kind, Records, arn_scope, az_region};

/// `(account, id)`: the key of every join, so that joins never cross accounts.
pub type Key = (String, String);

/// The join key of `id` within `account` (no account: the empty string).
pub fn key(account: Option<&str>, id: &str) -> Key {
    (account.unwrap_or_default().to_string(), id.to_string())
}

/// Where VPC-scoped resources live, learnt from the records that carry a zone.
#[derive(Debug, Default)]
pub struct Scope {
    /// `(account, vpc)` → region.
    vpc_region: BTreeMap<Key, String>,
    /// `(account, subnet)` → VPC.
    subnet_vpc: BTreeMap<Key, String>,
    /// Resource id (VPC, subnet, or an ENI a flow log names) → account, for records that name
    /// only an id.
    resource_account: BTreeMap<String, String>,
    /// Accounts with describe-flow-logs evidence.
    flow_log_accounts: Option<BTreeSet<String>>,
    /// Accounts with describe-internet-gateways evidence.
    igw_accounts: Option<BTreeSet<String>>,
    /// Accounts with elbv2 describe-listeners evidence.
    listener_accounts: Option<BTreeSet<String>>,
}

impl Scope {
    /// Learns regions from subnets, network interfaces and instances, and which accounts the
    /// account-less kinds (flow logs) cover.
    pub fn new<'r>(records: &'r Records, files: &[EvidenceFile]) -> Scope {
        let mut s = Scope::default();
        // Borrowed while learning: every interface names its VPC, and only a few are distinct.
        let mut regions: BTreeMap<(&'r str, &'r str), &'r str> = BTreeMap::new();
        let mut learn = |account: Option<&'r str>, vpc: Option<&'r str>, az: Option<&'r str>| {
            if let (Some(vpc), Some(region)) = (vpc, az.and_then(az_region)) {
                (regions.entry((account.unwrap_or_default(), vpc))).or_insert(region);
            }
        };
        for r in &records.subnets {
            let i = &r.item;
            learn(
                i.owner_id.as_deref(),
                i.vpc_id.as_deref(),
                i.availability_zone.as_deref(),
            );
        }
        for r in &records.network_interfaces {
            let i = &r.item;
            learn(
                i.owner_id.as_deref(),
                i.vpc_id.as_deref(),
                i.availability_zone.as_deref(),
            );
        }
        for r in &records.reservations {
            for i in &r.item.instances {
                let az = i
                    .placement
                    .as_ref()
                    .and_then(|p| p.availability_zone.as_deref());
                learn(r.item.owner_id.as_deref(), i.vpc_id.as_deref(), az);
            }
        }
        s.vpc_region = (regions.into_iter())
            .map(|((account, vpc), region)| (key(Some(account), vpc), region.to_string()))
            .collect();
        for r in &records.subnets {
            let i = &r.item;
            if let Some(vpc) = &i.vpc_id {
                s.subnet_vpc
                    .insert(key(i.owner_id.as_deref(), &i.subnet_id), vpc.clone());
            }
        }
        let mut own = |id: &str, account: Option<&str>| {
            if let Some(a) = account {
                s.resource_account
                    .entry(id.to_string())
                    .or_insert_with(|| a.to_string());
            }
        };
        for r in &records.vpcs {
            own(&r.item.vpc_id, r.item.owner_id.as_deref());
        }
        for r in &records.subnets {
            own(&r.item.subnet_id, r.item.owner_id.as_deref());
        }
        // Only flow logs name an interface by id alone: a large export's other interfaces would
        // take more memory here than all its VPCs and subnets.
        let flow_named: HashSet<&str> = (records.flow_logs.iter())
            .filter_map(|r| r.item.resource_id.as_deref())
            .collect();
        for r in &records.network_interfaces {
            let id = r.item.network_interface_id.as_str();
            if flow_named.contains(id) {
                own(id, r.item.owner_id.as_deref());
            }
        }
        s.learn_coverage(records, files);
        s
    }

    /// Which accounts the flow-log, internet-gateway and listener exports cover.
    fn learn_coverage(&mut self, records: &Records, files: &[EvidenceFile]) {
        let accounts: BTreeSet<String> = (records.vpcs.iter())
            .filter_map(|r| r.item.owner_id.clone())
            .chain(
                (records.network_interfaces.iter())
                    .filter_map(|r| r.item.owner_id.as_deref().map(String::from)),
            )
            .collect();
        let flow_named = (records.flow_logs.iter())
            .filter_map(|r| r.item.resource_id.as_deref())
            .filter_map(|id| self.resource_account.get(id).cloned());
        self.flow_log_accounts = covered(files, Kind::FlowLogs, &accounts, flow_named);
        let igw_named = (records.internet_gateways.iter()).filter_map(|r| r.item.owner_id.clone());
        self.igw_accounts = covered(files, Kind::InternetGateways, &accounts, igw_named);
        let listener_named = (records.listeners.iter())
            .filter_map(|r| arn_scope(&r.item.listener_arn).0.map(String::from));
        self.listener_accounts = covered(files, Kind::ElbListeners, &accounts, listener_named);
    }

    /// The region of a VPC of an account.
    pub fn region(&self, account: Option<&str>, vpc: Option<&str>) -> Option<&str> {
        vpc.and_then(|v| self.vpc_region.get(&key(account, v)))
            .map(String::as_str)
    }

    /// The VPC of a subnet of an account.
    pub fn subnet_vpc(&self, account: Option<&str>, subnet: &str) -> Option<&str> {
        self.subnet_vpc
            .get(&key(account, subnet))
            .map(String::as_str)
    }

    /// The account owning a VPC or subnet id, or a network interface id that a flow log names.
    pub fn account_of(&self, id: &str) -> Option<&str> {
        self.resource_account.get(id).map(String::as_str)
    }

    /// Whether describe-flow-logs evidence covers the account (`None` when there is no such
    /// evidence for it).
    pub fn flow_logs_cover(&self, account: Option<&str>) -> bool {
        covers(&self.flow_log_accounts, account)
    }

    /// Whether the evidence holds describe-flow-logs at all, for any account.
    pub fn flow_logs_exported(&self) -> bool {
        self.flow_log_accounts.is_some()
    }

    /// Whether describe-internet-gateways evidence covers the account.
    pub fn igws_cover(&self, account: Option<&str>) -> bool {
        covers(&self.igw_accounts, account)
    }

    /// Whether elbv2 describe-listeners evidence covers the account.
    pub fn listeners_cover(&self, account: Option<&str>) -> bool {
        covers(&self.listener_accounts, account)
    }
}

fn covers(set: &Option<BTreeSet<String>>, account: Option<&str>) -> bool {
    match (set, account) {
        (Some(set), Some(a)) => set.contains(a),
        _ => false,
    }
}

/// Accounts covered by the evidence of `kind`: those its records name, and every account when
/// the evidence set holds a single one (an empty export then still says "none"). `None` when no
/// file holds that kind.
fn covered(
    files: &[EvidenceFile],
    kind: Kind,
    accounts: &BTreeSet<String>,
    named: impl Iterator<Item = String>,
) -> Option<BTreeSet<String>> {
    if !files.iter().any(|f| f.kind.contains(&kind.command())) {
        return None;
    }
    let mut set: BTreeSet<String> = named.collect();
    if accounts.len() == 1 {
        set.extend(accounts.iter().cloned());
    }
    Some(set)
}

//! The network interfaces load-balancer targets resolve to ([`TargetInterfaces`]), found in the
//! network model (the interface records are freed as the model is built) and indexed only for
//! the addresses and instances some target names: an export of a million interfaces and a few
//! load balancers indexes a few interfaces, not a million.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

use compact_str::CompactString;

use super::Eni;
use crate::evidence::Records;

/// An interface's place for an `ip` target: its account, its VPC and one of its private
/// addresses.
type IpKey = (CompactString, CompactString, IpAddr);

/// The interfaces targets resolve to: by private IP within an account's VPC (`ip` targets),
/// and an instance's primary interface (the one holding the instance's private IP).
#[derive(Debug, Default)]
pub struct TargetInterfaces {
    by_ip: HashMap<IpKey, CompactString>,
    by_instance: HashMap<CompactString, CompactString>,
}

impl TargetInterfaces {
    /// Indexes the interfaces (`enis`, the model's) and instances that the target groups'
    /// targets and the classic load balancers' instances name. Among interfaces holding one
    /// address in one VPC the first in evidence order wins; among an instance's interfaces,
    /// the last holding its private IP (as a search of the records in their order finds them).
    pub fn new(enis: &[Eni], records: &Records) -> TargetInterfaces {
        let health = records
            .target_health
            .iter()
            .map(|t| t.item.target.id.as_str());
        let classic = (records.classic_load_balancers.iter())
            .flat_map(|b| b.item.instances.iter().map(|i| i.instance_id.as_str()));
        let named: HashSet<&str> = health.chain(classic).collect();
        let mut out = TargetInterfaces::default();
        if named.is_empty() {
            return out;
        }
        let addresses: HashSet<IpAddr> = named.iter().filter_map(|id| id.parse().ok()).collect();
        let mut in_order: Vec<&Eni> = enis.iter().collect();
        in_order.sort_unstable_by_key(|e| e.record);
        let mut attached: HashMap<(&str, IpAddr), &CompactString> = HashMap::new();
        for eni in in_order {
            let account = eni.account().unwrap_or_default();
            let instance = (eni.instance_id.as_deref()).filter(|i| named.contains(i));
            for &ip in &eni.private_ips {
                if let Some(vpc) = eni.vpc_id()
                    && addresses.contains(&ip)
                {
                    let key = (account.into(), vpc.into(), ip);
                    out.by_ip.entry(key).or_insert_with(|| eni.id.clone());
                }
                if let Some(instance) = instance {
                    attached.insert((instance, ip), &eni.id);
                }
            }
        }
        let instances = (records.reservations.iter()).flat_map(|r| &r.item.instances);
        for i in instances.filter(|i| named.contains(i.instance_id.as_str())) {
            let primary = i
                .private_ip_address
                .as_deref()
                .and_then(|ip| ip.parse().ok());
            if let Some(eni) = primary.and_then(|ip| attached.get(&(i.instance_id.as_str(), ip))) {
                out.by_instance
                    .insert(i.instance_id.as_str().into(), (*eni).clone());
            }
        }
        out
    }

    /// The interface a target of `target_type` resolves to; `None` when the evidence does not
    /// show it (or the type has no interface of its own: `lambda`, `alb`).
    pub fn resolve(
        &self,
        target_type: Option<&str>,
        id: &str,
        group: Option<(&str, &str)>,
    ) -> Option<&str> {
        match target_type? {
            "ip" => {
                let (account, vpc) = group?;
                let key = (account.into(), vpc.into(), id.parse().ok()?);
                self.by_ip.get(&key).map(CompactString::as_str)
            }
            "instance" => self.by_instance.get(id).map(CompactString::as_str),
            _ => None,
        }
    }
}

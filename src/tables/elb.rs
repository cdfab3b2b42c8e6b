//! Load-balancing tables: `load_balancers`, `lb_listeners` (one row per action of a listener's
//! default rule or of a rule), `target_groups` and `lb_targets` (one row per registered target,
//! with the network interface it resolves to). elbv2 records carry their account and region in
//! their ARNs; a classic load balancer takes them from its VPC or subnets ([`Scope`]).

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use anyhow::Result;
use foldhash::fast::RandomState;
use polars::prelude::*;
use serde_json::{Map, Value};

mod ecs_owners;
mod listeners;

use self::ecs_owners::with_ecs_owners;
use self::listeners::{classic_listeners, listeners_by_load_balancer};
use super::exposure::TargetInterfaces;
use super::frame::FrameBuilder;
use super::scope::Scope;
use super::source_ref;
use crate::evidence::elb::{
    Action, ClassicListener, ClassicLoadBalancer, Listener, LoadBalancer, listener_load_balancer,
};
use crate::evidence::{Record, Records, Source, arn_scope};

/// Where a row lives and what names it.
#[derive(Default)]
struct Scoped<'a> {
    account: Option<&'a str>,
    region: Option<&'a str>,
    arn: Option<String>,
}

impl<'a> Scoped<'a> {
    /// Account and region of an ARN, with the ARN.
    fn of_arn(arn: &'a str) -> Self {
        Scoped {
            arn: Some(arn.to_string()),
            ..Scoped::within(arn)
        }
    }

    /// Account and region of an ARN, without a copy of the ARN (for rows that name their load
    /// balancer otherwise).
    fn within(arn: &'a str) -> Self {
        let (account, region) = arn_scope(arn);
        Scoped {
            account,
            region,
            arn: None,
        }
    }

    /// A classic load balancer's scope, from its VPC or subnets; its ARN
    /// (`arn:aws:elasticloadbalancing:REGION:ACCOUNT:loadbalancer/NAME`) when both are known.
    fn of_classic(lb: &'a ClassicLoadBalancer, scope: &'a Scope) -> Self {
        let account = lb
            .vpc_id
            .iter()
            .chain(&lb.subnets)
            .find_map(|id| scope.account_of(id));
        let vpc = lb.vpc_id.as_deref().or_else(|| {
            let subnet = lb.subnets.first()?;
            scope.subnet_vpc(account, subnet)
        });
        let region = scope.region(account, vpc);
        let arn = account.zip(region).map(|(a, r)| {
            format!(
                "arn:aws:elasticloadbalancing:{r}:{a}:loadbalancer/{}",
                lb.load_balancer_name
            )
        });
        Scoped {
            account,
            region,
            arn,
        }
    }
}

/// Attributes per owner ARN, as one JSON object each.
fn attributes_by_owner(records: &Records) -> HashMap<&str, Map<String, Value>> {
    let mut out: HashMap<&str, Map<String, Value>> = HashMap::new();
    for r in &records.elb_attributes {
        let value = r.item.value.clone().map_or(Value::Null, Value::String);
        out.entry(r.item.owner_arn.as_str())
            .or_default()
            .insert(r.item.key.clone(), value);
    }
    out
}

/// One row of `load_balancers`.
struct LoadBalancerRow<'a> {
    scoped: Scoped<'a>,
    name: Option<&'a str>,
    kind: Option<&'a str>,
    scheme: Option<&'a str>,
    state: Option<&'a str>,
    vpc_id: Option<&'a str>,
    subnets: Vec<&'a str>,
    zones: Vec<&'a str>,
    security_groups: Vec<&'a str>,
    ip_address_type: Option<&'a str>,
    dns_name: Option<&'a str>,
    addresses: Option<String>,
    listeners: Option<String>,
    source: &'a Source,
}

/// The `load_balancers` row of an elbv2 load balancer.
fn elbv2_row<'a>(
    r: &'a Record<LoadBalancer>,
    listeners: &HashMap<String, String>,
) -> LoadBalancerRow<'a> {
    let lb = &r.item;
    let zones = &lb.availability_zones;
    let addresses: Vec<Value> = zones
        .iter()
        .flat_map(|z| z.load_balancer_addresses.iter().map(move |a| (z, a)))
        .map(|(z, a)| {
            let mut v = serde_json::to_value(a).unwrap_or_default();
            v["subnet_id"] = z.subnet_id.clone().into();
            v
        })
        .collect();
    LoadBalancerRow {
        scoped: Scoped::of_arn(&lb.load_balancer_arn),
        name: lb.load_balancer_name.as_deref(),
        kind: lb.kind.as_deref(),
        scheme: lb.scheme.as_deref(),
        state: lb.state.as_ref().and_then(|s| s.code.as_deref()),
        vpc_id: lb.vpc_id.as_deref(),
        subnets: zones
            .iter()
            .filter_map(|z| z.subnet_id.as_deref())
            .collect(),
        zones: zones
            .iter()
            .filter_map(|z| z.zone_name.as_deref())
            .collect(),
        security_groups: lb.security_groups.iter().map(String::as_str).collect(),
        ip_address_type: lb.ip_address_type.as_deref(),
        dns_name: lb.dns_name.as_deref(),
        addresses: Some(Value::Array(addresses).to_string()),
        listeners: listeners.get(&lb.load_balancer_arn).cloned(),
        source: &r.source,
    }
}

/// The `load_balancers` row of a classic load balancer.
fn classic_row<'a>(r: &'a Record<ClassicLoadBalancer>, scope: &'a Scope) -> LoadBalancerRow<'a> {
    let lb = &r.item;
    LoadBalancerRow {
        scoped: Scoped::of_classic(lb, scope),
        name: Some(&lb.load_balancer_name),
        kind: Some("classic"),
        scheme: lb.scheme.as_deref(),
        state: None,
        vpc_id: lb.vpc_id.as_deref(),
        subnets: lb.subnets.iter().map(String::as_str).collect(),
        zones: Vec::new(),
        security_groups: lb.security_groups.iter().map(String::as_str).collect(),
        ip_address_type: None,
        dns_name: lb.dns_name.as_deref(),
        addresses: None,
        listeners: Some(classic_listeners(lb)),
        source: &r.source,
    }
}

/// `load_balancers`: one row per load balancer, elbv2 and classic (`type` `classic`), with
/// the static addresses of network load balancer nodes (`addresses`) and the load balancer's
/// attributes (`attributes`, null when not in the evidence) and its listeners (`listeners`, null
/// when none is in the evidence).
pub fn load_balancers(records: &Records, scope: &Scope) -> Result<DataFrame> {
    let listeners = listeners_by_load_balancer(records);
    let rows: Vec<LoadBalancerRow> = records
        .load_balancers
        .iter()
        .map(|r| elbv2_row(r, &listeners))
        .chain(
            records
                .classic_load_balancers
                .iter()
                .map(|r| classic_row(r, scope)),
        )
        .collect();
    let attributes = attributes_by_owner(records);
    FrameBuilder::new(&rows)
        .str("account", |r| r.scoped.account)
        .str("region", |r| r.scoped.region)
        .str("load_balancer_arn", |r| r.scoped.arn.as_deref())
        .str("name", |r| r.name)
        .str("type", |r| r.kind)
        .str("scheme", |r| r.scheme)
        .str("state", |r| r.state)
        .str("vpc_id", |r| r.vpc_id)
        .list("subnets", |r| r.subnets.iter().copied())
        .list("availability_zones", |r| r.zones.iter().copied())
        .list("security_groups", |r| r.security_groups.iter().copied())
        .str("ip_address_type", |r| r.ip_address_type)
        .str("dns_name", |r| r.dns_name)
        .string("addresses_json", |r| r.addresses.clone())
        .string("attributes_json", |r| {
            let owner = r.scoped.arn.as_deref()?;
            attributes
                .get(owner)
                .map(|m| Value::Object(m.clone()).to_string())
        })
        .string("listeners_json", |r| r.listeners.clone())
        .string("record_ref", |r| Some(source_ref(r.source)))
        .build()
}

/// One row of `lb_listeners`: an action of a listener's default rule or of a rule, or a
/// classic listener.
struct ActionRow<'a> {
    scoped: Scoped<'a>,
    load_balancer_arn: Option<String>,
    listener_arn: Option<String>,
    protocol: Option<&'a str>,
    port: Option<i64>,
    rule_arn: Option<&'a str>,
    priority: Option<&'a str>,
    action: Option<&'a Action>,
    source_ips: Vec<&'a str>,
    classic: Option<&'a ClassicListener>,
    source: Source,
}

/// What a list of actions belongs to: the listener (when in the evidence), its ARN, the ARN
/// that gives account and region, and the rule's ARN, priority and `source-ip` CIDRs.
struct ActionOwner<'a> {
    listener: Option<&'a Listener>,
    listener_arn: Option<String>,
    scope_arn: &'a str,
    rule_arn: Option<&'a str>,
    priority: Option<&'a str>,
    source_ips: Vec<&'a str>,
}

/// The rows of one list of actions, found at `at`/`list`.
fn action_rows<'a>(
    owner: ActionOwner<'a>,
    actions: &'a [Action],
    at: &Source,
    list: &str,
) -> Vec<ActionRow<'a>> {
    let load_balancer_arn = owner
        .listener
        .and_then(|l| l.load_balancer_arn.clone())
        .or_else(|| listener_load_balancer(owner.listener_arn.as_deref()?));
    actions
        .iter()
        .enumerate()
        .map(|(i, action)| ActionRow {
            scoped: Scoped::within(owner.scope_arn),
            load_balancer_arn: load_balancer_arn.clone(),
            listener_arn: owner.listener_arn.clone(),
            protocol: owner.listener.and_then(|l| l.protocol.as_deref()),
            port: owner.listener.and_then(|l| l.port),
            rule_arn: owner.rule_arn,
            priority: owner.priority,
            action: Some(action),
            source_ips: owner.source_ips.clone(),
            classic: None,
            source: at.child(list, i),
        })
        .collect()
}

/// Every row of `lb_listeners`: listeners' default actions, then the rules' actions (a default
/// rule only when its listener is not in the evidence: it repeats the default actions), then
/// classic listeners.
fn listener_rows<'a>(records: &'a Records, scope: &'a Scope) -> Vec<ActionRow<'a>> {
    let listeners: BTreeMap<&str, &Listener> = records
        .listeners
        .iter()
        .map(|r| (r.item.listener_arn.as_str(), &r.item))
        .collect();
    let mut rows: Vec<ActionRow> = Vec::new();
    for r in &records.listeners {
        let l = &r.item;
        let owner = ActionOwner {
            listener: Some(l),
            listener_arn: Some(l.listener_arn.clone()),
            scope_arn: &l.listener_arn,
            rule_arn: None,
            priority: Some("default"),
            source_ips: Vec::new(),
        };
        rows.extend(action_rows(
            owner,
            &l.default_actions,
            &r.source,
            "DefaultActions",
        ));
    }
    for r in &records.listener_rules {
        let rule = &r.item;
        let listener_arn = rule.listener_arn();
        let listener = listener_arn
            .as_deref()
            .and_then(|arn| listeners.get(arn).copied());
        if rule.is_default == Some(true) && listener.is_some() {
            continue;
        }
        let owner = ActionOwner {
            listener,
            listener_arn,
            scope_arn: &rule.rule_arn,
            rule_arn: Some(&rule.rule_arn),
            priority: rule.priority.as_deref(),
            source_ips: rule.source_ips().collect(),
        };
        rows.extend(action_rows(owner, &rule.actions, &r.source, "Actions"));
    }
    rows.extend(classic_listener_rows(
        &records.classic_load_balancers,
        scope,
    ));
    rows
}

/// One row per listener of each classic load balancer.
fn classic_listener_rows<'a>(
    lbs: &'a [Record<ClassicLoadBalancer>],
    scope: &'a Scope,
) -> impl Iterator<Item = ActionRow<'a>> {
    lbs.iter().flat_map(move |r| {
        r.item
            .listener_descriptions
            .iter()
            .enumerate()
            .map(move |(i, d)| {
                let scoped = Scoped::of_classic(&r.item, scope);
                ActionRow {
                    load_balancer_arn: scoped.arn.clone(),
                    scoped,
                    listener_arn: None,
                    protocol: d.listener.protocol.as_deref(),
                    port: d.listener.load_balancer_port,
                    rule_arn: None,
                    priority: Some("default"),
                    action: None,
                    source_ips: Vec::new(),
                    classic: Some(&d.listener),
                    source: r.source.child("ListenerDescriptions", i),
                }
            })
    })
}

/// `lb_listeners`: one row per action of a listener's default rule (`priority` `default`) or of
/// a rule, with the target groups it forwards to (and their weights), the rule's `source-ip`
/// CIDRs and a redirect's target; a classic listener is one `forward` row to `target_port`.
pub fn lb_listeners(records: &Records, scope: &Scope) -> Result<DataFrame> {
    let rows = listener_rows(records, scope);
    FrameBuilder::new(&rows)
        .str("account", |r| r.scoped.account)
        .str("region", |r| r.scoped.region)
        .str("load_balancer_arn", |r| r.load_balancer_arn.as_deref())
        .str("listener_arn", |r| r.listener_arn.as_deref())
        .str("protocol", |r| r.protocol)
        .int("port", |r| r.port)
        .str("rule_arn", |r| r.rule_arn)
        .str("priority", |r| r.priority)
        .int("action_order", |r| r.action.and_then(|a| a.order))
        .str("action_type", |r| {
            r.action.map_or(Some("forward"), |a| Some(&a.kind))
        })
        .string("target_groups_json", |r| {
            let groups = r.action.map(Action::target_groups).unwrap_or_default();
            serde_json::to_string(&groups).ok()
        })
        .list("source_ips", |r| r.source_ips.iter().copied())
        .string("redirect", |r| {
            let redirect = r.action?.redirect_config.as_ref()?;
            Some(redirect.describe())
        })
        .str("fixed_response_status", |r| {
            let fixed = r.action?.fixed_response_config.as_ref()?;
            fixed.status_code.as_deref()
        })
        .str("target_protocol", |r| {
            r.classic?.instance_protocol.as_deref()
        })
        .int("target_port", |r| r.classic?.instance_port)
        .string("record_ref", |r| Some(source_ref(&r.source)))
        .build()
}

/// `target_groups`: one row per target group, with its attributes (`attributes`, null when
/// describe-target-group-attributes is not in the evidence) and `preserve_client_ip` read from
/// them.
pub fn target_groups(records: &Records) -> Result<DataFrame> {
    let attributes = attributes_by_owner(records);
    let attributes_of = |arn: &str| attributes.get(arn);
    FrameBuilder::new(&records.target_groups)
        .str("account", |r| arn_scope(&r.item.target_group_arn).0)
        .str("region", |r| arn_scope(&r.item.target_group_arn).1)
        .str("target_group_arn", |r| Some(&r.item.target_group_arn))
        .str("name", |r| r.item.target_group_name.as_deref())
        .str("target_type", |r| r.item.target_type.as_deref())
        .str("protocol", |r| r.item.protocol.as_deref())
        .int("port", |r| r.item.port)
        .str("vpc_id", |r| r.item.vpc_id.as_deref())
        .list("load_balancer_arns", |r| {
            r.item.load_balancer_arns.iter().map(String::as_str)
        })
        .string("attributes_json", |r| {
            let m = attributes_of(&r.item.target_group_arn)?;
            Some(Value::Object(m.clone()).to_string())
        })
        .bool("preserve_client_ip", |r| {
            let m = attributes_of(&r.item.target_group_arn)?;
            m.get("preserve_client_ip.enabled")?.as_str()?.parse().ok()
        })
        .string("record_ref", |r| Some(source_ref(&r.source)))
        .build()
}

/// One row of `lb_targets`.
struct TargetRow<'a> {
    scoped: Scoped<'a>,
    target_group_arn: Option<&'a str>,
    target_type: Option<&'a str>,
    target_id: &'a str,
    port: Option<i64>,
    availability_zone: Option<&'a str>,
    health_state: Option<&'a str>,
    health_reason: Option<&'a str>,
    network_interface_id: Option<&'a str>,
    /// The target health record, or the classic load balancer's `Instances` entry.
    source: Cow<'a, Source>,
    target_group_source: Option<&'a Source>,
}

/// `lb_targets`: one row per registered target (elbv2 target health, and the instances of
/// classic load balancers, `load_balancer_arn` set for those only). `port` is the target's own
/// port, else its group's; `network_interface_id` is null when the evidence does not show it.
/// The ECS task, task set and service of each target come from `launches` (the tasks joined
/// to their services, sets and deployments, `ecs::task_launches`) and from the services' and
/// task sets' `loadBalancers[]`.
pub fn lb_targets(
    records: &Records,
    scope: &Scope,
    launches: &DataFrame,
    interfaces: &TargetInterfaces,
) -> Result<DataFrame> {
    let groups: HashMap<&str, _, RandomState> = records
        .target_groups
        .iter()
        .map(|r| (r.item.target_group_arn.as_str(), r))
        .collect();
    let mut rows: Vec<TargetRow> = records
        .target_health
        .iter()
        .map(|r| {
            let t = &r.item;
            let group = groups.get(t.target_group_arn.as_str()).copied();
            let scoped = Scoped::within(&t.target_group_arn);
            let target_type = group.and_then(|g| g.item.target_type.as_deref());
            let vpc = group.and_then(|g| g.item.vpc_id.as_deref());
            let group_at = scoped.account.zip(vpc);
            let health = t.target_health.as_ref();
            TargetRow {
                target_group_arn: Some(&t.target_group_arn),
                target_type,
                target_id: &t.target.id,
                port: t.target.port.or(group.and_then(|g| g.item.port)),
                availability_zone: t.target.availability_zone.as_deref(),
                health_state: health.and_then(|h| h.state.as_deref()),
                health_reason: health.and_then(|h| h.reason.as_deref()),
                network_interface_id: interfaces.resolve(target_type, &t.target.id, group_at),
                source: Cow::Borrowed(&r.source),
                target_group_source: group.map(|g| &g.source),
                scoped,
            }
        })
        .collect();
    for r in &records.classic_load_balancers {
        for (i, instance) in r.item.instances.iter().enumerate() {
            rows.push(TargetRow {
                scoped: Scoped::of_classic(&r.item, scope),
                target_group_arn: None,
                target_type: Some("instance"),
                target_id: &instance.instance_id,
                port: None,
                availability_zone: None,
                health_state: None,
                health_reason: None,
                network_interface_id: interfaces.resolve(
                    Some("instance"),
                    &instance.instance_id,
                    None,
                ),
                source: Cow::Owned(r.source.child("Instances", i)),
                target_group_source: None,
            });
        }
    }
    let frame = FrameBuilder::new(&rows)
        .str("account", |r| r.scoped.account)
        .str("region", |r| r.scoped.region)
        .str("load_balancer_arn", |r| r.scoped.arn.as_deref())
        .str("target_group_arn", |r| r.target_group_arn)
        .str("target_type", |r| r.target_type)
        .str("target_id", |r| Some(r.target_id))
        .int("port", |r| r.port)
        .str("availability_zone", |r| r.availability_zone)
        .str("health_state", |r| r.health_state)
        .str("health_reason", |r| r.health_reason)
        .str("network_interface_id", |r| r.network_interface_id)
        .string("record_ref", |r| Some(source_ref(&r.source)))
        .string("target_group_ref", |r| {
            r.target_group_source.map(source_ref)
        })
        .build()?;
    with_ecs_owners(frame, launches, records)
}

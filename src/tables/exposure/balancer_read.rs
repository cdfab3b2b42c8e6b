//! Reading the load balancers of the evidence into [`Balancers`]: target groups with their
//! registered targets resolved to interfaces, listeners with their default actions and rules, node
//! interfaces, and classic load balancers (one target group per listener).

use std::collections::HashMap;

use super::balancer::{
    Balancer, BalancerGroup, BalancerKind, BalancerListener, BalancerTarget, Balancers,
    ListenerRoute, RouteAction,
};
use super::network::Network;
use super::targets::TargetInterfaces;
use crate::evidence::elb::{
    Action, ClassicLoadBalancer, Listener, ListenerRule, LoadBalancer, TargetHealthDescription,
    listener_load_balancer,
};
use crate::evidence::{Record, Records, arn_scope};
use crate::tables::scope::Scope;

/// A port number that fits.
fn port(p: Option<i64>) -> Option<u16> {
    p.and_then(|p| u16::try_from(p).ok())
}

/// Listeners by load balancer ARN, and rules by listener ARN.
struct ListenerIndex<'a> {
    listeners: HashMap<String, Vec<&'a Record<Listener>>>,
    rules: HashMap<String, Vec<&'a Record<ListenerRule>>>,
}

impl<'a> ListenerIndex<'a> {
    fn new(records: &'a Records) -> Self {
        let mut listeners: HashMap<String, Vec<_>> = HashMap::new();
        for l in &records.listeners {
            let lb = (l.item.load_balancer_arn.clone())
                .or_else(|| listener_load_balancer(&l.item.listener_arn));
            listeners.entry(lb.unwrap_or_default()).or_default().push(l);
        }
        let mut rules: HashMap<String, Vec<_>> = HashMap::new();
        for r in &records.listener_rules {
            if r.item.is_default != Some(true)
                && let Some(listener) = r.item.listener_arn()
            {
                rules.entry(listener).or_default().push(r);
            }
        }
        for list in rules.values_mut() {
            list.sort_by_key(|r| {
                r.item
                    .priority
                    .as_deref()
                    .and_then(|p| p.parse::<u32>().ok())
            });
        }
        ListenerIndex { listeners, rules }
    }
}

/// The route a list of actions makes: `authenticate-*` actions, then the one that ends it.
fn route_action(actions: &[Action], groups: &HashMap<String, usize>) -> (Vec<String>, RouteAction) {
    let mut sorted: Vec<&Action> = actions.iter().collect();
    sorted.sort_by_key(|a| a.order.unwrap_or(i64::MAX));
    let gate = |a: &Action| a.kind.starts_with("authenticate-") || a.kind == "jwt-validation";
    let authenticated = (sorted.iter())
        .filter(|a| gate(a))
        .map(|a| a.kind.clone())
        .collect();
    let action = match sorted.into_iter().find(|a| !gate(a)) {
        Some(a) if a.kind == "forward" => RouteAction::Forward(
            (a.target_groups().into_iter())
                .map(|t| {
                    let index = groups.get(&t.target_group_arn).copied();
                    (index, t.target_group_arn, t.weight)
                })
                .collect(),
        ),
        Some(a) if a.kind == "redirect" => RouteAction::Redirect(
            a.redirect_config
                .as_ref()
                .map(|r| r.describe())
                .unwrap_or_default(),
        ),
        Some(a) if a.kind == "fixed-response" => RouteAction::FixedResponse(
            (a.fixed_response_config.as_ref())
                .and_then(|f| f.status_code.clone())
                .unwrap_or_default(),
        ),
        Some(a) => RouteAction::Other(a.kind.clone()),
        None => RouteAction::Other("no action".to_string()),
    };
    (authenticated, action)
}

/// Interfaces by (account, `Description`), for finding load balancer nodes.
type NodeIndex = HashMap<(Option<String>, String), Vec<usize>>;

/// The `Description` AWS gives a load balancer's node interfaces.
fn node_description(arn: &str) -> Option<String> {
    let (_, suffix) = arn.split_once(":loadbalancer/")?;
    Some(format!("ELB {suffix}"))
}

impl Network {
    /// Reads the load balancers, their listeners and target groups into engine-ready form.
    pub(super) fn read_balancers(
        &mut self,
        records: &Records,
        scope: &Scope,
        interfaces: &TargetInterfaces,
    ) -> Balancers {
        let mut out = Balancers::default();
        let groups = self.read_groups(records, interfaces, &mut out);
        let index = ListenerIndex::new(records);
        let mut nodes = NodeIndex::new();
        for (i, e) in self.enis.iter().enumerate() {
            if let Some(d) = e.description.as_deref().filter(|d| d.starts_with("ELB ")) {
                nodes
                    .entry((e.account().map(String::from), d.to_string()))
                    .or_default()
                    .push(i);
            }
        }
        for r in &records.load_balancers {
            let lb = self.elbv2_balancer(r, &index, &groups, &nodes, scope);
            out.balancers.push(lb);
        }
        for r in &records.classic_load_balancers {
            let lb = self.classic_balancer(r, interfaces, scope, &nodes, &mut out);
            out.balancers.push(lb);
        }
        out
    }

    /// Reads every elbv2 target group with its targets; returns ARN → index.
    fn read_groups(
        &mut self,
        records: &Records,
        interfaces: &TargetInterfaces,
        out: &mut Balancers,
    ) -> HashMap<String, usize> {
        let mut preserve: HashMap<&str, bool> = HashMap::new();
        for a in &records.elb_attributes {
            if a.item.key == "preserve_client_ip.enabled" {
                let on = a.item.value.as_deref() == Some("true");
                preserve.insert(a.item.owner_arn.as_str(), on);
            }
        }
        let mut health: HashMap<&str, Vec<&Record<TargetHealthDescription>>> = HashMap::new();
        for t in &records.target_health {
            let arn = t.item.target_group_arn.as_str();
            health.entry(arn).or_default().push(t);
        }
        let mut index = HashMap::new();
        for g in &records.target_groups {
            let tg = &g.item;
            let (account, _) = arn_scope(&tg.target_group_arn);
            let at = account.zip(tg.vpc_id.as_deref());
            let registered = health.get(tg.target_group_arn.as_str());
            let mut targets = Vec::new();
            for t in registered.into_iter().flatten() {
                let resolved = interfaces.resolve(tg.target_type.as_deref(), &t.item.target.id, at);
                targets.push(BalancerTarget {
                    id: t.item.target.id.clone(),
                    port: port(t.item.target.port.or(tg.port)),
                    state: (t.item.target_health.as_ref()).and_then(|h| h.state.clone()),
                    eni: resolved.and_then(|id| self.eni_index(account, id)),
                    record: self.record(&t.source),
                });
            }
            index.insert(tg.target_group_arn.clone(), out.groups.len());
            out.groups.push(BalancerGroup {
                arn: Some(tg.target_group_arn.clone()),
                target_type: tg.target_type.clone().unwrap_or_else(|| "instance".into()),
                protocol: tg.protocol.clone(),
                port: port(tg.port),
                preserve_client_ip: preserve.get(tg.target_group_arn.as_str()).copied(),
                health_exported: registered.is_some(),
                load_balancers: tg.load_balancer_arns.clone(),
                targets,
                record: self.record(&g.source),
            });
        }
        index
    }

    /// One Application, Network or Gateway Load Balancer with its listeners.
    fn elbv2_balancer(
        &mut self,
        r: &Record<LoadBalancer>,
        index: &ListenerIndex,
        groups: &HashMap<String, usize>,
        nodes: &NodeIndex,
        scope: &Scope,
    ) -> Balancer {
        let lb = &r.item;
        let (account, region) = arn_scope(&lb.load_balancer_arn);
        let listeners_exported = scope.listeners_cover(account);
        let subnets: Vec<&str> = (lb.availability_zones.iter())
            .filter_map(|z| z.subnet_id.as_deref())
            .collect();
        let kind = match lb.kind.as_deref() {
            Some("network") => BalancerKind::Network,
            Some("gateway") => BalancerKind::Gateway,
            _ => BalancerKind::Application,
        };
        let listeners = (index
            .listeners
            .get(&lb.load_balancer_arn)
            .into_iter()
            .flatten())
        .filter_map(|l| self.listener(l, index, groups))
        .collect();
        let description = node_description(&lb.load_balancer_arn);
        Balancer {
            arn: lb.load_balancer_arn.clone(),
            name: lb.load_balancer_name.clone().unwrap_or_default(),
            kind,
            internet_facing: lb.scheme.as_deref() == Some("internet-facing"),
            account: account.map(String::from),
            region: region.map(String::from),
            security_groups: lb.security_groups.clone(),
            nodes: self.nodes(nodes, account, description.as_deref(), &subnets),
            listeners,
            listeners_exported,
            record: self.record(&r.source),
        }
    }

    /// One elbv2 listener: its default actions, then its rules by priority.
    fn listener(
        &mut self,
        r: &Record<Listener>,
        index: &ListenerIndex,
        groups: &HashMap<String, usize>,
    ) -> Option<BalancerListener> {
        let l = &r.item;
        let (authenticated, action) = route_action(&l.default_actions, groups);
        let mut routes = vec![ListenerRoute {
            priority: "default".to_string(),
            action,
            authenticated,
            source_ips: Vec::new(),
            record: self.record(&r.source.child("DefaultActions", 0)),
        }];
        for rule in index.rules.get(&l.listener_arn).into_iter().flatten() {
            let (authenticated, action) = route_action(&rule.item.actions, groups);
            routes.push(ListenerRoute {
                priority: rule.item.priority.clone().unwrap_or_default(),
                action,
                authenticated,
                source_ips: rule
                    .item
                    .source_ips()
                    .filter_map(|c| c.parse().ok())
                    .collect(),
                record: self.record(&rule.source),
            });
        }
        Some(BalancerListener {
            protocol: l.protocol.clone().unwrap_or_default(),
            port: port(l.port)?,
            routes,
            record: self.record(&r.source),
        })
    }

    /// A classic load balancer: each listener forwards to the registered instances on its
    /// instance port, read as a target group of its own.
    fn classic_balancer(
        &mut self,
        r: &Record<ClassicLoadBalancer>,
        interfaces: &TargetInterfaces,
        scope: &Scope,
        nodes: &NodeIndex,
        out: &mut Balancers,
    ) -> Balancer {
        let lb = &r.item;
        let account = (lb.vpc_id.iter().chain(&lb.subnets))
            .find_map(|id| scope.account_of(id))
            .map(String::from);
        let record = self.record(&r.source);
        let mut listeners = Vec::new();
        for (i, d) in lb.listener_descriptions.iter().enumerate() {
            let Some(lb_port) = port(d.listener.load_balancer_port) else {
                continue;
            };
            let targets = (lb.instances.iter().enumerate())
                .map(|(k, instance)| BalancerTarget {
                    id: instance.instance_id.clone(),
                    port: port(d.listener.instance_port),
                    state: None,
                    eni: (interfaces.resolve(Some("instance"), &instance.instance_id, None))
                        .and_then(|id| self.eni_index(account.as_deref(), id)),
                    record: self.record(&r.source.child("Instances", k)),
                })
                .collect();
            let at = self.record(&r.source.child("ListenerDescriptions", i));
            let group = out.groups.len();
            out.groups.push(BalancerGroup {
                arn: None,
                target_type: "instance".to_string(),
                protocol: d.listener.instance_protocol.clone(),
                port: port(d.listener.instance_port),
                preserve_client_ip: None,
                health_exported: true,
                load_balancers: Vec::new(),
                targets,
                record,
            });
            listeners.push(BalancerListener {
                protocol: d.listener.protocol.clone().unwrap_or_default(),
                port: lb_port,
                routes: vec![ListenerRoute {
                    priority: "default".to_string(),
                    action: RouteAction::Forward(vec![(Some(group), String::new(), None)]),
                    authenticated: Vec::new(),
                    source_ips: Vec::new(),
                    record: at,
                }],
                record: at,
            });
        }
        let subnets: Vec<&str> = lb.subnets.iter().map(String::as_str).collect();
        let description = format!("ELB {}", lb.load_balancer_name);
        let vpc = lb.vpc_id.as_deref().or_else(|| {
            let subnet = lb.subnets.first()?;
            scope.subnet_vpc(account.as_deref(), subnet)
        });
        let region = scope.region(account.as_deref(), vpc).map(String::from);
        Balancer {
            arn: classic_arn(lb, account.as_deref(), region.as_deref()),
            name: lb.load_balancer_name.clone(),
            kind: BalancerKind::Classic,
            internet_facing: lb.scheme.as_deref() == Some("internet-facing"),
            nodes: self.nodes(nodes, account.as_deref(), Some(&description), &subnets),
            account,
            region,
            security_groups: lb.security_groups.clone(),
            listeners,
            listeners_exported: true,
            record,
        }
    }

    /// The node interfaces with `description` in one of `subnets`.
    fn nodes(
        &self,
        index: &NodeIndex,
        account: Option<&str>,
        description: Option<&str>,
        subnets: &[&str],
    ) -> Vec<usize> {
        let Some(description) = description else {
            return Vec::new();
        };
        let key = (account.map(String::from), description.to_string());
        (index.get(&key).into_iter().flatten().copied())
            .filter(|&i| (self.enis[i].subnet_id()).is_some_and(|s| subnets.contains(&s)))
            .collect()
    }
}

/// A classic load balancer's ARN: derived when account and region are known, else its name.
fn classic_arn(lb: &ClassicLoadBalancer, account: Option<&str>, region: Option<&str>) -> String {
    match account.zip(region) {
        Some((a, r)) => format!(
            "arn:aws:elasticloadbalancing:{r}:{a}:loadbalancer/{}",
            lb.load_balancer_name
        ),
        None => lb.load_balancer_name.clone(),
    }
}

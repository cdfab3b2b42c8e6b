//! The second path in: internet → load balancer node → listener → target group → target.
//!
//! A path is one (load balancer, listener route, target group, registered target). Its hops:
//! `lb_scheme`; the front leg, the engine's six hops evaluated on the best of the load balancer's
//! node interfaces for the listener's protocol and port (and a rule's `source-ip`); `listener`;
//! `target_group`; and the back leg, the engine's three hops from the load balancer to the target's
//! interface on the target port. The target sees the nodes' private addresses, or the internet
//! clients' when a Network Load Balancer preserves them.

use std::collections::{BTreeSet, HashMap};

use ipnet::IpNet;
use rayon::prelude::*;

use super::balancer::{
    Balancer, BalancerGroup, BalancerKind, BalancerTarget, ListenerRoute, short_arn,
};
use super::network::{ConfigKey, Network};
use crate::reach::{
    self, AddrSet, Evaluation, Exposure, Hop, HopKind, IpVersion, Protocol, Query, Reachable,
    Sources, Verdict,
};

/// One path through a load balancer to a registered target, evaluated.
#[derive(Debug, Clone)]
pub struct LbPath {
    /// Index into [`super::Balancers::balancers`].
    pub balancer: usize,
    /// (listener, route) indexes into the balancer's listeners; `None` when no listener route
    /// forwards to the target group.
    pub route: Option<(usize, usize)>,
    /// Index into [`super::Balancers::groups`].
    pub group: usize,
    /// Index into the group's targets.
    pub target: usize,
    /// The answer over the whole path.
    pub reachable: Reachable,
    /// Every hop, in path order.
    pub hops: Vec<Hop>,
    /// What reaches the target: the internet sources, on the listener's protocol and port.
    pub exposed: Vec<Exposure>,
}

impl LbPath {
    /// The first hop that closes the path.
    pub fn blocking_hop(&self) -> Option<&Hop> {
        self.hops.iter().find(|h| h.verdict == Verdict::Fail)
    }
}

/// The protocol a listener or target group protocol name carries.
pub fn transport(name: &str) -> Protocol {
    match name.to_ascii_uppercase().as_str() {
        "UDP" => Protocol::UDP,
        _ => Protocol::TCP,
    }
}

/// Whether the target sees the internet client's address rather than the node's.
pub fn preserves_client_ip(lb: &Balancer, group: &BalancerGroup) -> bool {
    if lb.kind != BalancerKind::Network {
        return false;
    }
    let udp = group.protocol.as_deref().is_some_and(|p| p.contains("UDP"));
    group
        .preserve_client_ip
        .unwrap_or(group.target_type == "instance" || udp)
}

/// The hops of a leg whose evidence is missing, each indeterminate with the same reason.
fn unknown_leg(kinds: &[HopKind], detail: &str) -> Vec<Hop> {
    let hop = |k: &HopKind| Hop::new(*k, Verdict::Indeterminate, detail.to_string(), Vec::new());
    kinds.iter().map(hop).collect()
}

/// The front leg's key: (node interface, protocol, port, source-ip CIDR, whether the load
/// balancer's security groups apply).
type FrontKey = (usize, Protocol, u16, Option<IpNet>, bool);

/// Every load-balancer path of the evidence, and each load balancer's own front, evaluated.
#[derive(Debug, Clone, Default)]
pub struct LbAnswers {
    /// Every path, in balancer, group, target, route order.
    pub paths: Vec<LbPath>,
    /// Per load balancer: the front leg of its best node on its best listener (`None` without a
    /// listener or a node interface in the evidence).
    pub fronts: Vec<Option<Evaluation>>,
}

/// Evaluates every load-balancer path of the evidence; each front-leg question (node, listener,
/// source) is answered once, in parallel.
pub fn lb_answers(network: &Network) -> LbAnswers {
    let skeletons = skeletons(network);
    let mut keys: BTreeSet<FrontKey> = BTreeSet::new();
    for s in &skeletons {
        keys.extend(front_keys(network, s));
    }
    let own: Vec<Vec<FrontKey>> = (network.balancers.balancers.iter())
        .map(balancer_keys)
        .collect();
    keys.extend(own.iter().flatten());
    let fronts = evaluate_fronts(network, keys);
    let best = |keys: &[FrontKey]| {
        (keys.iter().filter_map(|k| fronts.get(k)))
            .max_by_key(|e| front_rank(e))
            .cloned()
    };
    let plans: Vec<Plan> = (skeletons.par_iter())
        .map(|s| plan(network, &fronts, s))
        .collect();
    let mut needed: HashMap<&BackKey, &LbPath> = HashMap::new();
    for (s, p) in skeletons.iter().zip(&plans) {
        if let Some(k) = &p.back {
            needed.entry(k).or_insert(s);
        }
    }
    let backs: HashMap<BackKey, Result<Evaluation, String>> = (needed.into_par_iter())
        .map(|(k, s)| (k.clone(), back_leg(network, s, k, &fronts)))
        .collect();
    let paths = (skeletons.into_par_iter().zip(plans.into_par_iter()))
        .map(|(s, p)| evaluate_path(network, &fronts, &backs, s, p))
        .collect();
    LbAnswers {
        fronts: own.iter().map(|k| best(k)).collect(),
        paths,
    }
}

/// A front-leg question with the node's configuration in place of the node: nodes of one
/// configuration get the same answer but for the text of their addresses.
type FrontConfig = (ConfigKey, Protocol, u16, Option<IpNet>, bool);

/// Answers the front-leg questions `keys`, evaluating each configuration's question once (in
/// parallel) and giving each node its own addresses in the answer ([`on_node`]).
fn evaluate_fronts(network: &Network, keys: BTreeSet<FrontKey>) -> HashMap<FrontKey, Evaluation> {
    let config = |&(node, protocol, port, from, enforced): &FrontKey| {
        let key = network.config_key(&network.enis[node]);
        (key, protocol, port, from, enforced)
    };
    let keyed: Vec<(FrontKey, FrontConfig)> =
        (keys.into_par_iter()).map(|k| (k, config(&k))).collect();
    let mut first: HashMap<&FrontConfig, FrontKey> = HashMap::new();
    for (key, config) in &keyed {
        first.entry(config).or_insert(*key);
    }
    let answers: HashMap<&FrontConfig, Evaluation> = (first.into_par_iter())
        .map(|(config, key)| (config, evaluate_front(network, key)))
        .collect();
    (keyed.par_iter())
        .map(|(key, config)| (*key, on_node(network, key.0, &answers[config])))
        .collect()
}

/// A front leg evaluated on a node of `node`'s configuration, as `node` gets it: a passing
/// `lb_public_ip` hop names `node`'s own addresses, as the engine writes it.
fn on_node(network: &Network, node: usize, front: &Evaluation) -> Evaluation {
    let mut front = front.clone();
    let addresses = network.enis[node].addresses(IpVersion::V4);
    for hop in &mut front.hops {
        if hop.hop == HopKind::LbPublicIp && hop.verdict == Verdict::Pass {
            hop.detail = reach::public_address_detail(IpVersion::V4, addresses);
        }
    }
    front
}

/// The back leg's key: the target's network configuration, port and protocol, the load balancer
/// the traffic comes from, and the front leg whose clients it preserves (if it does).
type BackKey = (ConfigKey, Option<u16>, Protocol, usize, Option<FrontKey>);

/// The shared answers one path is assembled from.
struct Plan {
    /// Its best front-leg question (none without a listener route or a node interface).
    front: Option<FrontKey>,
    /// Its back-leg question (none when the target's interface is not in the evidence).
    back: Option<BackKey>,
}

/// Picks a path's best front leg and names its back leg.
fn plan(network: &Network, fronts: &HashMap<FrontKey, Evaluation>, path: &LbPath) -> Plan {
    let b = &network.balancers;
    let lb = &b.balancers[path.balancer];
    let group = &b.groups[path.group];
    let target = &group.targets[path.target];
    let front = (front_keys(network, path).into_iter())
        .filter_map(|k| Some((k, front_rank(fronts.get(&k)?))))
        .max_by_key(|(_, rank)| *rank)
        .map(|(k, _)| k);
    let protocol = path.route.map_or(Protocol::TCP, |(li, _)| {
        transport(&lb.listeners[li].protocol)
    });
    let preserved = front.filter(|_| preserves_client_ip(lb, group));
    let back = target.eni.map(|i| {
        let config = network.config_key(&network.enis[i]);
        (config, target.port, protocol, path.balancer, preserved)
    });
    Plan { front, back }
}

/// Whether a load balancer's security groups apply: a Network Load Balancer created without
/// any admits all client traffic.
fn groups_enforced(lb: &Balancer) -> bool {
    lb.kind != BalancerKind::Network || !lb.security_groups.is_empty()
}

/// The front-leg questions of a load balancer itself: each node on each listener, any source.
fn balancer_keys(lb: &Balancer) -> Vec<FrontKey> {
    let enforced = groups_enforced(lb);
    (lb.listeners.iter())
        .flat_map(|l| {
            let protocol = transport(&l.protocol);
            (lb.nodes.iter()).map(move |&n| (n, protocol, l.port, None, enforced))
        })
        .collect()
}

/// The paths to evaluate, in balancer, group, target, listener, route order. The groups of a
/// load balancer are found through an index of the groups by the load balancers they name, and
/// through its routes' own forward targets, never by a scan of every group.
fn skeletons(network: &Network) -> Vec<LbPath> {
    let b = &network.balancers;
    let mut attached: HashMap<&str, Vec<usize>> = HashMap::new();
    for (gi, g) in b.groups.iter().enumerate() {
        for arn in &g.load_balancers {
            attached.entry(arn.as_str()).or_default().push(gi);
        }
    }
    let mut out = Vec::new();
    for (bi, lb) in b.balancers.iter().enumerate() {
        let mut groups: BTreeSet<usize> = (attached.get(lb.arn.as_str()))
            .map_or_else(BTreeSet::new, |gs| gs.iter().copied().collect());
        let routes = lb.listeners.iter().flat_map(|l| &l.routes);
        groups.extend(routes.flat_map(ListenerRoute::forwarded_groups));
        for gi in groups {
            let routes = routes_to(lb, gi);
            for ti in 0..b.groups[gi].targets.len() {
                for route in &routes {
                    out.push(LbPath {
                        balancer: bi,
                        route: *route,
                        group: gi,
                        target: ti,
                        reachable: Reachable::No,
                        hops: Vec::new(),
                        exposed: Vec::new(),
                    });
                }
            }
        }
    }
    out
}

/// The listener routes a path to group `gi` goes through: those forwarding to it; when none
/// does, each listener's default route (closed at `listener`, saying what it does instead); with
/// no listener at all, none.
fn routes_to(lb: &Balancer, gi: usize) -> Vec<Option<(usize, usize)>> {
    let forwarding: Vec<Option<(usize, usize)>> = (lb.listeners.iter().enumerate())
        .flat_map(|(li, l)| l.routes.iter().enumerate().map(move |(ri, r)| (li, ri, r)))
        .filter(|(_, _, r)| r.weight_to(gi).is_some())
        .map(|(li, ri, _)| Some((li, ri)))
        .collect();
    if !forwarding.is_empty() {
        forwarding
    } else if lb.listeners.is_empty() {
        vec![None]
    } else {
        (0..lb.listeners.len()).map(|li| Some((li, 0))).collect()
    }
}

/// The front-leg evaluations a path needs: one per node and `source-ip` CIDR.
fn front_keys(network: &Network, path: &LbPath) -> Vec<FrontKey> {
    let lb = &network.balancers.balancers[path.balancer];
    let Some((li, ri)) = path.route else {
        return Vec::new();
    };
    let listener = &lb.listeners[li];
    let route = &listener.routes[ri];
    let froms: Vec<Option<IpNet>> = if route.source_ips.is_empty() {
        vec![None]
    } else {
        route.source_ips.iter().copied().map(Some).collect()
    };
    let protocol = transport(&listener.protocol);
    let enforced = groups_enforced(lb);
    (lb.nodes.iter())
        .flat_map(|&n| {
            froms
                .iter()
                .map(move |f| (n, protocol, listener.port, *f, enforced))
        })
        .collect()
}

/// A front leg's hops, the address check resting on the node interface's own record.
pub fn node_hops(network: &Network, node: usize, front: &Evaluation) -> Vec<Hop> {
    let mut hops = front.hops.clone();
    for h in &mut hops {
        if h.hop == HopKind::LbPublicIp && h.records.is_empty() {
            h.records.push(network.enis[node].record);
        }
    }
    hops
}

/// A listener's front leg on its best node: the node (index into [`Network::enis`]) and the
/// engine's answer; `None` when the evidence holds no node interface of the load balancer.
pub fn listener_front(
    network: &Network,
    lb: &Balancer,
    listener: usize,
) -> Option<(usize, Evaluation)> {
    let l = &lb.listeners[listener];
    let key = |n: usize| (n, transport(&l.protocol), l.port, None, groups_enforced(lb));
    (lb.nodes.iter())
        .map(|&n| (n, evaluate_front(network, key(n))))
        .max_by_key(|(_, e)| front_rank(e))
}

/// The engine's answer for one node interface on one listener.
fn evaluate_front(network: &Network, key: FrontKey) -> Evaluation {
    let (node, protocol, port, from, enforced) = key;
    let query = Query {
        protocol: Some(protocol),
        port: Some(port),
        from,
    };
    let iface = network.interface(&network.enis[node], IpVersion::V4);
    reach::evaluate_lb_node(&iface, IpVersion::V4, &query, enforced)
}

/// How far a front-leg answer gets: reachable first, then indeterminate, then the closed one
/// whose blocking hop comes latest.
fn front_rank(e: &Evaluation) -> (u8, Option<HopKind>) {
    match e.reachable {
        Reachable::Yes => (2, None),
        Reachable::Indeterminate => (1, None),
        Reachable::No => (0, e.blocking_hop().map(|h| h.hop)),
    }
}

/// Assembles one path from its shared answers.
fn evaluate_path(
    network: &Network,
    fronts: &HashMap<FrontKey, Evaluation>,
    backs: &HashMap<BackKey, Result<Evaluation, String>>,
    path: LbPath,
    plan: Plan,
) -> LbPath {
    let b = &network.balancers;
    let lb = &b.balancers[path.balancer];
    let group = &b.groups[path.group];
    let target = &group.targets[path.target];
    let mut hops = vec![scheme_hop(lb)];
    let front = plan.front.map(|k| &fronts[&k]);
    match (path.route, plan.front, front) {
        (Some(_), Some(key), Some(front)) => hops.extend(node_hops(network, key.0, front)),
        (Some(_), _, _) => hops.extend(unknown_leg(
            &HopKind::LOAD_BALANCER_PATH[1..7],
            "the load balancer's node interfaces (Description \"ELB …\") are not in the evidence: \
             export describe-network-interfaces for its subnets",
        )),
        (None, _, _) => {}
    }
    let route = path
        .route
        .map(|(li, ri)| (&lb.listeners[li], &lb.listeners[li].routes[ri]));
    hops.push(listener_hop(lb, route, path.group, group));
    hops.push(target_group_hop(group, target));
    let back = match &plan.back {
        Some(key) => backs[key].as_ref().map_err(Clone::clone),
        None => Err(format!(
            "the target's network interface is not in the evidence (target {})",
            target.id
        )),
    };
    match &back {
        Ok(e) => hops.extend(e.hops.iter().cloned()),
        Err(why) => hops.extend(unknown_leg(&HopKind::LOAD_BALANCER_PATH[9..], why)),
    }
    let back = back.ok();
    let reachable = verdict(&hops, front, back);
    let preserved = plan.back.as_ref().is_some_and(|k| k.4.is_some());
    let exposed = match (reachable, preserved, back, front) {
        (Reachable::Yes, true, Some(back), _) => back.exposed.clone(),
        (Reachable::Yes, false, _, Some(front)) => front.exposed.clone(),
        _ => Vec::new(),
    };
    let exposed = exposed.into_iter().filter(|e| !e.indeterminate).collect();
    LbPath {
        reachable,
        hops,
        exposed,
        ..path
    }
}

/// The path's answer: closed by any failing hop or closed leg; open when every leg is; else
/// indeterminate.
fn verdict(hops: &[Hop], front: Option<&Evaluation>, back: Option<&Evaluation>) -> Reachable {
    let legs = [front.map(|e| e.reachable), back.map(|e| e.reachable)];
    if hops.iter().any(|h| h.verdict == Verdict::Fail) || legs.contains(&Some(Reachable::No)) {
        Reachable::No
    } else if hops.iter().all(|h| h.verdict == Verdict::Pass)
        && legs.iter().all(|l| *l == Some(Reachable::Yes))
    {
        Reachable::Yes
    } else {
        Reachable::Indeterminate
    }
}

/// `lb_scheme`: only an internet-facing load balancer has public nodes.
pub fn scheme_hop(lb: &Balancer) -> Hop {
    let (verdict, detail) = if lb.internet_facing {
        (
            Verdict::Pass,
            format!("{} {} is internet-facing", lb.kind.as_str(), lb.name),
        )
    } else {
        let what = format!(
            "{} {} is internal: its nodes have only private addresses",
            lb.kind.as_str(),
            lb.name
        );
        (Verdict::Fail, what)
    };
    Hop::new(HopKind::LbScheme, verdict, detail, vec![lb.record])
}

/// `listener`: a listener route forwards to the group with a weight above zero.
fn listener_hop(
    lb: &Balancer,
    route: Option<(&super::BalancerListener, &ListenerRoute)>,
    gi: usize,
    group: &BalancerGroup,
) -> Hop {
    let name = group.arn.as_deref().map_or("its instances", short_arn);
    let Some((listener, r)) = route else {
        let detail = if lb.listeners_exported {
            format!("{} has no listener: nothing forwards to {name}", lb.name)
        } else {
            format!(
                "the listeners of {} are not in the evidence: export describe-listeners",
                lb.name
            )
        };
        let verdict = if lb.listeners_exported {
            Verdict::Fail
        } else {
            Verdict::Indeterminate
        };
        return Hop::new(HopKind::Listener, verdict, detail, vec![lb.record]);
    };
    let at = if r.priority == "default" {
        "default action".to_string()
    } else {
        format!("rule {}", r.priority)
    };
    let head = format!("{} {} ({at})", listener.protocol, listener.port);
    let records = vec![listener.record, r.record];
    if r.weight_to(gi).is_none() {
        let detail = format!("{head}: {}; nothing forwards to {name}", r.describe());
        return Hop::new(HopKind::Listener, Verdict::Fail, detail, records);
    }
    if r.weight_to(gi) == Some(Some(0)) {
        let detail = format!("{head} forwards to {name} with weight 0: it gets no traffic");
        return Hop::new(HopKind::Listener, Verdict::Fail, detail, records);
    }
    let mut detail = format!("{head} forwards to {name}");
    if !r.authenticated.is_empty() {
        detail += &format!(
            " after {} (only authenticated clients get through)",
            r.authenticated.join(", ")
        );
    }
    if !r.source_ips.is_empty() {
        let cidrs: Vec<String> = r.source_ips.iter().map(ToString::to_string).collect();
        detail += &format!(" for sources in {}", cidrs.join(", "));
    }
    Hop::new(HopKind::Listener, Verdict::Pass, detail, records)
}

/// `target_group`: the target is registered and takes traffic.
fn target_group_hop(group: &BalancerGroup, target: &BalancerTarget) -> Hop {
    let records = vec![target.record, group.record];
    let state = target.state.as_deref().unwrap_or("registered");
    let port = target
        .port
        .map_or(String::new(), |p| format!(" on port {p}"));
    let (verdict, detail) = match (group.target_type.as_str(), state) {
        ("lambda", _) => (
            Verdict::Fail,
            format!(
                "target {} is a Lambda function: the load balancer invokes it, no interface is reached",
                target.id
            ),
        ),
        ("alb", _) => (
            Verdict::Indeterminate,
            format!(
                "target {} is an Application Load Balancer: the path continues through it (not followed)",
                target.id
            ),
        ),
        (_, "draining" | "unused" | "unavailable" | "unhealthy.draining") => (
            Verdict::Fail,
            format!(
                "target {}{port} is {state}: it gets no new traffic",
                target.id
            ),
        ),
        _ => (
            Verdict::Pass,
            format!("target {}{port} is registered ({state})", target.id),
        ),
    };
    Hop::new(HopKind::TargetGroup, verdict, detail, records)
}

/// The back leg: from the load balancer to the target's interface on the target port; what is
/// missing from the evidence when it cannot be evaluated.
fn back_leg(
    network: &Network,
    path: &LbPath,
    key: &BackKey,
    fronts: &HashMap<FrontKey, Evaluation>,
) -> Result<Evaluation, String> {
    let b = &network.balancers;
    let lb = &b.balancers[path.balancer];
    let target = &b.groups[path.group].targets[path.target];
    let (_, port, protocol, _, preserved) = key;
    let preserved = preserved.and_then(|k| fronts.get(&k));
    let Some(eni) = target.eni.map(|i| &network.enis[i]) else {
        return Err(format!(
            "the target's network interface is not in the evidence (target {})",
            target.id
        ));
    };
    let addresses = match preserved {
        Some(front) if front.reachable == Reachable::Yes => (front.exposed.iter())
            .filter(|e| !e.indeterminate)
            .fold(AddrSet::empty(IpVersion::V4), |a, e| a.union(&e.sources)),
        Some(_) => AddrSet::internet(IpVersion::V4),
        None => {
            let nodes = lb.nodes.iter().flat_map(|&n| &network.enis[n].private_ips);
            let cidrs: Vec<IpNet> = nodes
                .filter(|a| a.is_ipv4())
                .map(|a| IpNet::from(*a))
                .collect();
            if cidrs.is_empty() {
                return Err(
                    "the load balancer's node interfaces are not in the evidence, so the \
                            addresses the target sees are unknown"
                        .to_string(),
                );
            }
            AddrSet::from_cidrs(IpVersion::V4, &cidrs)
        }
    };
    let sources = Sources {
        addresses,
        groups: lb.security_groups.clone(),
    };
    let query = Query {
        protocol: Some(*protocol),
        port: *port,
        from: None,
    };
    let iface = network.interface(eni, IpVersion::V4);
    Ok(reach::evaluate_target(
        &iface,
        IpVersion::V4,
        &query,
        &sources,
    ))
}

//! The load balancers as the path evaluation reads them ([`Balancer`]): scheme, node
//! interfaces, security groups, listeners with their routes (default actions and rules), and the
//! target groups each route forwards to with their registered targets resolved to interfaces.
//!
//! Node interfaces are joined to their load balancer by `Description` (`ELB ` followed by the
//! ARN's part after `loadbalancer/`, or `ELB NAME` for a classic one) within the load balancer's
//! subnets. A classic load balancer's listener forwards to its registered instances on the
//! listener's instance port: it is read as one target group per listener, without an ARN.
//! [`super::balancer_read`] reads them from the evidence.

use ipnet::IpNet;

use crate::reach::RecordId;

/// The kind of load balancer (`Type`, or classic).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BalancerKind {
    /// An Application Load Balancer.
    Application,
    /// A Network Load Balancer.
    Network,
    /// A Gateway Load Balancer.
    Gateway,
    /// A Classic Load Balancer.
    Classic,
}

impl BalancerKind {
    /// `application`, `network`, `gateway` or `classic`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Application => "application",
            Self::Network => "network",
            Self::Gateway => "gateway",
            Self::Classic => "classic",
        }
    }
}

/// One load balancer.
#[derive(Debug, Clone)]
pub struct Balancer {
    /// ARN (for a classic one, derived from its name, account and region when known, else its name).
    pub arn: String,
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: BalancerKind,
    /// `Scheme` is `internet-facing`.
    pub internet_facing: bool,
    /// Account, from the ARN or the VPC.
    pub account: Option<String>,
    /// Region.
    pub region: Option<String>,
    /// Its security groups; empty for a Network Load Balancer created without any.
    pub security_groups: Vec<String>,
    /// Its node interfaces (indexes into [`super::Network::enis`]).
    pub nodes: Vec<usize>,
    /// Its listeners, by port.
    pub listeners: Vec<BalancerListener>,
    /// Whether the evidence holds the account's listeners (so none means none).
    pub listeners_exported: bool,
    /// Its evidence record.
    pub record: RecordId,
}

/// One listener.
#[derive(Debug, Clone)]
pub struct BalancerListener {
    /// `Protocol` (HTTP, HTTPS, TCP, TLS, UDP, TCP_UDP, …).
    pub protocol: String,
    /// `Port`.
    pub port: u16,
    /// The default action first, then the rules by priority.
    pub routes: Vec<ListenerRoute>,
    /// Its evidence record.
    pub record: RecordId,
}

/// What a listener does with a request: its default actions or one rule's.
#[derive(Debug, Clone)]
pub struct ListenerRoute {
    /// `default`, or the rule's priority.
    pub priority: String,
    /// The action that ends the route (forward, redirect, fixed-response).
    pub action: RouteAction,
    /// `authenticate-*` actions before it.
    pub authenticated: Vec<String>,
    /// The rule's `source-ip` CIDRs (none: every source).
    pub source_ips: Vec<IpNet>,
    /// The evidence record of the action.
    pub record: RecordId,
}

/// The action that ends a route.
#[derive(Debug, Clone)]
pub enum RouteAction {
    /// Forward to target groups: (index into [`Balancers::groups`] or `None` when the group is
    /// not in the evidence, its ARN, its weight when `ForwardConfig` gives one).
    Forward(Vec<(Option<usize>, String, Option<i64>)>),
    /// Redirect, described (`HTTPS://#{host}:443/#{path}?#{query} (HTTP_301)`).
    Redirect(String),
    /// A fixed response with its status code.
    FixedResponse(String),
    /// Anything else (by type).
    Other(String),
}

/// A target group with its registered targets.
#[derive(Debug, Clone)]
pub struct BalancerGroup {
    /// ARN; `None` for a classic load balancer's instances.
    pub arn: Option<String>,
    /// `TargetType`: `instance`, `ip`, `lambda` or `alb`.
    pub target_type: String,
    /// `Protocol`.
    pub protocol: Option<String>,
    /// `Port`.
    pub port: Option<u16>,
    /// `preserve_client_ip.enabled`, when the attributes are in the evidence.
    pub preserve_client_ip: Option<bool>,
    /// Whether its target health is in the evidence.
    pub health_exported: bool,
    /// `LoadBalancerArns`: the load balancers it is attached to.
    pub load_balancers: Vec<String>,
    /// Its registered targets.
    pub targets: Vec<BalancerTarget>,
    /// Its evidence record (the load balancer's for a classic one).
    pub record: RecordId,
}

/// A registered target.
#[derive(Debug, Clone)]
pub struct BalancerTarget {
    /// `Target.Id`: instance id, IP address, Lambda or ALB ARN.
    pub id: String,
    /// The target's own port, else its group's.
    pub port: Option<u16>,
    /// `TargetHealth.State`.
    pub state: Option<String>,
    /// Its interface (index into [`super::Network::enis`]), when the evidence shows it.
    pub eni: Option<usize>,
    /// Its evidence record.
    pub record: RecordId,
}

/// Every load balancer and target group of the evidence.
#[derive(Debug, Clone, Default)]
pub struct Balancers {
    /// Load balancers, elbv2 then classic, in evidence order.
    pub balancers: Vec<Balancer>,
    /// Target groups (elbv2 in evidence order, then one per classic listener).
    pub groups: Vec<BalancerGroup>,
}

impl ListenerRoute {
    /// The weight this route forwards to target group `group` with: `None` when it does not
    /// forward there, `Some(None)` for a plain forward, `Some(Some(w))` with `ForwardConfig`.
    pub fn weight_to(&self, group: usize) -> Option<Option<i64>> {
        match &self.action {
            RouteAction::Forward(to) => to.iter().find(|(g, _, _)| *g == Some(group)).map(|t| t.2),
            _ => None,
        }
    }

    /// The target groups this route forwards to (indexes into [`Balancers::groups`]): those
    /// for which [`ListenerRoute::weight_to`] is `Some`.
    pub fn forwarded_groups(&self) -> impl Iterator<Item = usize> + '_ {
        let to = match &self.action {
            RouteAction::Forward(to) => to.as_slice(),
            _ => &[],
        };
        to.iter().filter_map(|(g, _, _)| *g)
    }

    /// The route's action in words: "forward to …", "redirect to …", "fixed-response 503".
    pub fn describe(&self) -> String {
        match &self.action {
            RouteAction::Forward(to) => {
                let names: Vec<String> = (to.iter())
                    .map(|(_, arn, w)| match w {
                        Some(w) => format!("{} (weight {w})", short_arn(arn)),
                        None => short_arn(arn).to_string(),
                    })
                    .collect();
                format!("forward to {}", names.join(", "))
            }
            RouteAction::Redirect(to) => format!("redirect to {to}"),
            RouteAction::FixedResponse(code) => format!("fixed-response {code}"),
            RouteAction::Other(kind) => kind.clone(),
        }
    }
}

/// The resource part of an ARN (`targetgroup/web/73e2…`), or the whole string.
pub fn short_arn(arn: &str) -> &str {
    arn.splitn(6, ':').nth(5).unwrap_or(arn)
}

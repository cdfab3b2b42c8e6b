//! Typed views of the Elastic Load Balancing exports (`aws elbv2 describe-*` and the classic
//! `aws elb describe-load-balancers`), and the reading of the documents that name their owner
//! beside the records: target health and attributes, which AWS prints without the ARN they
//! belong to, and Batfish's wrappers of listeners, target health and attributes.

use serde::{Deserialize, Serialize};

use super::kinds::{Document, Kind, Records};
use super::read::{Diagnostic, FileOutcome};
use super::timestamp::Timestamp;
use super::{Record, Source};

/// One load balancer from `elbv2 describe-load-balancers`.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LoadBalancer {
    /// `arn:aws:elasticloadbalancing:REGION:ACCOUNT:loadbalancer/{app,net,gwy}/NAME/ID`.
    pub load_balancer_arn: String,
    /// Name.
    pub load_balancer_name: Option<String>,
    /// Public DNS name.
    #[serde(rename = "DNSName")]
    pub dns_name: Option<String>,
    /// `internet-facing` or `internal`.
    pub scheme: Option<String>,
    /// `application`, `network` or `gateway`.
    #[serde(rename = "Type")]
    pub kind: Option<String>,
    /// `State.Code`: `active`, `provisioning`, …
    pub state: Option<LoadBalancerState>,
    /// VPC id.
    pub vpc_id: Option<String>,
    /// One entry per enabled zone, with its subnet and static addresses.
    #[serde(default, deserialize_with = "crate::evidence::model::compact")]
    pub availability_zones: Vec<LoadBalancerZone>,
    /// Security groups (none for a network load balancer created without them).
    #[serde(default, deserialize_with = "crate::evidence::model::compact")]
    pub security_groups: Vec<String>,
    /// `ipv4`, `dualstack`, `dualstack-without-public-ipv4`.
    pub ip_address_type: Option<String>,
    /// When it was created.
    pub created_time: Option<Timestamp>,
}

/// `State` of a load balancer.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LoadBalancerState {
    /// `active`, `provisioning`, `active_impaired`, `failed`.
    pub code: Option<String>,
}

/// An enabled zone of a load balancer.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LoadBalancerZone {
    /// Availability zone name.
    pub zone_name: Option<String>,
    /// The load balancer's subnet in that zone.
    pub subnet_id: Option<String>,
    /// Static addresses of a network load balancer node (Elastic IPs or private addresses).
    #[serde(default, deserialize_with = "crate::evidence::model::compact")]
    pub load_balancer_addresses: Vec<LoadBalancerAddress>,
}

/// A static address of a network load balancer node.
#[derive(Debug, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LoadBalancerAddress {
    /// Public (Elastic) IPv4 address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
    /// Elastic IP allocation id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allocation_id: Option<String>,
    /// Private IPv4 address (internal load balancers).
    #[serde(rename = "PrivateIPv4Address", skip_serializing_if = "Option::is_none")]
    pub private_ipv4_address: Option<String>,
    /// IPv6 address.
    #[serde(rename = "IPv6Address", skip_serializing_if = "Option::is_none")]
    pub ipv6_address: Option<String>,
}

/// One listener from `elbv2 describe-listeners`.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Listener {
    /// Listener ARN.
    pub listener_arn: String,
    /// The load balancer it belongs to.
    pub load_balancer_arn: Option<String>,
    /// Port the listener accepts connections on.
    pub port: Option<i64>,
    /// `HTTP`, `HTTPS`, `TCP`, `TLS`, `UDP`, `TCP_UDP`, `GENEVE`, `QUIC`.
    pub protocol: Option<String>,
    /// Actions of the default rule.
    #[serde(default, deserialize_with = "crate::evidence::model::compact")]
    pub default_actions: Vec<Action>,
}

/// One rule from `elbv2 describe-rules`.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListenerRule {
    /// `…:listener-rule/app/LB/LBID/LISTENERID/RULEID`.
    pub rule_arn: String,
    /// A number as a string, or `default`.
    pub priority: Option<String>,
    /// Whether this is the listener's default rule.
    pub is_default: Option<bool>,
    /// Conditions, all of which must match.
    #[serde(default, deserialize_with = "crate::evidence::model::compact")]
    pub conditions: Vec<RuleCondition>,
    /// Actions, in `Order`.
    #[serde(default, deserialize_with = "crate::evidence::model::compact")]
    pub actions: Vec<Action>,
}

impl ListenerRule {
    /// The listener's ARN, derived from the rule's (`describe-rules` does not print it):
    /// `…:listener-rule/app/x/y/z/r` → `…:listener/app/x/y/z`.
    pub fn listener_arn(&self) -> Option<String> {
        let (head, path) = self.rule_arn.split_once(":listener-rule/")?;
        let (listener, _rule) = path.rsplit_once('/')?;
        Some(format!("{head}:listener/{listener}"))
    }

    /// The source CIDRs of its `source-ip` conditions.
    pub fn source_ips(&self) -> impl Iterator<Item = &str> {
        self.conditions
            .iter()
            .filter(|c| c.field.as_deref() == Some("source-ip"))
            .flat_map(|c| {
                let config = c.source_ip_config.iter().flat_map(|s| &s.values);
                c.values.iter().chain(config).map(String::as_str)
            })
    }
}

/// The load balancer ARN a listener ARN belongs to: `…:listener/app/x/y/z` → `…:loadbalancer/app/x/y`.
pub fn listener_load_balancer(listener_arn: &str) -> Option<String> {
    let (head, path) = listener_arn.split_once(":listener/")?;
    let (load_balancer, _listener) = path.rsplit_once('/')?;
    Some(format!("{head}:loadbalancer/{load_balancer}"))
}

/// A condition of a listener rule.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RuleCondition {
    /// `source-ip`, `host-header`, `path-pattern`, `http-header`, `http-request-method`, `query-string`.
    pub field: Option<String>,
    /// Values of the older form (host-header and path-pattern).
    #[serde(default, deserialize_with = "crate::evidence::model::compact")]
    pub values: Vec<String>,
    /// `SourceIpConfig` of a `source-ip` condition.
    pub source_ip_config: Option<ConditionValues>,
}

/// The `Values` of a condition's configuration.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConditionValues {
    /// The values (CIDRs for `source-ip`).
    #[serde(default, deserialize_with = "crate::evidence::model::compact")]
    pub values: Vec<String>,
}

/// An action of a listener's default rule or of a rule.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Action {
    /// `forward`, `redirect`, `fixed-response`, `authenticate-oidc`, `authenticate-cognito`.
    #[serde(rename = "Type")]
    pub kind: String,
    /// Evaluation order.
    pub order: Option<i64>,
    /// The single target group of a simple forward.
    pub target_group_arn: Option<String>,
    /// Weighted target groups.
    pub forward_config: Option<ForwardConfig>,
    /// Where a redirect sends the client.
    pub redirect_config: Option<RedirectConfig>,
    /// The answer of a fixed response.
    pub fixed_response_config: Option<FixedResponseConfig>,
}

/// `ForwardConfig` of a forward action.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ForwardConfig {
    /// The target groups and their weights.
    #[serde(default, deserialize_with = "crate::evidence::model::compact")]
    pub target_groups: Vec<WeightedTargetGroup>,
}

/// A target group of a forward action with its weight.
#[derive(Debug, PartialEq, Deserialize, Serialize)]
pub struct WeightedTargetGroup {
    /// Target group ARN.
    #[serde(rename(deserialize = "TargetGroupArn", serialize = "target_group_arn"))]
    pub target_group_arn: String,
    /// Weight (0 gets no traffic); absent for a simple forward.
    #[serde(rename(deserialize = "Weight", serialize = "weight"))]
    pub weight: Option<i64>,
}

impl Action {
    /// The target groups a forward action names with their weights: `ForwardConfig`'s when
    /// given, else the single `TargetGroupArn` (weight absent).
    pub fn target_groups(&self) -> Vec<WeightedTargetGroup> {
        match &self.forward_config {
            Some(f) if !f.target_groups.is_empty() => f
                .target_groups
                .iter()
                .map(|t| WeightedTargetGroup {
                    target_group_arn: t.target_group_arn.clone(),
                    weight: t.weight,
                })
                .collect(),
            _ => self
                .target_group_arn
                .iter()
                .map(|arn| WeightedTargetGroup {
                    target_group_arn: arn.clone(),
                    weight: None,
                })
                .collect(),
        }
    }
}

/// `RedirectConfig` of a redirect action; `#{…}` placeholders keep the request's part.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RedirectConfig {
    /// `HTTP`, `HTTPS` or `#{protocol}`.
    pub protocol: Option<String>,
    /// Port or `#{port}`.
    pub port: Option<String>,
    /// Host or `#{host}`.
    pub host: Option<String>,
    /// Path or `/#{path}`.
    pub path: Option<String>,
    /// Query or `#{query}`.
    pub query: Option<String>,
    /// `HTTP_301` or `HTTP_302`.
    pub status_code: Option<String>,
}

impl RedirectConfig {
    /// The redirect as one line: `HTTPS://#{host}:443/#{path}?#{query} (HTTP_301)`.
    pub fn describe(&self) -> String {
        let part =
            |p: &Option<String>, default: &'static str| p.as_deref().unwrap_or(default).to_string();
        format!(
            "{}://{}:{}{}?{} ({})",
            part(&self.protocol, "#{protocol}"),
            part(&self.host, "#{host}"),
            part(&self.port, "#{port}"),
            part(&self.path, "/#{path}"),
            part(&self.query, "#{query}"),
            part(&self.status_code, "?"),
        )
    }
}

/// `FixedResponseConfig` of a fixed-response action.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FixedResponseConfig {
    /// The HTTP status code returned.
    pub status_code: Option<String>,
}

/// One target group from `elbv2 describe-target-groups`.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TargetGroup {
    /// Target group ARN.
    pub target_group_arn: String,
    /// Name.
    pub target_group_name: Option<String>,
    /// Protocol to the targets.
    pub protocol: Option<String>,
    /// Port to the targets, unless a target registers its own.
    pub port: Option<i64>,
    /// VPC id.
    pub vpc_id: Option<String>,
    /// The load balancers that route to it.
    #[serde(default, deserialize_with = "crate::evidence::model::compact")]
    pub load_balancer_arns: Vec<String>,
    /// `instance`, `ip`, `lambda` or `alb`.
    pub target_type: Option<String>,
}

/// One registered target from `elbv2 describe-target-health`.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TargetHealthDescription {
    /// The target group. AWS does not print it: it is read from the `TargetGroupArn` the export
    /// writes beside the list (or from Batfish's wrapper).
    #[serde(skip)]
    pub target_group_arn: String,
    /// The target.
    pub target: TargetDescription,
    /// Its health.
    pub target_health: Option<TargetHealth>,
}

/// `Target` of a target health description.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TargetDescription {
    /// Instance id, IP address, Lambda ARN or load balancer ARN.
    pub id: String,
    /// The target's own port (overrides the group's).
    pub port: Option<i64>,
    /// Availability zone, or `all`.
    pub availability_zone: Option<String>,
}

/// `TargetHealth` of a registered target.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TargetHealth {
    /// `initial`, `healthy`, `unhealthy`, `unused`, `draining`, `unavailable`, …
    pub state: Option<String>,
    /// Reason code, e.g. `Target.NotInUse`.
    pub reason: Option<String>,
}

/// One attribute from `elbv2 describe-target-group-attributes` or
/// `describe-load-balancer-attributes`.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Attribute {
    /// The target group or load balancer it belongs to; read like
    /// [`TargetHealthDescription::target_group_arn`].
    #[serde(skip)]
    pub owner_arn: String,
    /// Attribute name, e.g. `preserve_client_ip.enabled`.
    pub key: String,
    /// Its value, as text.
    pub value: Option<String>,
}

/// One classic load balancer from `elb describe-load-balancers`.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ClassicLoadBalancer {
    /// Name (unique in a region; classic load balancers print no ARN).
    pub load_balancer_name: String,
    /// Public DNS name.
    #[serde(rename = "DNSName")]
    pub dns_name: Option<String>,
    /// `internet-facing` or `internal`.
    pub scheme: Option<String>,
    /// VPC id.
    #[serde(rename = "VPCId")]
    pub vpc_id: Option<String>,
    /// Subnets.
    #[serde(default, deserialize_with = "crate::evidence::model::compact")]
    pub subnets: Vec<String>,
    /// Security groups.
    #[serde(default, deserialize_with = "crate::evidence::model::compact")]
    pub security_groups: Vec<String>,
    /// Listeners.
    #[serde(default, deserialize_with = "crate::evidence::model::compact")]
    pub listener_descriptions: Vec<ClassicListenerDescription>,
    /// Registered instances.
    #[serde(default, deserialize_with = "crate::evidence::model::compact")]
    pub instances: Vec<ClassicInstance>,
    /// When it was created.
    pub created_time: Option<Timestamp>,
}

/// A listener of a classic load balancer.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ClassicListenerDescription {
    /// The listener.
    pub listener: ClassicListener,
}

/// Front and back end of a classic listener.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ClassicListener {
    /// `HTTP`, `HTTPS`, `TCP`, `SSL`.
    pub protocol: Option<String>,
    /// Port the load balancer listens on.
    pub load_balancer_port: Option<i64>,
    /// Protocol to the instances.
    pub instance_protocol: Option<String>,
    /// Port on the instances.
    pub instance_port: Option<i64>,
}

/// An instance registered with a classic load balancer.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ClassicInstance {
    /// Instance id.
    pub instance_id: String,
}

/// Batfish's `LoadBalancerListeners` entry: one load balancer's listeners.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListenerSet {
    /// The load balancer.
    pub load_balancer_arn: Option<String>,
    /// Its listeners.
    #[serde(default, deserialize_with = "crate::evidence::model::compact")]
    pub listeners: Vec<Listener>,
}

/// Batfish's `LoadBalancerTargetHealth` entry: one target group's targets.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TargetHealthSet {
    /// The target group.
    pub target_group_arn: String,
    /// Its targets.
    #[serde(default, deserialize_with = "crate::evidence::model::compact")]
    pub target_health_descriptions: Vec<TargetHealthDescription>,
}

/// Batfish's `LoadBalancerAttributes` entry: one load balancer's (or target group's) attributes.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeSet {
    /// The owner.
    #[serde(rename = "LoadBalancerArn", alias = "TargetGroupArn")]
    pub owner_arn: String,
    /// Its attributes.
    #[serde(default, deserialize_with = "crate::evidence::model::compact")]
    pub attributes: Vec<Attribute>,
}

/// How many target health and attribute records there were before a document was taken in.
#[derive(Debug, Clone, Copy)]
pub struct Before {
    target_health: usize,
    attributes: usize,
}

impl Before {
    /// Marks the current end of the records whose owner the document names.
    pub fn of(records: &Records) -> Before {
        Before {
            target_health: records.target_health.len(),
            attributes: records.elb_attributes.len(),
        }
    }
}

/// Gives the target health and attribute records just taken from `doc` the owner it names
/// beside them (a document naming none has them dropped, with a warning: never a guess), and
/// takes in Batfish's wrappers. Returns whether the document held any of these.
pub fn adopt(
    out: &mut FileOutcome,
    path: &str,
    doc: &mut Document,
    at: &Source,
    before: Before,
) -> bool {
    let owner = doc.target_group_arn.take().or(doc.load_balancer_arn.take());
    let health = &mut out.records.target_health[before.target_health..];
    let attributes = &mut out.records.elb_attributes[before.attributes..];
    let mut any = !health.is_empty() || !attributes.is_empty();
    match owner {
        Some(arn) => {
            health
                .iter_mut()
                .for_each(|r| r.item.target_group_arn = arn.clone());
            attributes
                .iter_mut()
                .for_each(|r| r.item.owner_arn = arn.clone());
        }
        None => {
            for (kind, from) in [
                (Kind::ElbTargetHealth, before.target_health),
                (Kind::ElbAttributes, before.attributes),
            ] {
                unattributed(out, path, at, kind, from);
            }
        }
    }
    any |= lift_wrappers(out, doc, at);
    any
}

/// Drops the records of `kind` from index `from` on, which name no owner, with a warning.
fn unattributed(out: &mut FileOutcome, path: &str, at: &Source, kind: Kind, from: usize) {
    let dropped = match kind {
        Kind::ElbTargetHealth => out.records.target_health.split_off(from).len(),
        _ => out.records.elb_attributes.split_off(from).len(),
    };
    if dropped == 0 {
        return;
    }
    if let Some(i) = out.kinds.iter().rposition(|(k, _)| *k == kind) {
        out.kinds.remove(i);
    }
    out.warnings.push(Diagnostic {
        pointer: Some(format!("{}/{}", at.pointer, kind.key())),
        ..Diagnostic::file(
            path,
            format!(
                "{} output names no target group or load balancer, so its {dropped} records \
                 cannot be attributed and were not read; re-export with the target group ARN: \
                 jq --arg a \"$tg\" '{{TargetGroupArn: $a}} + .'",
                kind.command()
            ),
        )
    });
}

/// Takes Batfish's `LoadBalancerListeners`, `LoadBalancerTargetHealth` and
/// `LoadBalancerAttributes` wrappers in as plain records, each with its owner.
fn lift_wrappers(out: &mut FileOutcome, doc: &mut Document, at: &Source) -> bool {
    let (kinds, records) = (&mut out.kinds, &mut out.records);
    let listeners = lift(
        doc.listener_sets.take(),
        (at, "LoadBalancerListeners", "Listeners"),
        (Kind::ElbListeners, kinds, &mut records.listeners),
        |set| {
            let owner = set.load_balancer_arn;
            set.listeners
                .into_iter()
                .map(|mut l| {
                    l.load_balancer_arn = l.load_balancer_arn.or(owner.clone());
                    l
                })
                .collect()
        },
    );
    let health = lift(
        doc.target_health_sets.take(),
        (at, "LoadBalancerTargetHealth", "TargetHealthDescriptions"),
        (Kind::ElbTargetHealth, kinds, &mut records.target_health),
        |set| {
            let owner = set.target_group_arn;
            let mut items = set.target_health_descriptions;
            items
                .iter_mut()
                .for_each(|t| t.target_group_arn = owner.clone());
            items
        },
    );
    let attributes = lift(
        doc.attribute_sets.take(),
        (at, "LoadBalancerAttributes", "Attributes"),
        (Kind::ElbAttributes, kinds, &mut records.elb_attributes),
        |set| {
            let owner = set.owner_arn;
            let mut items = set.attributes;
            items.iter_mut().for_each(|a| a.owner_arn = owner.clone());
            items
        },
    );
    listeners | health | attributes
}

/// Where a wrapper's records go: their kind, the file's counts and the records of that kind.
type Sink<'a, T> = (Kind, &'a mut Vec<(Kind, usize)>, &'a mut Vec<Record<T>>);

/// Moves the items of each wrapper entry (`/WRAPPER/i/LIST/j`) into `sink`, `open` giving each
/// entry's items their owner. Returns whether there was a wrapper.
fn lift<S, T>(
    sets: Option<Vec<S>>,
    (at, wrapper, list): (&Source, &str, &str),
    (kind, kinds, records): Sink<'_, T>,
    open: impl Fn(S) -> Vec<T>,
) -> bool {
    let Some(sets) = sets else { return false };
    if sets.is_empty() {
        // The call was made and found nothing: still evidence of that kind.
        kinds.push((kind, 0));
    }
    for (i, set) in sets.into_iter().enumerate() {
        let at = at.child(wrapper, i);
        let items = open(set);
        kinds.push((kind, items.len()));
        records.extend(items.into_iter().enumerate().map(|(j, item)| Record {
            item,
            source: at.child(list, j),
        }));
    }
    true
}

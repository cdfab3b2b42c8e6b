//! The `listeners_json` column of `load_balancers`: each load balancer's listeners with the
//! actions of their rules, so that a rule about a load balancer sees all its listeners at once.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Value, json};

use crate::evidence::Records;
use crate::evidence::elb::{Action, ClassicLoadBalancer, Listener, listener_load_balancer};

/// One listener of `listeners_json`, as JSON: protocol and port, and for elbv2 every action of
/// its default rule and of its rules in the evidence (priority, type, redirect protocol).
fn listener_summary(listener: &Listener, rules: &[(&str, &Action)]) -> Value {
    let default = listener.default_actions.iter().map(|a| ("default", a));
    let actions: Vec<Value> = default
        .chain(rules.iter().copied())
        .map(|(priority, a)| {
            let redirect = a.redirect_config.as_ref().and_then(|r| r.protocol.clone());
            json!({"priority": priority, "type": a.kind, "redirect_protocol": redirect})
        })
        .collect();
    json!({"protocol": listener.protocol, "port": listener.port, "actions": actions})
}

/// The `listeners_json` of each elbv2 load balancer (by ARN) that has listeners in the evidence.
pub(super) fn listeners_by_load_balancer(records: &Records) -> HashMap<String, String> {
    let mut rules: HashMap<String, Vec<(&str, &Action)>> = HashMap::new();
    for r in records.listener_rules.iter().map(|r| &r.item) {
        let Some(listener_arn) = r.listener_arn().filter(|_| r.is_default != Some(true)) else {
            continue;
        };
        let priority = r.priority.as_deref().unwrap_or_default();
        let actions = r.actions.iter().map(|a| (priority, a));
        rules.entry(listener_arn).or_default().extend(actions);
    }
    let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for l in records.listeners.iter().map(|r| &r.item) {
        let owner = l
            .load_balancer_arn
            .clone()
            .or_else(|| listener_load_balancer(&l.listener_arn));
        let rules = rules.get(&l.listener_arn).map_or(&[][..], Vec::as_slice);
        if let Some(owner) = owner {
            out.entry(owner)
                .or_default()
                .push(listener_summary(l, rules));
        }
    }
    out.into_iter()
        .map(|(arn, listeners)| (arn, Value::Array(listeners).to_string()))
        .collect()
}

/// The `listeners_json` of a classic load balancer: its listeners, inline in its record.
pub(super) fn classic_listeners(lb: &ClassicLoadBalancer) -> String {
    let listeners: Vec<Value> = lb
        .listener_descriptions
        .iter()
        .map(|d| {
            let l = &d.listener;
            json!({"protocol": l.protocol, "port": l.load_balancer_port,
                   "instance_protocol": l.instance_protocol, "instance_port": l.instance_port})
        })
        .collect();
    Value::Array(listeners).to_string()
}

//! Building every eager table from the evidence records, in two independent halves run in
//! parallel (the ECS side, whose joins are the longest step, and the network and load-balancer
//! side), then the engine's network model (which reads what owns each interface from the ECS
//! joins), then in parallel the `ecs_task_network` view (which joins the interfaces its tasks
//! name, from the model) and `lb_targets` (which reads the same ECS joins). Each kind's records
//! are freed once the last step that reads them is done: the ECS tasks, the largest kind, as
//! soon as their table is built; the rest once the model exists. `network_interfaces` is not among these: it is a view
//! of the model ([`super::ec2`]).

use std::collections::BTreeMap;

use anyhow::Result;
use polars::prelude::*;

use super::scope::Scope;
use super::{ec2, ecs, egress, elb, exposure, net, remediation, security_groups, status};
use crate::evidence::{EvidenceFile, Kind, Records};

/// Tables by name.
pub(super) type Frames = BTreeMap<&'static str, DataFrame>;

/// Every eager table, and the network model the reachability engine reads, from the records
/// (freed as the steps that read them end).
pub(super) fn frames_and_network(
    mut records: Records,
    files: &[EvidenceFile],
) -> Result<(Frames, exposure::Network)> {
    let scope = Scope::new(&records, files);
    // Only their table reads the tasks: the ECS half owns them and frees them once it is built.
    let tasks = records.take_kinds(&[Kind::EcsTasks]);
    let r = &records;
    let (ecs_side, network_side) =
        rayon::join(|| ecs_frames(r, tasks), || network_frames(r, &scope, files));
    let (mut frames, launches) = ecs_side?;
    frames.extend(network_side?);
    let tasks = exposure::task_refs(&launches)?;
    // The model takes the interface records over and frees each once converted.
    let enis = records
        .take_kinds(&[Kind::NetworkInterfaces])
        .network_interfaces;
    let r = &records;
    let (network, targets) = exposure::Network::new(r, enis, &scope, &tasks);
    // The targets' ECS columns are the tasks', not their interfaces': both from the launches.
    let (view, targets) = rayon::join(
        || ecs::task_network(&launches, &ec2::task_interfaces(&network, &launches)?),
        || elb::lb_targets(r, &scope, &launches, &targets),
    );
    drop(launches);
    records.release();
    frames.insert("ecs_task_network", view?);
    frames.insert("lb_targets", targets?);
    Ok((frames, network))
}

/// The ECS tables, and their tasks joined to their services, task sets and deployments (the
/// `ecs_task_network` view but for the interfaces, [`ecs::task_launches`]); `tasks` holds the
/// ECS tasks, freed once their table is built.
fn ecs_frames(r: &Records, tasks: Records) -> Result<(Frames, DataFrame)> {
    let mut frames = Frames::new();
    frames.insert("ecs_tasks", ecs::tasks(&tasks)?);
    tasks.release();
    frames.insert("ecs_services", ecs::services(r)?);
    frames.insert("ecs_deployments", ecs::deployments(r)?);
    frames.insert("ecs_task_sets", ecs::task_sets(r)?);
    let launches = ecs::task_launches(
        &frames["ecs_tasks"],
        &frames["ecs_services"],
        &frames["ecs_deployments"],
        &frames["ecs_task_sets"],
    )?;
    Ok((frames, launches))
}

/// The network, egress, remediation and load-balancer tables (all but `lb_targets`).
fn network_frames(r: &Records, scope: &Scope, files: &[EvidenceFile]) -> Result<Frames> {
    let mut frames = Frames::new();
    frames.insert("security_groups", security_groups::groups(r, scope)?);
    frames.insert("security_group_rules", security_groups::rules(r, scope)?);
    frames.insert(
        "security_group_rule_ids",
        security_groups::rule_ids(r, scope)?,
    );
    frames.insert("network_acls", net::network_acls(r, scope)?);
    frames.insert("network_acl_entries", net::network_acl_entries(r, scope)?);
    frames.insert("routes", net::routes(r, scope)?);
    frames.insert("internet_gateways", net::internet_gateways(r, scope)?);
    frames.insert("subnets", net::subnets(r)?);
    frames.insert("vpcs", net::vpcs(r, scope)?);
    frames.insert("instances", net::instances(r)?);
    frames.insert("instance_status", status::instance_status(r)?);
    frames.insert("addresses", net::addresses(r)?);
    frames.insert("prefix_list_entries", net::prefix_list_entries(r)?);
    frames.insert("flow_logs", net::flow_logs(r, scope)?);
    frames.insert("nat_gateways", egress::nat_gateways(r, scope)?);
    frames.insert("vpc_endpoints", egress::vpc_endpoints(r, scope)?);
    let egress = egress::Egress::new(r, files);
    frames.insert("ecs_remediation", remediation::ecs_remediation(r, &egress)?);
    frames.insert("load_balancers", elb::load_balancers(r, scope)?);
    frames.insert("lb_listeners", elb::lb_listeners(r, scope)?);
    frames.insert("target_groups", elb::target_groups(r)?);
    Ok(frames)
}

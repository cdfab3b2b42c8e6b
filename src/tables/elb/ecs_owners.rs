//! The ECS columns of `lb_targets`: which task, task set and service a target belongs to. An
//! `ip` target resolves through its network interface to the task holding it (the tasks as
//! `ecs::task_launches` joins them to their services, the columns `ecs_task_network` shows);
//! any target also links to the task set or service whose `loadBalancers[]` names its target
//! group, which is the only link for bridge-mode services (their container instances are
//! registered as `instance` targets on the host port, shared by every task on the host).

use anyhow::Result;
use polars::prelude::*;

use crate::evidence::model::LoadBalancerLink;
use crate::evidence::{Record, Records, Source};
use crate::tables::ecs::{last_segment, left_join};
use crate::tables::frame::FrameBuilder;
use crate::tables::source_ref;

/// A task set or service naming a target group in its `loadBalancers[]`.
struct Owner<'a> {
    kind: &'static str,
    link: &'a LoadBalancerLink,
    service_arn: Option<&'a str>,
    task_set_arn: Option<&'a str>,
    source: Source,
}

/// The owners of `records`' `loadBalancers[]` entries that name a target group.
fn owners_of<'a, T>(
    records: &'a [Record<T>],
    kind: &'static str,
    links: impl Fn(&'a T) -> (&'a [LoadBalancerLink], Option<&'a str>, Option<&'a str>),
) -> impl Iterator<Item = Owner<'a>> {
    records.iter().flat_map(move |r| {
        let (list, service_arn, task_set_arn) = links(&r.item);
        list.iter()
            .enumerate()
            .filter(|(_, link)| link.target_group_arn.is_some())
            .map(move |(i, link)| Owner {
                kind,
                link,
                service_arn,
                task_set_arn,
                source: r.source.child("loadBalancers", i),
            })
    })
}

/// One row per target group named by a task set or service: a task set's wins over its
/// service's (a CODE_DEPLOY service names the target group of its primary task set too).
fn owners(records: &Records) -> Result<LazyFrame> {
    let rows: Vec<Owner> = owners_of(&records.task_sets, "task_set", |t| {
        let service = t.service_arn.as_deref();
        (&t.load_balancers, service, Some(&t.task_set_arn))
    })
    .chain(owners_of(&records.services, "service", |s| {
        (&s.load_balancers, Some(&s.service_arn), None)
    }))
    .collect();
    let frame = FrameBuilder::new(&rows)
        .str("owner_target_group_arn", |o| {
            o.link.target_group_arn.as_deref()
        })
        .str("ecs_link", |o| Some(o.kind))
        .str("owner_service_arn", |o| o.service_arn)
        .str("owner_service_name", |o| o.service_arn.map(last_segment))
        .str("owner_task_set_arn", |o| o.task_set_arn)
        .str("container_name", |o| o.link.container_name.as_deref())
        .int("container_port", |o| o.link.container_port)
        .string("ecs_owner_ref", |o| Some(source_ref(&o.source)))
        .build()?;
    let key = cols(["owner_target_group_arn"]);
    Ok(frame
        .lazy()
        .unique_stable(Some(key), UniqueKeepStrategy::First))
}

/// The tasks (`ecs::task_launches`) by network interface, renamed for the join.
fn tasks(launches: &DataFrame) -> LazyFrame {
    launches
        .clone()
        .lazy()
        .filter(col("eni_id").is_not_null())
        .select([
            col("account").alias("task_account"),
            col("region").alias("task_region"),
            col("eni_id").alias("task_eni_id"),
            col("task_arn"),
            col("task_set_arn").alias("task_task_set_arn"),
            col("service_arn").alias("task_service_arn"),
            col("service_name").alias("task_service_name"),
        ])
        .unique_stable(
            Some(cols(["task_account", "task_region", "task_eni_id"])),
            UniqueKeepStrategy::First,
        )
}

/// `targets` (the `lb_targets` frame) with its ECS columns: `task_arn` (an `ip` target held by
/// a task's interface), `task_set_arn`, `service_arn`, `service_name` (the task's, else those of
/// the task set or service naming the target group), `container_name` and `container_port` (from
/// that `loadBalancers[]` entry), `ecs_link` (`task`, `task_set` or `service`: how the owner was
/// found) and `ecs_owner_ref`.
pub(super) fn with_ecs_owners(
    targets: DataFrame,
    launches: &DataFrame,
    records: &Records,
) -> Result<DataFrame> {
    // The joins keep the order of their left side: the targets stay in their order, with no
    // row index to sort on.
    let left = left_join();
    let ip_interface = when(col("target_type").eq(lit("ip")))
        .then(col("network_interface_id"))
        .otherwise(lit(NULL).cast(DataType::String));
    let frame = targets
        .lazy()
        .with_column(ip_interface.alias("ip_interface"))
        .join(
            tasks(launches),
            [col("account"), col("region"), col("ip_interface")],
            [col("task_account"), col("task_region"), col("task_eni_id")],
            left.clone(),
        )
        .join(
            owners(records)?,
            [col("target_group_arn")],
            [col("owner_target_group_arn")],
            left,
        )
        .with_columns([
            coalesce(&[col("task_task_set_arn"), col("owner_task_set_arn")]).alias("task_set_arn"),
            coalesce(&[col("task_service_arn"), col("owner_service_arn")]).alias("service_arn"),
            coalesce(&[col("task_service_name"), col("owner_service_name")]).alias("service_name"),
            when(col("task_arn").is_not_null())
                .then(lit("task"))
                .otherwise(col("ecs_link"))
                .alias("ecs_link"),
        ])
        .drop(cols([
            "ip_interface",
            "task_task_set_arn",
            "task_service_arn",
            "task_service_name",
            "owner_task_set_arn",
            "owner_service_arn",
            "owner_service_name",
        ]))
        .collect()?;
    Ok(frame)
}

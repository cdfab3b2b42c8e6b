//! ECS tables (`ecs_services`, `ecs_deployments`, `ecs_task_sets`, `ecs_tasks`) and the joined
//! view `ecs_task_network`: each task with its service or task set and its ENI.

use anyhow::Result;
use polars::prelude::*;
use polars_ops::frame::MaintainOrderJoin;

use super::frame::{FrameBuilder, children};
use super::source_ref;
use crate::evidence::model::{LoadBalancerLink, NetworkConfiguration, Shared};
use crate::evidence::{Record, Records, arn_scope};

/// The last `/`-separated segment of an ARN or id.
pub(crate) fn last_segment(s: &str) -> &str {
    s.rsplit('/').next().unwrap_or(s)
}

fn awsvpc(
    nc: &Option<NetworkConfiguration>,
) -> Option<&crate::evidence::model::AwsVpcConfiguration> {
    nc.as_ref().and_then(|n| n.awsvpc_configuration.as_ref())
}

fn assign(nc: &Option<NetworkConfiguration>) -> Option<&str> {
    nc.as_ref().and_then(|n| n.assign_public_ip())
}

/// `ecs_services`: one row per service, with the target groups its tasks are registered with
/// (`load_balancers`: target group or classic load balancer, container name and port).
pub fn services(records: &Records) -> Result<DataFrame> {
    let frame = FrameBuilder::new(&records.services)
        .str("account", |r| arn_scope(&r.item.service_arn).0)
        .str("region", |r| arn_scope(&r.item.service_arn).1)
        .str("cluster_arn", |r| r.item.cluster_arn.as_deref())
        .str("cluster", |r| {
            r.item.cluster_arn.as_deref().map(last_segment)
        })
        .str("service_arn", |r| Some(&r.item.service_arn))
        .str("service_name", |r| {
            Some(
                r.item
                    .service_name
                    .as_deref()
                    .unwrap_or_else(|| last_segment(&r.item.service_arn)),
            )
        })
        .str("status", |r| r.item.status.as_deref())
        .str("launch_type", |r| r.item.launch_type.as_deref())
        .str("deployment_controller", |r| {
            r.item
                .deployment_controller
                .as_ref()
                .and_then(|d| d.kind.as_deref())
        });
    launch_columns(frame, |s| &s.network_configuration, |s| &s.load_balancers)
        .int("desired_count", |r| r.item.desired_count)
        .int("running_count", |r| r.item.running_count)
        .str("created_at", |r| {
            r.item.created_at.as_ref().map(|t| t.0.as_str())
        })
        .string("record_ref", |r| Some(source_ref(&r.source)))
        .build()
}

/// The launch configuration columns a service and a task set share: network mode,
/// `assignPublicIp`, subnets, security groups and load balancers.
fn launch_columns<'r, T>(
    frame: FrameBuilder<'r, Record<T>>,
    config: fn(&'r T) -> &'r Option<NetworkConfiguration>,
    links: fn(&'r T) -> &'r Vec<LoadBalancerLink>,
) -> FrameBuilder<'r, Record<T>> {
    frame
        .str("network_mode", move |r| {
            awsvpc(config(&r.item)).map(|_| "awsvpc")
        })
        .str("assign_public_ip", move |r| assign(config(&r.item)))
        .list("subnets", move |r| {
            vpc_list(config(&r.item), |a| &a.subnets)
        })
        .list("security_groups", move |r| {
            vpc_list(config(&r.item), |a| &a.security_groups)
        })
        .string("load_balancers_json", move |r| {
            load_balancers_json(links(&r.item))
        })
        .list("target_group_arns", move |r| {
            target_group_arns(links(&r.item))
        })
}

/// A `loadBalancers[]` list as the `load_balancers_json` column (null when empty).
fn load_balancers_json(links: &[LoadBalancerLink]) -> Option<String> {
    (!links.is_empty()).then(|| serde_json::to_string(links).ok())?
}

/// The target group ARNs of a `loadBalancers[]` list.
fn target_group_arns(links: &[LoadBalancerLink]) -> impl Iterator<Item = &str> {
    links.iter().filter_map(|l| l.target_group_arn.as_deref())
}

fn vpc_list<'a>(
    nc: &'a Option<NetworkConfiguration>,
    pick: impl Fn(&'a crate::evidence::model::AwsVpcConfiguration) -> &'a Vec<Shared>,
) -> impl Iterator<Item = &'a str> {
    awsvpc(nc)
        .into_iter()
        .flat_map(move |a| pick(a).iter().map(Shared::as_str))
}

/// `ecs_deployments`: one row per deployment of a service (ECS deployment controller).
pub fn deployments(records: &Records) -> Result<DataFrame> {
    let rows = children(&records.services, |s| &s.deployments);
    FrameBuilder::new(&rows)
        .str("account", |(s, _, _)| arn_scope(&s.item.service_arn).0)
        .str("region", |(s, _, _)| arn_scope(&s.item.service_arn).1)
        .str("service_arn", |(s, _, _)| Some(&s.item.service_arn))
        .str("deployment_id", |(_, _, d)| d.id.as_deref())
        .str("status", |(_, _, d)| d.status.as_deref())
        .str("assign_public_ip", |(_, _, d)| {
            assign(&d.network_configuration)
        })
        .string("record_ref", |(s, i, _)| {
            Some(source_ref(&s.source.child("deployments", *i)))
        })
        .build()
}

/// `ecs_task_sets`: one row per task set, with the target groups its tasks are registered with.
pub fn task_sets(records: &Records) -> Result<DataFrame> {
    let frame = FrameBuilder::new(&records.task_sets)
        .str("account", |r| arn_scope(&r.item.task_set_arn).0)
        .str("region", |r| arn_scope(&r.item.task_set_arn).1)
        .str("cluster_arn", |r| r.item.cluster_arn.as_deref())
        .str("service_arn", |r| r.item.service_arn.as_deref())
        .str("task_set_arn", |r| Some(&r.item.task_set_arn))
        .str("task_set_id", |r| r.item.id.as_deref())
        .str("status", |r| r.item.status.as_deref())
        .str("launch_type", |r| r.item.launch_type.as_deref())
        .str("external_id", |r| r.item.external_id.as_deref());
    launch_columns(frame, |t| &t.network_configuration, |t| &t.load_balancers)
        .string("record_ref", |r| Some(source_ref(&r.source)))
        .build()
}

/// `ecs_tasks`: one row per task.
pub fn tasks(records: &Records) -> Result<DataFrame> {
    FrameBuilder::new(&records.tasks)
        .str("account", |r| arn_scope(&r.item.task_arn).0)
        .str("region", |r| arn_scope(&r.item.task_arn).1)
        .str("cluster_arn", |r| r.item.cluster_arn.as_deref())
        .str("task_arn", |r| Some(&r.item.task_arn))
        .str("task_id", |r| Some(last_segment(&r.item.task_arn)))
        .str("group", |r| r.item.group.as_deref())
        .str("service_name", |r| {
            r.item
                .group
                .as_deref()
                .and_then(|g| g.strip_prefix("service:"))
        })
        .str("started_by", |r| r.item.started_by.as_deref())
        .str("last_status", |r| r.item.last_status.as_deref())
        .str("desired_status", |r| r.item.desired_status.as_deref())
        .str("launch_type", |r| r.item.launch_type.as_deref())
        .str("task_definition_arn", |r| {
            r.item.task_definition_arn.as_deref()
        })
        .str("eni_id", |r| r.item.eni_id())
        .str("started_at", |r| {
            r.item.started_at.as_ref().map(|t| t.0.as_str())
        })
        .str("stopped_at", |r| {
            r.item.stopped_at.as_ref().map(|t| t.0.as_str())
        })
        .string("record_ref", |r| Some(source_ref(&r.source)))
        .build()
}

/// Columns as `name` or `name as alias`.
fn columns(names: &[&str]) -> Vec<Expr> {
    names
        .iter()
        .map(|c| match c.split_once(" as ") {
            Some((name, alias)) => col(name).alias(alias),
            None => col(*c),
        })
        .collect()
}

/// The service columns the view keeps, renamed where the task's own would clash.
const SERVICE_COLUMNS: [&str; 7] = [
    "account",
    "region",
    "cluster_arn",
    "service_name",
    "service_arn",
    "assign_public_ip as service_assign_public_ip",
    "record_ref as service_ref",
];

/// The task set columns the view keeps.
const TASK_SET_COLUMNS: [&str; 8] = [
    "account",
    "region",
    "cluster_arn",
    "task_set_id",
    "task_set_arn",
    "service_arn as task_set_service_arn",
    "assign_public_ip as task_set_assign_public_ip",
    "record_ref as task_set_ref",
];

/// The deployment columns the view keeps.
const DEPLOYMENT_COLUMNS: [&str; 5] = [
    "account",
    "region",
    "service_arn",
    "deployment_id",
    "assign_public_ip as deployment_assign_public_ip",
];

/// The network interface columns the view keeps.
const ENI_COLUMNS: [&str; 11] = [
    "account",
    "region",
    "network_interface_id",
    "subnet_id",
    "vpc_id",
    "public_ips",
    "elastic_ips",
    "eip_association_ids",
    "ipv6_addresses",
    "security_groups",
    "record_ref as eni_ref",
];

/// The columns of `ecs_task_network`, in order.
const TASK_NETWORK_COLUMNS: [&str; 27] = [
    "account",
    "region",
    "cluster_arn",
    "task_arn",
    "task_id",
    "last_status",
    "desired_status",
    "launch_type",
    "started_by",
    "service_name",
    "service_arn",
    "task_set_arn",
    "assign_public_ip",
    "config_source",
    "eni_id",
    "eni_found",
    "subnet_id",
    "vpc_id",
    "public_ips",
    "elastic_ips",
    "eip_association_ids",
    "ipv6_addresses",
    "security_groups",
    "task_ref",
    "service_ref",
    "task_set_ref",
    "eni_ref",
];

/// The configuration that launched a task: its task set's, else its deployment's, else its
/// service's, and which of them it was.
fn launch_config() -> [Expr; 2] {
    let (set, deployment, service) = (
        "task_set_assign_public_ip",
        "deployment_assign_public_ip",
        "service_assign_public_ip",
    );
    [
        coalesce(&[col(set), col(deployment), col(service)]).alias("assign_public_ip"),
        when(col(set).is_not_null())
            .then(lit("task_set"))
            .when(col(deployment).is_not_null())
            .then(lit("deployment"))
            .when(col(service).is_not_null())
            .then(lit("service"))
            .otherwise(lit(NULL).cast(DataType::String))
            .alias("config_source"),
    ]
}

/// Each task joined, within its account, region and cluster, to its service (`group` =
/// `service:NAME`) and to the task set or deployment that started it (`startedBy`): the view
/// [`task_network`] completes with the task's interface. What owns an interface is read from
/// it ([`super::exposure::task_refs`]) before the network model, and so the interfaces, exist.
/// The tasks are put in the view's order (account, region, task ARN; record order among equal
/// keys) before the joins, which are asked to keep the order of their left side (as is the
/// interface join after them), so the joined columns are gathered once, by the joins, and never
/// again by a sort.
pub fn task_launches(
    tasks: &DataFrame,
    services: &DataFrame,
    deployments: &DataFrame,
    task_sets: &DataFrame,
) -> Result<DataFrame> {
    let services = services.clone().lazy().select(columns(&SERVICE_COLUMNS));
    let task_sets = task_sets.clone().lazy().select(columns(&TASK_SET_COLUMNS));
    let deployments = deployments
        .clone()
        .lazy()
        .select(columns(&DEPLOYMENT_COLUMNS));
    let service_key = scoped(&["cluster_arn", "service_name"]);
    let launches = tasks
        .clone()
        .lazy()
        .rename(["record_ref"], ["task_ref"], true)
        .sort(
            ["account", "region", "task_arn"],
            SortMultipleOptions::default().with_maintain_order(true),
        )
        .join(services, service_key.clone(), service_key, left_join())
        .join(
            task_sets,
            scoped(&["cluster_arn", "started_by"]),
            scoped(&["cluster_arn", "task_set_id"]),
            left_join(),
        )
        .with_column(
            coalesce(&[col("service_arn"), col("task_set_service_arn")]).alias("service_arn"),
        )
        .join(
            deployments,
            scoped(&["service_arn", "started_by"]),
            scoped(&["service_arn", "deployment_id"]),
            left_join(),
        )
        .collect()?;
    Ok(launches)
}

/// `ecs_task_network`: each task of [`task_launches`] joined to its ENI (`enis`, the
/// `network_interfaces` rows of the interfaces the tasks name); `assign_public_ip` is the
/// configuration that launched it, `public_ips` what it holds. The join keeps the tasks' order.
pub fn task_network(launches: &DataFrame, enis: &DataFrame) -> Result<DataFrame> {
    let enis = enis.clone().lazy().select(columns(&ENI_COLUMNS));
    let view = launches
        .clone()
        .lazy()
        .join(
            enis,
            scoped(&["eni_id"]),
            scoped(&["network_interface_id"]),
            left_join(),
        )
        .with_columns(launch_config())
        .with_column(col("eni_ref").is_not_null().alias("eni_found"))
        .select(columns(&TASK_NETWORK_COLUMNS))
        .collect()?;
    Ok(view)
}

/// A left join that keeps its left side's order.
pub(super) fn left_join() -> JoinArgs {
    JoinArgs {
        maintain_order: MaintainOrderJoin::Left,
        ..JoinArgs::new(JoinType::Left)
    }
}

/// The columns `extra` within a row's account and region: a join key that never crosses them.
fn scoped(extra: &[&str]) -> Vec<Expr> {
    ["account", "region"]
        .iter()
        .chain(extra)
        .map(|c| col(*c))
        .collect()
}

#[cfg(test)]
mod tests {
    use polars::prelude::*;

    use super::{
        DEPLOYMENT_COLUMNS, SERVICE_COLUMNS, TASK_NETWORK_COLUMNS, TASK_SET_COLUMNS, task_launches,
        task_network,
    };
    use crate::tables::frame::FrameBuilder;

    /// A frame of the string columns `names` (a view's `name as alias` read as `name`), one row
    /// per array of values.
    fn strings(names: &[&str], rows: &[Vec<Option<&'static str>>]) -> DataFrame {
        let columns = names.iter().enumerate().map(|(c, name)| {
            let values: Vec<Option<&str>> = rows.iter().map(|r| r[c]).collect();
            let name = name.split(" as ").next().unwrap_or(name);
            Column::new(name.into(), values)
        });
        DataFrame::new(rows.len(), columns.collect()).unwrap()
    }

    /// Running Fargate tasks of one account and region, by ARN and interface.
    fn tasks(rows: &[(&'static str, &'static str)]) -> DataFrame {
        // The view's first ten columns are the task's own (`account` to `service_name`).
        let mut names = TASK_NETWORK_COLUMNS[..10].to_vec();
        names.extend(["eni_id", "record_ref"]);
        let row = |&(arn, eni): &(&'static str, &'static str)| {
            let mut row = vec![Some("111"), Some("eu-west-1"), Some("cluster"), Some(arn)];
            row.extend([Some(arn), Some("RUNNING"), Some("RUNNING"), Some("FARGATE")]);
            row.extend([None, None, Some(eni), Some(arn)]);
            row
        };
        strings(&names, &rows.iter().map(row).collect::<Vec<_>>())
    }

    /// The `network_interfaces` columns the view reads, by interface and public address.
    fn interfaces(rows: &[(&'static str, &'static str)]) -> DataFrame {
        FrameBuilder::new(rows)
            .str("account", |_| Some("111"))
            .str("region", |_| Some("eu-west-1"))
            .str("network_interface_id", |(id, _)| Some(id))
            .str("subnet_id", |_| None)
            .str("vpc_id", |_| None)
            .list("public_ips", |(_, ip)| [*ip])
            .list("elastic_ips", |_| [])
            .list("eip_association_ids", |_| [])
            .list("ipv6_addresses", |_| [])
            .list("security_groups", |_| [])
            .str("record_ref", |(id, _)| Some(id))
            .build()
            .unwrap()
    }

    /// The view is in account, region and task ARN order whatever the tasks' order, and each
    /// task holds its own interface's lists: the tasks are sorted before the joins, which keep
    /// that order (a join free to reorder, or an optimizer dropping the sort, fails this).
    #[test]
    fn tasks_come_sorted_with_their_own_interface() {
        let tasks = tasks(&[
            ("task/c", "eni-3"),
            ("task/a", "eni-1"),
            ("task/b", "eni-2"),
        ]);
        let enis = interfaces(&[
            ("eni-1", "10.0.0.1"),
            ("eni-2", "10.0.0.2"),
            ("eni-3", "10.0.0.3"),
        ]);
        let launches = task_launches(
            &tasks,
            &strings(&SERVICE_COLUMNS, &[]),
            &strings(&DEPLOYMENT_COLUMNS, &[]),
            &strings(&TASK_SET_COLUMNS, &[]),
        )
        .unwrap();
        let view = task_network(&launches, &enis).unwrap();
        let arns: Vec<_> = view
            .column("task_arn")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .collect();
        assert_eq!(arns, [Some("task/a"), Some("task/b"), Some("task/c")]);
        let lists = view.column("public_ips").unwrap().list().unwrap().clone();
        let ips: Vec<String> = (0..view.height())
            .map(|i| {
                let ips = lists.get_as_series(i).unwrap();
                ips.str().unwrap().get(0).unwrap().to_string()
            })
            .collect();
        assert_eq!(ips, ["10.0.0.1", "10.0.0.2", "10.0.0.3"]);
    }
}

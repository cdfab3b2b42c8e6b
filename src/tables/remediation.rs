//! The `ecs_remediation` view: one row per awsvpc service and task set with what its fix needs
//! (cluster, names, controller, task definition and scale, subnets, groups, load balancers) and
//! the preflight facts from [`Egress`] (NAT routes, ECR and S3 endpoints, NAT-routed subnets of
//! the same VPC, missing exports). Rule fixes read it through a `[fix]` lookup.

use anyhow::Result;
use polars::prelude::*;

use super::ecs::last_segment;
use super::egress::Egress;
use super::frame::{FrameBuilder, first_by};
use super::source_ref;
use crate::evidence::model::{
    AwsVpcConfiguration, LoadBalancerLink, Scale, Service, Shared, TaskSet,
};
use crate::evidence::{Record, Records, Source, arn_scope};

/// A service or task set and the service it belongs to.
struct Workload<'r> {
    arn: &'r str,
    kind: &'static str,
    service: Option<&'r Service>,
    service_arn: Option<&'r str>,
    cluster_arn: Option<&'r str>,
    task_set: Option<&'r TaskSet>,
    vpc: &'r AwsVpcConfiguration,
    load_balancers: &'r [LoadBalancerLink],
    source: &'r Source,
    service_source: Option<&'r Source>,
}

impl<'r> Workload<'r> {
    /// Every awsvpc service, then every awsvpc task set with its service when exported.
    fn all(records: &'r Records) -> Vec<Workload<'r>> {
        let by_arn = first_by(&records.services, |s| Some(s.service_arn.as_str()));
        let service_of =
            |arn: Option<&str>| -> Option<&'r Record<Service>> { by_arn.get(arn?).copied() };
        let services = records.services.iter().filter_map(|s| {
            let vpc = s.item.network_configuration.as_ref()?;
            Some(Workload {
                arn: &s.item.service_arn,
                kind: "service",
                service: Some(&s.item),
                service_arn: Some(&s.item.service_arn),
                cluster_arn: s.item.cluster_arn.as_deref(),
                task_set: None,
                vpc: vpc.awsvpc_configuration.as_ref()?,
                load_balancers: &s.item.load_balancers,
                source: &s.source,
                service_source: None,
            })
        });
        let task_sets = records.task_sets.iter().filter_map(|t| {
            let vpc = t.item.network_configuration.as_ref()?;
            let service = service_of(t.item.service_arn.as_deref());
            Some(Workload {
                arn: &t.item.task_set_arn,
                kind: "task_set",
                service: service.map(|s| &s.item),
                service_arn: t.item.service_arn.as_deref(),
                cluster_arn: t.item.cluster_arn.as_deref(),
                task_set: Some(&t.item),
                vpc: vpc.awsvpc_configuration.as_ref()?,
                load_balancers: &t.item.load_balancers,
                source: &t.source,
                service_source: service.map(|s| &s.source),
            })
        });
        services.chain(task_sets).collect()
    }

    /// The VPC of the workload's first subnet that describe-subnets names.
    fn vpc_id<'e>(&self, egress: &Egress<'e>) -> Option<&'e str> {
        self.vpc.subnets.iter().find_map(|s| egress.subnet_vpc(s))
    }

    /// The workload's subnets that do (`nat`) or do not send their default route to a NAT
    /// gateway.
    fn subnets_by_nat<'a>(
        &'a self,
        egress: &'a Egress,
        nat: bool,
    ) -> impl Iterator<Item = &'r str> + 'a {
        let chosen = self.vpc.subnets.iter();
        chosen
            .filter(move |s| egress.nat_routed(s) == nat)
            .map(Shared::as_str)
    }

    /// The task set's scale, if any.
    fn scale(&self) -> Option<&'r Scale> {
        self.task_set.and_then(|t| t.scale.as_ref())
    }
}

/// `ecs_remediation`: one row per awsvpc service and task set, with its preflight facts.
pub fn ecs_remediation(records: &Records, egress: &Egress) -> Result<DataFrame> {
    let rows = Workload::all(records);
    let endpoints = |w: &Workload| w.vpc_id(egress).and_then(|v| egress.endpoints(v));
    FrameBuilder::new(&rows)
        .str("account", |w| arn_scope(w.arn).0)
        .str("region", |w| arn_scope(w.arn).1)
        .str("resource_arn", |w| Some(w.arn))
        .str("kind", |w| Some(w.kind))
        .str("cluster_arn", |w| w.cluster_arn)
        .str("cluster", |w| w.cluster_arn.map(last_segment))
        .str("service_arn", |w| w.service_arn)
        .str("service_name", |w| w.service_arn.map(last_segment))
        .str("task_set_id", |w| w.task_set.and_then(|t| t.id.as_deref()))
        .str("deployment_controller", |w| {
            let controller = w.service.and_then(|s| s.deployment_controller.as_ref());
            controller.and_then(|c| c.kind.as_deref())
        })
        .str("launch_type", |w| {
            w.task_set
                .and_then(|t| t.launch_type.as_deref())
                .or_else(|| w.service.and_then(|s| s.launch_type.as_deref()))
        })
        .str("platform_version", |w| {
            w.task_set.and_then(|t| t.platform_version.as_deref())
        })
        .str("task_definition", |w| {
            w.task_set.and_then(|t| t.task_definition.as_deref())
        })
        .string("scale_value", |w| {
            w.scale().and_then(|s| s.value).map(|v| v.to_string())
        })
        .str("scale_unit", |w| w.scale().and_then(|s| s.unit.as_deref()))
        .str("assign_public_ip", |w| w.vpc.assign_public_ip.as_deref())
        .list("subnets", |w| w.vpc.subnets.iter().map(Shared::as_str))
        .list("security_groups", |w| {
            w.vpc.security_groups.iter().map(Shared::as_str)
        })
        .bool("has_load_balancer", |w| Some(!w.load_balancers.is_empty()))
        .string("load_balancers_json", |w| {
            serde_json::to_string(w.load_balancers).ok()
        })
        .str("vpc_id", |w| w.vpc_id(egress))
        .list("subnets_with_nat", |w| w.subnets_by_nat(egress, true))
        .list("subnets_without_nat", |w| w.subnets_by_nat(egress, false))
        .list("nat_subnets", |w| {
            let vpc = w.vpc_id(egress);
            vpc.map(|v| egress.nat_subnets(arn_scope(w.arn).0, v))
                .unwrap_or_default()
        })
        .bool("ecr_api_endpoint", |w| endpoints(w).map(|e| e.ecr_api))
        .bool("ecr_dkr_endpoint", |w| endpoints(w).map(|e| e.ecr_dkr))
        .bool("s3_endpoint", |w| endpoints(w).map(|e| e.s3))
        .list("missing_exports", |_| egress.missing().iter().copied())
        .string("record_ref", |w| Some(source_ref(w.source)))
        .string("service_ref", |w| w.service_source.map(source_ref))
        .build()
}

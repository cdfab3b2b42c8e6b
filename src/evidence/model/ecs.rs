//! ECS records: services, deployments, task sets and tasks.

use serde::{Deserialize, Serialize};

use super::{NameValue, Shared};
use crate::evidence::timestamp::Timestamp;

/// An entry of an ECS `failures[]` array: a resource the call could not describe.
#[derive(Debug, PartialEq, Deserialize)]
pub struct Failure {
    /// The ARN or name that failed.
    pub arn: Option<String>,
    /// Why, e.g. `MISSING`.
    pub reason: Option<String>,
    /// Extra detail AWS gives.
    pub detail: Option<String>,
}

/// `networkConfiguration` of a service, deployment or task set.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkConfiguration {
    /// Present only for the awsvpc network mode.
    pub awsvpc_configuration: Option<AwsVpcConfiguration>,
}

/// `awsvpcConfiguration`: where tasks are placed and whether they get a public IP.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AwsVpcConfiguration {
    /// Subnet ids.
    #[serde(default, deserialize_with = "crate::evidence::model::compact")]
    pub subnets: Vec<Shared>,
    /// Security group ids.
    #[serde(default, deserialize_with = "crate::evidence::model::compact")]
    pub security_groups: Vec<Shared>,
    /// `ENABLED` or `DISABLED` (AWS defaults to `DISABLED` when absent).
    pub assign_public_ip: Option<Shared>,
}

impl NetworkConfiguration {
    /// The configured `assignPublicIp` of an awsvpc configuration (`DISABLED` when unset).
    pub fn assign_public_ip(&self) -> Option<&str> {
        self.awsvpc_configuration
            .as_ref()
            .map(|a| a.assign_public_ip.as_deref().unwrap_or("DISABLED"))
    }
}

/// One ECS service from `describe-services`.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Service {
    /// Service ARN (carries account and region).
    pub service_arn: String,
    /// Service name.
    pub service_name: Option<String>,
    /// Cluster ARN.
    pub cluster_arn: Option<Shared>,
    /// `ACTIVE`, `DRAINING` or `INACTIVE`.
    pub status: Option<Shared>,
    /// `FARGATE`, `EC2`, `EXTERNAL`.
    pub launch_type: Option<Shared>,
    /// Network configuration of the service.
    pub network_configuration: Option<NetworkConfiguration>,
    /// Deployments of the ECS deployment controller.
    #[serde(default, deserialize_with = "crate::evidence::model::compact")]
    pub deployments: Vec<Deployment>,
    /// Task sets (EXTERNAL / CODE_DEPLOY controllers), inline.
    #[serde(default, deserialize_with = "crate::evidence::model::compact")]
    pub task_sets: Vec<TaskSet>,
    /// The target groups (or classic load balancers) its tasks are registered with.
    #[serde(default, deserialize_with = "crate::evidence::model::compact")]
    pub load_balancers: Vec<LoadBalancerLink>,
    /// The deployment controller.
    pub deployment_controller: Option<DeploymentController>,
    /// Desired task count.
    pub desired_count: Option<i64>,
    /// Running task count.
    pub running_count: Option<i64>,
    /// When the service was created.
    pub created_at: Option<Timestamp>,
}

/// `deploymentController` of a service.
#[derive(Debug, PartialEq, Deserialize)]
pub struct DeploymentController {
    /// `ECS`, `CODE_DEPLOY` or `EXTERNAL`.
    #[serde(rename = "type")]
    pub kind: Option<Shared>,
}

/// A deployment of a service (ECS controller).
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Deployment {
    /// Deployment id, e.g. `ecs-svc/1234567890123456789`; tasks carry it in `startedBy`.
    pub id: Option<String>,
    /// `PRIMARY`, `ACTIVE`, `INACTIVE`.
    pub status: Option<Shared>,
    /// The network configuration this deployment launches tasks with.
    pub network_configuration: Option<NetworkConfiguration>,
}

/// One ECS task set (from `describe-task-sets` or inline in `describe-services`).
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskSet {
    /// Task set id, e.g. `ecs-svc/1234567890123456789`; its tasks carry it in `startedBy`.
    pub id: Option<String>,
    /// Task set ARN.
    pub task_set_arn: String,
    /// The owning service's ARN.
    pub service_arn: Option<String>,
    /// Cluster ARN.
    pub cluster_arn: Option<String>,
    /// `PRIMARY`, `ACTIVE`, `DRAINING`.
    pub status: Option<String>,
    /// Launch type.
    pub launch_type: Option<String>,
    /// External id given by the deployment tool.
    pub external_id: Option<String>,
    /// The task definition its tasks run.
    pub task_definition: Option<String>,
    /// Fargate platform version.
    pub platform_version: Option<String>,
    /// Share of the service's desired count it runs.
    pub scale: Option<Scale>,
    /// Network configuration of the task set.
    pub network_configuration: Option<NetworkConfiguration>,
    /// The target groups its tasks are registered with.
    #[serde(default, deserialize_with = "crate::evidence::model::compact")]
    pub load_balancers: Vec<LoadBalancerLink>,
}

/// A task set's `scale`: a share of the service's desired count.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Scale {
    /// The share.
    pub value: Option<f64>,
    /// `PERCENT`.
    pub unit: Option<String>,
}

/// An entry of a service's or task set's `loadBalancers[]`: where its tasks are registered.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoadBalancerLink {
    /// The elbv2 target group (absent for a classic load balancer).
    pub target_group_arn: Option<String>,
    /// The classic load balancer's name (absent for elbv2).
    pub load_balancer_name: Option<String>,
    /// The container registered.
    pub container_name: Option<Shared>,
    /// The container port registered (in bridge mode, the host port mapped to it is).
    pub container_port: Option<i64>,
}

/// One ECS task from `describe-tasks`.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    /// Task ARN.
    pub task_arn: String,
    /// Cluster ARN.
    pub cluster_arn: Option<Shared>,
    /// `service:NAME` for service tasks.
    pub group: Option<Shared>,
    /// Deployment or task set id that started the task.
    pub started_by: Option<Shared>,
    /// `RUNNING`, `STOPPED`, `PENDING`, …
    pub last_status: Option<Shared>,
    /// Desired status.
    pub desired_status: Option<Shared>,
    /// Launch type.
    pub launch_type: Option<Shared>,
    /// Task definition ARN.
    pub task_definition_arn: Option<Shared>,
    /// ENI attachments (awsvpc).
    #[serde(default, deserialize_with = "crate::evidence::model::compact")]
    pub attachments: Vec<TaskAttachment>,
    /// When the task started.
    pub started_at: Option<Timestamp>,
    /// When the task stopped.
    pub stopped_at: Option<Timestamp>,
}

/// An attachment of a task; `ElasticNetworkInterface` for awsvpc tasks.
#[derive(Debug, PartialEq, Deserialize)]
pub struct TaskAttachment {
    /// Attachment type.
    #[serde(rename = "type")]
    pub kind: Option<Shared>,
    /// `ATTACHED`, `DELETED`, …
    pub status: Option<Shared>,
    /// Name/value details, among them `networkInterfaceId`.
    #[serde(default, deserialize_with = "crate::evidence::model::compact")]
    pub details: Vec<NameValue>,
}

impl Task {
    /// The id of the task's ENI, from its `ElasticNetworkInterface` attachment.
    pub fn eni_id(&self) -> Option<&str> {
        self.attachments
            .iter()
            .filter(|a| a.kind.as_deref() == Some("ElasticNetworkInterface"))
            .flat_map(|a| &a.details)
            .find(|d| d.name == "networkInterfaceId")
            .and_then(|d| d.value.as_deref())
    }
}

//! What a network interface belongs to: [`Owner`] and its [`OwnerKind`], read from the interface's
//! type, description and attachment, and from the ECS task that names it ([`TaskRef`]).

use std::collections::BTreeMap;

use anyhow::Result;
use polars::prelude::*;

use crate::evidence::model::{Interner, NetworkInterface, Shared};

/// The kind of resource an interface belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OwnerKind {
    /// An EC2 instance (attachment to `i-…`).
    Ec2Instance,
    /// An ECS task (awsvpc network mode, Fargate or EC2).
    EcsTask,
    /// A load balancer node (`ELB …` description, NLB/GWLB interface type).
    LoadBalancer,
    /// A NAT gateway.
    NatGateway,
    /// A Lambda function's VPC interface.
    Lambda,
    /// An RDS database.
    Rds,
    /// An interface VPC endpoint.
    VpcEndpoint,
    /// Anything else.
    Other,
}

impl OwnerKind {
    /// The name used in tables and reports: `ec2_instance`, `ecs_task`, `load_balancer`,
    /// `nat_gateway`, `lambda`, `rds`, `vpc_endpoint` or `other`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ec2Instance => "ec2_instance",
            Self::EcsTask => "ecs_task",
            Self::LoadBalancer => "load_balancer",
            Self::NatGateway => "nat_gateway",
            Self::Lambda => "lambda",
            Self::Rds => "rds",
            Self::VpcEndpoint => "vpc_endpoint",
            Self::Other => "other",
        }
    }
}

/// What an interface belongs to (its texts shared with the interfaces of the same owner, and
/// an instance's id with [`super::Eni::instance_id`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    /// The kind of owner.
    pub kind: OwnerKind,
    /// Instance id, task ARN, load balancer / NAT gateway / function name, else the description.
    pub id: Option<Shared>,
    /// For ECS tasks: the service name.
    pub service_name: Option<Shared>,
    /// For ECS tasks: the service ARN.
    pub service_arn: Option<Shared>,
}

/// An ECS task as the `ecs_task_network` view names it.
#[derive(Debug, Clone)]
pub struct TaskRef {
    /// Task ARN.
    pub task_arn: Shared,
    /// `lastStatus`.
    pub last_status: Option<Shared>,
    /// Service name.
    pub service_name: Option<Shared>,
    /// Service ARN.
    pub service_arn: Option<Shared>,
}

/// The account AWS Fargate creates task interfaces from (their `RequesterId`).
const FARGATE: &str = "578734482556";

impl Owner {
    /// An owner that is not an ECS task; an empty id counts as none.
    fn plain(kind: OwnerKind, id: Option<&str>, texts: &mut Interner) -> Owner {
        Owner {
            kind,
            id: id.filter(|s| !s.is_empty()).map(|id| texts.get(id)),
            service_name: None,
            service_arn: None,
        }
    }

    /// Classifies an interface: an ECS task attachment naming it wins, then the interface type
    /// and description AWS gives to NAT gateway, load balancer and Lambda interfaces, then an
    /// instance attachment, then RDS and VPC endpoint descriptions, then a Fargate/ECS description.
    /// Its id is the copy of `texts`.
    pub fn of(eni: &NetworkInterface, task: Option<TaskRef>, texts: &mut Interner) -> Owner {
        if let Some(t) = task {
            return Owner {
                kind: OwnerKind::EcsTask,
                id: Some(t.task_arn),
                service_name: t.service_name,
                service_arn: t.service_arn,
            };
        }
        let desc = eni.description.as_deref().unwrap_or_default();
        let itype = eni.interface_type.as_deref().unwrap_or_default();
        let instance = eni
            .attachment
            .as_ref()
            .and_then(|a| a.instance_id.as_deref())
            .filter(|i| i.starts_with("i-"));
        let word = |prefix: &str| desc.split_whitespace().find(|w| w.starts_with(prefix));
        let (kind, id) = if itype == "nat_gateway" {
            (OwnerKind::NatGateway, word("nat-").or(Some(desc)))
        } else if matches!(itype, "network_load_balancer" | "gateway_load_balancer")
            || desc.starts_with("ELB ")
        {
            (
                OwnerKind::LoadBalancer,
                Some(desc.trim_start_matches("ELB ")),
            )
        } else if itype == "lambda" || desc.starts_with("AWS Lambda VPC ENI") {
            let name = desc
                .trim_start_matches("AWS Lambda VPC ENI")
                .trim_start_matches('-');
            (OwnerKind::Lambda, Some(name))
        } else if let Some(i) = instance {
            // Instance ids do not repeat between interfaces: not worth interning.
            return Owner {
                id: Some(Shared::single(i)),
                ..Owner::plain(OwnerKind::Ec2Instance, None, texts)
            };
        } else if desc == "RDSNetworkInterface" {
            (OwnerKind::Rds, None)
        } else if itype == "vpc_endpoint" || desc.starts_with("VPC Endpoint Interface ") {
            (OwnerKind::VpcEndpoint, word("vpce-"))
        } else if desc.starts_with("arn:aws:ecs:") || eni.requester_id.as_deref() == Some(FARGATE) {
            (OwnerKind::EcsTask, Some(desc))
        } else {
            (OwnerKind::Other, Some(desc))
        };
        Owner::plain(kind, id, texts)
    }

    /// "instance i-…", "ECS task … of service …", "NAT gateway nat-…", …
    pub fn describe(&self) -> String {
        let id = self.id.as_deref().unwrap_or("(unnamed)");
        match self.kind {
            OwnerKind::Ec2Instance => format!("instance {id}"),
            OwnerKind::EcsTask => match &self.service_name {
                Some(s) => format!("ECS task {id} of service {s}"),
                None => format!("ECS task {id}"),
            },
            OwnerKind::LoadBalancer => format!("load balancer {id}"),
            OwnerKind::NatGateway => format!("NAT gateway {id}"),
            OwnerKind::Lambda => format!("Lambda function {id}"),
            OwnerKind::Rds => "RDS database".to_string(),
            OwnerKind::VpcEndpoint => format!("VPC endpoint {id}"),
            OwnerKind::Other => format!("interface owner {id}"),
        }
    }
}

/// The ECS task naming each interface, by account and ENI id (an ENI id seen in two accounts
/// names two interfaces: one account's task is never lent to the other's interface).
#[derive(Debug, Default)]
pub struct TaskRefs(BTreeMap<Shared, BTreeMap<Shared, TaskRef>>);

impl TaskRefs {
    /// The task naming interface `eni` of `account` (no account: the empty string, as in
    /// [`crate::tables::scope::key`]).
    pub fn get(&self, account: Option<&str>, eni: &str) -> Option<&TaskRef> {
        self.0.get(account.unwrap_or_default())?.get(eni)
    }
}

/// The ECS task naming each interface, from the `ecs_task_network` view (the task's account and
/// ENI id; a RUNNING task wins over a stopped one).
pub fn task_refs(view: &DataFrame) -> Result<TaskRefs> {
    let mut texts = Interner::default();
    let mut col = |name: &str| -> Result<Vec<Option<Shared>>> {
        Ok(view
            .column(name)?
            .str()?
            .iter()
            .map(|v| v.map(|text| texts.get(text)))
            .collect())
    };
    let (accounts, enis) = (col("account")?, col("eni_id")?);
    let (arns, status) = (col("task_arn")?, col("last_status")?);
    let (names, services) = (col("service_name")?, col("service_arn")?);
    let no_account = texts.get("");
    let mut out = TaskRefs::default();
    for i in 0..view.height() {
        let (Some(eni), Some(arn)) = (&enis[i], &arns[i]) else {
            continue;
        };
        let task = TaskRef {
            task_arn: arn.clone(),
            last_status: status[i].clone(),
            service_name: names[i].clone(),
            service_arn: services[i].clone(),
        };
        let account = accounts[i].as_ref().unwrap_or(&no_account);
        let of_account = out.0.entry(account.clone()).or_default();
        let running = |t: &TaskRef| t.last_status.as_deref() == Some("RUNNING");
        match of_account.get(eni) {
            Some(old) if running(old) || !running(&task) => {}
            _ => {
                of_account.insert(eni.clone(), task);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner(json: &str) -> Owner {
        Owner::of(
            &serde_json::from_str(json).unwrap(),
            None,
            &mut Interner::default(),
        )
    }

    #[test]
    fn owners_are_read_from_type_description_and_attachment() {
        use OwnerKind::*;
        let cases = [
            (
                r#"{"NetworkInterfaceId": "eni-1", "InterfaceType": "nat_gateway", "Description": "Interface for NAT Gateway nat-0a1"}"#,
                NatGateway,
                Some("nat-0a1"),
            ),
            (
                r#"{"NetworkInterfaceId": "eni-2", "Description": "ELB app/web/50dc6c495c0c9188"}"#,
                LoadBalancer,
                Some("app/web/50dc6c495c0c9188"),
            ),
            (
                r#"{"NetworkInterfaceId": "eni-3", "InterfaceType": "lambda", "Description": "AWS Lambda VPC ENI-resize"}"#,
                Lambda,
                Some("resize"),
            ),
            (
                r#"{"NetworkInterfaceId": "eni-4", "Attachment": {"InstanceId": "i-0b2"}}"#,
                Ec2Instance,
                Some("i-0b2"),
            ),
            (
                r#"{"NetworkInterfaceId": "eni-5", "Description": "RDSNetworkInterface"}"#,
                Rds,
                None,
            ),
            (
                r#"{"NetworkInterfaceId": "eni-6", "InterfaceType": "vpc_endpoint", "Description": "VPC Endpoint Interface vpce-0c3"}"#,
                VpcEndpoint,
                Some("vpce-0c3"),
            ),
            (
                r#"{"NetworkInterfaceId": "eni-7", "Description": "arn:aws:ecs:eu-west-1:111122223333:attachment/x"}"#,
                EcsTask,
                Some("arn:aws:ecs:eu-west-1:111122223333:attachment/x"),
            ),
            (
                r#"{"NetworkInterfaceId": "eni-8", "Description": "hand-made"}"#,
                Other,
                Some("hand-made"),
            ),
        ];
        for (json, kind, id) in cases {
            let o = owner(json);
            assert_eq!((o.kind, o.id.as_deref()), (kind, id), "{json}");
        }
        assert_eq!(Rds.as_str(), "rds");
        assert_eq!(
            owner(r#"{"NetworkInterfaceId": "eni-5", "Description": "RDSNetworkInterface"}"#)
                .describe(),
            "RDS database"
        );
    }
}

//! NAT gateways and VPC endpoints: what a subnet without a public address still reaches
//! (the remediation preflight reads them; the reachability engine does not).

use serde::Deserialize;

/// One NAT gateway from `describe-nat-gateways`.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NatGateway {
    /// Gateway id (`nat-…`).
    pub nat_gateway_id: String,
    /// `pending`, `available`, `deleting`, `deleted`, `failed`.
    pub state: Option<String>,
    /// The subnet it lives in.
    pub subnet_id: Option<String>,
    /// Its VPC.
    pub vpc_id: Option<String>,
    /// `public` (reaches the internet) or `private`.
    pub connectivity_type: Option<String>,
}

/// One VPC endpoint from `describe-vpc-endpoints`.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VpcEndpoint {
    /// Endpoint id (`vpce-…`).
    pub vpc_endpoint_id: String,
    /// `Interface`, `Gateway` or `GatewayLoadBalancer`.
    pub vpc_endpoint_type: Option<String>,
    /// Its VPC.
    pub vpc_id: Option<String>,
    /// The AWS service, e.g. `com.amazonaws.eu-west-1.ecr.dkr`.
    pub service_name: Option<String>,
    /// `available`, `pending`, …
    pub state: Option<String>,
    /// Owning account.
    pub owner_id: Option<String>,
    /// Route tables of a gateway endpoint.
    #[serde(default, deserialize_with = "crate::evidence::model::compact")]
    pub route_table_ids: Vec<String>,
    /// Subnets of an interface endpoint.
    #[serde(default, deserialize_with = "crate::evidence::model::compact")]
    pub subnet_ids: Vec<String>,
}

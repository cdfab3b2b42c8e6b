//! Typed views of the AWS CLI records snapaudit reads. Only the fields the audit needs are kept;
//! unknown fields are ignored and every field that AWS may omit is optional.
//!
//! `ecs` holds the ECS records, `ec2` network interfaces, instances, addresses, subnets, VPCs,
//! prefix lists and flow logs, `vpc` security groups and their rules, network ACLs, route tables
//! and gateways, `gateways` NAT gateways and VPC endpoints, `status` instance status checks; all
//! are re-exported here.

mod ec2;
mod ecs;
mod gateways;
mod shared;
mod status;
mod vpc;

pub use ec2::*;
pub use ecs::*;
pub use gateways::*;
pub use shared::{Interner, Shared};
pub use status::*;
pub use vpc::*;

use serde::Deserialize;

/// Reads a list into a vector of exactly its length: a vector grown by pushes holds room for
/// at least four elements, and a record's short lists (one address, one or two groups) would
/// otherwise take several times the memory their elements need.
pub fn compact<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    let mut items = Vec::<T>::deserialize(d)?;
    items.shrink_to_fit();
    Ok(items)
}

/// A `{"name": …, "value": …}` pair, as in ECS attachment details.
#[derive(Debug, PartialEq, Deserialize)]
pub struct NameValue {
    /// The detail name, e.g. `networkInterfaceId`.
    pub name: Shared,
    /// The detail value.
    pub value: Option<Shared>,
}

/// An EC2 tag.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    /// Tag key.
    pub key: String,
    /// Tag value.
    pub value: Option<String>,
}

/// Returns the value of the `Name` tag, if any.
pub fn name_tag(tags: &[Tag]) -> Option<&str> {
    tags.iter()
        .find(|t| t.key == "Name")
        .and_then(|t| t.value.as_deref())
}

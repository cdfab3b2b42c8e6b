//! `ec2 describe-instance-status`: the system and instance status checks of each instance (only
//! running instances unless the call was made with `--include-all-instances`).

use serde::Deserialize;

use super::InstanceState;

/// One entry of `InstanceStatuses[]`.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceStatus {
    /// Instance id.
    pub instance_id: String,
    /// Availability zone.
    pub availability_zone: Option<String>,
    /// Lifecycle state (`running`, `stopped`, …).
    pub instance_state: Option<InstanceState>,
    /// The check of the host AWS runs the instance on.
    pub system_status: Option<StatusSummary>,
    /// The check of the instance's own software and network configuration.
    pub instance_status: Option<StatusSummary>,
}

/// A status check: its overall `Status` and the detailed checks behind it.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StatusSummary {
    /// `ok`, `impaired`, `insufficient-data`, `not-applicable` or `initializing`.
    pub status: Option<String>,
    /// The detailed checks (`reachability`: `passed`, `failed`, …).
    #[serde(default, deserialize_with = "crate::evidence::model::compact")]
    pub details: Vec<StatusDetail>,
}

/// One detailed check.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StatusDetail {
    /// The check, e.g. `reachability`.
    pub name: Option<String>,
    /// `passed`, `failed`, `insufficient-data` or `initializing`.
    pub status: Option<String>,
    /// When a failed check started failing.
    pub impaired_since: Option<String>,
}

impl StatusSummary {
    /// The detailed checks as `name: status (since …)`, joined with `, `.
    pub fn details_text(&self) -> String {
        self.details
            .iter()
            .map(|d| {
                let since = d
                    .impaired_since
                    .as_deref()
                    .map(|s| format!(" since {s}"))
                    .unwrap_or_default();
                format!(
                    "{}: {}{since}",
                    d.name.as_deref().unwrap_or("?"),
                    d.status.as_deref().unwrap_or("?")
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

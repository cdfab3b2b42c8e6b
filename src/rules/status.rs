//! The status of one rule on one resource: `fail`, `indeterminate` (the evidence cannot settle
//! it), `pass` (the query emitted nothing), `not_applicable` (the rule's `[where]` excludes the
//! row, or the query says it does not concern it) and, after the waivers, `suppressed`.

use serde::{Deserialize, Serialize};

use super::EvidenceRecord;
use crate::evidence::model::Shared;

/// How one evaluation of a rule on a resource ended.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The resource fails the rule: a finding.
    #[default]
    Fail,
    /// The evidence cannot settle it; the finding's message names what is missing.
    Indeterminate,
    /// The rule examined the resource and found nothing.
    Pass,
    /// The rule does not concern the resource.
    NotApplicable,
    /// A failure an unexpired waiver accepts (set by `scan --waivers`, never by a query).
    Suppressed,
}

impl Status {
    /// The name used in every format.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Fail => "fail",
            Status::Indeterminate => "indeterminate",
            Status::Pass => "pass",
            Status::NotApplicable => "not_applicable",
            Status::Suppressed => "suppressed",
        }
    }

    /// Checks a status a query emitted: it may say `fail`, `indeterminate` or `not_applicable`
    /// (a passing row is one for which the query emits nothing).
    pub fn emitted(self) -> anyhow::Result<Status> {
        match self {
            Status::Fail | Status::Indeterminate | Status::NotApplicable => Ok(self),
            other => anyhow::bail!(
                "the query emitted status `{}`; emit `fail`, `indeterminate` or `not_applicable` (emit nothing for a row that passes)",
                other.as_str()
            ),
        }
    }
}

/// A resource a rule examined and found nothing on (listed with `scan --show-pass`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Passed {
    /// The rule.
    pub rule_id: Shared,
    /// Always `pass`, so that a line of JSON lines says what it is.
    pub status: Status,
    /// Account of the resource.
    pub account: Option<Shared>,
    /// Region of the resource.
    pub region: Option<Shared>,
    /// Resource type.
    pub resource_type: Shared,
    /// Resource id or ARN.
    pub resource_id: String,
    /// The resource's own evidence record (`null` when its row cites none).
    pub evidence: Option<EvidenceRecord>,
}

impl Passed {
    /// The order passing resources are reported in.
    pub fn sort_key(&self) -> impl Ord + '_ {
        (
            &self.rule_id,
            &self.account,
            &self.region,
            &self.resource_id,
        )
    }
}

/// The rows of one rule's table, counted by how the rule ended on them; failures, indeterminate
/// and suppressed results are counted from the report's lists.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RowTally {
    /// Rows of the rule's table.
    pub examined: usize,
    /// Rows the query emitted nothing for.
    pub passed: usize,
    /// Rows `[where]` excludes or the query calls `not_applicable`.
    pub not_applicable: usize,
}

impl std::ops::AddAssign for RowTally {
    fn add_assign(&mut self, other: RowTally) {
        self.examined += other.examined;
        self.passed += other.passed;
        self.not_applicable += other.not_applicable;
    }
}

//! `snapaudit diff`: what changed between two audits of the same estate. Each side is an
//! evidence path (scanned with the rule pack) or a saved `scan --format json` report; findings
//! are matched on (rule id, account, region, resource id) and sorted into buckets.

pub mod changes;
pub mod render;
pub mod side;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::{Value, json};

pub use changes::Change;
pub use side::Side;

use crate::evidence::model::Shared;
use crate::rules::{Finding, Rule, Severity};

/// The identity of a finding across two audits.
type Key = (Shared, Option<Shared>, Option<Shared>, String);

/// The identity of `finding`: rule id, account, region, resource id.
fn key(finding: &Finding) -> Key {
    (
        finding.rule_id.clone(),
        finding.account.clone(),
        finding.region.clone(),
        finding.resource_id.to_string(),
    )
}

/// A finding on both sides whose severity, message or exposure differs.
#[derive(Debug, Serialize)]
pub struct Changed {
    /// As found on the old side.
    pub old: Finding,
    /// As found on the new side.
    pub new: Finding,
    /// What differs, severity first.
    pub changes: Vec<Change>,
}

impl Changed {
    /// Whether the new side's severity is worse than the old one's.
    pub fn severity_rose(&self) -> bool {
        self.new.severity < self.old.severity
    }
}

/// An old finding whose key is absent from the new side because the new side lacks evidence
/// its rule needs: its absence proves nothing.
#[derive(Debug, Serialize)]
pub struct NotComparable {
    /// The old finding.
    pub finding: Finding,
    /// The evidence kinds (AWS CLI commands) its rule needs that the new side lacks.
    pub missing: Vec<String>,
}

/// The outcome of comparing two audits; every list is sorted by key.
#[derive(Debug, Serialize)]
pub struct Diff {
    /// Only on the new side.
    pub new: Vec<Finding>,
    /// Only on the old side, and the new side has every evidence kind its rule needs.
    pub resolved: Vec<Finding>,
    /// On both sides, with a different severity, message or exposure.
    pub changed: Vec<Changed>,
    /// On both sides, the same.
    pub unchanged: Vec<Finding>,
    /// Only on the old side, and the new side lacks evidence its rule needs.
    pub not_comparable: Vec<NotComparable>,
    /// Counts per bucket and the two sides compared.
    pub summary: Value,
}

impl Diff {
    /// Compares `old` with `new`; `rules` says what evidence each rule needs.
    pub fn compare(old: &Side, new: &Side, rules: &[Rule]) -> Diff {
        let mut diff = Diff {
            new: Vec::new(),
            resolved: Vec::new(),
            changed: Vec::new(),
            unchanged: Vec::new(),
            not_comparable: Vec::new(),
            summary: Value::Null,
        };
        let mut records = changes::RecordLookup::new(old, new);
        let (olds, news) = (by_key(&old.findings), by_key(&new.findings));
        let keys: BTreeSet<&Key> = olds.keys().chain(news.keys()).collect();
        for k in keys {
            let before = olds.get(k).map_or(&[][..], Vec::as_slice);
            let after = news.get(k).map_or(&[][..], Vec::as_slice);
            for i in 0..before.len().max(after.len()) {
                match (before.get(i), after.get(i)) {
                    (Some(o), Some(n)) => diff.pair(o, n, &mut records),
                    (None, Some(n)) => diff.new.push((*n).clone()),
                    (Some(o), None) => diff.gone(o, new, rules),
                    (None, None) => {}
                }
            }
        }
        diff.summary = diff.counts(old, new);
        diff
    }

    /// Files a finding present on both sides as changed or unchanged.
    fn pair(&mut self, old: &Finding, new: &Finding, records: &mut changes::RecordLookup) {
        let found = changes::between(old, new, records);
        if found.is_empty() {
            self.unchanged.push(new.clone());
        } else {
            self.changed.push(Changed {
                old: old.clone(),
                new: new.clone(),
                changes: found,
            });
        }
    }

    /// Files an old finding absent from the new side as resolved or not comparable.
    fn gone(&mut self, finding: &Finding, new: &Side, rules: &[Rule]) {
        let needs = rules
            .iter()
            .find(|r| finding.rule_id == *r.meta.id)
            .map_or(&[][..], |r| &r.meta.requires[..]);
        let missing: Vec<String> = needs
            .iter()
            .filter(|kind| !new.has_kind(kind, finding.account.as_deref()))
            .cloned()
            .collect();
        if missing.is_empty() {
            self.resolved.push(finding.clone());
        } else {
            self.not_comparable.push(NotComparable {
                finding: finding.clone(),
                missing,
            });
        }
    }

    /// The summary: the two sides and the size of each bucket.
    fn counts(&self, old: &Side, new: &Side) -> Value {
        json!({
            "old": old.label,
            "new": new.label,
            "new_findings": self.new.len(),
            "resolved": self.resolved.len(),
            "changed": self.changed.len(),
            "unchanged": self.unchanged.len(),
            "not_comparable": self.not_comparable.len(),
        })
    }

    /// Whether a new finding, or a changed one whose severity rose, is at or above `threshold`.
    pub fn fails(&self, threshold: Severity) -> bool {
        self.new.iter().any(|f| f.severity <= threshold)
            || self
                .changed
                .iter()
                .any(|c| c.severity_rose() && c.new.severity <= threshold)
    }
}

/// Findings grouped by key, in key order; within a key, in the side's order.
fn by_key(findings: &[Finding]) -> BTreeMap<Key, Vec<&Finding>> {
    let mut out: BTreeMap<Key, Vec<&Finding>> = BTreeMap::new();
    for f in findings {
        out.entry(key(f)).or_default().push(f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(severity: Severity) -> Finding {
        serde_json::from_value(json!({
            "rule_id": "SA.NET.1", "severity": severity, "title": "t", "account": "1",
            "region": "r", "resource_type": "AwsEc2NetworkInterface", "resource_id": "eni-1",
            "message": "m", "evidence": []
        }))
        .unwrap()
    }

    fn changed(old: Severity, new: Severity) -> Diff {
        Diff {
            new: Vec::new(),
            resolved: Vec::new(),
            changed: vec![Changed {
                old: finding(old),
                new: finding(new),
                changes: vec![Change::Severity { old, new }],
            }],
            unchanged: Vec::new(),
            not_comparable: Vec::new(),
            summary: Value::Null,
        }
    }

    #[test]
    fn a_changed_finding_fails_only_when_its_severity_rose_to_the_threshold() {
        assert!(changed(Severity::Medium, Severity::High).fails(Severity::High));
        assert!(!changed(Severity::Medium, Severity::High).fails(Severity::Critical));
        assert!(!changed(Severity::Critical, Severity::High).fails(Severity::Low));
    }
}

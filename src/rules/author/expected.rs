//! A fixture's `expected.json` and its comparison with what a rule reported: the one check
//! behind `snapaudit rules test` and the per-rule tests of this repository.
//!
//! `expected.json` holds `findings` (each `resource_id` and `severity`, optionally a `details`
//! subset), `passing` (the resource ids that pass: examined, admitted by the rule's `[where]`,
//! and not reported) and optionally `indeterminate` (resource ids reported with
//! `"status": "indeterminate"`). A fixture shows its rule both failing and passing.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

use anyhow::{Context, Result, anyhow};
use serde::Deserialize;
use serde_json::{Map, Value};

/// What a fixture expects of its rule.
#[derive(Debug, Clone, Deserialize)]
pub struct Expected {
    /// The failures the rule must report, exactly.
    pub findings: Vec<ExpectedFinding>,
    /// Resources the rule must examine and not report.
    #[serde(default)]
    pub passing: Vec<String>,
    /// Resources the rule must report as indeterminate.
    #[serde(default)]
    pub indeterminate: Vec<String>,
}

/// One expected failure.
#[derive(Debug, Clone, Deserialize)]
pub struct ExpectedFinding {
    /// The resource id (or ARN) the finding names.
    pub resource_id: String,
    /// Its severity, lowercase.
    pub severity: String,
    /// Fields of the finding's `details` that must hold these values (the others are free).
    #[serde(default)]
    pub details: Option<Map<String, Value>>,
}

/// One way a rule's findings differ from its fixture's `expected.json`. `resource` is the
/// resource id concerned; severities and statuses are lowercase.
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs)] // the fields are named for what they hold, see the type's doc
pub enum Mismatch {
    /// `expected.json` lists no finding: the fixture does not show the rule firing.
    NoFailingCase,
    /// `expected.json` lists no passing resource: the fixture does not show the rule passing.
    NoPassingCase,
    /// `expected.json` lists the same (resource, severity) twice.
    ListedTwice { resource: String, severity: String },
    /// Expected, not reported.
    Missing { resource: String, severity: String },
    /// Reported, not expected; `message` is the finding's.
    Unexpected {
        resource: String,
        severity: String,
        message: String,
    },
    /// Reported with another severity.
    SeverityChanged {
        resource: String,
        expected: String,
        got: String,
    },
    /// A `details` field holds another value (`null` when absent).
    DetailsDiffer {
        resource: String,
        field: String,
        expected: Value,
        got: Value,
    },
    /// A `passing` id did not pass: not examined, not applicable, or indeterminate.
    NotPassed { resource: String },
    /// A resource passed that `passing` does not list.
    UnexpectedPass { resource: String },
    /// A `passing` id was reported.
    PassingReported { resource: String },
    /// An `indeterminate` id was not reported as indeterminate (`got`: its status, if reported).
    NotIndeterminate {
        resource: String,
        got: Option<String>,
    },
    /// Reported as indeterminate, not expected so.
    UnexpectedIndeterminate { resource: String },
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Mismatch::*;
        match self {
            NoFailingCase => write!(
                f,
                "expected.json lists no finding: the fixture must make the rule fire"
            ),
            ListedTwice { resource, severity } => {
                write!(f, "expected.json lists {resource} ({severity}) twice")
            }
            Missing { resource, severity } => {
                write!(
                    f,
                    "missing: {resource} ({severity}) was expected, not reported"
                )
            }
            Unexpected {
                resource,
                severity,
                message,
            } => write!(f, "unexpected: {resource} ({severity}): {message}"),
            SeverityChanged {
                resource,
                expected,
                got,
            } => write!(
                f,
                "severity changed: {resource} expected {expected}, got {got}"
            ),
            DetailsDiffer {
                resource,
                field,
                expected,
                got,
            } => write!(
                f,
                "details differ: {resource} `{field}` expected {expected}, got {got}"
            ),
            NoPassingCase => write!(
                f,
                "expected.json lists no passing resource: the fixture must show the rule passing"
            ),
            NotPassed { resource } => write!(
                f,
                "passing: {resource} did not pass (not examined, not applicable or indeterminate)"
            ),
            UnexpectedPass { resource } => {
                write!(f, "unexpected pass: {resource} passed but is not listed")
            }
            PassingReported { resource } => {
                write!(
                    f,
                    "passing: {resource} was expected to pass, but was reported"
                )
            }
            NotIndeterminate { resource, got } => match got {
                Some(status) => write!(
                    f,
                    "indeterminate: {resource} was expected indeterminate, got status {status}"
                ),
                None => write!(
                    f,
                    "indeterminate: {resource} was expected indeterminate, not reported"
                ),
            },
            UnexpectedIndeterminate { resource } => {
                write!(f, "unexpected indeterminate: {resource}")
            }
        }
    }
}

impl Expected {
    /// Reads `expected.json`; a syntax or shape error names the file, line and column.
    pub fn read(path: &Path) -> Result<Expected> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        serde_json::from_str(&text)
            .map_err(|e| anyhow!("{}:{}:{}: {e}", path.display(), e.line(), e.column()))
    }

    /// How `findings` (as JSON, the shape of `scan --format json`) differ from what is expected;
    /// `passed` holds the resource ids that passed (`scan --show-pass`). A finding without
    /// `status`, or with `fail`, is a failure; `indeterminate` ones are checked against the
    /// `indeterminate` list; other statuses are not failures.
    pub fn compare(&self, findings: &[Value], passed: &BTreeSet<String>) -> Vec<Mismatch> {
        let mut mismatches = Vec::new();
        if self.findings.is_empty() {
            mismatches.push(Mismatch::NoFailingCase);
        }
        if self.passing.is_empty() {
            mismatches.push(Mismatch::NoPassingCase);
        }
        let status = |f: &Value| f.get("status").and_then(Value::as_str).map(String::from);
        let text = |f: &Value, k: &str| f[k].as_str().unwrap_or_default().to_string();
        let failures: Vec<&Value> = findings
            .iter()
            .filter(|f| status(f).is_none_or(|s| s == "fail"))
            .collect();
        mismatches.extend(self.compare_failures(&failures));
        let reported: BTreeSet<String> = failures.iter().map(|f| text(f, "resource_id")).collect();
        for id in &self.passing {
            if !passed.contains(id) && !reported.contains(id) {
                mismatches.push(Mismatch::NotPassed {
                    resource: id.clone(),
                });
            }
            if reported.contains(id) {
                mismatches.push(Mismatch::PassingReported {
                    resource: id.clone(),
                });
            }
        }
        // A resource reported on one row fails, even when its other rows passed (a network ACL
        // whose one entry fails): it is no unexpected pass.
        let listed: BTreeSet<String> = self.passing.iter().cloned().collect();
        for id in passed
            .difference(&listed)
            .filter(|id| !reported.contains(*id))
        {
            mismatches.push(Mismatch::UnexpectedPass {
                resource: id.clone(),
            });
        }
        let statuses: BTreeMap<String, Option<String>> = findings
            .iter()
            .map(|f| (text(f, "resource_id"), status(f)))
            .collect();
        for id in &self.indeterminate {
            let got = statuses.get(id);
            if got.is_none_or(|s| s.as_deref() != Some("indeterminate")) {
                mismatches.push(Mismatch::NotIndeterminate {
                    resource: id.clone(),
                    got: got.map(|s| s.clone().unwrap_or_else(|| "fail".into())),
                });
            }
        }
        for (id, s) in &statuses {
            if s.as_deref() == Some("indeterminate") && !self.indeterminate.contains(id) {
                mismatches.push(Mismatch::UnexpectedIndeterminate {
                    resource: id.clone(),
                });
            }
        }
        mismatches
    }

    /// The failures against `findings`, resource by resource: what is missing, unexpected, of
    /// another severity, or differs in `details`.
    fn compare_failures(&self, failures: &[&Value]) -> Vec<Mismatch> {
        let mut mismatches = Vec::new();
        let mut want: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        let mut seen = BTreeSet::new();
        for e in &self.findings {
            if !seen.insert((&e.resource_id, &e.severity)) {
                mismatches.push(Mismatch::ListedTwice {
                    resource: e.resource_id.clone(),
                    severity: e.severity.clone(),
                });
            }
            want.entry(&e.resource_id).or_default().push(&e.severity);
        }
        let mut got: BTreeMap<&str, Vec<(&str, &str)>> = BTreeMap::new();
        for f in failures {
            let field = |k: &str| f[k].as_str().unwrap_or_default();
            let entry = got.entry(field("resource_id")).or_default();
            entry.push((field("severity"), field("message")));
        }
        let resources: BTreeSet<&str> = want.keys().chain(got.keys()).copied().collect();
        for resource in resources {
            let mut reported = got.get(resource).cloned().unwrap_or_default();
            let mut missing = Vec::new();
            for severity in want.get(resource).into_iter().flatten() {
                match reported.iter().position(|(s, _)| s == severity) {
                    Some(i) => {
                        reported.remove(i);
                    }
                    None => missing.push(*severity),
                }
            }
            mismatches.extend(resource_mismatches(resource, &missing, &reported));
        }
        mismatches.extend(self.details_mismatches(failures));
        mismatches
    }

    /// The `details` fields that differ, for each expected finding that states some.
    fn details_mismatches(&self, failures: &[&Value]) -> Vec<Mismatch> {
        let mut mismatches = Vec::new();
        for e in &self.findings {
            let Some(details) = &e.details else { continue };
            let same = failures
                .iter()
                .filter(|f| f["resource_id"] == e.resource_id.as_str())
                .filter(|f| f["severity"] == e.severity.as_str());
            for f in same {
                for (field, value) in details {
                    let got = f.get("details").and_then(|d| d.get(field));
                    if got != Some(value) {
                        mismatches.push(Mismatch::DetailsDiffer {
                            resource: e.resource_id.clone(),
                            field: field.clone(),
                            expected: value.clone(),
                            got: got.cloned().unwrap_or(Value::Null),
                        });
                    }
                }
            }
        }
        mismatches
    }
}

/// One resource's left-overs: one severity on each side is a changed severity; anything else
/// is missing or unexpected.
fn resource_mismatches(
    resource: &str,
    wanted: &[&str],
    reported: &[(&str, &str)],
) -> Vec<Mismatch> {
    if let ([expected], [(got, _)]) = (wanted, reported) {
        return vec![Mismatch::SeverityChanged {
            resource: resource.to_string(),
            expected: expected.to_string(),
            got: got.to_string(),
        }];
    }
    let missing = wanted.iter().map(|s| Mismatch::Missing {
        resource: resource.to_string(),
        severity: s.to_string(),
    });
    let unexpected = reported.iter().map(|(s, message)| Mismatch::Unexpected {
        resource: resource.to_string(),
        severity: s.to_string(),
        message: message.to_string(),
    });
    missing.chain(unexpected).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn expected(doc: Value) -> Expected {
        serde_json::from_value(doc).unwrap()
    }

    fn finding(id: &str, severity: &str) -> Value {
        json!({"resource_id": id, "severity": severity, "message": format!("{id} is open")})
    }

    #[test]
    fn each_kind_of_difference_is_named() {
        let want = expected(json!({
            "findings": [
                {"resource_id": "a", "severity": "high"},
                {"resource_id": "b", "severity": "high"},
                {"resource_id": "c", "severity": "low", "details": {"port": 22}}
            ],
            "passing": ["d", "e"]
        }));
        let mut c = finding("c", "low");
        c["details"] = json!({"port": 3389, "other": 1});
        let got = [finding("b", "medium"), c, finding("e", "high")];
        let passed = BTreeSet::from(["f"].map(String::from));
        let lines: Vec<String> = want
            .compare(&got, &passed)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            lines,
            [
                "missing: a (high) was expected, not reported",
                "severity changed: b expected high, got medium",
                "unexpected: e (high): e is open",
                "details differ: c `port` expected 22, got 3389",
                "passing: d did not pass (not examined, not applicable or indeterminate)",
                "passing: e was expected to pass, but was reported",
                "unexpected pass: f passed but is not listed",
            ]
        );
    }

    #[test]
    fn status_separates_indeterminate_from_failures() {
        let want = expected(json!({
            "findings": [{"resource_id": "a", "severity": "high"}],
            "passing": ["e"],
            "indeterminate": ["b", "c"]
        }));
        let mut b = finding("b", "medium");
        b["status"] = json!("indeterminate");
        let mut d = finding("d", "medium");
        d["status"] = json!("indeterminate");
        let got = [finding("a", "high"), b, finding("c", "medium"), d];
        let mismatches = want.compare(&got, &BTreeSet::from(["e".to_string()]));
        assert_eq!(
            mismatches,
            [
                Mismatch::Unexpected {
                    resource: "c".into(),
                    severity: "medium".into(),
                    message: "c is open".into()
                },
                Mismatch::NotIndeterminate {
                    resource: "c".into(),
                    got: Some("fail".into())
                },
                Mismatch::UnexpectedIndeterminate {
                    resource: "d".into()
                },
            ]
        );
    }

    #[test]
    fn a_fixture_must_fire_and_list_each_finding_once() {
        let none = expected(json!({"findings": []}));
        assert_eq!(
            none.compare(&[], &BTreeSet::new()),
            [Mismatch::NoFailingCase, Mismatch::NoPassingCase]
        );
        let twice = expected(json!({"findings": [
            {"resource_id": "a", "severity": "high"},
            {"resource_id": "a", "severity": "high"}
        ], "passing": ["b"]}));
        let got = [finding("a", "high"), finding("a", "high")];
        assert_eq!(
            twice.compare(&got, &BTreeSet::from(["b".to_string()])),
            [Mismatch::ListedTwice {
                resource: "a".into(),
                severity: "high".into()
            }]
        );
    }

    #[test]
    fn a_resource_failing_on_one_row_is_no_unexpected_pass() {
        let acl = expected(
            json!({"findings": [{"resource_id": "a", "severity": "medium"}],
                                  "passing": ["b"]}),
        );
        let rows_passed = BTreeSet::from(["a".to_string(), "b".to_string()]);
        assert_eq!(acl.compare(&[finding("a", "medium")], &rows_passed), []);
        let extra = BTreeSet::from(["a".to_string(), "b".to_string(), "c".to_string()]);
        assert_eq!(
            acl.compare(&[finding("a", "medium")], &extra),
            [Mismatch::UnexpectedPass {
                resource: "c".into()
            }]
        );
    }
}

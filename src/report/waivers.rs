//! Waivers: exceptions the audited organisation accepted, read from a TOML file of `[[waiver]]`
//! tables. A failure or an indeterminate result matched by an unexpired waiver is reported as
//! suppressed, with the status it had (`waived_status`) and the waiver's reason, owner and
//! expiry, and no longer counts towards the exit code (`--fail-on`, `--fail-on-indeterminate`);
//! a waiver that has expired or matches no finding is a warning naming the file and the waiver.

use std::path::Path;
use std::str::FromStr;

use anyhow::{Context, Result, anyhow};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::evidence::Diagnostic;
use crate::evidence::model::Shared;
use crate::rules::{self, Finding, Status};

/// One accepted exception, as written in the waiver file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Waiver {
    /// The rule id it applies to.
    pub rule: String,
    /// The resource id or ARN it applies to: exact, or a glob with `*` and `?`.
    pub resource: ResourcePattern,
    /// Why the exception is accepted.
    pub reason: String,
    /// Who accepted it.
    pub owner: String,
    /// The last day it applies (`YYYY-MM-DD`, inclusive).
    #[serde(with = "iso_date")]
    pub expires: Date,
    /// Only findings of this account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// Only findings of this region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

/// A waiver's `resource`: the text as written and its compiled glob.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(try_from = "String", into = "String")]
pub struct ResourcePattern {
    text: String,
    glob: glob::Pattern,
}

impl TryFrom<String> for ResourcePattern {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        let glob = glob::Pattern::new(&text).map_err(|e| format!("bad resource glob: {e}"))?;
        Ok(ResourcePattern { text, glob })
    }
}

impl From<ResourcePattern> for String {
    fn from(pattern: ResourcePattern) -> String {
        pattern.text
    }
}

/// `expires` as a `YYYY-MM-DD` string.
mod iso_date {
    use super::*;

    pub fn serialize<S: serde::Serializer>(date: &Date, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(date)
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let text = String::deserialize(d)?;
        Date::from_str(&text)
            .map_err(|e| serde::de::Error::custom(format!("expires must be YYYY-MM-DD: {e}")))
    }
}

/// The waiver file: `[[waiver]]` tables and nothing else.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WaiverFile {
    #[serde(default)]
    waiver: Vec<toml::Spanned<Waiver>>,
}

/// A waiver as it applied to a finding: the waiver and where it is written.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AppliedWaiver {
    /// The waiver file, as given on the command line.
    pub file: String,
    /// 1-based position of its `[[waiver]]` table in the file.
    pub index: usize,
    /// The waiver.
    #[serde(flatten)]
    pub waiver: Waiver,
}

/// A failure or indeterminate result an unexpired waiver suppresses; serialized as the finding
/// (its status `suppressed`), the status it had, and a `waiver` object.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Suppressed {
    /// The finding, its status set to `suppressed`.
    #[serde(flatten)]
    pub finding: Finding,
    /// The status the finding had before the waiver: `fail` or `indeterminate`.
    pub waived_status: Status,
    /// The waiver that suppresses it.
    pub waiver: AppliedWaiver,
}

impl Suppressed {
    /// The finding with the status it had before the waiver, for formats that mark the
    /// suppression separately (SARIF's `suppressions`, ASFF's `Workflow`).
    pub fn waived(&self) -> Finding {
        Finding {
            status: self.waived_status,
            ..self.finding.clone()
        }
    }
}

/// `suppressed` in the report's order (that of their findings), each finding once; `scan` and
/// `merge` both order them here.
pub fn sorted(suppressed: Vec<Suppressed>) -> Vec<Suppressed> {
    let mut findings: Vec<Finding> = suppressed.iter().map(|s| s.finding.clone()).collect();
    rules::sort_findings(&mut findings);
    findings.dedup();
    findings
        .iter()
        .filter_map(|f| suppressed.iter().find(|s| &s.finding == f).cloned())
        .collect()
}

/// Findings sorted by the waivers: those still open, those suppressed, and the stale waivers.
#[derive(Debug, Default)]
pub struct Triage {
    /// Failures no unexpired waiver matches; they count as failures.
    pub open: Vec<Finding>,
    /// Indeterminate results no unexpired waiver matches.
    pub indeterminate: Vec<Finding>,
    /// Failures and indeterminate results an unexpired waiver matches.
    pub suppressed: Vec<Suppressed>,
    /// Expired waivers and waivers that match no finding.
    pub warnings: Vec<Diagnostic>,
}

impl Triage {
    /// Every failure and indeterminate result open, as when no waiver file is given.
    pub fn unwaived(failed: Vec<Finding>, indeterminate: Vec<Finding>) -> Triage {
        Triage {
            open: failed,
            indeterminate,
            ..Triage::default()
        }
    }
}

/// One waiver with its position in the file.
#[derive(Debug)]
struct Entry {
    index: usize,
    line: usize,
    column: usize,
    waiver: Waiver,
}

/// The waivers of one file.
#[derive(Debug)]
pub struct Waivers {
    file: String,
    entries: Vec<Entry>,
}

impl Waivers {
    /// Reads and checks a waiver file; a malformed one is an error naming the file and position.
    pub fn load(path: &Path) -> Result<Waivers> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the waiver file {file}"))?;
        Waivers::parse(&file, &text)
    }

    /// Parses waiver-file `text`; `file` names it in errors and warnings.
    pub fn parse(file: &str, text: &str) -> Result<Waivers> {
        let parsed: WaiverFile =
            toml::from_str(text).map_err(|e| anyhow!("malformed waiver file {file}: {e}"))?;
        let entries = parsed
            .waiver
            .into_iter()
            .enumerate()
            .map(|(i, spanned)| {
                let (line, column) = line_and_column(text, spanned.span().start);
                Entry {
                    index: i + 1,
                    line,
                    column,
                    waiver: spanned.into_inner(),
                }
            })
            .collect();
        Ok(Waivers {
            file: file.to_string(),
            entries,
        })
    }

    /// Sorts the failures and indeterminate results (`findings`, each kept in its list unless
    /// suppressed) by the waivers in force on `as_of`: the first unexpired waiver (in file order)
    /// that matches a finding suppresses it; stale waivers become warnings.
    pub fn apply(&self, findings: Vec<Finding>, as_of: Date) -> Triage {
        let mut matched = vec![0usize; self.entries.len()];
        let mut triage = Triage::default();
        let mut suppressed = Vec::new();
        for finding in findings {
            let mut in_force = None;
            for (n, entry) in self.entries.iter().enumerate() {
                if entry.waiver.matches(&finding) {
                    matched[n] += 1;
                    if in_force.is_none() && as_of <= entry.waiver.expires {
                        in_force = Some(entry);
                    }
                }
            }
            match in_force {
                Some(entry) => suppressed.push(Suppressed {
                    waived_status: finding.status,
                    finding: Finding {
                        status: Status::Suppressed,
                        ..finding
                    },
                    waiver: self.applied(entry),
                }),
                None if finding.status == Status::Indeterminate => {
                    triage.indeterminate.push(finding)
                }
                None => triage.open.push(finding),
            }
        }
        triage.suppressed = sorted(suppressed);
        for (entry, &count) in self.entries.iter().zip(&matched) {
            if let Some(problem) = entry.waiver.staleness(count, as_of) {
                triage.warnings.push(self.warning(entry, &problem));
            }
        }
        triage
    }

    fn applied(&self, entry: &Entry) -> AppliedWaiver {
        AppliedWaiver {
            file: self.file.clone(),
            index: entry.index,
            waiver: entry.waiver.clone(),
        }
    }

    fn warning(&self, entry: &Entry, problem: &str) -> Diagnostic {
        let w = &entry.waiver;
        Diagnostic {
            line: Some(entry.line),
            column: Some(entry.column),
            ..Diagnostic::file(
                &self.file,
                format!(
                    "waiver {} ({} on {}, owner {}) {problem}",
                    entry.index, w.rule, w.resource.text, w.owner
                ),
            )
        }
    }
}

impl Waiver {
    /// Whether this waiver covers `finding` (its expiry aside).
    fn matches(&self, finding: &Finding) -> bool {
        let narrows = |wanted: &Option<String>, actual: &Option<Shared>| {
            wanted.is_none() || wanted.as_deref() == actual.as_deref()
        };
        finding.rule_id == *self.rule
            && self.resource.glob.matches(&finding.resource_id)
            && narrows(&self.account, &finding.account)
            && narrows(&self.region, &finding.region)
    }

    /// What is stale about a waiver that matched `count` findings, if anything.
    fn staleness(&self, count: usize, as_of: Date) -> Option<String> {
        let expired = as_of > self.expires;
        match (expired, count) {
            (false, 0) => Some("matches no finding".into()),
            (false, _) => None,
            (true, 0) => Some(format!(
                "expired on {} and matches no finding",
                self.expires
            )),
            (true, n) => Some(format!(
                "expired on {}: its {n} finding(s) are no longer suppressed",
                self.expires
            )),
        }
    }
}

/// 1-based line and column of byte `offset` in `text`.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based() {
        assert_eq!(line_and_column("ab\ncd", 0), (1, 1));
        assert_eq!(line_and_column("ab\ncd", 4), (2, 2));
    }

    #[test]
    fn a_glob_matches_across_arn_separators() {
        let pattern = ResourcePattern::try_from("arn:aws:ecs:*:task/demo/*".to_string()).unwrap();
        assert!(
            pattern
                .glob
                .matches("arn:aws:ecs:eu-west-1:1:task/demo/abc")
        );
        assert!(
            !pattern
                .glob
                .matches("arn:aws:ecs:eu-west-1:1:service/demo/web")
        );
    }
}

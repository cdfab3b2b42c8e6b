//! `merge`: per-shard `scan --format json` reports combined into the report a single scan over
//! all their evidence gives. Each shard is read back into the report's own types; the findings
//! are sorted and the summary computed by the code `scan` uses ([`crate::rules::sort_findings`],
//! [`Report::assemble`]). Shards must be scanned from the same root, so that their evidence
//! paths name the same files as a single run would.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use serde_json::Value;

use super::coverage::{RuleCoverage, ScopeCoverage, ScopeKinds};
use super::waivers::{self, Suppressed, Triage};
use super::{EvidenceSide, Report, RuleStatus};
use crate::evidence::{Diagnostic, EvidenceFile, Skipped};
use crate::provenance::Tool;
use crate::rules::{self, Evaluation, Finding, Passed, RowTally, RuleMeta};

/// A saved `scan --format json` report. Unknown fields are refused, so that a field added to
/// the report cannot be dropped by a merge that does not know it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ShardReport {
    tool: Value,
    findings: Vec<Finding>,
    suppressed: Vec<Suppressed>,
    indeterminate: Vec<Finding>,
    passed: Option<Vec<Passed>>,
    summary: ShardSummary,
    evidence: Vec<EvidenceFile>,
    skipped: Vec<Skipped>,
    warnings: Vec<Diagnostic>,
    errors: Vec<Diagnostic>,
    waiver_warnings: Vec<Diagnostic>,
    coverage: ScopeCoverage,
}

/// The parts of a shard's summary that are not recomputed from its lists.
#[derive(Deserialize)]
struct ShardSummary {
    rules: usize,
    records: BTreeMap<String, usize>,
    duplicates_dropped: usize,
    rules_status: BTreeMap<String, RuleStatus>,
}

/// Reads every report in `paths` and merges them. `tool` and `rules` are this run's: every
/// shard must have been written by the same tool with the same rule pack (the `tool` object and
/// the number of rules), or merging is an error naming the file.
pub fn merge(paths: &[impl AsRef<Path>], tool: Tool, rules: Vec<RuleMeta>) -> Result<Report> {
    let expected = serde_json::to_value(&tool)?;
    let mut shards = Vec::new();
    for path in paths {
        let path = path.as_ref();
        let shard = read(path)?;
        if shard.tool != expected {
            bail!(
                "{}: written by {}, not by this snapaudit with this rule pack ({expected}); \
                 merge reports of one version and one rule pack, with the same --rules",
                path.display(),
                shard.tool
            );
        }
        if shard.summary.rules != rules.len() {
            bail!(
                "{}: ran {} rules where this merge has {}; give merge the same --rule options \
                 as the scans",
                path.display(),
                shard.summary.rules,
                rules.len()
            );
        }
        shards.push(shard);
    }
    let evidence = merged_evidence(&shards);
    let errors = union(shards.iter().map(|s| &s.errors));
    let evaluation = merged_evaluation(&shards);
    let coverage = merged_coverage(&shards);
    let triage = merged_triage(shards.iter_mut());
    let report = Report::assemble(tool, triage, evaluation, evidence, rules, errors);
    Ok(report.with_coverage(coverage))
}

/// One saved report; a file that is not one is an error naming it and the position.
fn read(path: &Path) -> Result<ShardReport> {
    let bytes = std::fs::read(path).with_context(|| format!("{}", path.display()))?;
    serde_json::from_slice(&bytes).with_context(|| {
        format!(
            "{}: not a `snapaudit scan --format json` report",
            path.display()
        )
    })
}

/// The failures, indeterminate and suppressed results of every shard, each once, in the
/// report's order. Stale-waiver warnings are
/// those every shard has: a waiver that matched a finding in one shard is not stale.
fn merged_triage<'a>(shards: impl Iterator<Item = &'a mut ShardReport>) -> Triage {
    let mut open = Vec::new();
    let mut indeterminate = Vec::new();
    let mut suppressed: Vec<Suppressed> = Vec::new();
    let mut stale: Option<Vec<Diagnostic>> = None;
    for shard in shards {
        open.append(&mut shard.findings);
        indeterminate.append(&mut shard.indeterminate);
        suppressed.append(&mut shard.suppressed);
        let warnings = std::mem::take(&mut shard.waiver_warnings);
        stale = Some(match stale {
            None => warnings,
            Some(kept) => kept.into_iter().filter(|w| warnings.contains(w)).collect(),
        });
    }
    for list in [&mut open, &mut indeterminate] {
        rules::sort_findings(list);
        list.dedup();
    }
    Triage {
        open,
        indeterminate,
        suppressed: waivers::sorted(suppressed),
        warnings: stale.unwrap_or_default(),
    }
}

/// The passes of every shard, each once and sorted, and each rule's rows counted over all
/// shards.
fn merged_evaluation(shards: &[ShardReport]) -> Evaluation {
    let passed = shards.iter().any(|s| s.passed.is_some()).then(|| {
        let mut passed = union(shards.iter().filter_map(|s| s.passed.as_ref()));
        passed.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        passed
    });
    let mut tallies: BTreeMap<String, RowTally> = BTreeMap::new();
    for (id, status) in shards.iter().flat_map(|s| &s.summary.rules_status) {
        *tallies.entry(id.clone()).or_default() += RowTally {
            examined: status.examined,
            passed: status.passed,
            not_applicable: status.not_applicable,
        };
    }
    Evaluation {
        passed,
        tallies,
        ..Evaluation::default()
    }
}

/// Every shard's account/region coverage, each scope and each rule in it once (the kinds of a
/// scope several shards saw put together), in scope and rule order.
fn merged_coverage(shards: &[ShardReport]) -> ScopeCoverage {
    let mut scopes: BTreeMap<(Option<String>, Option<String>), ScopeKinds> = BTreeMap::new();
    let mut rules: BTreeMap<(String, Option<String>, Option<String>), RuleCoverage> =
        BTreeMap::new();
    for coverage in shards.iter().map(|s| &s.coverage) {
        for scope in &coverage.scopes {
            let key = (scope.account.clone(), scope.region.clone());
            let kept = scopes.entry(key).or_insert_with(|| scope.clone());
            kept.kinds.extend(&scope.kinds);
            kept.kinds.sort_unstable();
            kept.kinds.dedup();
        }
        for rule in &coverage.rules {
            let key = (rule.rule.clone(), rule.account.clone(), rule.region.clone());
            let kept = rules.entry(key).or_insert_with(|| rule.clone());
            if rule.missing.len() < kept.missing.len() {
                *kept = rule.clone();
            }
        }
    }
    ScopeCoverage {
        scopes: scopes.into_values().collect(),
        rules: rules.into_values().collect(),
    }
}

/// The evidence files, skipped files and warnings of every shard, each once, ordered as a
/// single scan orders them; record counts add up, a file read by several shards counted once.
fn merged_evidence(shards: &[ShardReport]) -> EvidenceSide {
    let mut files: BTreeMap<&str, &EvidenceFile> = BTreeMap::new();
    let mut records: BTreeMap<String, usize> = BTreeMap::new();
    let mut duplicates = 0;
    for shard in shards {
        duplicates += shard.summary.duplicates_dropped;
        for (kind, n) in &shard.summary.records {
            *records.entry(kind.clone()).or_default() += n;
        }
        for file in &shard.evidence {
            if files.insert(&file.file, file).is_some() {
                uncount(&mut records, file);
            }
        }
    }
    let mut skipped: Vec<Skipped> = union(shards.iter().map(|s| &s.skipped));
    skipped.sort_by(|a, b| a.file.cmp(&b.file));
    EvidenceSide {
        files: files.into_values().cloned().collect(),
        skipped,
        warnings: union(shards.iter().map(|s| &s.warnings)),
        records,
        duplicates,
    }
}

/// Takes back the records of a file another shard has already counted: its records when it
/// holds one kind; a file of several kinds is counted against its first.
fn uncount(records: &mut BTreeMap<String, usize>, file: &EvidenceFile) {
    if let Some(kind) = file.kind.first()
        && let Some(n) = records.get_mut(*kind)
    {
        *n = n.saturating_sub(file.records);
    }
}

/// The items of every list, each once, in the order first seen.
fn union<'a, T: PartialEq + Clone + 'a>(lists: impl Iterator<Item = &'a Vec<T>>) -> Vec<T> {
    let mut out: Vec<T> = Vec::new();
    for item in lists.flatten() {
        if !out.contains(item) {
            out.push(item.clone());
        }
    }
    out
}

//! Reports: the scan's outcome rendered as a terminal table, JSON, JSON lines, CSV, SARIF, ASFF,
//! HTML or Markdown.

pub mod asff;
pub mod coverage;
pub mod flow_coverage;
pub mod html;
pub mod markdown;
pub mod merge;
pub mod path;
pub mod reach;
pub mod reach_flow;
pub mod reach_lb;
pub mod reach_status;
pub mod remediate;
pub mod sarif;
pub mod table;
pub mod terminal;
pub mod timings;
pub mod waivers;

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::Result;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::evidence::model::Shared;
use crate::evidence::{Diagnostic, Evidence, EvidenceFile, Kind, Skipped};
use crate::provenance::Tool;
use crate::rules::{Evaluation, EvidenceRecord, Finding, Passed, RowTally, RuleMeta, Severity};
use crate::tables::Tables;
use coverage::ScopeCoverage;
use terminal::Terminal;
use waivers::{AppliedWaiver, Suppressed, Triage};

/// Output formats of `scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns for a terminal.
    Table,
    /// One JSON document with findings, summary, evidence, skipped files, warnings and errors.
    Json,
    /// One finding per line.
    Jsonl,
    /// One finding per row.
    Csv,
    /// SARIF 2.1.0, for code-scanning dashboards and CI.
    Sarif,
    /// One self-contained HTML page for people.
    Html,
    /// AWS Security Finding Format: the list `aws securityhub batch-import-findings` takes.
    Asff,
    /// Markdown, for a pull-request comment or a work paper.
    Markdown,
}

/// Everything a report shows.
#[derive(Debug, Serialize)]
pub struct Report {
    /// The tool and rule pack that produced it.
    pub tool: Tool,
    /// Findings no waiver suppresses, sorted: the failures.
    pub findings: Vec<Finding>,
    /// Findings (failures or indeterminate results) an unexpired waiver suppresses, each with
    /// `"status": "suppressed"`, the `waived_status` it had and its `waiver`; they count
    /// towards no exit code.
    pub suppressed: Vec<Suppressed>,
    /// Results the evidence cannot settle (`"status": "indeterminate"`, the message naming what
    /// is missing), sorted; never failures, never hidden.
    pub indeterminate: Vec<Finding>,
    /// Resources that passed, with `scan --show-pass` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passed: Option<Vec<Passed>>,
    /// Counts, and whether the result is complete.
    pub summary: Value,
    /// Files read as evidence.
    pub evidence: Vec<EvidenceFile>,
    /// Files that are not evidence.
    pub skipped: Vec<Skipped>,
    /// Gaps in the evidence: failed calls, missing resources.
    pub warnings: Vec<Diagnostic>,
    /// Unreadable evidence and failing rules.
    pub errors: Vec<Diagnostic>,
    /// Expired waivers and waivers that match no finding; about the waiver file, not the
    /// evidence, so they leave the report `complete`.
    pub waiver_warnings: Vec<Diagnostic>,
    /// Per account/region, the kinds present and whether each rule could run fully, partly or
    /// not at all (with the missing exports named), so a clean report cannot hide a gap.
    pub coverage: ScopeCoverage,
    /// The rules that ran (for formats that describe them, such as SARIF).
    #[serde(skip)]
    pub rules: Vec<RuleMeta>,
    /// Per rule id, how its evaluations ended (also in `summary.rules_status`).
    #[serde(skip)]
    pub rules_status: BTreeMap<String, RuleStatus>,
}

/// How one rule's evaluations ended: rows examined, and per status. Failures, indeterminate and
/// suppressed results count findings; passes and not applicable count rows, so `examined` is
/// their sum when each row yields at most one finding (as for every built-in rule).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleStatus {
    /// Rows of the rule's table.
    pub examined: usize,
    /// Open failures.
    pub failed: usize,
    /// Results the evidence cannot settle.
    pub indeterminate: usize,
    /// Failures and indeterminate results a waiver accepts.
    pub suppressed: usize,
    /// Rows `[where]` excludes or the query calls not applicable.
    pub not_applicable: usize,
    /// Rows that passed.
    pub passed: usize,
}

impl RuleStatus {
    /// The names of [`RuleStatus::cells`], in their order.
    pub const COLUMNS: [&str; 6] = [
        "examined",
        "failed",
        "indeterminate",
        "suppressed",
        "not applicable",
        "passed",
    ];

    /// The counts as text, in the order of [`RuleStatus::COLUMNS`].
    pub fn cells(&self) -> [String; 6] {
        [
            self.examined,
            self.failed,
            self.indeterminate,
            self.suppressed,
            self.not_applicable,
            self.passed,
        ]
        .map(|n| n.to_string())
    }

    /// Every rule's status, from its row tally and the report's lists.
    fn of_rules(
        rules: &[RuleMeta],
        tallies: &BTreeMap<String, RowTally>,
        triage: &Triage,
    ) -> BTreeMap<String, RuleStatus> {
        let count = |findings: &mut dyn Iterator<Item = &Finding>, id: &str| {
            findings.filter(|f| f.rule_id == id).count()
        };
        rules
            .iter()
            .map(|r| {
                let tally = tallies.get(&r.id).copied().unwrap_or_default();
                let status = RuleStatus {
                    examined: tally.examined,
                    failed: count(&mut triage.open.iter(), &r.id),
                    indeterminate: count(&mut triage.indeterminate.iter(), &r.id),
                    suppressed: count(&mut triage.suppressed.iter().map(|s| &s.finding), &r.id),
                    not_applicable: tally.not_applicable,
                    passed: tally.passed,
                };
                (r.id.clone(), status)
            })
            .collect()
    }
}

/// What a report shows of the evidence: its files and diagnostics, and the record counts its
/// summary gives.
pub struct EvidenceSide {
    /// Files read as evidence.
    pub files: Vec<EvidenceFile>,
    /// Files that are not evidence.
    pub skipped: Vec<Skipped>,
    /// Gaps in the evidence.
    pub warnings: Vec<Diagnostic>,
    /// Records per kind (its AWS CLI command), each resource once; kinds with none left out.
    pub records: BTreeMap<String, usize>,
    /// Records dropped because the same resource was exported more than once.
    pub duplicates: usize,
}

impl EvidenceSide {
    /// The report's view of `evidence`.
    pub fn of(evidence: &Evidence) -> EvidenceSide {
        let records = Kind::ALL
            .iter()
            .map(|k| (k.command().to_string(), evidence.count(*k)))
            .filter(|(_, n)| *n > 0)
            .collect();
        EvidenceSide {
            files: evidence.files.clone(),
            skipped: evidence.skipped.clone(),
            warnings: evidence.warnings.clone(),
            records,
            duplicates: evidence.duplicates,
        }
    }
}

impl Report {
    /// Assembles a report from the failures and indeterminate results sorted by the waivers
    /// (`triage`) and the rest of the rules' evaluation (those and its errors taken out); `errors` are evidence and rule
    /// errors together.
    pub fn new(
        tool: Tool,
        triage: Triage,
        evaluation: Evaluation,
        evidence: &Evidence,
        rules: Vec<RuleMeta>,
        errors: Vec<Diagnostic>,
    ) -> Report {
        let side = EvidenceSide::of(evidence);
        Report::assemble(tool, triage, evaluation, side, rules, errors)
    }

    /// Assembles a report from its parts and computes its summary; `scan` and `merge` both
    /// come here.
    pub fn assemble(
        tool: Tool,
        triage: Triage,
        evaluation: Evaluation,
        evidence: EvidenceSide,
        rules: Vec<RuleMeta>,
        errors: Vec<Diagnostic>,
    ) -> Report {
        let mut by_severity = BTreeMap::new();
        let mut by_rule: BTreeMap<&str, usize> = BTreeMap::new();
        let rules_status = RuleStatus::of_rules(&rules, &evaluation.tallies, &triage);
        let Triage {
            open: findings,
            indeterminate,
            suppressed,
            warnings: waiver_warnings,
        } = triage;
        for f in &findings {
            *by_severity.entry(f.severity.as_str()).or_insert(0usize) += 1;
            *by_rule.entry(f.rule_id.as_str()).or_default() += 1;
        }
        let complete = errors.is_empty() && evidence.warnings.is_empty();
        let summary = json!({
            "findings": findings.len(),
            "suppressed": suppressed.len(),
            "indeterminate": indeterminate.len(),
            "by_severity": by_severity,
            "by_rule": by_rule,
            "rules": rules.len(),
            "evidence_files": evidence.files.len(),
            "skipped_files": evidence.skipped.len(),
            "records": evidence.records,
            "duplicates_dropped": evidence.duplicates,
            "warnings": evidence.warnings.len(),
            "errors": errors.len(),
            "complete": complete,
            "rules_status": rules_status,
        });
        Report {
            tool,
            findings,
            suppressed,
            indeterminate,
            passed: evaluation.passed,
            summary,
            evidence: evidence.files,
            skipped: evidence.skipped,
            warnings: evidence.warnings,
            errors,
            waiver_warnings,
            coverage: ScopeCoverage::default(),
            rules,
            rules_status,
        }
    }

    /// The report with the rules' coverage of its evidence.
    pub fn with_coverage(self, coverage: ScopeCoverage) -> Report {
        Report { coverage, ..self }
    }

    /// Whether the exit code says failure: an open failure at or above `threshold`, or, with
    /// `on_indeterminate`, any open indeterminate result (suppressed results never count).
    pub fn fails(&self, threshold: Severity, on_indeterminate: bool) -> bool {
        self.findings.iter().any(|f| f.severity <= threshold)
            || (on_indeterminate && !self.indeterminate.is_empty())
    }

    /// Every passing resource listed (none without `--show-pass`).
    pub fn passed(&self) -> &[Passed] {
        self.passed.as_deref().unwrap_or_default()
    }

    /// Writes the report in `format`; `tables` are those of its evidence, from which the HTML
    /// page draws the path of each interface a finding is about (none: the page says it draws
    /// none); the table is shaped for `term`.
    pub fn write(
        &self,
        format: Format,
        tables: Option<&Tables>,
        out: &mut dyn Write,
        term: &Terminal,
    ) -> Result<()> {
        match format {
            Format::Json => {
                serde_json::to_writer_pretty(&mut *out, self)?;
                writeln!(out)?;
            }
            Format::Jsonl => {
                for f in &self.findings {
                    serde_json::to_writer(&mut *out, f)?;
                    writeln!(out)?;
                }
                for s in &self.suppressed {
                    serde_json::to_writer(&mut *out, s)?;
                    writeln!(out)?;
                }
                for f in &self.indeterminate {
                    serde_json::to_writer(&mut *out, f)?;
                    writeln!(out)?;
                }
                for p in self.passed() {
                    serde_json::to_writer(&mut *out, p)?;
                    writeln!(out)?;
                }
            }
            Format::Csv => self.write_csv(out)?,
            Format::Html => out.write_all(html::document(self, tables)?.as_bytes())?,
            Format::Sarif => {
                serde_json::to_writer_pretty(&mut *out, &sarif::document(self))?;
                writeln!(out)?;
            }
            Format::Asff => {
                serde_json::to_writer_pretty(&mut *out, &asff::document(self))?;
                writeln!(out)?;
            }
            Format::Markdown => out.write_all(markdown::document(self).as_bytes())?,
            Format::Table => self.write_table(out, term)?,
        }
        Ok(())
    }

    /// Every finding with its suppression (the waiver and the status it had), if any: open
    /// failures, suppressed ones, then indeterminate results.
    fn all_findings(&self) -> impl Iterator<Item = (&Finding, Option<&Suppressed>)> {
        let open = self.findings.iter().map(|f| (f, None));
        let suppressed = self.suppressed.iter().map(|s| (&s.finding, Some(s)));
        open.chain(suppressed)
            .chain(self.indeterminate.iter().map(|f| (f, None)))
    }

    /// One row per finding (as [`Report::all_findings`]), then one per passing resource.
    fn write_csv(&self, out: &mut dyn Write) -> Result<()> {
        use polars::prelude::*;
        use polars_io::SerWriter;
        let rows: Vec<[String; CSV_COLUMNS.len()]> = self
            .all_findings()
            .map(|(f, w)| finding_cells(f, w))
            .chain(self.passed().iter().map(passed_cells))
            .collect();
        let columns = CSV_COLUMNS
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let values: Vec<&str> = rows.iter().map(|r| r[i].as_str()).collect();
                Column::new((*name).into(), values)
            })
            .collect();
        let mut df = DataFrame::new(rows.len(), columns)?;
        polars_io::csv::write::CsvWriter::new(out)
            .include_header(true)
            .finish(&mut df)?;
        Ok(())
    }
}

/// The columns of `scan --format csv`.
const CSV_COLUMNS: [&str; 14] = [
    "rule_id",
    "severity",
    "account",
    "region",
    "resource_type",
    "resource_id",
    "title",
    "message",
    "evidence",
    "status",
    "waived_status",
    "waiver_owner",
    "waiver_expires",
    "waiver_reason",
];

/// A finding's CSV cells, with the status it had and its waiver's when one suppresses it.
fn finding_cells(f: &Finding, s: Option<&Suppressed>) -> [String; CSV_COLUMNS.len()] {
    let waiver = |get: fn(&AppliedWaiver) -> String| s.map(|s| get(&s.waiver)).unwrap_or_default();
    [
        f.rule_id.to_string(),
        f.severity.as_str().into(),
        optional(&f.account),
        optional(&f.region),
        f.resource_type.to_string(),
        f.resource_id.to_string(),
        f.title.to_string(),
        f.message.clone(),
        evidence_line(&f.evidence),
        f.status.as_str().into(),
        s.map(|s| s.waived_status.as_str().into())
            .unwrap_or_default(),
        waiver(|w| w.waiver.owner.clone()),
        waiver(|w| w.waiver.expires.to_string()),
        waiver(|w| w.waiver.reason.clone()),
    ]
}

/// A passing resource's CSV cells: no severity, message or waiver.
fn passed_cells(p: &Passed) -> [String; CSV_COLUMNS.len()] {
    [
        p.rule_id.to_string(),
        String::new(),
        optional(&p.account),
        optional(&p.region),
        p.resource_type.to_string(),
        p.resource_id.clone(),
        String::new(),
        String::new(),
        evidence_line(p.evidence.as_slice()),
        p.status.as_str().into(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
    ]
}

/// An optional cell's text (empty when absent).
fn optional(text: &Option<Shared>) -> String {
    text.as_deref().unwrap_or_default().to_string()
}

/// Evidence references on one line: `file#document/pointer; …`.
fn evidence_line(evidence: &[EvidenceRecord]) -> String {
    let locations: Vec<String> = evidence.iter().map(EvidenceRecord::location).collect();
    locations.join("; ")
}

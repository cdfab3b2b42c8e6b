//! Reports: the scan's outcome rendered as a terminal table, JSON, JSON lines, CSV, SARIF, ASFF
//! or HTML.

pub mod asff;
pub mod coverage;
pub mod html;
pub mod merge;
pub mod path;
pub mod reach;
pub mod reach_lb;
pub mod remediate;
pub mod sarif;
pub mod terminal;
pub mod timings;
pub mod waivers;

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::Result;
use serde::Serialize;
use serde_json::{Value, json};

use crate::evidence::{Diagnostic, Evidence, EvidenceFile, Kind, Skipped};
use crate::provenance::Tool;
use crate::rules::{Finding, RuleMeta, Severity};
use terminal::{Line, Row, Terminal};
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
}

/// Everything a report shows.
#[derive(Debug, Serialize)]
pub struct Report {
    /// The tool and rule pack that produced it.
    pub tool: Tool,
    /// Findings no waiver suppresses, sorted: the failures.
    pub findings: Vec<Finding>,
    /// Findings an unexpired waiver suppresses, each with `"status": "suppressed"` and its
    /// `waiver`; they are not failures.
    pub suppressed: Vec<Suppressed>,
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
    /// The rules that ran (for formats that describe them, such as SARIF).
    #[serde(skip)]
    pub rules: Vec<RuleMeta>,
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
            .map(|k| (k.command().to_string(), evidence.records.count(*k)))
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
    /// Assembles a report from the findings sorted by the waivers; `errors` are evidence and
    /// rule errors together.
    pub fn new(
        tool: Tool,
        triage: Triage,
        evidence: &Evidence,
        rules: Vec<RuleMeta>,
        errors: Vec<Diagnostic>,
    ) -> Report {
        Report::assemble(tool, triage, EvidenceSide::of(evidence), rules, errors)
    }

    /// Assembles a report from its parts and computes its summary; `scan` and `merge` both
    /// come here.
    pub fn assemble(
        tool: Tool,
        triage: Triage,
        evidence: EvidenceSide,
        rules: Vec<RuleMeta>,
        errors: Vec<Diagnostic>,
    ) -> Report {
        let mut by_severity = BTreeMap::new();
        let mut by_rule: BTreeMap<&str, usize> = BTreeMap::new();
        let Triage {
            open: findings,
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
        });
        Report {
            tool,
            findings,
            suppressed,
            summary,
            evidence: evidence.files,
            skipped: evidence.skipped,
            warnings: evidence.warnings,
            errors,
            waiver_warnings,
            rules,
        }
    }

    /// Whether any finding is at or above `threshold`.
    pub fn fails(&self, threshold: Severity) -> bool {
        self.findings.iter().any(|f| f.severity <= threshold)
    }

    /// Writes the report in `format`; the table is shaped for `term`.
    pub fn write(&self, format: Format, out: &mut dyn Write, term: &Terminal) -> Result<()> {
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
            }
            Format::Csv => self.write_csv(out)?,
            Format::Html => out.write_all(html::document(self).as_bytes())?,
            Format::Sarif => {
                serde_json::to_writer_pretty(&mut *out, &sarif::document(self))?;
                writeln!(out)?;
            }
            Format::Asff => {
                serde_json::to_writer_pretty(&mut *out, &asff::document(self))?;
                writeln!(out)?;
            }
            Format::Table => self.write_table(out, term)?,
        }
        Ok(())
    }

    /// Every finding with the waiver that suppresses it, if any: open findings first.
    fn all_findings(&self) -> impl Iterator<Item = (&Finding, Option<&AppliedWaiver>)> {
        let open = self.findings.iter().map(|f| (f, None));
        open.chain(
            self.suppressed
                .iter()
                .map(|s| (&s.finding, Some(&s.waiver))),
        )
    }

    fn write_csv(&self, out: &mut dyn Write) -> Result<()> {
        use polars::prelude::*;
        use polars_io::SerWriter;
        let rows: Vec<_> = self.all_findings().collect();
        let text = |name: &str, get: &dyn Fn(&Finding, Option<&AppliedWaiver>) -> String| {
            let values: Vec<String> = rows.iter().map(|(f, w)| get(f, *w)).collect();
            Column::new(name.into(), values)
        };
        let waiver = |get: fn(&AppliedWaiver) -> String| {
            move |_: &Finding, w: Option<&AppliedWaiver>| w.map(get).unwrap_or_default()
        };
        let mut df = DataFrame::new(
            rows.len(),
            vec![
                text("rule_id", &|x, _| x.rule_id.clone()),
                text("severity", &|x, _| x.severity.as_str().into()),
                text("account", &|x, _| x.account.clone().unwrap_or_default()),
                text("region", &|x, _| x.region.clone().unwrap_or_default()),
                text("resource_type", &|x, _| x.resource_type.clone()),
                text("resource_id", &|x, _| x.resource_id.clone()),
                text("title", &|x, _| x.title.clone()),
                text("message", &|x, _| x.message.clone()),
                text("evidence", &|x, _| evidence_line(&x.evidence)),
                text("status", &|_, w| status(w).into()),
                text("waiver_owner", &waiver(|w| w.waiver.owner.clone())),
                text("waiver_expires", &waiver(|w| w.waiver.expires.to_string())),
                text("waiver_reason", &waiver(|w| w.waiver.reason.clone())),
            ],
        )?;
        polars_io::csv::write::CsvWriter::new(out)
            .include_header(true)
            .finish(&mut df)?;
        Ok(())
    }

    /// The findings as rows, under a heading per account and region when there are several.
    fn finding_lines(&self) -> Vec<Line<4>> {
        let mut groups: BTreeMap<(&str, &str), Vec<&Finding>> = BTreeMap::new();
        for f in &self.findings {
            let scope = (
                f.account.as_deref().unwrap_or("-"),
                f.region.as_deref().unwrap_or("-"),
            );
            groups.entry(scope).or_default().push(f);
        }
        let headed = groups.len() > 1;
        let mut lines = Vec::new();
        for ((account, region), findings) in groups {
            if headed {
                lines.push(Line::Heading(format!("account {account}, region {region}")));
            }
            lines.extend(findings.into_iter().map(|f| {
                Line::Row(Row {
                    cells: [
                        f.severity.as_str().to_uppercase(),
                        f.rule_id.clone(),
                        terminal::short_resource(&f.resource_id).to_string(),
                        f.message.clone(),
                    ],
                    style: Some(terminal::severity_style(f.severity)),
                })
            }));
        }
        lines
    }

    fn write_table(&self, out: &mut dyn Write, term: &Terminal) -> Result<()> {
        if !term.quiet {
            self.write_table_rows(out, term)?;
        }
        self.write_table_summary(out, term)
    }

    /// The findings and the suppressed findings, in aligned columns.
    fn write_table_rows(&self, out: &mut dyn Write, term: &Terminal) -> Result<()> {
        let header = ["SEVERITY", "RULE", "RESOURCE", "MESSAGE"];
        terminal::write_rows(out, term, header, &self.finding_lines())?;
        if !self.suppressed.is_empty() {
            writeln!(
                out,
                "\nSUPPRESSED by waivers (accepted exceptions, not counted as failures):"
            )?;
            let rows: Vec<Line<5>> = self
                .suppressed
                .iter()
                .map(|s| {
                    let w = &s.waiver.waiver;
                    Line::Row(Row::plain([
                        s.finding.rule_id.clone(),
                        terminal::short_resource(&s.finding.resource_id).to_string(),
                        w.owner.clone(),
                        w.expires.to_string(),
                        w.reason.clone(),
                    ]))
                })
                .collect();
            let header = ["RULE", "RESOURCE", "OWNER", "EXPIRES", "REASON"];
            terminal::write_rows(out, term, header, &rows)?;
        }
        Ok(())
    }

    /// The summary, the tool, the diagnostics (warnings only counted under `--quiet`) and
    /// whether the result is complete.
    fn write_table_summary(&self, out: &mut dyn Write, term: &Terminal) -> Result<()> {
        let s = &self.summary;
        if !term.quiet {
            writeln!(out)?;
        }
        writeln!(
            out,
            "{} findings from {} evidence files ({} skipped, {} duplicate records dropped), {} rules",
            s["findings"],
            s["evidence_files"],
            s["skipped_files"],
            s["duplicates_dropped"],
            s["rules"]
        )?;
        if !self.suppressed.is_empty() {
            writeln!(
                out,
                "{} findings suppressed by waivers",
                self.suppressed.len()
            )?;
        }
        let warnings = self.warnings.iter().chain(&self.waiver_warnings);
        if term.quiet {
            let count = warnings.count();
            if count > 0 {
                writeln!(out, "{count} warnings not shown (--quiet)")?;
            }
        } else {
            writeln!(out, "{}", self.tool)?;
            for w in warnings {
                writeln!(out, "warning: {w}")?;
            }
        }
        for e in &self.errors {
            writeln!(out, "error: {e}")?;
        }
        if s["complete"] != json!(true) {
            writeln!(
                out,
                "INCOMPLETE: {} errors and {} warnings above mean some evidence was not read or is missing; the findings cover only what was read",
                self.errors.len(),
                self.warnings.len()
            )?;
        }
        Ok(())
    }
}

/// `fail`, or `suppressed` when a waiver applies.
fn status(waiver: Option<&AppliedWaiver>) -> &'static str {
    if waiver.is_some() {
        "suppressed"
    } else {
        "fail"
    }
}

/// Evidence references on one line: `file#document/pointer; …`.
fn evidence_line(evidence: &[Value]) -> String {
    evidence
        .iter()
        .map(|e| {
            format!(
                "{}#{}{}",
                e["file"].as_str().unwrap_or_default(),
                e["document"],
                e["pointer"].as_str().unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

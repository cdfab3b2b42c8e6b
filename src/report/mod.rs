//! Reports: the scan's outcome rendered as a terminal table, JSON, JSON lines, CSV, SARIF, ASFF
//! or HTML.

pub mod asff;
pub mod coverage;
pub mod html;
pub mod path;
pub mod reach;
pub mod reach_lb;
pub mod remediate;
pub mod sarif;
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
        let records: BTreeMap<&str, usize> = Kind::ALL
            .iter()
            .map(|k| (k.command(), evidence.count(*k)))
            .filter(|(_, n)| *n > 0)
            .collect();
        let complete = errors.is_empty() && evidence.warnings.is_empty();
        let summary = json!({
            "findings": findings.len(),
            "suppressed": suppressed.len(),
            "by_severity": by_severity,
            "by_rule": by_rule,
            "rules": rules.len(),
            "evidence_files": evidence.files.len(),
            "skipped_files": evidence.skipped.len(),
            "records": records,
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
            evidence: evidence.files.clone(),
            skipped: evidence.skipped.clone(),
            warnings: evidence.warnings.clone(),
            errors,
            waiver_warnings,
            rules,
        }
    }

    /// Whether any finding is at or above `threshold`.
    pub fn fails(&self, threshold: Severity) -> bool {
        self.findings.iter().any(|f| f.severity <= threshold)
    }

    /// Writes the report in `format`.
    pub fn write(&self, format: Format, out: &mut dyn Write) -> Result<()> {
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
            Format::Table => self.write_table(out)?,
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

    fn write_table(&self, out: &mut dyn Write) -> Result<()> {
        let rows = self.findings.iter().map(|f| {
            [
                f.severity.as_str().to_uppercase(),
                f.rule_id.clone(),
                f.resource_id.clone(),
                f.message.clone(),
            ]
        });
        write_aligned(out, ["SEVERITY", "RULE", "RESOURCE", "MESSAGE"], rows)?;
        if !self.suppressed.is_empty() {
            writeln!(
                out,
                "\nSUPPRESSED by waivers (accepted exceptions, not counted as failures):"
            )?;
            let rows = self.suppressed.iter().map(|s| {
                let w = &s.waiver.waiver;
                [
                    s.finding.rule_id.clone(),
                    s.finding.resource_id.clone(),
                    w.owner.clone(),
                    w.expires.to_string(),
                    w.reason.clone(),
                ]
            });
            write_aligned(
                out,
                ["RULE", "RESOURCE", "OWNER", "EXPIRES", "REASON"],
                rows,
            )?;
        }
        let s = &self.summary;
        writeln!(
            out,
            "\n{} findings from {} evidence files ({} skipped, {} duplicate records dropped), {} rules",
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
        writeln!(out, "{}", self.tool)?;
        for w in self.warnings.iter().chain(&self.waiver_warnings) {
            writeln!(out, "warning: {w}")?;
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

/// Rows in columns padded to their widest cell, the last column unpadded, under `header`.
fn write_aligned<const N: usize>(
    out: &mut dyn Write,
    header: [&str; N],
    rows: impl Iterator<Item = [String; N]>,
) -> Result<()> {
    let rows: Vec<[String; N]> = std::iter::once(header.map(String::from))
        .chain(rows)
        .collect();
    let widths: Vec<usize> = (0..N)
        .map(|i| rows.iter().map(|r| r[i].len()).max().unwrap_or(0))
        .collect();
    for r in &rows {
        let mut line = String::new();
        for (i, cell) in r.iter().enumerate() {
            if i + 1 < N {
                line += &format!("{cell:w$}  ", w = widths[i]);
            } else {
                line += cell;
            }
        }
        writeln!(out, "{line}")?;
    }
    Ok(())
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

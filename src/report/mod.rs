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

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::Result;
use serde::Serialize;
use serde_json::{Value, json};

use crate::evidence::{Diagnostic, Evidence, EvidenceFile, Kind, Skipped};
use crate::provenance::Tool;
use crate::rules::{Finding, RuleMeta, Severity};

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
    /// Findings, sorted.
    pub findings: Vec<Finding>,
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
    /// The rules that ran (for formats that describe them, such as SARIF).
    #[serde(skip)]
    pub rules: Vec<RuleMeta>,
}

impl Report {
    /// Assembles a report; `errors` are evidence and rule errors together.
    pub fn new(
        tool: Tool,
        findings: Vec<Finding>,
        evidence: &Evidence,
        rules: Vec<RuleMeta>,
        errors: Vec<Diagnostic>,
    ) -> Report {
        let mut by_severity = BTreeMap::new();
        let mut by_rule: BTreeMap<&str, usize> = BTreeMap::new();
        for f in &findings {
            *by_severity.entry(f.severity.as_str()).or_insert(0usize) += 1;
            *by_rule.entry(f.rule_id.as_str()).or_default() += 1;
        }
        let records: BTreeMap<&str, usize> = Kind::ALL
            .iter()
            .map(|k| (k.command(), evidence.records.count(*k)))
            .filter(|(_, n)| *n > 0)
            .collect();
        let complete = errors.is_empty() && evidence.warnings.is_empty();
        let summary = json!({
            "findings": findings.len(),
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
            summary,
            evidence: evidence.files.clone(),
            skipped: evidence.skipped.clone(),
            warnings: evidence.warnings.clone(),
            errors,
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

    fn write_csv(&self, out: &mut dyn Write) -> Result<()> {
        use polars::prelude::*;
        use polars_io::SerWriter;
        let f = &self.findings;
        let text = |get: fn(&Finding) -> String| -> Column {
            Column::new("".into(), f.iter().map(get).collect::<Vec<_>>())
        };
        let named = |name: &str, c: Column| c.with_name(name.into());
        let mut df = DataFrame::new(
            f.len(),
            vec![
                named("rule_id", text(|x| x.rule_id.clone())),
                named("severity", text(|x| x.severity.as_str().into())),
                named("account", text(|x| x.account.clone().unwrap_or_default())),
                named("region", text(|x| x.region.clone().unwrap_or_default())),
                named("resource_type", text(|x| x.resource_type.clone())),
                named("resource_id", text(|x| x.resource_id.clone())),
                named("title", text(|x| x.title.clone())),
                named("message", text(|x| x.message.clone())),
                named("evidence", text(|x| evidence_line(&x.evidence))),
            ],
        )?;
        polars_io::csv::write::CsvWriter::new(out)
            .include_header(true)
            .finish(&mut df)?;
        Ok(())
    }

    fn write_table(&self, out: &mut dyn Write) -> Result<()> {
        let rows: Vec<[String; 4]> = self
            .findings
            .iter()
            .map(|f| {
                [
                    f.severity.as_str().to_uppercase(),
                    f.rule_id.clone(),
                    f.resource_id.clone(),
                    f.message.clone(),
                ]
            })
            .collect();
        let header = ["SEVERITY", "RULE", "RESOURCE", "MESSAGE"].map(String::from);
        let widths: Vec<usize> = (0..3)
            .map(|i| {
                rows.iter()
                    .chain([&header])
                    .map(|r| r[i].len())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        for r in std::iter::once(&header).chain(&rows) {
            writeln!(
                out,
                "{:w0$}  {:w1$}  {:w2$}  {}",
                r[0],
                r[1],
                r[2],
                r[3],
                w0 = widths[0],
                w1 = widths[1],
                w2 = widths[2]
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
        writeln!(out, "{}", self.tool)?;
        for w in &self.warnings {
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

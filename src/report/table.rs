//! The terminal table of `scan`: failures, then the sections that are not failures (suppressed,
//! indeterminate, passed with `--show-pass`), each rule's status counts, and the summary. Shaped
//! for the terminal by `terminal.rs` (width, short ARNs, colour, `--quiet`).

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::Result;
use serde_json::json;

use super::coverage::write_grouped;
use super::terminal::{self, Line, Row, Terminal};
use super::{Report, RuleStatus};
use crate::rules::Finding;

/// The columns of a finding's row.
const FINDING_HEADER: [&str; 4] = ["SEVERITY", "RULE", "RESOURCE", "MESSAGE"];

impl Report {
    /// Writes the report as aligned sections for `term` (only the summary under `--quiet`).
    pub(super) fn write_table(&self, out: &mut dyn Write, term: &Terminal) -> Result<()> {
        if !term.quiet {
            terminal::write_rows(out, term, FINDING_HEADER, &finding_lines(&self.findings))?;
            self.write_suppressed(out, term)?;
            if !self.indeterminate.is_empty() {
                writeln!(
                    out,
                    "\nINDETERMINATE (the evidence cannot settle these; not counted as failures):"
                )?;
                let lines = finding_lines(&self.indeterminate);
                terminal::write_rows(out, term, FINDING_HEADER, &lines)?;
            }
            self.write_passed(out, term)?;
            self.write_rules_status(out, term)?;
        }
        self.write_summary(out, term)
    }

    /// The findings waivers suppress, with the waiver's owner, expiry and reason.
    fn write_suppressed(&self, out: &mut dyn Write, term: &Terminal) -> Result<()> {
        if self.suppressed.is_empty() {
            return Ok(());
        }
        writeln!(
            out,
            "\nSUPPRESSED by waivers (accepted exceptions, not counted as failures):"
        )?;
        let rows: Vec<Line<6>> = self
            .suppressed
            .iter()
            .map(|s| {
                let w = &s.waiver.waiver;
                Line::Row(Row::plain([
                    s.finding.rule_id.to_string(),
                    terminal::short_resource(&s.finding.resource_id).to_string(),
                    w.owner.clone(),
                    w.expires.to_string(),
                    s.waived_status.as_str().to_string(),
                    w.reason.clone(),
                ]))
            })
            .collect();
        let header = ["RULE", "RESOURCE", "OWNER", "EXPIRES", "WAIVED", "REASON"];
        terminal::write_rows(out, term, header, &rows)
    }

    /// The passing resources `--show-pass` lists.
    fn write_passed(&self, out: &mut dyn Write, term: &Terminal) -> Result<()> {
        if self.passed().is_empty() {
            return Ok(());
        }
        writeln!(out, "\nPASSED:")?;
        let rows: Vec<Line<3>> = self
            .passed()
            .iter()
            .map(|p| {
                let scope =
                    [p.account.as_deref(), p.region.as_deref()].map(Option::unwrap_or_default);
                Line::Row(Row::plain([
                    p.rule_id.to_string(),
                    scope.join("/"),
                    terminal::short_resource(&p.resource_id).to_string(),
                ]))
            })
            .collect();
        terminal::write_rows(out, term, ["RULE", "ACCOUNT/REGION", "RESOURCE"], &rows)
    }

    /// One line per rule: how its evaluations ended.
    fn write_rules_status(&self, out: &mut dyn Write, term: &Terminal) -> Result<()> {
        writeln!(out, "\nRESULTS by rule:")?;
        let rows: Vec<Line<7>> = self
            .rules_status
            .iter()
            .map(|(id, s)| {
                let [a, b, c, d, e, f] = s.cells();
                Line::Row(Row::plain([id.clone(), a, b, c, d, e, f]))
            })
            .collect();
        let names = RuleStatus::COLUMNS.map(|c| c.to_uppercase().replace(' ', "_"));
        let header = [
            "RULE", &names[0], &names[1], &names[2], &names[3], &names[4], &names[5],
        ];
        terminal::write_rows(out, term, header, &rows)
    }

    /// Counts, the tool, coverage gaps, the diagnostics (warnings only counted under `--quiet`),
    /// and whether the result is complete.
    fn write_summary(&self, out: &mut dyn Write, term: &Terminal) -> Result<()> {
        let s = &self.summary;
        if !term.quiet {
            writeln!(out)?;
        }
        writeln!(
            out,
            "{} findings and {} indeterminate results from {} evidence files ({} skipped, {} duplicate records dropped), {} rules",
            s["findings"],
            s["indeterminate"],
            s["evidence_files"],
            s["skipped_files"],
            s["duplicates_dropped"],
            s["rules"]
        )?;
        if !self.suppressed.is_empty() {
            let n = self.suppressed.len();
            writeln!(out, "{n} findings suppressed by waivers")?;
        }
        if term.quiet {
            let count = self.warnings.len() + self.waiver_warnings.len();
            if count > 0 {
                writeln!(out, "{count} warnings not shown (--quiet)")?;
            }
        } else {
            writeln!(out, "{}", self.tool)?;
        }
        // Coverage gaps show even with --quiet: a quiet report must not hide a missing export.
        self.coverage.write_gaps(out)?;
        if !term.quiet {
            write_grouped(out, "", "warning", &self.warnings)?;
            write_grouped(out, "", "warning", &self.waiver_warnings)?;
        }
        write_grouped(out, "", "error", &self.errors)?;
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

/// Findings as rows, under a heading per account and region when there are several.
fn finding_lines(findings: &[Finding]) -> Vec<Line<4>> {
    let mut groups: BTreeMap<(&str, &str), Vec<&Finding>> = BTreeMap::new();
    for f in findings {
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
                    f.rule_id.to_string(),
                    terminal::short_resource(&f.resource_id).to_string(),
                    f.message.clone(),
                ],
                style: Some(terminal::severity_style(f.severity)),
            })
        }));
    }
    lines
}

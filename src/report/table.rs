//! The terminal table of `scan`: failures, then the sections that are not failures (suppressed,
//! indeterminate, passed with `--show-pass`), each rule's status counts, and the summary.

use std::io::Write;

use anyhow::Result;
use serde_json::json;

use super::Report;
use crate::rules::Finding;

impl Report {
    /// Writes the report as aligned sections for a terminal.
    pub(super) fn write_table(&self, out: &mut dyn Write) -> Result<()> {
        write_aligned(
            out,
            ["SEVERITY", "RULE", "RESOURCE", "MESSAGE"],
            self.findings.iter().map(finding_cells),
        )?;
        self.write_suppressed(out)?;
        if !self.indeterminate.is_empty() {
            writeln!(
                out,
                "\nINDETERMINATE (the evidence cannot settle these; not counted as failures):"
            )?;
            let rows = self.indeterminate.iter().map(finding_cells);
            write_aligned(out, ["SEVERITY", "RULE", "RESOURCE", "MESSAGE"], rows)?;
        }
        if !self.passed().is_empty() {
            writeln!(out, "\nPASSED:")?;
            let rows = self.passed().iter().map(|p| {
                let scope =
                    [p.account.as_deref(), p.region.as_deref()].map(Option::unwrap_or_default);
                [p.rule_id.clone(), scope.join("/"), p.resource_id.clone()]
            });
            write_aligned(out, ["RULE", "ACCOUNT/REGION", "RESOURCE"], rows)?;
        }
        self.write_rules_status(out)?;
        self.write_summary(out)
    }

    /// The findings waivers suppress, with the waiver's owner, expiry and reason.
    fn write_suppressed(&self, out: &mut dyn Write) -> Result<()> {
        if self.suppressed.is_empty() {
            return Ok(());
        }
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
        )
    }

    /// One line per rule: how its evaluations ended.
    fn write_rules_status(&self, out: &mut dyn Write) -> Result<()> {
        writeln!(out, "\nRESULTS by rule:")?;
        let rows = self.rules_status.iter().map(|(id, s)| {
            let counts = [
                s.examined,
                s.failed,
                s.indeterminate,
                s.suppressed,
                s.not_applicable,
                s.passed,
            ];
            let [a, b, c, d, e, f] = counts.map(|n| n.to_string());
            [id.clone(), a, b, c, d, e, f]
        });
        let header = [
            "RULE",
            "EXAMINED",
            "FAILED",
            "INDETERMINATE",
            "SUPPRESSED",
            "NOT_APPLICABLE",
            "PASSED",
        ];
        write_aligned(out, header, rows)
    }

    /// Counts, the tool, the diagnostics, and whether the result is complete.
    fn write_summary(&self, out: &mut dyn Write) -> Result<()> {
        let s = &self.summary;
        writeln!(
            out,
            "\n{} findings and {} indeterminate results from {} evidence files ({} skipped, {} duplicate records dropped), {} rules",
            s["findings"],
            s["indeterminate"],
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

/// A finding's cells: severity, rule, resource, message.
fn finding_cells(f: &Finding) -> [String; 4] {
    [
        f.severity.as_str().to_uppercase(),
        f.rule_id.clone(),
        f.resource_id.clone(),
        f.message.clone(),
    ]
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

//! A diff as a terminal listing grouped by bucket, as JSON, or as a Markdown section for a pull
//! request comment or a work paper.

use std::io::Write;

use anyhow::Result;

use serde::Serialize;

use super::{Change, Diff};
use crate::provenance::Tool;
use crate::rules::Finding;

/// Output formats of `diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffFormat {
    /// Counts, then each bucket's findings, for a terminal.
    Table,
    /// One JSON document: the buckets and a summary.
    Json,
    /// A Markdown section (pull request comment, work paper).
    Markdown,
}

/// Writes `diff` in `format`; `tool` heads the JSON document.
pub fn write(diff: &Diff, tool: &Tool, format: DiffFormat, out: &mut dyn Write) -> Result<()> {
    match format {
        DiffFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &Headed { tool, diff })?;
            writeln!(out)?;
        }
        DiffFormat::Table => write_table(diff, out)?,
        DiffFormat::Markdown => write_markdown(diff, out)?,
    }
    Ok(())
}

/// The JSON document: the tool that compared, then the diff's own fields.
#[derive(Serialize)]
struct Headed<'a> {
    tool: &'a Tool,
    #[serde(flatten)]
    diff: &'a Diff,
}

/// `3 new, 1 resolved, …`: the bucket sizes on one line.
fn counts(diff: &Diff) -> String {
    format!(
        "{} new, {} resolved, {} changed, {} unchanged, {} not comparable",
        diff.new.len(),
        diff.resolved.len(),
        diff.changed.len(),
        diff.unchanged.len(),
        diff.not_comparable.len()
    )
}

/// One change as a line of text (without the bullet).
fn change_line(change: &Change) -> String {
    match change {
        Change::Severity { old, new } => format!("severity: {} -> {}", old.as_str(), new.as_str()),
        Change::Message { old, new } => format!("message: was \"{old}\", now \"{new}\""),
        Change::Exposure { gained, lost } => [("gained", gained), ("lost", lost)]
            .iter()
            .filter(|(_, what)| !what.is_empty())
            .map(|(verb, what)| format!("{verb}: {}", what.join("; ")))
            .collect::<Vec<_>>()
            .join("; "),
        Change::Evidence {
            role,
            file,
            old_pointer,
            new_pointer,
            record_changed,
        } => {
            let at = match (old_pointer, new_pointer) {
                (Some(o), Some(n)) if o == n => o.clone(),
                (o, n) => format!(
                    "{} -> {}",
                    o.as_deref().unwrap_or("(none)"),
                    n.as_deref().unwrap_or("(none)")
                ),
            };
            let record = match record_changed {
                Some(true) => ", record changed",
                Some(false) => ", record unchanged (another record of the file changed)",
                None => "",
            };
            format!("evidence ({role}): {file} {at}{record}")
        }
    }
}

/// A finding on one line: `HIGH  RULE  RESOURCE  message`.
fn finding_line(f: &Finding) -> String {
    format!(
        "{:<8} {:<9} {}  {}",
        f.severity.as_str().to_uppercase(),
        f.rule_id,
        f.resource_id,
        f.message
    )
}

fn write_table(diff: &Diff, out: &mut dyn Write) -> Result<()> {
    let s = &diff.summary;
    writeln!(
        out,
        "{} -> {}",
        s["old"].as_str().unwrap_or_default(),
        s["new"].as_str().unwrap_or_default()
    )?;
    writeln!(out, "{}", counts(diff))?;
    let plain = [("NEW", &diff.new), ("RESOLVED", &diff.resolved)];
    for (title, findings) in plain {
        writeln!(out, "\n{title} ({})", findings.len())?;
        for f in findings {
            writeln!(out, "  {}", finding_line(f))?;
        }
    }
    writeln!(out, "\nCHANGED ({})", diff.changed.len())?;
    for c in &diff.changed {
        writeln!(out, "  {}", finding_line(&c.new))?;
        for change in &c.changes {
            writeln!(out, "    - {}", change_line(change))?;
        }
    }
    writeln!(out, "\nNOT COMPARABLE ({})", diff.not_comparable.len())?;
    for n in &diff.not_comparable {
        writeln!(out, "  {}", finding_line(&n.finding))?;
        writeln!(out, "    - the new side lacks: {}", n.missing.join(", "))?;
    }
    writeln!(out, "\nUNCHANGED ({})", diff.unchanged.len())?;
    for f in &diff.unchanged {
        writeln!(out, "  {}", finding_line(f))?;
    }
    Ok(())
}

/// Text safe inside a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// A Markdown table of findings, with an extra last column from `extra`.
fn findings_table(
    out: &mut dyn Write,
    findings: &[&Finding],
    extra: (&str, &dyn Fn(usize) -> String),
) -> Result<()> {
    writeln!(
        out,
        "| severity | rule | account | region | resource | {} |",
        extra.0
    )?;
    writeln!(out, "|---|---|---|---|---|---|")?;
    for (i, f) in findings.iter().enumerate() {
        writeln!(
            out,
            "| {} | {} | {} | {} | `{}` | {} |",
            f.severity.as_str(),
            f.rule_id,
            f.account.as_deref().unwrap_or(""),
            f.region.as_deref().unwrap_or(""),
            f.resource_id,
            cell(&extra.1(i))
        )?;
    }
    Ok(())
}

fn write_markdown(diff: &Diff, out: &mut dyn Write) -> Result<()> {
    let s = &diff.summary;
    writeln!(out, "## What changed since the last audit\n")?;
    writeln!(
        out,
        "`{}` -> `{}`: **{}**.",
        s["old"].as_str().unwrap_or_default(),
        s["new"].as_str().unwrap_or_default(),
        counts(diff)
    )?;
    markdown_section(out, "New", &diff.new)?;
    markdown_section(out, "Resolved", &diff.resolved)?;
    writeln!(out, "\n### Changed ({})\n", diff.changed.len())?;
    for c in &diff.changed {
        let f = &c.new;
        writeln!(
            out,
            "- **{}** `{}` ({}, {}), {}",
            f.rule_id,
            f.resource_id,
            f.account.as_deref().unwrap_or("no account"),
            f.region.as_deref().unwrap_or("no region"),
            f.severity.as_str()
        )?;
        for change in &c.changes {
            writeln!(out, "  - {}", change_line(change))?;
        }
    }
    writeln!(
        out,
        "\n### Not comparable ({})\n",
        diff.not_comparable.len()
    )?;
    writeln!(
        out,
        "Findings of the old audit whose evidence the new export lacks: not resolved, not proven.\n"
    )?;
    let refs: Vec<&Finding> = diff.not_comparable.iter().map(|n| &n.finding).collect();
    findings_table(
        out,
        &refs,
        ("missing evidence", &|i| {
            diff.not_comparable[i].missing.join(", ")
        }),
    )?;
    markdown_section(out, "Unchanged", &diff.unchanged)
}

/// A heading with a count and a Markdown table of `findings` with their messages.
fn markdown_section(out: &mut dyn Write, title: &str, findings: &[Finding]) -> Result<()> {
    writeln!(out, "\n### {title} ({})\n", findings.len())?;
    let refs: Vec<&Finding> = findings.iter().collect();
    findings_table(out, &refs, ("message", &|i| refs[i].message.clone()))
}

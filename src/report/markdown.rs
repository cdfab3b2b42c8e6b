//! The report as Markdown, for a pull-request comment or a work paper: summary tables by
//! severity and rule, findings grouped by rule with their evidence, suppressed findings,
//! coverage gaps, diagnostics and the tool line. Every value from the evidence is escaped, so
//! a hostile name cannot break a table or inject markup. Each section is one function in
//! [`SECTIONS`]; a new kind of section is one more entry.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

use super::coverage::scope_label;
use super::{Report, RuleStatus};
use crate::evidence::Diagnostic;
use crate::rules::Finding;

/// One section of the document: writes its heading and body, or nothing when it is empty.
type Section = fn(&Report, &mut String);

/// The sections, in order.
const SECTIONS: [Section; 8] = [
    summary,
    findings,
    indeterminate,
    suppressed,
    results_by_rule,
    coverage_gaps,
    diagnostics,
    tool,
];

/// The report as one Markdown document.
pub fn document(report: &Report) -> String {
    let mut md = String::from("# snapaudit report\n");
    for section in SECTIONS {
        section(report, &mut md);
    }
    md
}

/// Text with every character that means something to GitHub-flavoured Markdown inside a line
/// escaped (emphasis, code, links, HTML, entities, table cells, strikethrough) and line breaks
/// folded, so it stays one table cell or list item.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '&' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '\r' | '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A table row of already escaped cells.
fn row(md: &mut String, cells: &[&str]) {
    let _ = writeln!(md, "| {} |", cells.join(" | "));
}

/// A table's header row and its separator.
fn header(md: &mut String, names: &[&str]) {
    row(md, names);
    row(md, &vec!["---"; names.len()]);
}

/// Completeness, counts by severity and by rule.
fn summary(report: &Report, md: &mut String) {
    let s = &report.summary;
    let _ = writeln!(
        md,
        "\n{} findings and {} indeterminate results from {} evidence files ({} skipped), {} rules; \
         {} suppressed by waivers.",
        s["findings"],
        s["indeterminate"],
        s["evidence_files"],
        s["skipped_files"],
        s["rules"],
        report.suppressed.len()
    );
    if s["complete"] != Value::Bool(true) {
        let _ = writeln!(
            md,
            "\n**INCOMPLETE**: {} errors and {} warnings below mean some evidence was not read or \
             is missing; the findings cover only what was read.",
            report.errors.len(),
            report.warnings.len()
        );
    }
    if report.findings.is_empty() {
        return;
    }
    md.push_str("\n| severity | findings |\n| --- | --- |\n");
    for severity in ["critical", "high", "medium", "low", "info"] {
        if let Some(n) = s["by_severity"].get(severity) {
            row(md, &[severity, &n.to_string()]);
        }
    }
    md.push('\n');
    header(md, &["rule", "title", "findings"]);
    let by_rule = by_rule(&report.findings);
    for (rule, findings) in &by_rule {
        let title = escape(&findings[0].title);
        row(md, &[&escape(rule), &title, &findings.len().to_string()]);
    }
}

/// The findings of each rule, in rule order.
fn by_rule(findings: &[Finding]) -> BTreeMap<&str, Vec<&Finding>> {
    let mut out: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in findings {
        out.entry(&f.rule_id).or_default().push(f);
    }
    out
}

/// Each rule's failures as a table.
fn findings(report: &Report, md: &mut String) {
    rule_tables(md, "Findings", "", &report.findings);
}

/// Each rule's indeterminate results, which are not failures.
fn indeterminate(report: &Report, md: &mut String) {
    let intro = "\nThe evidence cannot settle these; they are not counted as failures. Each message \
                 names what is missing.\n";
    rule_tables(md, "Indeterminate", intro, &report.indeterminate);
}

/// Under `heading`, each rule's `findings` as a table: resource, account/region, message,
/// evidence.
fn rule_tables(md: &mut String, heading: &str, intro: &str, findings: &[Finding]) {
    if findings.is_empty() {
        return;
    }
    let _ = writeln!(md, "\n## {heading}\n{intro}");
    for (rule, findings) in by_rule(findings) {
        let first = findings[0];
        let _ = writeln!(
            md,
            "\n### {} ({}): {}\n",
            escape(rule),
            first.severity.as_str(),
            escape(&first.title)
        );
        header(md, &["resource", "account/region", "message", "evidence"]);
        for f in findings {
            let scope = escape(&scope_label(&f.account, &f.region));
            let cells = [
                escape(&f.resource_id),
                scope,
                escape(&f.message),
                evidence(f),
            ];
            row(md, &cells.each_ref().map(String::as_str));
        }
    }
}

/// How each rule's evaluations ended: examined, failed, indeterminate, suppressed, not
/// applicable, passed.
fn results_by_rule(report: &Report, md: &mut String) {
    if report.rules_status.is_empty() {
        return;
    }
    md.push_str("\n## Results by rule\n\n");
    let mut names = vec!["rule"];
    names.extend(RuleStatus::COLUMNS);
    header(md, &names);
    for (id, s) in &report.rules_status {
        let mut cells = vec![escape(id)];
        cells.extend(s.cells());
        row(md, &cells.iter().map(String::as_str).collect::<Vec<_>>());
    }
}

/// A finding's evidence records: `file#document/pointer (sha256 first 12)`, one per line.
fn evidence(f: &Finding) -> String {
    let records: Vec<String> = f
        .evidence
        .iter()
        .map(|e| {
            let sha = &e.sha256;
            let reference = e.location();
            format!(
                "{} (sha256 {})",
                escape(&reference),
                escape(&sha[..sha.len().min(12)])
            )
        })
        .collect();
    records.join("<br>")
}

/// The findings waivers suppress, with each waiver's owner, expiry and reason.
fn suppressed(report: &Report, md: &mut String) {
    if report.suppressed.is_empty() {
        return;
    }
    md.push_str(
        "\n## Suppressed by waivers\n\nAccepted exceptions: reported, not counted as failures.\n\n",
    );
    header(
        md,
        &[
            "rule", "resource", "owner", "expires", "waived", "reason", "finding",
        ],
    );
    for s in &report.suppressed {
        let w = &s.waiver.waiver;
        let cells = [
            escape(&s.finding.rule_id),
            escape(&s.finding.resource_id),
            escape(&w.owner),
            w.expires.to_string(),
            s.waived_status.as_str().to_string(),
            escape(&w.reason),
            escape(&s.finding.message),
        ];
        row(md, &cells.each_ref().map(String::as_str));
    }
}

/// Every rule that could not run fully somewhere, with the exports it lacked there.
fn coverage_gaps(report: &Report, md: &mut String) {
    if report.coverage.gaps().next().is_none() {
        return;
    }
    md.push_str(
        "\n## Coverage gaps\n\nThese rules could not run fully; no finding from them there is not a pass.\n\n",
    );
    header(
        md,
        &["rule", "account/region", "coverage", "missing exports"],
    );
    for g in report.coverage.gaps() {
        let cells = [
            escape(&g.rule),
            escape(&scope_label(&g.account, &g.region)),
            g.status.as_str().to_string(),
            escape(&g.missing.join(", ")),
        ];
        row(md, &cells.each_ref().map(String::as_str));
    }
}

/// Errors, warnings and waiver warnings, each a list when there are any.
fn diagnostics(report: &Report, md: &mut String) {
    let lists: [(&str, &Vec<Diagnostic>); 3] = [
        ("Errors", &report.errors),
        ("Warnings", &report.warnings),
        ("Waiver warnings", &report.waiver_warnings),
    ];
    for (title, items) in lists {
        if !items.is_empty() {
            let _ = writeln!(md, "\n## {title}\n");
            for d in items {
                let _ = writeln!(md, "- {}", escape(&d.to_string()));
            }
        }
    }
}

/// Which tool and rules produced the report.
fn tool(report: &Report, md: &mut String) {
    let _ = writeln!(
        md,
        "\n---\nProduced by {}.",
        escape(&report.tool.to_string())
    );
}

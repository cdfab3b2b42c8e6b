//! The page's sections around the findings: summary, suppressed findings, coverage,
//! diagnostics and the evidence appendix.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use html_escape::encode_text as esc;
use serde_json::Value;

use super::super::Report;
use super::super::coverage::scope_label;

/// The completeness banner, the counts, and the findings by severity, account and rule.
pub fn summary(h: &mut String, report: &Report) {
    let s = &report.summary;
    let complete = s["complete"] == Value::Bool(true);
    let _ = writeln!(
        h,
        "<p class=\"banner {}\">{}</p>",
        if complete { "ok" } else { "incomplete" },
        if complete {
            "Complete: every evidence file was read and no call, resource or record is missing."
                .to_string()
        } else {
            format!(
                "INCOMPLETE: {} errors and {} warnings below mean some evidence was not read or is \
                 missing; the findings cover only what was read.",
                report.errors.len(),
                report.warnings.len()
            )
        }
    );
    let _ = writeln!(
        h,
        "<p>{} findings from {} evidence files ({} skipped, {} duplicate records dropped), {} rules.</p>",
        s["findings"], s["evidence_files"], s["skipped_files"], s["duplicates_dropped"], s["rules"]
    );
    if !report.suppressed.is_empty() {
        let _ = writeln!(
            h,
            "<p>{} findings suppressed by waivers (below).</p>",
            report.suppressed.len()
        );
    }
    let gaps = report.coverage.gaps().count();
    if gaps > 0 {
        let _ = writeln!(
            h,
            "<p class=\"banner incomplete\">{gaps} rule and account/region pairs could not run \
             fully: see <a href=\"#coverage\">Coverage</a>.</p>"
        );
    }
    let mut by_account: BTreeMap<String, usize> = BTreeMap::new();
    for f in &report.findings {
        *by_account
            .entry(scope_label(&f.account, &f.region))
            .or_default() += 1;
    }
    let by_severity = report.findings.iter().map(|f| f.severity.as_str());
    let by_severity = by_severity.fold(BTreeMap::new(), |mut m, s| {
        *m.entry((severity_rank(s), s)).or_insert(0usize) += 1;
        m
    });
    let titles: BTreeMap<&str, &str> = report
        .rules
        .iter()
        .map(|r| (r.id.as_str(), r.title.as_str()))
        .collect();
    *h += "<div class=\"counts\">\n";
    counts(
        h,
        "severity",
        by_severity
            .into_iter()
            .map(|((_, s), n)| (s.to_string(), n)),
    );
    counts(h, "account / region", by_account.into_iter());
    let by_rule = s["by_rule"].as_object().into_iter().flatten();
    counts(
        h,
        "rule",
        by_rule.map(|(rule, n)| {
            let title = titles.get(rule.as_str()).copied().unwrap_or_default();
            (
                format!("{rule} {title}"),
                n.as_u64().unwrap_or_default() as usize,
            )
        }),
    );
    *h += "</div>\n";
}

/// Critical first: the order severities are listed and sorted in.
pub fn severity_rank(severity: &str) -> usize {
    ["critical", "high", "medium", "low", "info"]
        .iter()
        .position(|s| *s == severity)
        .unwrap_or(usize::MAX)
}

/// A small two-column table of counts under `title`.
fn counts(h: &mut String, title: &str, rows: impl Iterator<Item = (String, usize)>) {
    let _ = writeln!(h, "<table><tr><th>{title}</th><th>findings</th></tr>");
    for (name, n) in rows {
        let _ = writeln!(h, "<tr><td>{}</td><td>{n}</td></tr>", esc(&name));
    }
    *h += "</table>\n";
}

/// The findings waivers suppress, with each waiver's owner, expiry and reason.
pub fn suppressed(h: &mut String, report: &Report) {
    if report.suppressed.is_empty() {
        return;
    }
    *h += "<h2>Suppressed by waivers</h2>\n<p>Accepted exceptions: reported, not counted as \
          failures.</p>\n<table><tr><th>rule</th><th>resource</th><th>owner</th><th>expires</th>\
          <th>waived</th><th>reason</th><th>finding</th></tr>\n";
    for s in &report.suppressed {
        let w = &s.waiver.waiver;
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{}</td></tr>",
            esc(&s.finding.rule_id),
            esc(&s.finding.resource_id),
            esc(&w.owner),
            w.expires,
            s.waived_status.as_str(),
            esc(&w.reason),
            esc(&s.finding.message),
        );
    }
    *h += "</table>\n";
}

/// Each rule that could not run fully somewhere, with the exports it lacked there.
pub fn coverage(h: &mut String, report: &Report) {
    let c = &report.coverage;
    *h += "<h2 id=\"coverage\">Coverage</h2>\n";
    let scopes: Vec<String> = c
        .scopes
        .iter()
        .map(|s| scope_label(&s.account, &s.region))
        .collect();
    let _ = writeln!(
        h,
        "<p>{} rules over {} account/region scopes: {}.</p>",
        report.rules.len(),
        scopes.len(),
        esc(&scopes.join(", "))
    );
    if c.gaps().next().is_none() {
        *h += "<p>Every rule could run fully in every account and region.</p>\n";
        return;
    }
    *h += "<p>These rules could not run fully: no finding from them there is not a pass.</p>\n\
          <table><tr><th>rule</th><th>account / region</th><th>coverage</th>\
          <th>missing exports</th></tr>\n";
    for g in c.gaps() {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&g.rule),
            esc(&scope_label(&g.account, &g.region)),
            g.status.as_str(),
            esc(&g.missing.join(", "))
        );
    }
    *h += "</table>\n";
}

/// Errors and warnings, each as a list when there are any.
pub fn diagnostics(h: &mut String, report: &Report) {
    for (title, items) in [
        ("Errors", &report.errors),
        ("Warnings", &report.warnings),
        ("Waiver warnings", &report.waiver_warnings),
    ] {
        if !items.is_empty() {
            let _ = write!(h, "<h2>{title}</h2>\n<ul>\n");
            for d in items {
                let _ = writeln!(h, "<li>{}</li>", esc(&d.to_string()));
            }
            *h += "</ul>\n";
        }
    }
}

/// The evidence appendix: files with their kinds and SHA-256, then skipped files and why.
pub fn files(h: &mut String, report: &Report) {
    *h += "<h2>Evidence files</h2>\n<table><tr><th>file</th><th>kind</th><th>records</th><th>sha256</th></tr>\n";
    for e in &report.evidence {
        let _ = writeln!(
            h,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
            esc(&e.file),
            esc(&e.kind.join(", ")),
            e.records,
            esc(&e.sha256)
        );
    }
    *h += "</table>\n";
    if !report.skipped.is_empty() {
        *h += "<h2>Skipped files</h2>\n<ul>\n";
        for sk in &report.skipped {
            let _ = writeln!(
                h,
                "<li><code>{}</code>: {}</li>",
                esc(&sk.file),
                esc(&sk.reason)
            );
        }
        *h += "</ul>\n";
    }
}

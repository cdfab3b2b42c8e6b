//! A self-contained HTML report for people: summary and completeness first, then findings by
//! severity with their evidence, then warnings, errors and the evidence files with their SHA-256.
//! No script and no external resource, so it opens the same on an air-gapped machine.

use std::fmt::Write as _;

use html_escape::encode_text as esc;
use serde_json::Value;

use super::Report;

const STYLE: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#1b1f24}\
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #d0d7de;padding:.35em .5em;\
text-align:left;vertical-align:top}th{background:#f6f8fa}code{font-size:12px}\
.sev{font-weight:600;text-transform:uppercase}.critical{color:#8b0000}.high{color:#cf222e}\
.medium{color:#9a6700}.low{color:#0969da}.info{color:#57606a}\
.banner{padding:.6em 1em;border-radius:6px;margin:1em 0}.ok{background:#dafbe1}.incomplete{background:#ffebe9}";

/// The report as one HTML page.
pub fn document(report: &Report) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>snapaudit report</title>\
         <style>{STYLE}</style></head><body>\n<h1>snapaudit report</h1>\n"
    );
    summary(&mut h, report);
    findings(&mut h, report);
    suppressed(&mut h, report);
    diagnostics(&mut h, report);
    files(&mut h, report);
    let _ = writeln!(
        h,
        "<footer><p>Produced by {}.</p></footer>",
        esc(&report.tool.to_string())
    );
    h += "</body></html>\n";
    h
}

/// The completeness banner and the counts.
fn summary(h: &mut String, report: &Report) {
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
}

/// The findings table, each finding with its evidence records.
fn findings(h: &mut String, report: &Report) {
    *h += "<h2>Findings</h2>\n<table><tr><th>severity</th><th>rule</th><th>account / region</th>\
          <th>resource</th><th>finding and evidence</th></tr>\n";
    for f in &report.findings {
        let evidence: String = f
            .evidence
            .iter()
            .map(|e| {
                format!(
                    "<li>{} <code>{}</code> document {} <code>{}</code> <small>sha256 {}</small></li>",
                    esc(e["role"].as_str().unwrap_or_default()),
                    esc(e["file"].as_str().unwrap_or_default()),
                    e["document"],
                    esc(e["pointer"].as_str().unwrap_or_default()),
                    esc(e["sha256"].as_str().unwrap_or_default()),
                )
            })
            .collect();
        let _ = writeln!(
            h,
            "<tr><td class=\"sev {sev}\">{sev}</td><td>{rule}<br><small>{title}</small></td>\
             <td>{account}<br>{region}</td><td><code>{resource}</code><br><small>{rtype}</small></td>\
             <td>{message}<details><summary>evidence</summary><ul>{evidence}</ul></details></td></tr>",
            sev = f.severity.as_str(),
            rule = esc(&f.rule_id),
            title = esc(&f.title),
            account = esc(f.account.as_deref().unwrap_or("")),
            region = esc(f.region.as_deref().unwrap_or("")),
            resource = esc(&f.resource_id),
            rtype = esc(&f.resource_type),
            message = esc(&f.message),
        );
    }
    *h += "</table>\n";
}

/// The findings waivers suppress, with each waiver's owner, expiry and reason.
fn suppressed(h: &mut String, report: &Report) {
    if report.suppressed.is_empty() {
        return;
    }
    *h += "<h2>Suppressed by waivers</h2>\n<p>Accepted exceptions: reported, not counted as \
          failures.</p>\n<table><tr><th>rule</th><th>resource</th><th>owner</th><th>expires</th>\
          <th>reason</th><th>finding</th></tr>\n";
    for s in &report.suppressed {
        let w = &s.waiver.waiver;
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&s.finding.rule_id),
            esc(&s.finding.resource_id),
            esc(&w.owner),
            w.expires,
            esc(&w.reason),
            esc(&s.finding.message),
        );
    }
    *h += "</table>\n";
}

/// Errors and warnings, each as a list when there are any.
fn diagnostics(h: &mut String, report: &Report) {
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

/// The evidence files with their SHA-256, then the skipped files with the reason.
fn files(h: &mut String, report: &Report) {
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

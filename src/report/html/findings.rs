//! The findings table: one row per finding (open, suppressed and indeterminate), each carrying the values the
//! page's script filters on, with a link to the drawn path of the interface it is about.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use html_escape::{encode_double_quoted_attribute as attr, encode_text as esc};

use super::super::Report;
use super::super::coverage::scope_label;
use super::paths::PathIndex;
use super::sections::severity_rank;

/// The sortable columns, in order.
const COLUMNS: [&str; 6] = [
    "severity",
    "rule",
    "account / region",
    "resource",
    "status",
    "finding and evidence",
];

/// The filter form (hidden until the script shows it) and the findings table.
pub fn table(h: &mut String, report: &Report, paths: &PathIndex) {
    let rows: Vec<_> = report.all_findings().collect();
    let mut severities: Vec<&str> = rows.iter().map(|(f, _)| f.severity.as_str()).collect();
    severities.sort_by_key(|s| severity_rank(s));
    severities.dedup();
    let distinct = |get: &dyn Fn(usize) -> String| -> Vec<String> {
        let set: BTreeSet<String> = (0..rows.len()).map(get).collect();
        set.into_iter().collect()
    };
    let rules = distinct(&|i| rows[i].0.rule_id.to_string());
    let accounts = distinct(&|i| rows[i].0.account.as_deref().unwrap_or_default().to_string());
    let statuses = distinct(&|i| rows[i].0.status.as_str().to_string());
    *h += "<h2>Findings</h2>\n<form id=\"filters\" hidden>\
          <input name=\"q\" type=\"search\" placeholder=\"filter text\" aria-label=\"filter text\">";
    let severities: Vec<String> = severities.into_iter().map(String::from).collect();
    for (name, values) in [
        ("severity", &severities),
        ("rule", &rules),
        ("account", &accounts),
        ("status", &statuses),
    ] {
        select(h, name, values);
    }
    *h += "<output id=\"shown\"></output></form>\n<table id=\"findings\"><thead><tr>";
    for (i, name) in COLUMNS.iter().enumerate() {
        let _ = write!(
            h,
            "<th><button type=\"button\" data-column=\"{i}\">{name}</button></th>"
        );
    }
    *h += "</tr></thead><tbody>\n";
    for (f, _) in rows {
        let evidence: String = f
            .evidence
            .iter()
            .map(|e| {
                format!(
                    "<li>{} <code>{}</code> document {} <code>{}</code> <small>sha256 {}</small></li>",
                    esc(&e.role),
                    esc(&e.file),
                    e.document,
                    esc(&e.pointer),
                    esc(&e.sha256),
                )
            })
            .collect();
        let account = f.account.as_deref().unwrap_or_default();
        let path_link = paths
            .anchor(f)
            .map(|id| format!(" <a href=\"#{}\">path</a>", attr(&id)))
            .unwrap_or_default();
        let _ = writeln!(
            h,
            "<tr data-severity=\"{sev}\" data-rule=\"{rule_attr}\" data-account=\"{account_attr}\" \
             data-status=\"{status}\"><td class=\"sev {sev}\" data-sort=\"{rank}\">{sev}</td>\
             <td>{rule}<br><small>{title}</small></td><td>{scope}</td>\
             <td><code>{resource}</code><br><small>{rtype}</small>{path_link}</td><td>{status}</td>\
             <td>{message}<details><summary>evidence</summary><ul>{evidence}</ul></details></td></tr>",
            sev = f.severity.as_str(),
            rank = severity_rank(f.severity.as_str()),
            rule_attr = attr(&f.rule_id),
            account_attr = attr(account),
            status = f.status.as_str(),
            rule = esc(&f.rule_id),
            title = esc(&f.title),
            scope = esc(&scope_label(&f.account, &f.region)),
            resource = esc(&f.resource_id),
            rtype = esc(&f.resource_type),
            message = esc(&f.message),
        );
    }
    *h += "</tbody></table>\n";
}

/// A `<select>` of `values` under `name`, its first option (any value) empty.
fn select(h: &mut String, name: &str, values: &[String]) {
    let _ = write!(
        h,
        "<label>{name} <select name=\"{name}\"><option value=\"\">all</option>"
    );
    for v in values {
        let _ = write!(h, "<option>{}</option>", esc(v));
    }
    *h += "</select></label>";
}

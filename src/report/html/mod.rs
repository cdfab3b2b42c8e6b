//! A self-contained HTML work paper for people: summary by severity, account and rule; a
//! findings table that filters and sorts; the hop-by-hop internet path of each interface a
//! finding is about, drawn as SVG; suppressed findings; coverage; the evidence appendix with
//! hashes. One page, no network: a strict Content-Security-Policy admits only the page's own
//! style and script, by hash. Without JavaScript every row is shown.

mod findings;
mod paths;
mod sections;

use std::fmt::Write as _;

use anyhow::Result;
use base64::Engine as _;
use html_escape::{encode_double_quoted_attribute as attr, encode_text as esc};
use sha2::{Digest, Sha256};

use super::Report;
use crate::tables::Tables;

/// The page's style sheet, inlined.
const STYLE: &str = include_str!("style.css");
/// The page's script (filters and sorting), inlined.
const SCRIPT: &str = include_str!("app.js");

/// The report as one HTML page; `tables` are those of its evidence (for the paths), none when
/// the evidence is not read (`merge`), which the page then says.
pub fn document(report: &Report, tables: Option<&Tables>) -> Result<String> {
    let paths = match tables {
        Some(tables) => paths::PathIndex::new(tables, report)?,
        None => paths::PathIndex::not_read(report),
    };
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\
         <meta name=\"viewport\" content=\"width=device-width\">\
         <title>snapaudit report</title><style>{STYLE}</style></head><body>\n\
         <h1>snapaudit report</h1>\n",
        attr(&content_security_policy())
    );
    sections::summary(&mut h, report);
    findings::table(&mut h, report, &paths);
    paths.figures(&mut h);
    sections::suppressed(&mut h, report);
    sections::coverage(&mut h, report);
    sections::diagnostics(&mut h, report);
    sections::files(&mut h, report);
    let _ = writeln!(
        h,
        "<footer><p>Produced by {}.</p></footer>\n<script>{SCRIPT}</script>",
        esc(&report.tool.to_string())
    );
    h += "</body></html>\n";
    Ok(h)
}

/// Nothing may be loaded or sent; only the inline style and script, named by their SHA-256.
fn content_security_policy() -> String {
    format!(
        "default-src 'none'; style-src '{}'; script-src '{}'; base-uri 'none'; form-action 'none'",
        csp_hash(STYLE),
        csp_hash(SCRIPT)
    )
}

/// `sha256-BASE64` of an inline element's text, as a CSP source expression.
fn csp_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    format!(
        "sha256-{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

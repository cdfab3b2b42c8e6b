//! Rules: one TOML file per rule (metadata plus a jq query over one table), compiled once,
//! run over every row of that table. The built-in pack is `queries/`, embedded at build time.

pub mod author;
pub mod budget;
pub mod check;
pub mod finding;
pub mod fix;
pub mod jq;
pub mod row_val;
pub mod rows;
pub mod run;
pub mod sandbox;
pub mod status;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::evidence::Diagnostic;
pub use finding::{Details, EvidenceRecord, Finding, sort_findings};
pub use run::{Evaluation, evaluate, run};
pub use status::{Passed, RowTally, Status};

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Exploitable exposure of an administrative or data port to the whole internet.
    Critical,
    /// Direct exposure.
    High,
    /// Exposure that needs another weakness to matter.
    Medium,
    /// Hygiene.
    Low,
    /// Information only.
    Info,
}

impl Severity {
    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Info => "info",
        }
    }
}

impl std::str::FromStr for Severity {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> Result<Self> {
        Severity::deserialize(serde::de::value::StrDeserializer::<serde::de::value::Error>::new(s))
            .map_err(|_| anyhow!("unknown severity `{s}`; use critical, high, medium, low or info"))
    }
}

/// How the rows a rule's `[where]` leaves out end.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExcludedRows {
    /// The rule does not concern them.
    #[default]
    NotApplicable,
    /// They cannot fail the rule: they pass without running the query.
    Pass,
}

/// A rule file, as written.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RuleMeta {
    /// Rule id, e.g. `ECS.2` (Security Hub ids where one exists).
    pub id: String,
    /// One-line title.
    pub title: String,
    /// Default severity of its findings.
    pub severity: Severity,
    /// The table whose rows the query reads.
    pub table: String,
    /// The rows it can fire on: column → the values the row must hold (`[where]`; none: every
    /// row). Rows no rule of a table wants are never handed to jq.
    #[serde(default, rename = "where")]
    pub rows_where: BTreeMap<String, Vec<Value>>,
    /// How the rows `[where]` leaves out end: `not_applicable` (the default: the rule does not
    /// concern them) or `pass` (`[where]` only skips rows that cannot fail, to save work).
    #[serde(default)]
    pub excluded_rows: ExcludedRows,
    /// The row keys the query reads (`reads`; none: the whole row). The query is handed only
    /// these, so the columns it does not read are never converted; it must then read them by
    /// name (`.x`, `{x}`), never the row as a whole (`keys`, `to_entries`, `tojson`, `.` as a
    /// value). Every key the query's text or the library names is checked to be listed.
    #[serde(default, skip_serializing)]
    pub reads: Option<Vec<String>>,
    /// Keys of `reads` the query reads only on some rows (`[reads_where.KEY]`, a table like
    /// `[where]`: column → the values a row must hold for the key to be read). Other rows are
    /// handed without the key, so a costly one (a computed column) is built only for the rows
    /// whose evaluation reads it; the query must not read it on the others, where it is absent.
    #[serde(default, skip_serializing)]
    pub reads_where: BTreeMap<String, BTreeMap<String, Vec<Value>>>,
    /// The evidence kinds its findings rest on, as AWS CLI commands (`Kind::command`): without
    /// one of them in an export, a finding's absence proves nothing (`snapaudit diff`).
    #[serde(default)]
    pub requires: Vec<String>,
    /// Resource type of its findings (AWS Security Hub / CloudFormation style).
    pub resource_type: String,
    /// The row field holding the resource id.
    pub resource: String,
    /// The risk, for a person.
    pub description: String,
    /// How to fix it.
    pub remediation: String,
    /// Further reading.
    #[serde(default)]
    pub references: Vec<String>,
    /// Compliance mapping: framework → control ids.
    #[serde(default)]
    pub compliance: BTreeMap<String, Vec<String>>,
    /// Parameters, available to the query as `$params`.
    #[serde(default)]
    pub params: BTreeMap<String, Value>,
    /// The jq query: `.` is one row; it emits a message or an object with `message`.
    #[serde(skip_serializing)]
    pub query: toml::Spanned<String>,
    /// How to fix a finding, filled in from the evidence (`snapaudit remediate`).
    #[serde(default, skip_serializing)]
    pub fix: Option<fix::FixMeta>,
}

/// A compiled rule.
pub struct Rule {
    /// Its metadata.
    pub meta: RuleMeta,
    /// Where it was loaded from.
    pub path: String,
    filter: Arc<jq::Filter>,
    /// Its compiled fix, if it has one.
    fix: Option<Arc<jq::Filter>>,
}

impl Rule {
    /// The rule's parameters (`$params`).
    fn params_json(&self) -> Value {
        serde_json::to_value(&self.meta.params).unwrap_or(Value::Null)
    }

    /// The rule's compiled query and parameters, as the budgeted evaluation takes them.
    pub fn task(&self) -> sandbox::Task {
        sandbox::Task {
            filter: Arc::clone(&self.filter),
            globals: Arc::from([self.params_json()]),
            reads: self.meta.reads.as_ref().map(|keys| {
                let mut keys = keys.clone();
                keys.sort_unstable();
                keys.dedup();
                Arc::from(keys)
            }),
        }
    }
}

/// Reads and compiles one rule file (`path` names it, `text` is its TOML): its metadata, its
/// query and its fix; an error names the line and column. [`load`] adds the load-time checks.
pub fn compile_rule(path: &str, text: &str) -> Result<Rule> {
    let meta: RuleMeta = toml::from_str(text).map_err(|e| {
        let at = e.span().map(|s| jq::line_col(text, s.start));
        let (l, c) = at.unwrap_or((1, 1));
        anyhow!("line {l}, column {c}: {}", e.message())
    })?;
    let filter = jq::compile(meta.query.get_ref(), query_line(text, &meta.query))?;
    let fix = match &meta.fix {
        Some(f) => {
            let line = query_line(text, &f.query);
            let compiled = jq::compile_with(f.query.get_ref(), line, &jq::FIX_GLOBALS);
            Some(Arc::new(compiled.context("[fix] query")?))
        }
        None => None,
    };
    Ok(Rule {
        meta,
        path: path.to_string(),
        filter: Arc::new(filter),
        fix,
    })
}

/// The line of the rule file before a query's first line (a multi-line string starts on the
/// line after its opening quotes).
fn query_line(text: &str, query: &toml::Spanned<String>) -> usize {
    let span = query.span();
    let opening = &text[span.start..span.end.min(span.start + 4)];
    let (line, _) = jq::line_col(text, span.start);
    if opening.starts_with("'''\n") || opening.starts_with("\"\"\"\n") {
        line
    } else {
        line - 1
    }
}

/// The rule files of `--rules` folders, read once: loading the pack and naming it in reports
/// ([`crate::provenance::Tool::with_rules`]) both use this one reading.
#[derive(Debug, Default)]
pub struct RuleFiles {
    /// Whether any folder was given (the built-in pack alone otherwise).
    pub given: bool,
    /// (path, contents): each folder's `*.toml` files in name order, folders in the order given.
    pub sources: Vec<(String, String)>,
    /// A folder or file that could not be read, named.
    pub errors: Vec<Diagnostic>,
}

/// Reads the rule files of `extra_dirs` (see [`RuleFiles`]).
pub fn read_folders(extra_dirs: &[impl AsRef<Path>]) -> RuleFiles {
    let mut sources = Vec::new();
    let mut errors = Vec::new();
    for dir in extra_dirs {
        let dir = dir.as_ref();
        match std::fs::read_dir(dir) {
            Ok(entries) => {
                let mut paths: Vec<_> = entries
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                    .collect();
                paths.sort();
                for p in paths {
                    match std::fs::read_to_string(&p) {
                        Ok(t) => sources.push((p.display().to_string(), t)),
                        Err(e) => errors.push(Diagnostic::file(
                            &p.display().to_string(),
                            format!("cannot read rule: {e}"),
                        )),
                    }
                }
            }
            Err(e) => errors.push(Diagnostic::file(
                &dir.display().to_string(),
                format!("cannot read rules folder: {e}"),
            )),
        }
    }
    RuleFiles {
        given: !extra_dirs.is_empty(),
        sources,
        errors,
    }
}

/// The rule pack: built-in rules plus the `--rules` files, loaded one by one. A rule file that
/// cannot be read, compiled or checked (or repeats an id) is an error naming it; every other rule
/// is still returned.
pub fn load(extra: &RuleFiles) -> (Vec<Rule>, Vec<Diagnostic>) {
    let mut errors = extra.errors.clone();
    let sources: Vec<(String, String)> = BUILTIN_RULES
        .iter()
        .map(|(p, t)| (p.to_string(), t.to_string()))
        .chain(extra.sources.iter().cloned())
        .collect();
    let mut rules: Vec<Rule> = Vec::new();
    let schemas = match check::Schemas::of_tables() {
        Ok(schemas) => schemas,
        Err(e) => {
            let message = format!("cannot build the tables: {e:#}");
            errors.push(Diagnostic::file("queries", message));
            return (rules, errors);
        }
    };
    for (path, text) in &sources {
        let rule = match compile_rule(path, text) {
            Ok(rule) => rule,
            Err(e) => {
                errors.push(Diagnostic::file(path, e.to_string()));
                continue;
            }
        };
        let mut problems = check::problems(&rule, &schemas);
        if let Some(other) = rules.iter().find(|r| r.meta.id == rule.meta.id) {
            problems.push(format!(
                "rule id {} is already defined by {}; give it another id",
                rule.meta.id, other.path
            ));
        }
        if problems.is_empty() {
            rules.push(rule);
        }
        errors.extend(problems.into_iter().map(|p| Diagnostic::file(path, p)));
    }
    rules.sort_by(|a, b| a.meta.id.cmp(&b.meta.id));
    (rules, errors)
}

/// Narrows the pack to the `only` ids (every rule when empty) after applying the `params`
/// assignments (`RULE_ID.NAME=VALUE`); an unknown id or parameter is an error listing what exists.
pub fn configure(mut pack: Vec<Rule>, only: &[String], params: &[String]) -> Result<Vec<Rule>> {
    for assignment in params {
        set_param(&mut pack, assignment).with_context(|| format!("--param `{assignment}`"))?;
    }
    for id in only {
        position(&pack, id).with_context(|| format!("--rule {id}"))?;
    }
    if !only.is_empty() {
        pack.retain(|r| only.contains(&r.meta.id));
    }
    Ok(pack)
}

/// Where the rule `id` is in `rules`; an unknown id lists the known ones.
fn position(rules: &[Rule], id: &str) -> Result<usize> {
    rules.iter().position(|r| r.meta.id == id).ok_or_else(|| {
        let ids: Vec<&str> = rules.iter().map(|r| r.meta.id.as_str()).collect();
        anyhow!(
            "no rule has the id {id}; the rules are: {} (`snapaudit rules` lists them)",
            ids.join(", ")
        )
    })
}

/// Sets one rule parameter from `RULE_ID.NAME=VALUE` (VALUE read as JSON, else as a string).
/// Only parameters the rule declares can be set, so a misspelt name is an error, not a no-op.
fn set_param(rules: &mut [Rule], assignment: &str) -> Result<()> {
    let usage = || anyhow!("use RULE_ID.NAME=VALUE, e.g. EC2.18.authorized_tcp_ports=[80,443]");
    let (target, value) = assignment.split_once('=').ok_or_else(usage)?;
    let (id, name) = target.rsplit_once('.').ok_or_else(usage)?;
    let at = position(rules, id)?;
    let params = &mut rules[at].meta.params;
    if !params.contains_key(name) {
        let known: Vec<&str> = params.keys().map(String::as_str).collect();
        bail!(
            "rule {id} has no parameter `{name}` (it has: {})",
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        );
    }
    let parsed = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_string()));
    params.insert(name.to_string(), parsed);
    Ok(())
}

/// The evidence a rule needs, for the catalog: `` `ec2 describe-…`, `…` ``.
fn needs(meta: &RuleMeta) -> String {
    if meta.requires.is_empty() {
        return "no evidence kind declared".to_string();
    }
    let kinds: Vec<String> = meta.requires.iter().map(|k| format!("`{k}`")).collect();
    kinds.join(", ")
}

/// The rule catalog in Markdown, generated from the rules themselves.
pub fn catalog(rules: &[Rule]) -> String {
    let mut md = String::from(
        "# Rule catalog\n\nGenerated by `snapaudit rules --format markdown`; do not edit by hand.\n\n\
         | id | severity | table | title |\n|---|---|---|---|\n",
    );
    for r in rules {
        let m = &r.meta;
        md += &format!(
            "| [{}](#{}) | {} | `{}` | {} |\n",
            m.id,
            m.id.to_lowercase().replace('.', ""),
            m.severity.as_str(),
            m.table,
            m.title
        );
    }
    for r in rules {
        let m = &r.meta;
        md += &format!(
            "\n## {}\n\n**{}** — severity `{}`, reads table `{}`, reports `{}` resources (`{}`).\n\n\
             Needs: {}.\n\n### Risk\n\n{}\n\n### Remediation\n\n{}\n",
            m.id,
            m.title,
            m.severity.as_str(),
            m.table,
            m.resource_type,
            m.resource,
            needs(m),
            m.description.trim(),
            m.remediation.trim()
        );
        if !m.compliance.is_empty() {
            md += "\n### Compliance\n\n";
            for (framework, controls) in &m.compliance {
                md += &format!("- {framework}: {}\n", controls.join(", "));
            }
        }
        if !m.rows_where.is_empty() {
            md += "\n### Rows\n\n";
            for (column, values) in &m.rows_where {
                let values: Vec<String> = values.iter().map(ToString::to_string).collect();
                md += &format!("- `{column}` in {}\n", values.join(", "));
            }
            md += match m.excluded_rows {
                ExcludedRows::NotApplicable => "\nOther rows are not applicable.\n",
                ExcludedRows::Pass => "\nOther rows pass without running the query.\n",
            };
        }
        if !m.params.is_empty() {
            md += "\n### Parameters\n\n";
            for (k, v) in &m.params {
                md += &format!("- `{k}` = `{v}`\n");
            }
        }
        if !m.references.is_empty() {
            md += "\n### References\n\n";
            for link in &m.references {
                md += &format!("- <{link}>\n");
            }
        }
        md += &format!("\n### Query\n\n```jq\n{}\n```\n", m.query.get_ref().trim());
    }
    md += &format!(
        "\n## Library\n\nDefinitions every query can use, from `queries/lib.jq`:\n\n```jq\n{}\n```\n",
        jq::LIBRARY.trim()
    );
    md
}

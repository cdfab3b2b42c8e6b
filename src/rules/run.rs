//! Running the pack: every rule over every row of its table, in parallel, each evaluation ending
//! as a finding (`fail` or `indeterminate`), a pass, or not applicable.

use std::collections::BTreeMap;

use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use rayon::prelude::*;
use serde::Deserialize;
use serde_json::Value;

use super::budget::{self, Budget, Verdict};
use super::rows::RowFilter;
use super::status::{Passed, RowTally, Status};
use super::{ExcludedRows, Finding, Rule, Severity, jq};
use crate::evidence::Diagnostic;
use crate::tables::Tables;

/// What a query may emit as an object.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Emitted {
    message: String,
    resource_id: Option<String>,
    resource_type: Option<String>,
    severity: Option<Severity>,
    status: Option<Status>,
    details: Option<Value>,
}

/// The outcome of running the pack.
#[derive(Debug, Default)]
pub struct Evaluation {
    /// Findings with status `fail`, sorted.
    pub failed: Vec<Finding>,
    /// Findings with status `indeterminate`, sorted.
    pub indeterminate: Vec<Finding>,
    /// Resources that passed, sorted; only when asked for.
    pub passed: Option<Vec<Passed>>,
    /// Per rule id: rows examined, passed and not applicable.
    pub tallies: BTreeMap<String, RowTally>,
    /// Rules that could not run on a table or a row.
    pub errors: Vec<Diagnostic>,
}

/// The rules of one table and what they need per row.
struct TableRules<'a> {
    table: &'a str,
    rules: Vec<&'a Rule>,
    filters: Vec<RowFilter>,
    /// Each rule's compiled query and parameters, as the budgeted evaluation takes them.
    tasks: Vec<budget::Task>,
    /// What each rule has spent of the budget, and whether it was stopped.
    ledger: budget::Ledger,
    list_passed: bool,
}

/// What the rules of one table gave on some of its rows.
#[derive(Default)]
struct Outcomes {
    findings: Vec<Finding>,
    passed: Vec<Passed>,
    /// One per rule of the table, in its order (empty: nothing counted yet).
    tallies: Vec<RowTally>,
    errors: Vec<Diagnostic>,
}

impl Outcomes {
    /// An error on the whole row.
    fn failed(table: &str, e: anyhow::Error) -> Outcomes {
        Outcomes {
            errors: vec![Diagnostic::file(table, e.to_string())],
            ..Outcomes::default()
        }
    }

    /// Both outcomes together.
    fn merge(mut self, mut other: Outcomes) -> Outcomes {
        self.findings.append(&mut other.findings);
        self.passed.append(&mut other.passed);
        self.errors.append(&mut other.errors);
        if self.tallies.len() < other.tallies.len() {
            std::mem::swap(&mut self.tallies, &mut other.tallies);
        }
        for (mine, theirs) in self.tallies.iter_mut().zip(other.tallies) {
            *mine += theirs;
        }
        self
    }
}

/// Runs every rule over its table under the default budget; returns the sorted findings
/// (`fail` and `indeterminate` alike) and the run errors.
pub fn run(rules: &[Rule], tables: &Tables) -> (Vec<Finding>, Vec<Diagnostic>) {
    let evaluation = evaluate(rules, tables, false, Budget::default());
    let mut findings = evaluation.failed;
    findings.extend(evaluation.indeterminate);
    (findings, evaluation.errors)
}

/// Runs every rule over every row of its table, each evaluation under `budget` (a rule that
/// exceeds it is an error naming the rule and the row, and is stopped; the others still run):
/// the findings by status, the passing resources when `list_passed`, and each rule's tally.
pub fn evaluate(rules: &[Rule], tables: &Tables, list_passed: bool, budget: Budget) -> Evaluation {
    let mut evaluation = Evaluation::default();
    let mut by_table: BTreeMap<&str, Vec<&Rule>> = BTreeMap::new();
    for r in rules {
        by_table.entry(r.meta.table.as_str()).or_default().push(r);
    }
    let mut findings = Vec::new();
    let mut passed = Vec::new();
    for (table, rules) in by_table {
        let height = match tables.get(table) {
            Ok(df) => df.height(),
            Err(e) => {
                for r in rules {
                    let message = format!("rule {}: {e}", r.meta.id);
                    evaluation.errors.push(Diagnostic::file(&r.path, message));
                }
                continue;
            }
        };
        let filters = rules
            .iter()
            .map(|r| RowFilter::new(&r.meta.rows_where))
            .collect();
        let tasks = rules.iter().map(|r| r.task()).collect();
        let of_table = TableRules {
            table,
            ledger: budget::Ledger::new(budget, rules.len()),
            rules,
            filters,
            tasks,
            list_passed,
        };
        let progress = crate::progress::Progress::new("rules", height);
        let outcomes = (0..height)
            .into_par_iter()
            .map(|i| {
                progress.advance(1);
                rules_on_row(tables, &of_table, i)
            })
            .reduce(Outcomes::default, Outcomes::merge);
        findings.extend(outcomes.findings);
        passed.extend(outcomes.passed);
        evaluation.errors.extend(outcomes.errors);
        for (k, rule) in of_table.rules.iter().enumerate() {
            let tally = outcomes.tallies.get(k).copied().unwrap_or_default();
            evaluation.tallies.insert(rule.meta.id.clone(), tally);
        }
    }
    super::sort_findings(&mut findings);
    findings.dedup();
    (evaluation.indeterminate, evaluation.failed) = findings
        .into_iter()
        .partition(|f| f.status == Status::Indeterminate);
    passed.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    evaluation.passed = list_passed.then_some(passed);
    evaluation.errors.sort();
    evaluation
}

/// Runs every rule of the table that wants row `i` on it; the row is converted for jq only when
/// one does. Each rule's tally counts the row once.
fn rules_on_row(tables: &Tables, of_table: &TableRules, i: usize) -> Outcomes {
    let table = of_table.table;
    let df = match tables.get(table) {
        Ok(df) => df,
        Err(e) => return Outcomes::failed(table, e),
    };
    let mut outcomes = Outcomes {
        tallies: vec![RowTally::default(); of_table.rules.len()],
        ..Outcomes::default()
    };
    let mut wanted = Vec::new();
    let mut passing = Vec::new();
    for (k, filter) in of_table.filters.iter().enumerate() {
        outcomes.tallies[k].examined = 1;
        match (filter.wants(df, i), of_table.rules[k].meta.excluded_rows) {
            (Ok(true), _) => wanted.push(k),
            (Ok(false), ExcludedRows::NotApplicable) => outcomes.tallies[k].not_applicable = 1,
            (Ok(false), ExcludedRows::Pass) => {
                outcomes.tallies[k].passed = 1;
                passing.push(k);
            }
            (Err(e), _) => return Outcomes::failed(table, e),
        }
    }
    let list_passing = of_table.list_passed && !passing.is_empty();
    if wanted.is_empty() && !list_passing {
        return outcomes;
    }
    let row = match tables.row(table, i) {
        Ok(row) => Arc::new(row),
        Err(e) => return Outcomes::failed(table, e),
    };
    if list_passing {
        let rules = passing.iter().map(|&k| of_table.rules[k]);
        outcomes
            .passed
            .extend(rules.filter_map(|rule| passing_resource(rule, &row)));
    }
    if wanted.is_empty() {
        return outcomes;
    }
    let verdicts = of_table.ledger.run_row(&row, &of_table.tasks, &wanted);
    for (k, verdict) in wanted.into_iter().zip(verdicts) {
        let rule = of_table.rules[k];
        let found = match verdict {
            Verdict::Ran(Ok(outputs)) => findings_of(rule, &row, outputs),
            Verdict::Ran(Err(e)) | Verdict::Stopped(e) => Err(anyhow!(e)),
            Verdict::Skipped => continue,
        };
        let found = match found {
            Ok(found) => found,
            Err(e) => {
                let resource = row.get(&rule.meta.resource).unwrap_or(&Value::Null);
                let message = format!(
                    "rule {} failed on {table} row {resource} ({}): {e:#}",
                    rule.meta.id,
                    row_pointer(&row)
                );
                outcomes.errors.push(Diagnostic::file(&rule.path, message));
                continue;
            }
        };
        match found.iter().map(|f| f.status).min().unwrap_or(Status::Pass) {
            Status::Pass => {
                outcomes.tallies[k].passed = 1;
                if of_table.list_passed {
                    outcomes.passed.extend(passing_resource(rule, &row));
                }
            }
            Status::NotApplicable => outcomes.tallies[k].not_applicable = 1,
            _ => {}
        }
        let findings = found
            .into_iter()
            .filter(|f| f.status != Status::NotApplicable);
        outcomes.findings.extend(findings);
    }
    outcomes
}

/// Where a row's first evidence record is (`FILE:DOCUMENT:POINTER`), to name the row in errors.
fn row_pointer(row: &Value) -> String {
    match row.get("evidence").and_then(|e| e.get(0)) {
        Some(record) => format!(
            "{}:{}:{}",
            record.get("file").and_then(Value::as_str).unwrap_or("?"),
            record.get("document").unwrap_or(&Value::Null),
            record.get("pointer").and_then(Value::as_str).unwrap_or("?"),
        ),
        None => "no evidence record".to_string(),
    }
}

/// A row's text field.
fn text(row: &Value, key: &str) -> Option<String> {
    row.get(key).and_then(Value::as_str).map(String::from)
}

/// The passing resource of `row` (none when the row does not name it).
fn passing_resource(rule: &Rule, row: &Value) -> Option<Passed> {
    let evidence = row.get("evidence").and_then(Value::as_array);
    let own = evidence.and_then(|records| {
        let record = records.iter().find(|e| e["role"] == "record");
        record.or(records.first()).cloned()
    });
    Some(Passed {
        rule_id: rule.meta.id.clone(),
        status: Status::Pass,
        account: text(row, "account"),
        region: text(row, "region"),
        resource_type: rule.meta.resource_type.clone(),
        resource_id: text(row, &rule.meta.resource)?,
        evidence: own.unwrap_or(Value::Null),
    })
}

/// The findings one rule emits for one row, each with its status (`fail` unless the query says
/// `indeterminate` or `not_applicable`).
pub(crate) fn rule_on_row(
    rule: &Rule,
    row: &Value,
    input: jaq_json::Val,
    params: &jaq_json::Val,
) -> Result<Vec<Finding>> {
    let outputs = jq::run(&rule.filter, input, std::slice::from_ref(params))?;
    let outputs = outputs
        .iter()
        .map(jq::from_val)
        .collect::<Result<Vec<_>>>()?;
    findings_of(rule, row, outputs)
}

/// The findings of what `rule`'s query emitted on `row`.
fn findings_of(rule: &Rule, row: &Value, outputs: Vec<Value>) -> Result<Vec<Finding>> {
    outputs
        .into_iter()
        .map(|out| {
            let emitted = match out {
                Value::String(message) => Emitted {
                    message,
                    resource_id: None,
                    resource_type: None,
                    severity: None,
                    status: None,
                    details: None,
                },
                v @ Value::Object(_) => serde_json::from_value(v)
                    .context("the query must emit a string or an object with `message`")?,
                other => {
                    bail!("the query emitted {other}; emit a string or an object with `message`")
                }
            };
            let resource_id = match emitted
                .resource_id
                .or_else(|| text(row, &rule.meta.resource))
            {
                Some(id) => id,
                None => bail!("row has no `{}` to name the resource", rule.meta.resource),
            };
            Ok(Finding {
                rule_id: rule.meta.id.clone(),
                severity: emitted.severity.unwrap_or(rule.meta.severity),
                status: emitted.status.unwrap_or_default().emitted()?,
                title: rule.meta.title.clone(),
                account: text(row, "account"),
                region: text(row, "region"),
                resource_type: emitted
                    .resource_type
                    .unwrap_or_else(|| rule.meta.resource_type.clone()),
                resource_id,
                message: emitted.message,
                evidence: row
                    .get("evidence")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default(),
                details: emitted.details,
            })
        })
        .collect()
}

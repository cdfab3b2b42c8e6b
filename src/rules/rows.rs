//! Which rows a rule can fire on: its optional `[where]` table names scalar columns and the
//! values a row must hold in each (`reachable = ["yes", "indeterminate"]`). Rows no rule of a
//! table wants are never converted for jq, which is most of the work on large tables such as
//! `eni_exposure`. A rule without `[where]` sees every row. [`RulesOnRows`] runs a table's
//! rules on one row, under the run's budget.

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::{Result, anyhow};
use polars::prelude::*;
use serde_json::Value;

use super::{Finding, Rule, budget, findings_of};
use crate::evidence::Diagnostic;
use crate::tables::{Tables, any_to_json};

/// A rule's row filter: every named column must hold one of its listed values.
#[derive(Debug, Clone, Default)]
pub struct RowFilter(Vec<(String, Vec<Value>)>);

impl RowFilter {
    /// The filter of a rule's `[where]` table (empty: every row).
    pub fn new(conditions: &BTreeMap<String, Vec<Value>>) -> RowFilter {
        RowFilter(
            conditions
                .iter()
                .map(|(c, v)| (c.clone(), v.clone()))
                .collect(),
        )
    }

    /// Whether row `i` of `df` passes.
    pub fn wants(&self, df: &DataFrame, i: usize) -> Result<bool> {
        for (column, allowed) in &self.0 {
            let value = any_to_json(df.column(column)?.get(i)?);
            if !allowed.contains(&value) {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// The rules of one table, ready to run on its rows.
pub(super) struct RulesOnRows<'a> {
    pub(super) tables: &'a Tables,
    pub(super) table: &'a str,
    pub(super) rules: &'a [&'a Rule],
    pub(super) filters: &'a [RowFilter],
    pub(super) tasks: &'a [budget::Task],
    pub(super) ledger: &'a budget::Ledger,
}

impl RulesOnRows<'_> {
    /// Runs every rule that wants row `i` on it; the row is read only when one does.
    pub(super) fn row(&self, i: usize) -> (Vec<Finding>, Vec<Diagnostic>) {
        let table = self.table;
        let fail = |e: anyhow::Error| (Vec::new(), vec![Diagnostic::file(table, e.to_string())]);
        let df = match self.tables.get(table) {
            Ok(df) => df,
            Err(e) => return fail(e),
        };
        let mut wanted = Vec::new();
        for (k, filter) in self.filters.iter().enumerate() {
            match filter.wants(df, i) {
                Ok(true) => wanted.push(k),
                Ok(false) => {}
                Err(e) => return fail(e),
            }
        }
        if wanted.is_empty() {
            return (Vec::new(), Vec::new());
        }
        let row = match self.tables.row(table, i) {
            Ok(row) => Arc::new(row),
            Err(e) => return fail(e),
        };
        let verdicts = self.ledger.run_row(&row, self.tasks, &wanted);
        let mut found = Vec::new();
        let mut errs = Vec::new();
        for (k, verdict) in wanted.into_iter().zip(verdicts) {
            let rule = self.rules[k];
            let outcome = match verdict {
                budget::Verdict::Ran(Ok(outputs)) => findings_of(rule, &row, outputs),
                budget::Verdict::Ran(Err(e)) | budget::Verdict::Stopped(e) => Err(anyhow!(e)),
                budget::Verdict::Skipped => continue,
            };
            match outcome {
                Ok(mut f) => found.append(&mut f),
                Err(e) => errs.push(Diagnostic::file(
                    &rule.path,
                    format!(
                        "rule {} failed on {table} row {} ({}): {e:#}",
                        rule.meta.id,
                        row.get(&rule.meta.resource).unwrap_or(&Value::Null),
                        row_pointer(&row),
                    ),
                )),
            }
        }
        (found, errs)
    }
}

/// Where a row's first evidence record is (`FILE:DOCUMENT:POINTER`), to name the row in errors.
fn row_pointer(row: &Value) -> String {
    let first = row.get("evidence").and_then(|e| e.get(0));
    match first {
        Some(record) => format!(
            "{}:{}:{}",
            record.get("file").and_then(Value::as_str).unwrap_or("?"),
            record.get("document").unwrap_or(&Value::Null),
            record.get("pointer").and_then(Value::as_str).unwrap_or("?"),
        ),
        None => "no evidence record".to_string(),
    }
}

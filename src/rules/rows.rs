//! Which rows a rule can fire on: its optional `[where]` table names scalar columns and the
//! values a row must hold in each (`reachable = ["yes", "indeterminate"]`). Rows no rule of a
//! table wants are never converted for jq, which is most of the work on large tables such as
//! `eni_exposure`. A rule without `[where]` sees every row.

use std::collections::BTreeMap;

use anyhow::Result;
use serde_json::Value;

use crate::tables::Tables;

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

    /// Whether row `i` of `table` passes (its columns stored or computed alike).
    pub fn wants(&self, tables: &Tables, table: &str, i: usize) -> Result<bool> {
        for (column, allowed) in &self.0 {
            let value = tables.value(table, i, column)?;
            if !allowed.contains(&value) {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

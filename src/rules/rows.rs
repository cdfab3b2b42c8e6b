//! Which rows a rule can fire on: its optional `[where]` table names scalar columns and the
//! values a row must hold in each (`reachable = ["yes", "indeterminate"]`). Rows no rule of a
//! table wants are never converted for jq, which is most of the work on large tables such as
//! `eni_exposure`. A rule without `[where]` sees every row.

use std::collections::BTreeMap;

use anyhow::Result;
use polars::prelude::*;
use serde_json::Value;

use crate::tables::any_to_json;

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

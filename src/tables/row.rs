//! A table's row as rules and exports see it, read straight from the columns: `*_ref` columns
//! become one `evidence` array of `{document, file, pointer, role, sha256}`, a `X_json` column
//! (a string holding JSON) appears as `X`. The row is read into [`Cell`]s, plain data that any
//! thread can take, and each reader builds its own value from them: a JSON value
//! ([`RowCells::into_json`]), or a jq value on the rule sandbox without a JSON value between.
//! A row can be read whole or only the keys a rule reads, so columns no rule reads are never
//! converted.

use std::collections::BTreeMap;

use anyhow::{Result, anyhow};
use polars::prelude::*;
use serde_json::{Map, Value};

use super::computed::{Slot, slots};
use super::{EvidenceRef, Tables};

/// One value of a row, as its column holds it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// No value.
    Null,
    /// A boolean.
    Bool(bool),
    /// A signed integer.
    Int(i64),
    /// An unsigned integer.
    UInt(u64),
    /// A finite float (a column's NaN or infinity is [`Cell::Null`], as in JSON).
    Float(f64),
    /// A string.
    Text(String),
    /// A list.
    Array(Vec<Cell>),
    /// An object, its keys in name order.
    Object(Vec<(String, Cell)>),
    /// The JSON text of a `X_json` column, parsed by the reader.
    Json(String),
}

/// A row: its keys in name order, each with its value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RowCells(pub Vec<(String, Cell)>);

/// The key a column becomes in a row: `X` for `X_json`, `evidence` for every `*_ref`, else
/// its name.
pub fn row_key(column: &str) -> &str {
    if column.ends_with("_ref") {
        "evidence"
    } else {
        column.strip_suffix("_json").unwrap_or(column)
    }
}

impl Tables {
    /// Row `i` of `table` as cells: every key, or only those of `keys` (row keys, as
    /// [`row_key`] names them). Converting one row at a time keeps memory flat however large
    /// the table.
    pub fn row_cells(&self, table: &str, i: usize, keys: Option<&[String]>) -> Result<RowCells> {
        let df = self.get(table)?;
        let wanted = |key: &str| keys.is_none_or(|keys| keys.iter().any(|k| k == key));
        let mut row = BTreeMap::new();
        let mut evidence = Vec::new();
        let with_evidence = wanted("evidence");
        for slot in slots(df, self.computed_columns(table)) {
            let name = slot.name();
            let key = row_key(name);
            if !wanted(key) {
                continue;
            }
            let cell = match &slot {
                Slot::Stored(c) => any_to_cell(c.get(i)?),
                Slot::Computed(c) => c.cell(self, i)?,
            };
            if let Some(role) = name.strip_suffix("_ref") {
                if let Cell::Text(reference) = cell {
                    evidence.push(self.evidence_cell(role, &reference)?);
                }
            } else if name.ends_with("_json") {
                let cell = match cell {
                    Cell::Text(text) => Cell::Json(text),
                    other => other,
                };
                row.insert(key.to_string(), cell);
            } else {
                row.insert(key.to_string(), cell);
            }
        }
        if with_evidence {
            row.insert("evidence".to_string(), Cell::Array(evidence));
        }
        Ok(RowCells(row.into_iter().collect()))
    }

    /// A `FILE:DOCUMENT:POINTER` reference as the evidence record it names.
    fn evidence_cell(&self, role: &str, reference: &str) -> Result<Cell> {
        let (file, document, pointer) = self.locate(reference)?;
        Ok(EvidenceRef::new(role, file, document, pointer).into())
    }
}

impl From<EvidenceRef<'_>> for Cell {
    /// The evidence entry as an object cell, its keys in name order as its JSON has them.
    fn from(r: EvidenceRef<'_>) -> Cell {
        let text = |s: &str| Cell::Text(s.to_string());
        Cell::Object(vec![
            ("document".to_string(), Cell::UInt(r.document.into())),
            ("file".to_string(), text(r.file)),
            ("pointer".to_string(), text(r.pointer)),
            ("role".to_string(), text(r.role)),
            ("sha256".to_string(), text(r.sha256)),
        ])
    }
}

impl RowCells {
    /// The row as a JSON object (`table` names it in the error of a `X_json` column that does
    /// not hold JSON).
    pub fn into_json(self, table: &str) -> Result<Value> {
        let mut row = Map::new();
        for (key, cell) in self.0 {
            let value = cell
                .into_json()
                .map_err(|e| anyhow!("table {table}: column {key}_json holds invalid JSON: {e}"))?;
            row.insert(key, value);
        }
        Ok(Value::Object(row))
    }
}

impl Cell {
    /// The cell as JSON; the text of a [`Cell::Json`] parsed.
    pub fn into_json(self) -> serde_json::Result<Value> {
        Ok(match self {
            Cell::Null => Value::Null,
            Cell::Bool(b) => Value::Bool(b),
            Cell::Int(n) => Value::from(n),
            Cell::UInt(n) => Value::from(n),
            Cell::Float(x) => Value::from(x),
            Cell::Text(s) => Value::String(s),
            Cell::Array(items) => Value::Array(
                (items.into_iter())
                    .map(Cell::into_json)
                    .collect::<serde_json::Result<_>>()?,
            ),
            Cell::Object(entries) => Value::Object(
                (entries.into_iter())
                    .map(|(k, v)| Ok((k, v.into_json()?)))
                    .collect::<serde_json::Result<_>>()?,
            ),
            Cell::Json(text) => serde_json::from_str(&text)?,
        })
    }
}

/// A polars value as a cell (strings, numbers, booleans, lists; anything else as its text),
/// the value [`super::any_to_json`] gives.
pub fn any_to_cell(v: AnyValue) -> Cell {
    match v {
        AnyValue::Null => Cell::Null,
        AnyValue::Boolean(b) => Cell::Bool(b),
        AnyValue::String(s) => Cell::Text(s.to_string()),
        AnyValue::StringOwned(s) => Cell::Text(s.to_string()),
        AnyValue::Int64(n) => Cell::Int(n),
        AnyValue::Int32(n) => Cell::Int(n.into()),
        AnyValue::UInt32(n) => Cell::UInt(n.into()),
        AnyValue::UInt64(n) => Cell::UInt(n),
        AnyValue::Float64(x) if x.is_finite() => Cell::Float(x),
        AnyValue::Float64(_) => Cell::Null,
        AnyValue::List(s) => Cell::Array(s.iter().map(any_to_cell).collect()),
        other => Cell::Text(other.to_string()),
    }
}

//! Computed columns: a view's columns whose values are written per row when a consumer asks for
//! them, never held for every row at once (`eni_exposure`'s `hops_json` is more text per row
//! than the evidence it comes from). A view declares them in `VIEWS` ([`Computed`]: a name,
//! the stored column it follows, and how to write one row's value); the [`Tables`] methods here
//! give them as if stored, so a table's columns as users see them do not depend on which are
//! computed:
//!
//! - [`Tables::row_cells`] (and so [`Tables::row`]) and [`Tables::computed`]: one row's value,
//!   written only when the row's reader wants its key;
//! - [`Tables::columns`]: a table's columns, in order, with their types;
//! - [`Tables::frame_of`]: a frame of some rows with every column filled, for whole-table
//!   consumers that take the table a chunk of rows at a time.
//!
//! Computed columns hold text (`String`), never null.

use anyhow::{Result, bail};
use polars::prelude::*;
use rayon::prelude::*;

use super::Tables;

/// A column of a view computed per row on demand.
pub struct Computed {
    /// The column's name.
    pub name: &'static str,
    /// The stored column it follows in the table's columns (the end when that is missing).
    pub after: &'static str,
    /// Writes the value of one row (by index) into the buffer, which it clears first.
    pub write: fn(&Tables, usize, &mut String) -> Result<()>,
}

/// A column of a table as users see it: stored in the frame, or computed.
pub enum Slot<'a> {
    /// Held by the frame.
    Stored(&'a Column),
    /// Written per row when asked for.
    Computed(&'a Computed),
}

impl Slot<'_> {
    /// The column's name.
    pub fn name(&self) -> &str {
        match self {
            Slot::Stored(c) => c.name().as_str(),
            Slot::Computed(c) => c.name,
        }
    }

    /// The column's type.
    pub fn dtype(&self) -> DataType {
        match self {
            Slot::Stored(c) => c.dtype().clone(),
            Slot::Computed(_) => DataType::String,
        }
    }
}

/// The columns of a table in order: the frame's, each computed one after the column it names.
pub fn slots<'a>(df: &'a DataFrame, computed: &'a [Computed]) -> Vec<Slot<'a>> {
    let mut slots = Vec::with_capacity(df.width() + computed.len());
    for c in df.columns() {
        slots.push(Slot::Stored(c));
        let after = computed.iter().filter(|k| k.after == c.name().as_str());
        slots.extend(after.map(Slot::Computed));
    }
    let placed = |k: &Computed| df.column(k.after).is_ok();
    slots.extend(computed.iter().filter(|k| !placed(k)).map(Slot::Computed));
    slots
}

impl Tables {
    /// The computed columns of a table (none for a stored table).
    pub fn computed_columns(&self, table: &str) -> &'static [Computed] {
        super::VIEWS
            .iter()
            .find(|v| v.name == table)
            .map_or(&[], |v| v.computed)
    }

    /// The value of computed column `column` at row `row` of `table`.
    pub fn computed(&self, table: &str, row: usize, column: &str) -> Result<String> {
        let Some(computed) = (self.computed_columns(table).iter()).find(|c| c.name == column)
        else {
            bail!("table {table} has no computed column {column}");
        };
        let mut text = String::new();
        (computed.write)(self, row, &mut text)?;
        Ok(text)
    }

    /// The columns of a table as users see them, in order, with their types: the stored ones
    /// and the computed ones in their places.
    pub fn columns(&self, table: &str) -> Result<Vec<(String, DataType)>> {
        let slots = slots(self.get(table)?, self.computed_columns(table));
        Ok(slots
            .iter()
            .map(|s| (s.name().to_string(), s.dtype()))
            .collect())
    }

    /// The frame of rows `rows` of `table` with every column, computed ones written (in
    /// parallel): what the table would be if it stored them, a chunk of rows at a time.
    pub fn frame_of(&self, table: &str, rows: &[usize]) -> Result<DataFrame> {
        let df = self.get(table)?;
        let index = IdxCa::from_vec("rows".into(), rows.iter().map(|&r| r as IdxSize).collect());
        let columns = slots(df, self.computed_columns(table))
            .into_iter()
            .map(|slot| match slot {
                Slot::Stored(c) => Ok(c.take(&index)?),
                Slot::Computed(c) => self.computed_values(c, rows),
            })
            .collect::<Result<Vec<Column>>>()?;
        Ok(DataFrame::new(rows.len(), columns)?)
    }

    /// The values of `column` at `rows`, written in parallel.
    fn computed_values(&self, column: &Computed, rows: &[usize]) -> Result<Column> {
        let values = (rows.par_iter())
            .map(|&row| {
                let mut text = String::new();
                (column.write)(self, row, &mut text)?;
                Ok(text)
            })
            .collect::<Result<Vec<String>>>()?;
        Ok(Column::new(column.name.into(), values))
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use serde_json::Value;

    use crate::evidence;
    use crate::reach::Query;
    use crate::report::path::hops_json;
    use crate::tables::Tables;

    /// `eni_exposure`'s `hops_json`, computed, reads as a stored column would: in its place
    /// among the columns, in a frame of any rows, and in a row as `hops`, equal to the hops
    /// `reach` writes for the interface from its own evaluation.
    #[test]
    fn computed_columns_read_as_stored_ones() {
        let mut evidence = evidence::scan(&[PathBuf::from("snapshots/demo")]);
        let tables = Tables::build(&mut evidence).unwrap();
        let columns: Vec<String> = (tables.columns("eni_exposure").unwrap().into_iter())
            .map(|(name, _)| name)
            .collect();
        let at = |name: &str| columns.iter().position(|c| c == name).unwrap();
        assert_eq!(at("hops_json"), at("blocking_detail") + 1);
        let height = tables.get("eni_exposure").unwrap().height();
        assert!(height > 1);
        let rows: Vec<usize> = (0..height).rev().collect();
        let frame = tables.frame_of("eni_exposure", &rows).unwrap();
        let names: Vec<&str> = frame
            .get_column_names()
            .iter()
            .map(|n| n.as_str())
            .collect();
        assert_eq!(names, columns);
        let (hops, ids) = (
            frame.column("hops_json").unwrap(),
            frame.column("network_interface_id").unwrap(),
        );
        for (k, &i) in rows.iter().enumerate() {
            let eni = &tables.network().enis[i];
            assert_eq!(ids.str().unwrap().get(k), Some(eni.id.as_str()));
            let eval = tables.network().evaluate(eni, &Query::default());
            let expected = hops_json(&tables, &eval.hops(eni.primary_version(), eni)).unwrap();
            let text = tables.computed("eni_exposure", i, "hops_json").unwrap();
            assert_eq!(hops.str().unwrap().get(k), Some(text.as_str()));
            assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), expected);
            assert_eq!(tables.row("eni_exposure", i).unwrap()["hops"], expected);
        }
        assert!(tables.computed("eni_exposure", 0, "owner").is_err());
    }
}

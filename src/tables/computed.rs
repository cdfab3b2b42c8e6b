//! Computed columns: a view's columns whose values are written per row when a consumer asks for
//! them, never held for every row at once (`eni_exposure`'s `hops_json` is more text per row
//! than the evidence it comes from, and every stored string column costs a 16-byte view per
//! row). A view declares them in `VIEWS` ([`Computed`]: a name,
//! the stored column it follows, and how to write one row's value); the [`Tables`] methods here
//! give them as if stored, so a table's columns as users see them do not depend on which are
//! computed:
//!
//! - [`Tables::row_cells`] (and so [`Tables::row`]) and [`Tables::computed`]: one row's value,
//!   written only when the row's reader wants its key;
//! - [`Tables::value`]: one cell as JSON, stored or computed, for a rule's row filters;
//! - [`Tables::columns`]: a table's columns, in order, with their types;
//! - [`Tables::frame_of`], [`Tables::columns_of`], [`Tables::every_row_of`]: a frame of some rows
//!   (or all) with every column or some filled, for whole-table consumers and joins.
//!
//! A computed column holds text never null, text or null, or a list of texts ([`Write`]).

use std::borrow::Cow;

use anyhow::{Result, bail};
use polars::prelude::*;
use rayon::prelude::*;
use serde_json::Value;

use super::row::Cell;
use super::{Tables, any_to_json};

/// A column of a view computed per row on demand.
pub struct Computed {
    /// The column's name.
    pub name: &'static str,
    /// The stored column it follows in the table's columns (the end when that is missing; the
    /// start when empty).
    pub after: &'static str,
    /// How one row's value is written.
    pub write: Write,
}

/// How a computed column writes the value of one row (by index).
pub enum Write {
    /// Text, never null, written into the buffer (which it clears first).
    Text(fn(&Tables, usize, &mut String) -> Result<()>),
    /// Text borrowed from what the tables hold, or null.
    Str(for<'a> fn(&'a Tables, usize) -> Result<Option<&'a str>>),
    /// A list of texts.
    List(for<'a> fn(&'a Tables, usize) -> Result<Vec<Cow<'a, str>>>),
}

impl Computed {
    /// The column's type.
    pub fn dtype(&self) -> DataType {
        match self.write {
            Write::Text(_) | Write::Str(_) => DataType::String,
            Write::List(_) => DataType::List(Box::new(DataType::String)),
        }
    }

    /// The value of row `row`, as a row's cell.
    pub fn cell(&self, tables: &Tables, row: usize) -> Result<Cell> {
        Ok(match self.write {
            Write::Text(write) => {
                let mut text = String::new();
                write(tables, row, &mut text)?;
                Cell::Text(text)
            }
            Write::Str(read) => read(tables, row)?.map_or(Cell::Null, |t| Cell::Text(t.into())),
            Write::List(read) => Cell::Array(
                (read(tables, row)?.into_iter())
                    .map(|t| Cell::Text(t.into_owned()))
                    .collect(),
            ),
        })
    }

    /// The values of `rows`, as a column (text written in parallel).
    fn values(&self, tables: &Tables, rows: &[usize]) -> Result<Column> {
        let name = self.name.into();
        Ok(match self.write {
            Write::Text(write) => {
                let values = (rows.par_iter())
                    .map(|&row| {
                        let mut text = String::new();
                        write(tables, row, &mut text)?;
                        Ok(text)
                    })
                    .collect::<Result<Vec<String>>>()?;
                Column::new(name, values)
            }
            Write::Str(read) => {
                let values = (rows.iter().map(|&row| read(tables, row)))
                    .collect::<Result<Vec<Option<&str>>>>()?;
                Column::new(name, values)
            }
            Write::List(read) => {
                let mut list = ListStringChunkedBuilder::new(name, rows.len(), rows.len());
                for &row in rows {
                    let texts = read(tables, row)?;
                    list.append_values_iter(texts.iter().map(|t| t.as_ref()));
                }
                list.finish().into_series().into_column()
            }
        })
    }
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
            Slot::Computed(c) => c.dtype(),
        }
    }
}

/// The columns of a table in order: the computed ones that come first, then the frame's, each
/// computed one after the column it names.
pub fn slots<'a>(df: &'a DataFrame, computed: &'a [Computed]) -> Vec<Slot<'a>> {
    let mut slots = Vec::with_capacity(df.width() + computed.len());
    let after = |name: &str| -> Vec<Slot<'a>> {
        let after = computed.iter().filter(|k| k.after == name);
        after.map(Slot::Computed).collect()
    };
    slots.extend(after(""));
    for c in df.columns() {
        slots.push(Slot::Stored(c));
        slots.extend(after(c.name().as_str()));
    }
    let placed = |k: &Computed| k.after.is_empty() || df.column(k.after).is_ok();
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
    pub fn computed(&self, table: &str, row: usize, column: &str) -> Result<Cell> {
        let Some(computed) = (self.computed_columns(table).iter()).find(|c| c.name == column)
        else {
            bail!("table {table} has no computed column {column}");
        };
        computed.cell(self, row)
    }

    /// The value of column `column` (stored or computed) at row `row` of `table`, as JSON: what
    /// a rule's `[where]` compares.
    pub fn value(&self, table: &str, row: usize, column: &str) -> Result<Value> {
        if let Ok(stored) = self.get(table)?.column(column) {
            return Ok(any_to_json(stored.get(row)?));
        }
        match (self.computed_columns(table).iter()).find(|c| c.name == column) {
            Some(computed) => Ok(computed.cell(self, row)?.into_json()?),
            None => bail!("table {table} has no column {column}"),
        }
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
        self.columns_of(table, rows, None)
    }

    /// Every row of `table`, with the columns `names` (stored or computed), in the table's order.
    pub fn every_row_of(&self, table: &str, names: &[&str]) -> Result<DataFrame> {
        let all: Vec<usize> = (0..self.get(table)?.height()).collect();
        self.columns_of(table, &all, Some(names))
    }

    /// The frame of rows `rows` of `table` with the columns `names` (all when `None`), in the
    /// table's order.
    pub fn columns_of(
        &self,
        table: &str,
        rows: &[usize],
        names: Option<&[&str]>,
    ) -> Result<DataFrame> {
        let df = self.get(table)?;
        let index = IdxCa::from_vec("rows".into(), rows.iter().map(|&r| r as IdxSize).collect());
        let wanted = |slot: &Slot| names.is_none_or(|names| names.contains(&slot.name()));
        let columns = (slots(df, self.computed_columns(table)).into_iter())
            .filter(wanted)
            .map(|slot| match slot {
                Slot::Stored(c) => Ok(c.take(&index)?),
                Slot::Computed(c) => c.values(self, rows),
            })
            .collect::<Result<Vec<Column>>>()?;
        Ok(DataFrame::new(rows.len(), columns)?)
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use polars::prelude::DataType;
    use serde_json::{Value, json};

    use crate::evidence;
    use crate::reach::Query;
    use crate::report::path::hops_json;
    use crate::rules::rows::RowFilter;
    use crate::tables::Tables;
    use crate::tables::row::Cell;

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
            let Cell::Text(text) = tables.computed("eni_exposure", i, "hops_json").unwrap() else {
                panic!("hops_json is text");
            };
            assert_eq!(hops.str().unwrap().get(k), Some(text.as_str()));
            assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), expected);
            assert_eq!(tables.row("eni_exposure", i).unwrap()["hops"], expected);
        }
        assert!(tables.computed("eni_exposure", 0, "reachable").is_err());
    }

    /// `eni_exposure`'s columns written from the interface (nullable text, lists) read in a
    /// row, in a frame of any rows and through a `[where]` filter as the interface says: a
    /// computed column that wrote another interface's value, a null as text, or a list as
    /// text fails this.
    #[test]
    fn interface_columns_read_as_the_interface_says() {
        for set in ["snapshots/demo", "snapshots/SA.NET.1"] {
            let mut evidence = evidence::scan(&[PathBuf::from(set)]);
            let tables = Tables::build(&mut evidence).unwrap();
            let types: Vec<(String, DataType)> = tables.columns("eni_exposure").unwrap();
            let list = DataType::List(Box::new(DataType::String));
            assert!(types.contains(&("public_ips".into(), list)), "{types:?}");
            let height = tables.get("eni_exposure").unwrap().height();
            let rows: Vec<usize> = (0..height).rev().collect();
            let frame = tables.frame_of("eni_exposure", &rows).unwrap();
            let instances =
                RowFilter::new(&[("owner_type".into(), vec![json!("ec2_instance")])].into());
            let mut kinds = (0, 0);
            for (k, &i) in rows.iter().enumerate() {
                let eni = &tables.network().enis[i];
                let texts = |ips: &[std::net::IpAddr]| {
                    json!(ips.iter().map(ToString::to_string).collect::<Vec<_>>())
                };
                let expected = json!({
                    "region": eni.region(),
                    "vpc_id": eni.vpc_id(),
                    "subnet_id": eni.subnet_id(),
                    "owner_type": eni.owner.kind.as_str(),
                    "owner_id": eni.owner.id.as_deref(),
                    "service_name": eni.owner.service_name.as_deref(),
                    "service_arn": eni.owner.service_arn.as_deref(),
                    "owner": eni.owner.describe(),
                    "public_ips": texts(&eni.public_ips),
                    "ipv6_addresses": texts(&eni.ipv6),
                    "security_groups": eni.groups.iter().map(|g| g.as_str()).collect::<Vec<_>>(),
                    "path_version": eni.primary_version().as_str(),
                });
                let row = tables.row("eni_exposure", i).unwrap();
                for (column, value) in expected.as_object().unwrap() {
                    assert_eq!(&row[column], value, "{set} row {i} {column}");
                    let stored =
                        crate::tables::any_to_json(frame.column(column).unwrap().get(k).unwrap());
                    assert_eq!(&stored, value, "{set} row {i} {column} in a frame");
                    assert_eq!(&tables.value("eni_exposure", i, column).unwrap(), value);
                }
                let instance = eni.owner.kind.as_str() == "ec2_instance";
                assert_eq!(
                    instances.wants(&tables, "eni_exposure", i).unwrap(),
                    instance
                );
                if instance { kinds.0 += 1 } else { kinds.1 += 1 }
            }
            assert!(kinds.0 > 0 && kinds.1 > 0, "{set}: {kinds:?}");
        }
    }
}

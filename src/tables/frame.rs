//! A small builder that turns a slice of records into a polars DataFrame, one column per closure,
//! borrowing strings from the records (polars copies them once into its buffers).

use std::collections::HashMap;

use anyhow::Result;
use polars::prelude::*;

use crate::evidence::Record;

/// Builds a DataFrame over `rows`, one column at a time.
pub struct FrameBuilder<'r, T> {
    rows: &'r [T],
    columns: Vec<Part>,
}

/// A column of the frame being built.
enum Part {
    /// A finished column.
    Ready(Column),
    /// A string column as its distinct values and each row's index among them (null for a
    /// null value), gathered when the frame is built.
    Gather(StringChunked, IdxCa),
}

impl Part {
    /// The finished column. Gathering string views copies the views, never the text they
    /// point to, so rows with one value share its text. A column whose every row holds a value
    /// of its own (an id) is its distinct values, in row order: nothing to gather.
    fn column(self) -> Result<Column> {
        Ok(match self {
            Part::Ready(column) => column,
            Part::Gather(distinct, rows) if distinct.len() == rows.len() => distinct.into_column(),
            Part::Gather(distinct, rows) => distinct.take(&rows)?.into_column(),
        })
    }
}

impl<'r, T> FrameBuilder<'r, T> {
    /// Starts a frame with one row per element of `rows`.
    pub fn new(rows: &'r [T]) -> Self {
        FrameBuilder {
            rows,
            columns: Vec::new(),
        }
    }

    /// A nullable string column. Each distinct value is stored once and every row holding it
    /// points to that copy: ARNs, ids and statuses repeat from row to row, and a copy per row
    /// would be most of a large table's memory.
    /// A row holding the previous row's value takes its index without hashing it again (rows
    /// come a file at a time, so accounts, regions and clusters repeat in runs). The index
    /// grows with the distinct values: sized for a row each at once, it saved a tenth of this
    /// method's instructions but held 25 MB more at the 1 M interface file's peak.
    pub fn str(mut self, name: &str, f: impl Fn(&'r T) -> Option<&'r str>) -> Self {
        let mut index: HashMap<&str, IdxSize, foldhash::fast::RandomState> = HashMap::default();
        let mut distinct: Vec<&str> = Vec::new();
        let mut previous: Option<(&str, IdxSize)> = None;
        let rows: IdxCa = (self.rows.iter())
            .map(|row| {
                let value = f(row)?;
                if let Some((last, at)) = previous
                    && last == value
                {
                    return Some(at);
                }
                let at = *index.entry(value).or_insert_with(|| {
                    distinct.push(value);
                    (distinct.len() - 1) as IdxSize
                });
                previous = Some((value, at));
                Some(at)
            })
            .collect();
        let distinct = StringChunked::from_slice(name.into(), &distinct);
        self.columns.push(Part::Gather(distinct, rows));
        self
    }

    /// A nullable string column of computed (owned) values, each copied into the column as it
    /// is made and dropped, so no row's text is held twice.
    pub fn string(mut self, name: &str, f: impl Fn(&'r T) -> Option<String>) -> Self {
        let mut column = StringChunkedBuilder::new(name.into(), self.rows.len());
        for row in self.rows {
            column.append_option(f(row));
        }
        self.columns
            .push(Part::Ready(column.finish().into_column()));
        self
    }

    /// A nullable boolean column.
    pub fn bool(mut self, name: &str, f: impl Fn(&'r T) -> Option<bool>) -> Self {
        let values: Vec<Option<bool>> = self.rows.iter().map(f).collect();
        self.columns
            .push(Part::Ready(Column::new(name.into(), values)));
        self
    }

    /// A nullable integer column.
    pub fn int(mut self, name: &str, f: impl Fn(&'r T) -> Option<i64>) -> Self {
        let values: Vec<Option<i64>> = self.rows.iter().map(f).collect();
        self.columns
            .push(Part::Ready(Column::new(name.into(), values)));
        self
    }

    /// A list-of-strings column.
    pub fn list<I>(mut self, name: &str, f: impl Fn(&'r T) -> I) -> Self
    where
        I: IntoIterator<Item = &'r str>,
    {
        let mut builder =
            ListStringChunkedBuilder::new(name.into(), self.rows.len(), self.rows.len() * 2);
        for row in self.rows {
            builder.append_values_iter(f(row).into_iter());
        }
        let column = builder.finish().into_series().into_column();
        self.columns.push(Part::Ready(column));
        self
    }

    /// A column built apart, of one value per row.
    pub fn column(mut self, column: Column) -> Self {
        self.columns.push(Part::Ready(column));
        self
    }

    /// The finished frame.
    pub fn build(self) -> Result<DataFrame> {
        let columns = self.columns.into_iter().map(Part::column);
        Ok(DataFrame::new(
            self.rows.len(),
            columns.collect::<Result<_>>()?,
        )?)
    }
}

/// The rows of a one-row-per-child table: each child of each record with its parent and its
/// index in the parent's list (for its JSON pointer).
pub fn children<'r, P, C>(
    parents: &'r [Record<P>],
    list: impl Fn(&'r P) -> &'r [C],
) -> Vec<(&'r Record<P>, usize, &'r C)> {
    parents
        .iter()
        .flat_map(|p| {
            list(&p.item)
                .iter()
                .enumerate()
                .map(move |(i, c)| (p, i, c))
        })
        .collect()
}

/// Each record by a key of its item, the first record of each key winning (as a search in
/// record order finds it): an index for lookups that would otherwise scan every record.
pub fn first_by<'r, T>(
    records: &'r [Record<T>],
    key: impl Fn(&'r T) -> Option<&'r str>,
) -> HashMap<&'r str, &'r Record<T>> {
    let mut found = HashMap::with_capacity(records.len());
    for r in records {
        if let Some(k) = key(&r.item) {
            found.entry(k).or_insert(r);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::{FrameBuilder, first_by};
    use crate::evidence::{Record, Source};

    /// Rows sharing a value read it back as their own, nulls stay in their rows, and values
    /// short enough to sit inline in a view are kept as well as long ones.
    #[test]
    fn string_columns_read_back_every_row() {
        let long = "arn:aws:ecs:eu-west-1:111122223333:cluster/prod";
        let rows = [
            Some(long),
            None,
            Some("short"),
            Some(long),
            None,
            Some("short"),
        ];
        let df = FrameBuilder::new(&rows).str("v", |r| *r).build().unwrap();
        let read: Vec<Option<&str>> = df.column("v").unwrap().str().unwrap().iter().collect();
        assert_eq!(read, rows);
    }

    /// A column of one distinct value per row (ids) reads back in row order, as does one whose
    /// rows repeat values or hold none.
    #[test]
    fn distinct_and_repeated_columns_read_back_in_row_order() {
        let ids = [Some("eni-3"), Some("eni-1"), Some("eni-2")];
        let repeated = [Some("eni-3"), None, Some("eni-2")];
        let df = FrameBuilder::new(&[0, 1, 2])
            .str("id", |i| ids[*i])
            .str("repeated", |i| repeated[*i])
            .build()
            .unwrap();
        let read = |c: &str| -> Vec<Option<String>> {
            let column = df.column(c).unwrap().str().unwrap();
            column.iter().map(|v| v.map(String::from)).collect()
        };
        let own = |v: &[Option<&str>]| -> Vec<Option<String>> {
            v.iter().map(|v| v.map(String::from)).collect()
        };
        assert_eq!(read("id"), own(&ids));
        assert_eq!(read("repeated"), own(&repeated));
    }

    /// An index finds what a search in record order finds: the first record of a key.
    #[test]
    fn first_by_keeps_the_first_record_of_each_key() {
        let record = |key: &'static str, at: &str| Record {
            item: key,
            source: Source::new(0, 0, at.into()),
        };
        let records = [record("a", "/0"), record("b", "/1"), record("a", "/2")];
        let index = first_by(&records, |k| Some(*k));
        assert_eq!(index.len(), 2);
        assert_eq!(index["a"].source.pointer, "/0");
        assert_eq!(index["b"].source.pointer, "/1");
    }
}

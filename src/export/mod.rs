//! `export`: the tables for spreadsheets, pandas and query engines. CSV holds a row per line
//! with lists and objects as JSON text; JSON Lines holds the rows `query` sees (nested values
//! native, `*_ref` columns expanded into `evidence`); Parquet keeps the frames' own types,
//! partitioned `account=…/region=…/` (Hive layout) so DuckDB, Spark, Athena or Trino read any
//! size. Rows keep the tables' order, which is deterministic.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use polars::prelude::*;
use polars_io::SerWriter;
use polars_io::csv::write::CsvWriter;
use polars_io::parquet::write::ParquetWriter;
use serde_json::Value;

use crate::tables::Tables;

/// Output formats of `export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// One row per line, a header first; lists and objects as JSON text.
    Csv,
    /// One JSON object per row; lists and objects native.
    Jsonl,
    /// Every table as Parquet under `DIR/TABLE/account=…/region=…/` (needs `--out DIR`).
    Parquet,
}

impl ExportFormat {
    /// The file extension of one table in this format.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Jsonl => "jsonl",
            ExportFormat::Parquet => "parquet",
        }
    }
}

/// Rows of a table written at a time: a view's computed columns ([`Tables::frame_of`]) are
/// held for this many rows, never for the whole table.
const EXPORT_ROWS: usize = 16384;

/// The columns of a table's rows as [`Tables::row`] builds them: `X_json` shown as `X`, the
/// `*_ref` columns gathered into `evidence`, last.
fn row_columns(tables: &Tables, name: &str) -> Result<Vec<String>> {
    let names = tables.columns(name)?.into_iter().map(|(column, _)| column);
    let shown = names.filter(|n| !n.ends_with("_ref"));
    let mut columns: Vec<String> = shown
        .map(|n| n.strip_suffix("_json").map_or(n.clone(), str::to_string))
        .collect();
    columns.push("evidence".into());
    Ok(columns)
}

/// One cell of CSV: text as it is, lists and objects as JSON text, null as an empty cell.
fn csv_cell(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// Table `name` as CSV: a header, then one line per row, [`EXPORT_ROWS`] rows at a time.
pub fn write_csv(tables: &Tables, name: &str, out: &mut dyn Write) -> Result<()> {
    let height = tables.get(name)?.height();
    let columns = row_columns(tables, name)?;
    // One pass even with no rows, for the header.
    for start in (0..height.max(1)).step_by(EXPORT_ROWS) {
        let rows = start..height.min(start + EXPORT_ROWS);
        let mut cells: Vec<Vec<Option<String>>> =
            vec![Vec::with_capacity(rows.len()); columns.len()];
        for i in rows.clone() {
            let row = tables.row(name, i)?;
            for (column, cells) in columns.iter().zip(&mut cells) {
                cells.push(csv_cell(&row[column.as_str()]));
            }
        }
        let series: Vec<Column> = (columns.iter().zip(cells))
            .map(|(name, cells)| Column::new(name.as_str().into(), cells))
            .collect();
        let mut text = DataFrame::new(rows.len(), series)?;
        let written = (CsvWriter::new(&mut *out).include_header(start == 0)).finish(&mut text);
        Context::with_context(written, || format!("writing table {name} as CSV"))?;
    }
    Ok(())
}

/// Table `name` as JSON Lines: the rows `query` sees, one per line.
pub fn write_jsonl(tables: &Tables, name: &str, out: &mut dyn Write) -> Result<()> {
    for i in 0..tables.get(name)?.height() {
        serde_json::to_writer(&mut *out, &tables.row(name, i)?)?;
        writeln!(out)?;
    }
    Ok(())
}

/// The Hive partition folder value: `__HIVE_DEFAULT_PARTITION__` for null, and `%XX` for a
/// byte that would change the path's meaning.
fn hive_value(value: Option<&str>) -> String {
    let Some(value) = value else {
        return "__HIVE_DEFAULT_PARTITION__".into();
    };
    let keep = |b: u8| b.is_ascii_alphanumeric() || b"-_.".contains(&b);
    value
        .bytes()
        .map(|b| {
            if keep(b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The `*_ref` columns (`FILE_INDEX:DOCUMENT:POINTER`) with the file's path in place of its
/// index, so the Parquet files cite evidence on their own.
fn cite_files(tables: &Tables, df: &DataFrame) -> Result<DataFrame> {
    let mut df = df.clone();
    let refs: Vec<String> = df
        .columns()
        .iter()
        .map(|c| c.name().to_string())
        .filter(|n| n.ends_with("_ref"))
        .collect();
    for name in refs {
        let cited: Vec<Option<String>> = df
            .column(&name)?
            .str()?
            .iter()
            .map(|r| r.map(|r| cite(tables, r)).transpose())
            .collect::<Result<_>>()?;
        df.with_column(Column::new(name.as_str().into(), cited))?;
    }
    Ok(df)
}

/// One reference with the file's path: `ecs/describe-services.json:0:/services/0`.
fn cite(tables: &Tables, reference: &str) -> Result<String> {
    let at = tables.resolve("record", reference)?;
    let text = |key: &str| at[key].as_str().unwrap_or_default().to_string();
    Ok(format!(
        "{}:{}:{}",
        text("file"),
        at["document"],
        text("pointer")
    ))
}

/// Table `name` as Parquet under `dir/name/account=…/region=…/part-0.parquet`, one file per
/// account and region, the partition columns in the folder names only (Hive layout), each
/// written [`EXPORT_ROWS`] rows at a time. A table with no rows writes no file. Returns the
/// files written.
pub fn write_parquet(tables: &Tables, name: &str, dir: &Path) -> Result<Vec<PathBuf>> {
    // The partition columns, stored or computed.
    let df = tables.every_row_of(name, &["account", "region"])?;
    let account = df.column("account")?.str()?;
    let region = df.column("region")?.str()?;
    let keys: Vec<(Option<&str>, Option<&str>)> = account.iter().zip(region.iter()).collect();
    let scopes: BTreeSet<&(Option<&str>, Option<&str>)> = keys.iter().collect();
    let mut written = Vec::new();
    for scope in scopes {
        let rows: Vec<usize> = (keys.iter().enumerate())
            .filter_map(|(i, k)| (k == scope).then_some(i))
            .collect();
        let folder = dir.join(name).join(format!(
            "account={}/region={}",
            hive_value(scope.0),
            hive_value(scope.1)
        ));
        std::fs::create_dir_all(&folder)
            .with_context(|| format!("creating {}", folder.display()))?;
        let path = folder.join("part-0.parquet");
        let file = File::create(&path).with_context(|| format!("creating {}", path.display()))?;
        let size = write_parts(tables, name, &rows, file);
        Context::with_context(size, || format!("writing {}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

/// Rows `rows` of table `name` (at least one) into one Parquet file, [`EXPORT_ROWS`] at a time,
/// with the files cited and without the partition columns.
fn write_parts(tables: &Tables, name: &str, rows: &[usize], file: File) -> Result<u64> {
    let part = |rows: &[usize]| -> Result<DataFrame> {
        let mut df = cite_files(tables, &tables.frame_of(name, rows)?)?;
        df = df.drop_many(["account", "region"]);
        df.rechunk_mut_par();
        Ok(df)
    };
    let mut chunks = rows.chunks(EXPORT_ROWS);
    let first = part(chunks.next().unwrap_or_default())?;
    let mut writer = ParquetWriter::new(file).batched(first.schema())?;
    writer.write_batch(&first)?;
    for chunk in chunks {
        writer.write_batch(&part(chunk)?)?;
    }
    Ok(writer.finish()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_values_are_path_safe() {
        assert_eq!(hive_value(Some("111122223333")), "111122223333");
        assert_eq!(hive_value(Some("eu-west-1")), "eu-west-1");
        assert_eq!(hive_value(Some("a/b=c")), "a%2Fb%3Dc");
        assert_eq!(hive_value(None), "__HIVE_DEFAULT_PARTITION__");
    }

    #[test]
    fn csv_cells_keep_text_and_write_nested_values_as_json() {
        assert_eq!(csv_cell(&Value::Null), None);
        assert_eq!(csv_cell(&serde_json::json!("a,b")), Some("a,b".into()));
        assert_eq!(
            csv_cell(&serde_json::json!(["sg-1", "sg-2"])),
            Some(r#"["sg-1","sg-2"]"#.into())
        );
        assert_eq!(csv_cell(&serde_json::json!(22)), Some("22".into()));
    }
}

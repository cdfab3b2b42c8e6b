//! `export`: one table, or every table, as CSV, JSON Lines or Parquet.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use snapaudit::export::{self, ExportFormat};
use snapaudit::tables::Tables;

use crate::{Outcome, load};

/// Arguments of `export`.
#[derive(clap::Args)]
pub struct ExportArgs {
    /// Evidence files or folders (read recursively).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// The table to write, or `all` (then `--out` is a folder: one file per table).
    #[arg(long)]
    pub table: String,
    /// Output format.
    #[arg(long, value_enum)]
    pub format: snapaudit::export::ExportFormat,
    /// The output file (a folder with `--table all` or `--format parquet`; default: stdout).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Writes the tables `--table` names (`all`: every one) in `--format`.
pub fn run(args: ExportArgs, out: &mut dyn Write) -> Result<Outcome> {
    let all = args.table == "all";
    let dir = match (&args.out, args.format) {
        (None, ExportFormat::Parquet) => bail!("--format parquet writes a folder: give --out DIR"),
        (None, _) if all => bail!("--table all writes one file per table: give --out DIR"),
        (dir, _) => dir.clone(),
    };
    let (evidence, tables) = load(&args.paths)?;
    let names = if all {
        tables.names()
    } else {
        tables.get(&args.table)?;
        vec![args.table.as_str()]
    };
    match dir {
        None => write_table(&tables, names[0], args.format, out)?,
        Some(dir) if args.format == ExportFormat::Parquet => {
            for name in names {
                export::write_parquet(&tables, name, &dir)?;
            }
        }
        Some(dir) if all => {
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            for name in names {
                let path = dir.join(format!("{name}.{}", args.format.extension()));
                write_file(&tables, name, args.format, &path)?;
            }
        }
        Some(file) => write_file(&tables, names[0], args.format, &file)?,
    }
    Ok(Outcome::of_evidence(evidence))
}

/// One table into the file at `path`.
fn write_file(tables: &Tables, name: &str, format: ExportFormat, path: &Path) -> Result<()> {
    let file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut file = BufWriter::new(file);
    write_table(tables, name, format, &mut file)?;
    file.flush()
        .with_context(|| format!("writing {}", path.display()))
}

/// One table as CSV or JSON Lines.
fn write_table(
    tables: &Tables,
    name: &str,
    format: ExportFormat,
    out: &mut dyn Write,
) -> Result<()> {
    match format {
        ExportFormat::Csv => export::write_csv(tables, name, out),
        ExportFormat::Jsonl => export::write_jsonl(tables, name, out),
        ExportFormat::Parquet => bail!("--format parquet writes a folder: give --out DIR"),
    }
}

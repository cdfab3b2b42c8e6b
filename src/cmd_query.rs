//! `query`: an ad-hoc jq filter over the rows of one table, under the budget a rule runs under
//! (`--rule-budget`), so that a filter that never ends or grows without bound is stopped and
//! named with its row instead of hanging or aborting the process.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Result, anyhow, bail};
use serde_json::Value;
use snapaudit::rules::budget::Budget;
use snapaudit::rules::jq;
use snapaudit::rules::run::row_pointer;
use snapaudit::rules::sandbox::{Ledger, Task, Verdict};

use crate::{Outcome, load};

/// Arguments of `query`.
#[derive(clap::Args)]
pub struct QueryArgs {
    /// Evidence files or folders, then the jq filter (`.` is one row).
    #[arg(required = true, value_name = "PATH... FILTER")]
    args: Vec<String>,
    /// The table to read.
    #[arg(long)]
    table: String,
    /// Limits on the filter, as in `scan --rule-budget` (`time` and `outputs` per row, `total`
    /// over all rows, `memory` per row).
    #[arg(long, value_name = "KEY=VALUE,...", default_value = "")]
    rule_budget: Budget,
}

/// The filter's outputs over every row of the table, one JSON value per line; a filter that
/// fails or goes over its budget stops the command with an error naming the row.
pub fn run(mut args: QueryArgs, out: &mut dyn Write) -> Result<Outcome> {
    let filter = args.args.pop().unwrap_or_default();
    if args.args.is_empty() {
        bail!("query needs evidence paths and a jq filter: query PATH... --table T 'FILTER'");
    }
    let paths: Vec<PathBuf> = args.args.into_iter().map(PathBuf::from).collect();
    jq::compile(&filter, 0).map_err(|e| anyhow!("filter: {e}"))?;
    // Each output is written as jq text where it is computed, so objects keep their key order.
    let as_text = jq::compile(&format!("{filter}\n| tojson"), 0)?;
    let task = Task {
        filter: Arc::new(as_text),
        globals: Arc::from([Value::Null]),
        reads: None,
    };
    let (evidence, tables) = load(&paths)?;
    let ledger = Ledger::new(args.rule_budget, vec![task]);
    for i in 0..tables.get(&args.table)?.height() {
        let row = Arc::new(tables.row(&args.table, i)?);
        let why = match ledger.run_one(Arc::clone(&row), 0, None) {
            Verdict::Ran(Ok(outputs)) => {
                for text in &outputs {
                    writeln!(out, "{}", text.as_str().unwrap_or_default())?;
                }
                continue;
            }
            Verdict::Ran(Err(why)) | Verdict::Stopped(why) => why,
            Verdict::Skipped => "it was stopped on an earlier row".to_string(),
        };
        let table = &args.table;
        bail!(
            "the filter failed on {table} row {i} ({}): {why}",
            row_pointer(&row)
        );
    }
    Ok(Outcome::of_evidence(evidence))
}

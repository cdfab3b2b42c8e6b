//! The `shards` and `merge` commands: split the evidence for a batch runner, then combine the
//! per-shard JSON reports into the one a single scan gives.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, ValueEnum};
use snapaudit::provenance::Tool;
use snapaudit::report::terminal::Terminal;
use snapaudit::report::{Format, merge};
use snapaudit::rules::{self, Severity};
use snapaudit::shard::{self, By};

use crate::{Outcome, write_json};

/// Arguments of `shards`.
#[derive(Args)]
#[command(after_help = crate::examples::SHARDS)]
pub struct ShardsArgs {
    /// Evidence files or folders; give the folder you will scan each shard from (`.`), so that
    /// the shards' reports name files as a single scan would.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Split by account, or by VPC owner (accounts in a shared VPC join its owner's shard).
    #[arg(long, value_enum, default_value_t = By::Account)]
    by: By,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ShardsFormat::Text)]
    format: ShardsFormat,
}

/// Output formats of `shards`.
#[derive(Clone, Copy, ValueEnum)]
enum ShardsFormat {
    /// Each shard and its files, shared files marked.
    Text,
    /// `[{"shard", "files", "shared"}]`.
    Json,
}

/// Arguments of `merge`.
#[derive(Args)]
#[command(after_help = crate::examples::MERGE)]
pub struct MergeArgs {
    /// The shards' `scan --format json` reports.
    #[arg(required = true)]
    reports: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    format: Format,
    /// The `--rules` folders the shards were scanned with (repeatable).
    #[arg(long = "rules")]
    rules: Vec<PathBuf>,
    /// The `--rule` ids the shards were scanned with (repeatable).
    #[arg(long = "rule")]
    only: Vec<String>,
    /// Exit with 1 when a failure is at or above this severity (indeterminate results never
    /// count).
    #[arg(long, default_value = "low")]
    fail_on: Severity,
    /// Exit with 1 when the evidence cannot settle some result (any indeterminate result), as
    /// `scan --fail-on-indeterminate`.
    #[arg(long)]
    fail_on_indeterminate: bool,
}

/// `shards`: the shards on stdout; shared VPCs and unreadable evidence on stderr (exit 2 when
/// some evidence could not be read).
pub fn shards(args: ShardsArgs, out: &mut dyn Write) -> Result<Outcome> {
    let plan = shard::plan(&args.paths, args.by)?;
    match args.format {
        ShardsFormat::Text => shard::write_text(out, &plan.shards)?,
        ShardsFormat::Json => write_json(out, &serde_json::to_value(&plan.shards)?)?,
    }
    let status = if plan.errors.is_empty() { 0 } else { 2 };
    Ok(Outcome {
        warnings: plan.warnings,
        errors: plan.errors,
        status,
    })
}

/// `merge`: the merged report on stdout; exit 2 when a shard had errors, 1 on findings.
pub fn merge(args: MergeArgs, term: &Terminal, out: &mut dyn Write) -> Result<Outcome> {
    let rule_files = rules::read_folders(&args.rules);
    let (pack, _) = rules::load(&rule_files);
    let pack = rules::configure(pack, &args.only, &[])?;
    let metas = pack.into_iter().map(|r| r.meta).collect();
    let report = merge::merge(&args.reports, Tool::with_rules(&rule_files), metas)?;
    // The shards' evidence is not read again: the HTML page says it draws no interface paths.
    report.write(args.format, None, out, term)?;
    let status = if !report.errors.is_empty() {
        2
    } else {
        u8::from(report.fails(args.fail_on, args.fail_on_indeterminate))
    };
    Ok(Outcome::status(status))
}

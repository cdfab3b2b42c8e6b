//! `collect-script`: prints the read-only bash script that exports what the rule pack reads.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use snapaudit::collect::{self, Options};
use snapaudit::provenance;

use crate::{Outcome, load_pack};

/// Arguments of `collect-script`.
#[derive(clap::Args)]
pub struct CollectArgs {
    /// Regions to export, comma-separated (default: the profile's configured region).
    #[arg(long, value_delimiter = ',')]
    pub regions: Vec<String>,
    /// The AWS CLI profile the script uses.
    #[arg(long)]
    pub profile: Option<String>,
    /// The folder the script writes to when not given one as its argument.
    #[arg(long, default_value = "snapaudit-evidence")]
    pub out: String,
    /// Hours of flow log records to fetch, back from when the script runs.
    #[arg(long, default_value_t = 24, value_parser = clap::value_parser!(u32).range(1..=2160))]
    pub flow_hours: u32,
    /// A folder of extra rule files whose evidence the script also exports (repeatable).
    #[arg(long = "rules")]
    pub rules: Vec<PathBuf>,
}

/// Prints the script for the built-in pack plus `--rules` folders.
pub fn run(args: CollectArgs, out: &mut dyn Write) -> Result<Outcome> {
    let (pack, _) = load_pack(&args.rules)?;
    let metas: Vec<_> = pack.into_iter().map(|r| r.meta).collect();
    let options = Options {
        regions: args.regions,
        profile: args.profile,
        out: args.out,
        version: provenance::VERSION.to_string(),
        flow_hours: args.flow_hours,
    };
    out.write_all(collect::script(&metas, &options)?.as_bytes())?;
    Ok(Outcome::status(0))
}

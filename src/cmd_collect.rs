//! `collect-script`: prints the read-only bash script that exports what the rule pack reads.

use std::io::Write;

use anyhow::Result;
use snapaudit::collect::{self, Options};
use snapaudit::provenance;

use crate::{CollectArgs, Outcome, load_pack};

/// Prints the script for the built-in pack plus `--rules` folders.
pub fn run(args: CollectArgs, out: &mut dyn Write) -> Result<Outcome> {
    let (pack, _) = load_pack(&args.rules)?;
    let metas: Vec<_> = pack.into_iter().map(|r| r.meta).collect();
    let options = Options {
        regions: args.regions,
        profile: args.profile,
        out: args.out,
        version: provenance::VERSION.to_string(),
    };
    out.write_all(collect::script(&metas, &options)?.as_bytes())?;
    Ok(Outcome::status(0))
}

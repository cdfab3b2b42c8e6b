//! `rules test`: each rule scanned alone over its fixture, its findings compared with the
//! fixture's `expected.json`; one line per rule, the differences under a failing one.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use serde_json::Value;

use super::expected::Expected;
use super::{fixture_dir, is_builtin, load_pack};
use crate::evidence;
use crate::rules::{self, Rule};
use crate::tables::Tables;

/// Arguments of `rules test`.
#[derive(Debug, clap::Args)]
pub struct TestArgs {
    /// Only these rule ids (default: the rules of the `--rules` folders, or the built-in pack
    /// when none is given).
    ids: Vec<String>,
    /// A folder of rule files, each `DIR/ID.toml` with its fixture in `DIR/fixtures/ID/`
    /// (repeatable).
    #[arg(long = "rules")]
    rules: Vec<PathBuf>,
}

/// Runs the selected rules on their fixtures; status 1 when any differs from its expectation.
pub fn test(args: &TestArgs, out: &mut dyn Write) -> Result<u8> {
    let pack = load_pack(&args.rules)?;
    let selected: Vec<&Rule> = if args.ids.is_empty() {
        let builtin = args.rules.is_empty();
        pack.iter().filter(|r| is_builtin(r) == builtin).collect()
    } else {
        if let Some(id) = args
            .ids
            .iter()
            .find(|id| !pack.iter().any(|r| r.meta.id == **id))
        {
            bail!("no rule has the id {id} (`snapaudit rules` lists them)");
        }
        pack.iter()
            .filter(|r| args.ids.contains(&r.meta.id))
            .collect()
    };
    if selected.is_empty() {
        bail!("the --rules folders hold no rule to test");
    }
    if args.rules.is_empty() && !Path::new("snapshots").is_dir() {
        bail!(
            "the built-in rules' fixtures are in snapshots/ of snapaudit's source tree: run \
             `rules test` from there, or test your own rules with --rules DIR"
        );
    }
    let mut failed = 0;
    for rule in &selected {
        let fixture = fixture_dir(rule);
        match check_rule(rule, &fixture) {
            Ok(problems) if problems.is_empty() => {
                writeln!(out, "ok      {:<12} {}", rule.meta.id, fixture.display())?;
            }
            Ok(problems) => {
                failed += 1;
                writeln!(out, "FAILED  {:<12} {}", rule.meta.id, fixture.display())?;
                for p in problems {
                    writeln!(out, "          {p}")?;
                }
            }
            Err(e) => {
                failed += 1;
                writeln!(out, "FAILED  {:<12} {e:#}", rule.meta.id)?;
            }
        }
    }
    writeln!(
        out,
        "\n{} rules tested: {} ok, {failed} failed",
        selected.len(),
        selected.len() - failed
    )?;
    Ok(u8::from(failed > 0))
}

/// What is wrong with `rule` on its fixture: evidence or rule errors, then each mismatch with
/// `expected.json`.
fn check_rule(rule: &Rule, fixture: &Path) -> Result<Vec<String>> {
    if !fixture.is_dir() {
        bail!(
            "no fixture at {}: add evidence and expected.json there",
            fixture.display()
        );
    }
    let expected = Expected::read(&fixture.join("expected.json"))?;
    let mut evidence = evidence::scan(&[fixture.to_path_buf()]);
    let tables = Tables::build(&mut evidence)?;
    let evaluation = rules::evaluate(
        std::slice::from_ref(rule),
        &tables,
        true,
        Default::default(),
    );
    let mut problems: Vec<String> = evidence
        .errors
        .iter()
        .chain(&evaluation.errors)
        .map(|e| format!("error: {e}"))
        .collect();
    let findings: Vec<Value> = evaluation
        .failed
        .iter()
        .chain(&evaluation.indeterminate)
        .map(serde_json::to_value)
        .collect::<Result<_, _>>()?;
    let passed: BTreeSet<String> = evaluation
        .passed
        .iter()
        .flatten()
        .map(|p| p.resource_id.clone())
        .collect();
    let mismatches = expected.compare(&findings, &passed);
    problems.extend(mismatches.iter().map(ToString::to_string));
    Ok(problems)
}

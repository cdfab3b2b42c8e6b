//! The rule author's loop: `rules show ID` (what a rule is and what it is tested on), `rules new
//! ID --table T` (a rule file and its fixture to start from, over any table) and `rules test` (each rule on its
//! fixture against the `expected.json` kept beside it).
//!
//! Fixtures: a built-in rule's is `snapshots/ID/` (run from this repository); a user rule
//! `DIR/ID.toml` has `DIR/fixtures/ID/`. A fixture folder holds evidence in the AWS CLI's JSON
//! shape and `expected.json` (see [`expected`]).

mod copied;
pub mod expected;
mod runner;
mod scaffold;

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Result;

use super::{BUILTIN_RULES, Rule};
use crate::evidence::Evidence;
use crate::tables::Tables;

/// The `rules` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// One rule in full: metadata, description, parameters, `requires`, `[where]`, fix, its
    /// table's columns and its fixtures.
    #[command(after_help = "Examples:\n  snapaudit rules show EC2.15\n  \
                            snapaudit rules show SA.ORG.1 --rules ./my-rules")]
    Show(ShowArgs),
    /// Scaffold a rule file and its fixture (a failing and a passing case) to start from.
    #[command(
        after_help = "Examples:\n  snapaudit rules new SA.ORG.1 --table subnets --dir ./my-rules\n  \
                            snapaudit rules test --rules ./my-rules"
    )]
    New(scaffold::NewArgs),
    /// Run each rule on its fixture and compare with its `expected.json`; exit 1 on a mismatch.
    #[command(
        after_help = "Examples:\n  snapaudit rules test                     # the built-in rules, in this repository\n  \
                            snapaudit rules test --rules ./my-rules  # your rules, on DIR/fixtures/ID/\n  \
                            snapaudit rules test --rules ./my-rules SA.ORG.1"
    )]
    Test(runner::TestArgs),
}

impl Action {
    /// Runs the subcommand; returns the exit status.
    pub fn run(self, out: &mut dyn Write) -> Result<u8> {
        match self {
            Action::Show(args) => show(&args, out).map(|()| 0),
            Action::New(args) => scaffold::new(&args, out).map(|()| 0),
            Action::Test(args) => runner::test(&args, out),
        }
    }
}

/// Arguments of `rules show`.
#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// The rule id.
    id: String,
    /// A folder of extra rule files (repeatable).
    #[arg(long = "rules")]
    rules: Vec<PathBuf>,
}

/// Whether a rule is one of the built-in pack.
fn is_builtin(rule: &Rule) -> bool {
    BUILTIN_RULES.iter().any(|(path, _)| *path == rule.path)
}

/// Where a rule's fixture is: `snapshots/ID/` for a built-in rule, `DIR/fixtures/ID/` for
/// `DIR/ID.toml`.
pub fn fixture_dir(rule: &Rule) -> PathBuf {
    let id = &rule.meta.id;
    if is_builtin(rule) {
        return Path::new("snapshots").join(id);
    }
    let dir = Path::new(&rule.path).parent().unwrap_or(Path::new("."));
    dir.join("fixtures").join(id)
}

/// The pack with the `--rules` folders; a rule file that cannot be used stops the command.
fn load_pack(folders: &[PathBuf]) -> Result<Vec<Rule>> {
    let files = super::read_folders(folders);
    let (pack, errors) = super::load(&files);
    if errors.is_empty() {
        return Ok(pack);
    }
    let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
    Err(anyhow::anyhow!(lines.join("\n")))
}

/// `rules show ID`.
fn show(args: &ShowArgs, out: &mut dyn Write) -> Result<()> {
    let pack = super::configure(load_pack(&args.rules)?, std::slice::from_ref(&args.id), &[])?;
    let rule = &pack[0];
    let m = &rule.meta;
    writeln!(out, "{}  {}", m.id, m.title)?;
    let fix = match &m.fix {
        Some(_) => "yes ([fix]: `snapaudit remediate` prints it)",
        None => "no",
    };
    let requires = if m.requires.is_empty() {
        "nothing declared".to_string()
    } else {
        m.requires.join(", ")
    };
    let fields = [
        ("file", rule.path.clone()),
        ("severity", m.severity.as_str().to_string()),
        ("table", m.table.clone()),
        ("resource", format!("{} ({})", m.resource, m.resource_type)),
        ("requires", requires),
        (
            "reads",
            m.reads
                .as_ref()
                .map_or("the whole row".into(), |k| k.join(", ")),
        ),
        ("fix", fix.to_string()),
    ];
    for (name, value) in fields {
        writeln!(out, "  {name:<10} {value}")?;
    }
    write_list(out, "Rows it reads ([where])", &m.rows_where, "every row")?;
    write_list(out, "Parameters (defaults)", &m.params, "none")?;
    for (heading, text) in [
        ("Description", &m.description),
        ("Remediation", &m.remediation),
    ] {
        writeln!(out, "\n{heading}\n  {}", text.trim().replace('\n', "\n  "))?;
    }
    let tables = Tables::build(&mut Evidence::default())?;
    writeln!(out, "\nColumns of table {}", m.table)?;
    for (column, dtype) in tables.columns(&m.table)? {
        writeln!(out, "  {column:<32} {dtype}")?;
    }
    write_fixture(out, &fixture_dir(rule))
}

/// A heading and `name = value` lines, or `none` when there are none.
fn write_list<V: serde::Serialize>(
    out: &mut dyn Write,
    heading: &str,
    entries: &std::collections::BTreeMap<String, V>,
    none: &str,
) -> Result<()> {
    writeln!(out, "\n{heading}")?;
    if entries.is_empty() {
        writeln!(out, "  {none}")?;
    }
    for (name, value) in entries {
        writeln!(out, "  {name} = {}", serde_json::to_string(value)?)?;
    }
    Ok(())
}

/// The fixture folder's files and what its `expected.json` lists.
fn write_fixture(out: &mut dyn Write, dir: &Path) -> Result<()> {
    writeln!(out, "\nFixture {}", dir.display())?;
    if !dir.is_dir() {
        writeln!(
            out,
            "  none: add evidence and expected.json there for `snapaudit rules test`"
        )?;
        return Ok(());
    }
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .map(|e| e.path().strip_prefix(dir).unwrap_or(e.path()).to_path_buf())
        .collect();
    files.sort();
    for f in &files {
        writeln!(out, "  {}", f.display())?;
    }
    match expected::Expected::read(&dir.join("expected.json")) {
        Ok(e) => writeln!(
            out,
            "  expects {} failing, {} passing, {} indeterminate",
            e.findings.len(),
            e.passing.len(),
            e.indeterminate.len()
        )?,
        Err(e) => writeln!(out, "  {e:#}")?,
    }
    Ok(())
}

//! `rules new ID --table T` for a table whose evidence is not synthesised: the fixture is a copy
//! of real evidence that yields rows of T (embedded at build time, so this works outside this
//! repository), and the query a template that fails exactly one of its resources.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use polars::prelude::DataType;
use serde_json::json;

use super::load_pack;
use super::scaffold::{RuleText, write_file};
use crate::evidence;
use crate::tables::Tables;

/// Evidence `rules new` can copy, embedded by `build.rs`.
struct Source {
    /// Its folder in snapaudit's source tree (`snapshots/ID`, `tests/fixtures/NAME`).
    folder: &'static str,
    /// The table of the built-in rule it is the fixture of; empty for the others.
    table: &'static str,
    /// Its files: the path relative to the folder, and the contents.
    files: &'static [(&'static str, &'static [u8])],
}

include!(concat!(env!("OUT_DIR"), "/scaffold_sources.rs"));

/// The demo, tried right after the fixture of a built-in rule over the table.
const DEMO: &str = "snapshots/demo";

/// What the rows of a table no built-in rule reads are about, where the column with the most
/// ids of one row names something else (a path's target, a listener's load balancer): the
/// table, its resource column and that resource's type.
const SUBJECTS: [(&str, &str, &str); 2] = [
    (
        "lb_exposure",
        "network_interface_id",
        "AwsEc2NetworkInterface",
    ),
    ("lb_listeners", "listener_arn", "Other"),
];

/// How a rule over a table names its resources: as the first built-in rule over it does, else
/// as [`SUBJECTS`] says, else by the table's `…_id` or `…_arn` column with the most ids of one
/// row in the evidence (then the most distinct ids).
struct Naming {
    /// The resource column, when a built-in rule names it.
    resource: Option<String>,
    resource_type: String,
    requires: Vec<String>,
}

/// The naming of rules over `table`.
fn naming(table: &str) -> Result<Naming> {
    let builtin = load_pack(&[])?;
    Ok(match builtin.iter().find(|r| r.meta.table == table) {
        Some(rule) => Naming {
            resource: Some(rule.meta.resource.clone()),
            resource_type: rule.meta.resource_type.clone(),
            requires: rule.meta.requires.clone(),
        },
        None => {
            let subject = SUBJECTS.iter().find(|(t, _, _)| *t == table);
            Naming {
                resource: subject.map(|(_, column, _)| column.to_string()),
                resource_type: subject.map_or("Other", |(_, _, kind)| kind).into(),
                requires: Vec::new(),
            }
        }
    })
}

/// The resources of one table in one evidence: the column naming them, and the number of rows
/// of each id, by id.
struct Resources {
    column: String,
    rows: BTreeMap<String, usize>,
}

/// The resources of `table` in the evidence under `fixture`, named as `naming` says.
fn resources(fixture: &Path, table: &str, naming: &Naming) -> Result<Option<Resources>> {
    let mut evidence = evidence::scan(&[fixture.to_path_buf()]);
    let tables = Tables::build(&mut evidence)?;
    let frame = tables.get(table)?;
    let columns: Vec<String> = match &naming.resource {
        Some(resource) => vec![resource.clone()],
        None => (frame.get_column_names().into_iter())
            .map(|name| name.to_string())
            .filter(|name| name.ends_with("_id") || name.ends_with("_arn"))
            .collect(),
    };
    let mut best: Option<Resources> = None;
    for column in columns {
        let values = frame.column(&column)?.cast(&DataType::String)?;
        let mut rows = BTreeMap::new();
        for id in values.str()?.iter().flatten() {
            *rows.entry(id.to_string()).or_insert(0) += 1;
        }
        let found = Resources { column, rows };
        if best.as_ref().is_none_or(|b| b.score() < found.score()) {
            best = Some(found);
        }
    }
    Ok(best)
}

/// Writes the rule file and its fixture for `table` (`columns`: the rule file's comment listing
/// the table's columns): copies the first embedded evidence with two resources of `table` or
/// more to `fixture`, and writes the rule and `expected.json` around one of its resources.
pub fn scaffold(
    id: &str,
    table: &str,
    columns: &str,
    rule_file: &Path,
    fixture: &Path,
) -> Result<()> {
    let naming = naming(table)?;
    for source in candidates(table) {
        copy_files(source.files, fixture)?;
        if let Some(found) = resources(fixture, table, &naming)?
            && found.rows.len() >= 2
            && let Some(failing) = found.failing()
        {
            write_rule(
                id,
                table,
                columns,
                &naming,
                (&found.column, failing),
                rule_file,
            )?;
            return write_expected(fixture, source.folder, &found, failing);
        }
        std::fs::remove_dir_all(fixture)
            .and_then(|()| std::fs::create_dir_all(fixture))
            .with_context(|| format!("cannot empty {}", fixture.display()))?;
    }
    bail!(
        "`rules new` cannot scaffold a rule over table `{table}`: none of the evidence it carries \
         yields two resources of it, one of them in one row; start from evidence of your own \
         in the AWS CLI's JSON shape"
    )
}

/// The embedded evidence to try for `table`, in order: the fixture of a built-in rule over it,
/// the demo, then every other (smallest first).
fn candidates(table: &str) -> Vec<&'static Source> {
    let mut sources: Vec<&Source> = SCAFFOLD_SOURCES.iter().collect();
    sources.sort_by_key(|source| match source {
        s if s.table == table => 0,
        s if s.folder == DEMO => 1,
        _ => 2,
    });
    sources
}

/// Writes the embedded `files` under `fixture`.
fn copy_files(files: &[(&str, &[u8])], fixture: &Path) -> Result<()> {
    for (relative, contents) in files {
        let path = fixture.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, contents)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// The rule file: a template that fails `failing` only, for the author to replace.
fn write_rule(
    id: &str,
    table: &str,
    columns: &str,
    naming: &Naming,
    (resource, failing): (&str, &str),
    path: &Path,
) -> Result<()> {
    let literal = serde_json::to_string(failing)?;
    let query = format!(
        "# Replace this condition with your check: as scaffolded it fails {failing} only,\n\
         # so that `rules test` passes on the copied evidence.\n\
         if .{resource} == {literal} then \"\\(.{resource}): … replace this condition …\" else empty end"
    );
    let text = RuleText {
        id,
        table,
        columns,
        title: &format!("A check over table {table}"),
        requires: &naming.requires,
        resource_type: &naming.resource_type,
        resource,
        query: &query,
    };
    write_file(path, &text.render())
}

impl Resources {
    /// The resource the scaffolded rule reports: the first id of one row (a rule reports once
    /// per row, and `expected.json` lists a resource once).
    fn failing(&self) -> Option<&str> {
        let single = self.rows.iter().find(|(_, rows)| **rows == 1);
        single.map(|(id, _)| id.as_str())
    }

    /// How well the column names resources: its ids of one row, then its distinct ids.
    fn score(&self) -> (usize, usize) {
        let single = self.rows.values().filter(|rows| **rows == 1).count();
        (single, self.rows.len())
    }
}

/// `expected.json` (`failing` reported, the other resources examined and passed) and a README
/// naming the source of the copied evidence.
fn write_expected(fixture: &Path, source: &str, found: &Resources, failing: &str) -> Result<()> {
    let passing: Vec<&String> = found.rows.keys().filter(|id| *id != failing).collect();
    let expected = json!({
        "findings": [{"resource_id": failing, "severity": "medium"}],
        "passing": passing
    });
    write_file(
        &fixture.join("expected.json"),
        &serde_json::to_string_pretty(&expected)?,
    )?;
    let readme = format!(
        "# Fixture\n\nA copy of the evidence of snapaudit's `{source}/`. As scaffolded, \
         the rule reports the resource whose `{}` is `{failing}` and passes \
         the {} others that `expected.json` lists; change the query, the evidence and \
         `expected.json` together.\n",
        found.column,
        passing.len()
    );
    write_file(&fixture.join("README.md"), &readme)
}

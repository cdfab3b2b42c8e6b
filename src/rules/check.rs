//! Load-time checks of a rule against its file name and the tables: mistakes that would
//! otherwise show up late, once per row, or not at all.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Result;

use super::Rule;
use crate::evidence::{Evidence, Kind};
use crate::tables::Tables;

/// The column names of every table, as the tables code builds them.
pub struct Schemas(BTreeMap<&'static str, Vec<String>>);

impl Schemas {
    /// The schemas of the tables built from no evidence: every table exists, with every column.
    pub fn of_tables() -> Result<Schemas> {
        let tables = Tables::build(&mut Evidence::default())?;
        let mut schemas = BTreeMap::new();
        for name in tables.names() {
            let columns = tables.columns(name)?.into_iter().map(|(c, _)| c);
            schemas.insert(name, columns.collect());
        }
        Ok(Schemas(schemas))
    }
}

/// What is wrong with `rule`: its file is not named after its id, its table does not exist, its
/// resource column is not a column of that table, or it requires an unknown evidence kind.
pub fn problems(rule: &Rule, schemas: &Schemas) -> Vec<String> {
    let meta = &rule.meta;
    let mut problems = Vec::new();
    let stem = Path::new(&rule.path).file_stem().unwrap_or_default();
    if stem.to_string_lossy() != meta.id {
        problems.push(format!(
            "rule {} is in a file named otherwise; name the file {}.toml",
            meta.id, meta.id
        ));
    }
    match schemas.0.get(meta.table.as_str()) {
        None => {
            let tables: Vec<&str> = schemas.0.keys().copied().collect();
            problems.push(format!(
                "rule {} reads table `{}`, which does not exist; the tables are: {}",
                meta.id,
                meta.table,
                tables.join(", ")
            ));
        }
        Some(columns) if !columns.contains(&meta.resource) => problems.push(format!(
            "rule {}: `resource = \"{}\"` is not a column of table `{}`; its columns are: {}",
            meta.id,
            meta.resource,
            meta.table,
            columns.join(", ")
        )),
        Some(_) => {}
    }
    for column in meta.rows_where.keys() {
        if (schemas.0.get(meta.table.as_str())).is_some_and(|c| !c.contains(column)) {
            problems.push(format!(
                "rule {}: `[where]` names `{column}`, which is not a column of table `{}`",
                meta.id, meta.table
            ));
        }
    }
    for kind in &meta.requires {
        if !Kind::ALL.iter().any(|k| k.command() == kind) {
            let known: Vec<&str> = Kind::ALL.iter().map(|k| k.command()).collect();
            problems.push(format!(
                "rule {}: `requires` names `{kind}`, which is not an evidence kind; the kinds are: {}",
                meta.id,
                known.join(", ")
            ));
        }
    }
    problems.extend(fix_problems(rule, schemas));
    problems
}

/// What is wrong with the lookups of a rule's fix: an unknown table, or a `key` or `on` that is
/// not a column of its table.
fn fix_problems(rule: &Rule, schemas: &Schemas) -> Vec<String> {
    let meta = &rule.meta;
    let lookups = meta.fix.iter().flat_map(|f| &f.lookup);
    let has = |table: &str, column: &str| {
        schemas.0.get(table).is_some_and(|c| {
            c.iter()
                .any(|c| c == column || *c == format!("{column}_json"))
        })
    };
    let mut problems = Vec::new();
    for l in lookups {
        if !has(&l.table, &l.key) {
            problems.push(format!(
                "rule {} [fix] looks up `{}` in table `{}`, which has no such column",
                meta.id, l.key, l.table
            ));
        }
        if !has(&meta.table, &l.on) {
            problems.push(format!(
                "rule {} [fix] matches on `{}`, which is not a column of table `{}`",
                meta.id, l.on, meta.table
            ));
        }
    }
    problems
}

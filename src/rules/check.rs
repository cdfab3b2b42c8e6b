//! Load-time checks of a rule against its file name and the tables: mistakes that would
//! otherwise show up late, once per row, or not at all.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::Result;

use super::{Rule, jq};
use crate::evidence::{Evidence, Kind};
use crate::tables::Tables;
use crate::tables::row::row_key;

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
    problems.extend(reads_where_problems(rule, schemas));
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
    problems.extend(reads_problems(rule, schemas));
    problems
}

/// What is wrong with a rule's `reads_where`: a key that `reads` does not list (or with no
/// `reads`), or a condition on a column its table lacks.
fn reads_where_problems(rule: &Rule, schemas: &Schemas) -> Vec<String> {
    let meta = &rule.meta;
    let columns = schemas.0.get(meta.table.as_str());
    let mut problems = Vec::new();
    for (key, rows) in &meta.reads_where {
        if !(meta.reads.iter().flatten()).any(|read| read == key) {
            problems.push(format!(
                "rule {}: `[reads_where.{key}]` names a key that `reads` does not list",
                meta.id
            ));
        }
        for column in rows.keys() {
            if columns.is_some_and(|c| !c.contains(column)) {
                problems.push(format!(
                    "rule {}: `[reads_where.{key}]` names `{column}`, which is not a column of \
                     table `{}`",
                    meta.id, meta.table
                ));
            }
        }
    }
    problems
}

/// What is wrong with a rule's `reads`: a key that is not a key of its table's rows, or a row
/// key that its query or the library names (`.key`, `{key}`) and that `reads` leaves out.
fn reads_problems(rule: &Rule, schemas: &Schemas) -> Vec<String> {
    let meta = &rule.meta;
    let (Some(reads), Some(columns)) = (&meta.reads, schemas.0.get(meta.table.as_str())) else {
        return Vec::new();
    };
    let keys: BTreeSet<&str> = columns.iter().map(|c| row_key(c)).collect();
    let mut problems = Vec::new();
    for key in reads.iter().filter(|key| !keys.contains(key.as_str())) {
        problems.push(format!(
            "rule {}: `reads` names `{key}`, which is not a key of table `{}`'s rows; they are: {}",
            meta.id,
            meta.table,
            keys.iter().copied().collect::<Vec<_>>().join(", ")
        ));
    }
    let mut named = field_names(meta.query.get_ref());
    named.extend(field_names(jq::LIBRARY));
    for key in keys.intersection(&named) {
        if !reads.iter().any(|r| r == key) {
            problems.push(format!(
                "rule {}: its query (or the library) reads `{key}`, which `reads` leaves out",
                meta.id
            ));
        }
    }
    problems
}

/// The names jq code reads as fields, over-approximated: every word right after a `.` (or
/// `."` / `.["`), and every word alone between `{` or `,` and `,` or `}` (`{owner_type}`).
fn field_names(code: &str) -> BTreeSet<&str> {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut names = BTreeSet::new();
    let mut rest = code;
    while let Some(start) = rest.find(is_word) {
        let (before, from) = rest.split_at(start);
        let end = from.find(|c| !is_word(c)).unwrap_or(from.len());
        let (word, after) = from.split_at(end);
        let before = before.trim_end();
        let accessed = [".", ".\"", ".[\""].iter().any(|p| before.ends_with(p));
        let alone = (before.ends_with('{') || before.ends_with(','))
            && (after.trim_start().starts_with(',') || after.trim_start().starts_with('}'));
        if accessed || alone {
            names.insert(word);
        }
        rest = after;
    }
    names
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::compile_rule;

    /// A rule over `ecs_tasks` reading `reads` (TOML) with `query`.
    fn rule(reads: &str, query: &str) -> Rule {
        let text = format!(
            "id = \"ORG.1\"\ntitle = \"t\"\nseverity = \"low\"\ntable = \"ecs_tasks\"\n\
             resource_type = \"AwsEcsTask\"\nresource = \"task_arn\"\n{reads}\n\
             description = \"d\"\nremediation = \"r\"\nquery = '{query}'\n"
        );
        compile_rule("ORG.1.toml", &text).unwrap()
    }

    #[test]
    fn field_names_are_the_words_read_as_fields() {
        let names = field_names(r#"."a b" | .x.y, {z, w: .v}, ."q", .["r"], f(.), $p.s, "t""#);
        let names: Vec<&str> = names.into_iter().collect();
        // `."a b"` reads "a b", not "a": a word too many is only a column converted for nothing.
        assert_eq!(names, ["a", "q", "r", "s", "v", "x", "y", "z"]);
    }

    #[test]
    fn reads_must_list_every_key_the_query_names_and_only_keys() {
        let schemas = Schemas::of_tables().unwrap();
        let exact = rule(
            r#"reads = ["task_id", "launch_type"]"#,
            "{task_id} | .launch_type",
        );
        assert_eq!(reads_problems(&exact, &schemas), Vec::<String>::new());
        let wrong = rule(r#"reads = ["task_id", "nope"]"#, "{task_id} | .launch_type");
        let problems = reads_problems(&wrong, &schemas).join("\n");
        assert!(
            problems.contains("`reads` names `nope`, which is not a key of table `ecs_tasks`'s")
                && problems.contains("reads `launch_type`, which `reads` leaves out"),
            "{problems}"
        );
        let whole = rule("", "keys");
        assert!(reads_problems(&whole, &schemas).is_empty());
    }

    #[test]
    fn reads_where_names_keys_of_reads_and_columns_of_the_table() {
        let schemas = Schemas::of_tables().unwrap();
        let reads = r#"reads = ["task_id", "launch_type"]"#;
        let query = "{task_id} | .launch_type";
        let condition = |key: &str, column: &str| {
            format!("{reads}\nreads_where = {{ {key} = {{ {column} = [\"RUNNING\"] }} }}")
        };
        let right = rule(&condition("launch_type", "last_status"), query);
        assert_eq!(reads_where_problems(&right, &schemas), Vec::<String>::new());
        let wrong = rule(&condition("nope", "no_column"), query);
        let problems = reads_where_problems(&wrong, &schemas).join("\n");
        assert!(
            problems.contains("`[reads_where.nope]` names a key that `reads` does not list")
                && problems.contains(
                    "`[reads_where.nope]` names `no_column`, which is not a column of table \
                     `ecs_tasks`"
                ),
            "{problems}"
        );
    }
}

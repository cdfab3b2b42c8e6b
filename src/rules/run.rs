//! Running the pack: every rule over every row of its table, in parallel, each evaluation ending
//! as a finding (`fail` or `indeterminate`), a pass, or not applicable.

use std::collections::BTreeMap;
use std::ops::Range;

use std::cell::OnceCell;

use anyhow::{Context, Result, anyhow, bail};
use rayon::prelude::*;
use serde::Deserialize;
use serde_json::Value;

use super::budget::Budget;
use super::rows::RowFilter;
use super::sandbox::{Ledger, Row, RowRules, Verdict};
use super::status::{Passed, RowTally, Status};
use super::{Details, EvidenceRecord, ExcludedRows, Finding, Rule, Severity};
use crate::evidence::Diagnostic;
use crate::evidence::model::Shared;
use crate::tables::Tables;

/// What a query may emit as an object.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Emitted {
    message: String,
    resource_id: Option<String>,
    resource_type: Option<String>,
    severity: Option<Severity>,
    status: Option<Status>,
    details: Option<Value>,
}

/// The outcome of running the pack.
#[derive(Debug, Default)]
pub struct Evaluation {
    /// Findings with status `fail`, sorted.
    pub failed: Vec<Finding>,
    /// Findings with status `indeterminate`, sorted.
    pub indeterminate: Vec<Finding>,
    /// Resources that passed, sorted; only when asked for.
    pub passed: Option<Vec<Passed>>,
    /// Per rule id: rows examined, passed and not applicable.
    pub tallies: BTreeMap<String, RowTally>,
    /// Rules that could not run on a table or a row.
    pub errors: Vec<Diagnostic>,
}

/// The rules of one table and what they need per row.
struct TableRules<'a> {
    table: &'a str,
    rules: Vec<&'a Rule>,
    filters: Vec<RowFilter>,
    /// Each rule's compiled query and parameters, what it has spent of the budget, and whether
    /// it was stopped.
    ledger: Ledger,
    list_passed: bool,
    /// The row keys the engine reads to name a finding or a passing resource: account, region,
    /// evidence and each rule's resource.
    facts: Vec<String>,
    /// Per rule, its keys read only on some rows ([`Rule`]'s `reads_where`) and their filters.
    read_filters: Vec<Vec<(String, RowFilter)>>,
}

/// What the rules of one table gave on some of its rows.
#[derive(Default)]
struct Outcomes {
    findings: Vec<Finding>,
    passed: Vec<Passed>,
    /// One per rule of the table, in its order (empty: nothing counted yet).
    tallies: Vec<RowTally>,
    errors: Vec<Diagnostic>,
}

impl Outcomes {
    /// An error on the whole row.
    fn failed(table: &str, e: anyhow::Error) -> Outcomes {
        Outcomes {
            errors: vec![Diagnostic::file(table, e.to_string())],
            ..Outcomes::default()
        }
    }

    /// The outcomes of every chunk of rows (their tallies already taken), in order; each
    /// list is allocated once at its full length, so a run of many findings never holds two
    /// copies of them while a list grows.
    fn gather(chunks: Vec<Outcomes>) -> Outcomes {
        let mut all = Outcomes::default();
        all.findings
            .reserve_exact(chunks.iter().map(|c| c.findings.len()).sum());
        all.passed
            .reserve_exact(chunks.iter().map(|c| c.passed.len()).sum());
        chunks.into_iter().fold(all, Outcomes::merge)
    }

    /// Both outcomes together.
    fn merge(mut self, mut other: Outcomes) -> Outcomes {
        self.findings.append(&mut other.findings);
        self.passed.append(&mut other.passed);
        self.errors.append(&mut other.errors);
        if self.tallies.len() < other.tallies.len() {
            std::mem::swap(&mut self.tallies, &mut other.tallies);
        }
        for (mine, theirs) in self.tallies.iter_mut().zip(other.tallies) {
            *mine += theirs;
        }
        self
    }
}

/// Runs every rule over its table under the default budget; returns the sorted findings
/// (`fail` and `indeterminate` alike) and the run errors.
pub fn run(rules: &[Rule], tables: &Tables) -> (Vec<Finding>, Vec<Diagnostic>) {
    let evaluation = evaluate(rules, tables, false, Budget::default());
    let mut findings = evaluation.failed;
    findings.extend(evaluation.indeterminate);
    (findings, evaluation.errors)
}

/// Runs every rule over every row of its table, each evaluation under `budget` (a rule that
/// exceeds it is an error naming the rule and the row, and is stopped; the others still run):
/// the findings by status, the passing resources when `list_passed`, and each rule's tally.
pub fn evaluate(rules: &[Rule], tables: &Tables, list_passed: bool, budget: Budget) -> Evaluation {
    let mut evaluation = Evaluation::default();
    let mut by_table: BTreeMap<&str, Vec<&Rule>> = BTreeMap::new();
    for r in rules {
        by_table.entry(r.meta.table.as_str()).or_default().push(r);
    }
    let mut chunks = Vec::new();
    for (table, rules) in by_table {
        let height = match tables.get(table) {
            Ok(df) => df.height(),
            Err(e) => {
                for r in rules {
                    let message = format!("rule {}: {e}", r.meta.id);
                    evaluation.errors.push(Diagnostic::file(&r.path, message));
                }
                continue;
            }
        };
        let filters = rules
            .iter()
            .map(|r| RowFilter::new(&r.meta.rows_where))
            .collect();
        let read_filters = (rules.iter())
            .map(|r| {
                (r.meta.reads_where.iter())
                    .map(|(key, rows)| (key.clone(), RowFilter::new(rows)))
                    .collect()
            })
            .collect();
        let tasks = rules.iter().map(|r| r.task()).collect();
        let mut facts: Vec<String> = ["account", "evidence", "region"].map(String::from).into();
        facts.extend(rules.iter().map(|r| r.meta.resource.clone()));
        facts.sort_unstable();
        facts.dedup();
        let of_table = TableRules {
            table,
            facts,
            ledger: Ledger::new(budget, tasks),
            read_filters,
            rules,
            filters,
            list_passed,
        };
        let progress = crate::progress::Progress::new("rules", height);
        let mut outcomes: Vec<Outcomes> = (0..height.div_ceil(CHUNK))
            .into_par_iter()
            .map(|chunk| {
                let rows = chunk * CHUNK..height.min((chunk + 1) * CHUNK);
                progress.advance(rows.len());
                rules_on_rows(tables, &of_table, rows)
            })
            .collect();
        let mut tallies = vec![RowTally::default(); of_table.rules.len()];
        for chunk in &mut outcomes {
            for (tally, counted) in tallies.iter_mut().zip(std::mem::take(&mut chunk.tallies)) {
                *tally += counted;
            }
        }
        for (rule, tally) in of_table.rules.iter().zip(tallies) {
            evaluation.tallies.insert(rule.meta.id.clone(), tally);
        }
        chunks.append(&mut outcomes);
    }
    let Outcomes {
        mut findings,
        mut passed,
        errors,
        ..
    } = Outcomes::gather(chunks);
    evaluation.errors.extend(errors);
    super::sort_findings(&mut findings);
    findings.dedup();
    // In place: the failures stay where they are, only the indeterminate results move.
    evaluation.indeterminate = findings
        .extract_if(.., |f| f.status == Status::Indeterminate)
        .collect();
    evaluation.failed = findings;
    passed.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    evaluation.passed = list_passed.then_some(passed);
    // The findings keep their shared text; the threads' tables of it are no longer needed.
    rayon::broadcast(|_| Shared::forget_interned());
    evaluation.errors.sort();
    evaluation
}

/// How many rows a rayon task hands its sandbox thread at once: enough to spare a thread switch
/// per row, few enough that the chunk's rows (built before any is evaluated) stay in cache; 256
/// doubled the rule phase's wall time on the large preset under load, 32 cut it by a third.
const CHUNK: usize = 32;

/// Runs every rule of the table on the rows it wants among `rows`, all on this thread's
/// sandbox at once.
fn rules_on_rows(tables: &Tables, of_table: &TableRules, rows: Range<usize>) -> Outcomes {
    let mut prepared: Vec<Prepared> = rows.map(|i| prepare_row(tables, of_table, i)).collect();
    let jobs = (prepared.iter_mut()).filter_map(|p| p.job.take()).collect();
    let mut verdicts = of_table.ledger.run_rows(jobs).into_iter();
    let mut outcomes = Outcomes::default();
    for p in prepared {
        let mut row_outcomes = p.outcomes;
        if !p.wanted.is_empty() {
            let row_verdicts = verdicts.next().unwrap_or_default();
            let facts = RowFacts::new(tables, of_table, p.row);
            conclude_row(of_table, &facts, p.wanted, row_verdicts, &mut row_outcomes);
        }
        outcomes = outcomes.merge(row_outcomes);
    }
    outcomes
}

/// A row before its rules ran: its tallies and passing resources so far, and, when some rule
/// wants it, its index, those rules and the row to hand them.
struct Prepared {
    outcomes: Outcomes,
    row: usize,
    wanted: Vec<usize>,
    job: Option<RowRules>,
}

/// What the engine reads of a row to name a finding or a passing resource (its
/// [`TableRules::facts`] keys), read once it is needed.
struct RowFacts<'a> {
    tables: &'a Tables,
    of_table: &'a TableRules<'a>,
    row: usize,
    value: OnceCell<Result<Value, String>>,
}

impl<'a> RowFacts<'a> {
    /// The facts of row `row`, not read yet.
    fn new(tables: &'a Tables, of_table: &'a TableRules<'a>, row: usize) -> Self {
        RowFacts {
            tables,
            of_table,
            row,
            value: OnceCell::new(),
        }
    }

    /// The facts as a JSON object, or why they could not be read.
    fn get(&self) -> Result<&Value> {
        let read = || {
            let (table, keys) = (self.of_table.table, &self.of_table.facts);
            let cells = self.tables.row_cells(table, self.row, Some(keys));
            cells
                .and_then(|c| c.into_json(table))
                .map_err(|e| format!("{e:#}"))
        };
        self.value
            .get_or_init(read)
            .as_ref()
            .map_err(|e| anyhow!("{e}"))
    }
}

/// Row `i` before its rules run: which rules want it (the others count it not applicable or
/// passed), converted for jq only when one does. Each rule's tally counts the row once.
fn prepare_row(tables: &Tables, of_table: &TableRules, i: usize) -> Prepared {
    let table = of_table.table;
    let failed = |e| Prepared {
        outcomes: Outcomes::failed(table, e),
        row: i,
        wanted: Vec::new(),
        job: None,
    };
    if let Err(e) = tables.get(table) {
        return failed(e);
    }
    let mut outcomes = Outcomes {
        tallies: vec![RowTally::default(); of_table.rules.len()],
        ..Outcomes::default()
    };
    let mut wanted = Vec::new();
    let mut passing = Vec::new();
    for (k, filter) in of_table.filters.iter().enumerate() {
        outcomes.tallies[k].examined = 1;
        match (
            filter.wants(tables, table, i),
            of_table.rules[k].meta.excluded_rows,
        ) {
            (Ok(true), _) => wanted.push(k),
            (Ok(false), ExcludedRows::NotApplicable) => outcomes.tallies[k].not_applicable = 1,
            (Ok(false), ExcludedRows::Pass) => {
                outcomes.tallies[k].passed = 1;
                passing.push(k);
            }
            (Err(e), _) => return failed(e),
        }
    }
    let list_passing = of_table.list_passed && !passing.is_empty();
    if list_passing {
        let facts = RowFacts::new(tables, of_table, i);
        let row = match facts.get() {
            Ok(row) => row,
            Err(e) => return failed(e),
        };
        let rules = passing.iter().map(|&k| of_table.rules[k]);
        outcomes
            .passed
            .extend(rules.filter_map(|rule| passing_resource(rule, row)));
    }
    let job = if wanted.is_empty() {
        None
    } else {
        let cells = (reads_of(tables, of_table, &wanted, i))
            .and_then(|keys| tables.row_cells(table, i, keys.as_deref()));
        match cells {
            Ok(cells) => Some(RowRules {
                row: Row::Cells(cells),
                wanted: wanted.clone(),
            }),
            Err(e) => return failed(e),
        }
    };
    Prepared {
        outcomes,
        row: i,
        wanted,
        job,
    }
}

/// The row keys the rules `wanted` of a table read between them on row `row` (none: the whole
/// row, when one of them reads it whole), in name order: a key a rule reads only on some rows
/// (`reads_where`) is left out of the others.
fn reads_of(
    tables: &Tables,
    of_table: &TableRules,
    wanted: &[usize],
    row: usize,
) -> Result<Option<Vec<String>>> {
    let table = of_table.table;
    let mut keys = Vec::new();
    for &k in wanted {
        let Some(reads) = of_table.rules[k].meta.reads.as_ref() else {
            return Ok(None);
        };
        for key in reads {
            let filter = of_table.read_filters[k]
                .iter()
                .find(|(read, _)| read == key);
            if filter.map_or(Ok(true), |(_, filter)| filter.wants(tables, table, row))? {
                keys.push(key.clone());
            }
        }
    }
    keys.sort_unstable();
    keys.dedup();
    Ok(Some(keys))
}

/// What the rules `wanted` of a row gave (`verdicts`, in the same order), into `outcomes`.
fn conclude_row(
    of_table: &TableRules,
    facts: &RowFacts,
    wanted: Vec<usize>,
    verdicts: Vec<Verdict>,
    outcomes: &mut Outcomes,
) {
    let table = of_table.table;
    for (k, verdict) in wanted.into_iter().zip(verdicts) {
        let rule = of_table.rules[k];
        let outputs = match verdict {
            Verdict::Ran(Ok(outputs)) => Ok(outputs),
            Verdict::Ran(Err(e)) | Verdict::Stopped(e) => Err(anyhow!(e)),
            Verdict::Skipped => continue,
        };
        // A pass needs nothing of the row unless passing resources are listed.
        if matches!(&outputs, Ok(o) if o.is_empty()) && !of_table.list_passed {
            outcomes.tallies[k].passed = 1;
            continue;
        }
        let row = match facts.get() {
            Ok(row) => row,
            Err(e) => {
                outcomes
                    .errors
                    .push(Diagnostic::file(table, format!("{e:#}")));
                continue;
            }
        };
        let found = match outputs.and_then(|outputs| findings_of(rule, row, outputs)) {
            Ok(found) => found,
            Err(e) => {
                let failed = row_error(rule, &rule.meta.id, table, row, e);
                outcomes.errors.push(failed);
                continue;
            }
        };
        match found.iter().map(|f| f.status).min().unwrap_or(Status::Pass) {
            Status::Pass => {
                outcomes.tallies[k].passed = 1;
                if of_table.list_passed {
                    outcomes.passed.extend(passing_resource(rule, row));
                }
            }
            Status::NotApplicable => outcomes.tallies[k].not_applicable = 1,
            _ => {}
        }
        let findings = found
            .into_iter()
            .filter(|f| f.status != Status::NotApplicable);
        outcomes.findings.extend(findings);
    }
}

/// The error of `rule` (shown as `label`) on `row` of `table`, naming the row by its resource
/// and its first evidence record.
pub(crate) fn row_error(
    rule: &Rule,
    label: &str,
    table: &str,
    row: &Value,
    e: anyhow::Error,
) -> Diagnostic {
    let resource = row.get(&rule.meta.resource).unwrap_or(&Value::Null);
    let message = format!(
        "rule {label} failed on {table} row {resource} ({}): {e:#}",
        row_pointer(row)
    );
    Diagnostic::file(&rule.path, message)
}

/// Where a row's first evidence record is (`FILE:DOCUMENT:POINTER`), to name the row in errors.
pub fn row_pointer(row: &Value) -> String {
    match row.get("evidence").and_then(|e| e.get(0)) {
        Some(record) => format!(
            "{}:{}:{}",
            record.get("file").and_then(Value::as_str).unwrap_or("?"),
            record.get("document").unwrap_or(&Value::Null),
            record.get("pointer").and_then(Value::as_str).unwrap_or("?"),
        ),
        None => "no evidence record".to_string(),
    }
}

/// A row's text field.
fn text(row: &Value, key: &str) -> Option<String> {
    row.get(key).and_then(Value::as_str).map(String::from)
}

/// A row's text field, shared with the findings that hold the same value.
fn shared(row: &Value, key: &str) -> Option<Shared> {
    row.get(key).and_then(Value::as_str).map(Shared::new)
}

/// The passing resource of `row` (none when the row does not name it).
fn passing_resource(rule: &Rule, row: &Value) -> Option<Passed> {
    let records = EvidenceRecord::of_row(row);
    let own = records.iter().position(|e| &*e.role == "record");
    Some(Passed {
        rule_id: Shared::new(&rule.meta.id),
        status: Status::Pass,
        account: shared(row, "account"),
        region: shared(row, "region"),
        resource_type: Shared::new(&rule.meta.resource_type),
        resource_id: text(row, &rule.meta.resource)?,
        evidence: records.into_iter().nth(own.unwrap_or(0)),
    })
}

/// The findings of what `rule`'s query emitted on `row`, each with its status (`fail` unless
/// the query says `indeterminate` or `not_applicable`).
pub(crate) fn findings_of(rule: &Rule, row: &Value, outputs: Vec<Value>) -> Result<Vec<Finding>> {
    outputs
        .into_iter()
        .map(|out| {
            let emitted = match out {
                Value::String(message) => Emitted {
                    message,
                    resource_id: None,
                    resource_type: None,
                    severity: None,
                    status: None,
                    details: None,
                },
                v @ Value::Object(_) => serde_json::from_value(v)
                    .context("the query must emit a string or an object with `message`")?,
                other => {
                    bail!("the query emitted {other}; emit a string or an object with `message`")
                }
            };
            let resource_id = match emitted
                .resource_id
                .or_else(|| text(row, &rule.meta.resource))
            {
                Some(id) => id,
                None => bail!("row has no `{}` to name the resource", rule.meta.resource),
            };
            let resource_type = emitted.resource_type;
            Ok(Finding {
                rule_id: Shared::new(&rule.meta.id),
                severity: emitted.severity.unwrap_or(rule.meta.severity),
                status: emitted.status.unwrap_or_default().emitted()?,
                title: Shared::new(&rule.meta.title),
                account: shared(row, "account"),
                region: shared(row, "region"),
                resource_type: Shared::new(
                    resource_type.as_ref().unwrap_or(&rule.meta.resource_type),
                ),
                resource_id: resource_id.into(),
                message: emitted.message,
                evidence: EvidenceRecord::of_row(row),
                details: emitted.details.as_ref().map(Details::new),
            })
        })
        .collect()
}

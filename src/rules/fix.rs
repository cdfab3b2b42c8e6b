//! Rule fixes: a rule's optional `[fix]` table holds a jq query that runs on the same row as the
//! rule, once per finding (`$finding`), with the rows of its lookups (`$lookup`), and emits the
//! change as data: shell commands, Terraform, preflight warnings and verification commands.
//! Nothing here runs a command; `snapaudit remediate` only prints them.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::budget::Budget;
use super::rows::RowFilter;
use super::run::{findings_of, row_error};
use super::sandbox::{Ledger, Task, Verdict};
use super::{EvidenceRecord, Finding, Rule, Status, jq};
use crate::evidence::Diagnostic;
use crate::evidence::model::Shared;
use crate::tables::Tables;

/// A rule's `[fix]` table, as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixMeta {
    /// Rows of other tables the fix reads, as `$lookup.TABLE` (arrays of rows).
    #[serde(default)]
    pub lookup: Vec<Lookup>,
    /// The jq query: `.` is the rule's row; it emits one object per change, with `commands`,
    /// `terraform`, `warnings` and `verify`.
    pub query: toml::Spanned<String>,
}

/// Rows of `table` whose `key` column equals the rule row's `on` field (or one of its values,
/// when it is a list), within the row's account.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lookup {
    /// The table to read.
    pub table: String,
    /// Its column to match.
    pub key: String,
    /// The rule row's field whose value it must equal.
    pub on: String,
}

/// What a fix query emits.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Emitted {
    #[serde(default)]
    commands: Vec<String>,
    #[serde(default)]
    terraform: String,
    #[serde(default)]
    warnings: Vec<String>,
    #[serde(default)]
    verify: Vec<String>,
}

/// One change that fixes one finding, with its preflight and its proof.
#[derive(Debug, Clone, Serialize)]
pub struct Action {
    /// The rule whose finding it fixes.
    pub rule_id: Shared,
    /// Account of the resource.
    pub account: Option<Shared>,
    /// Region of the resource.
    pub region: Option<Shared>,
    /// The resource changed.
    pub resource_id: String,
    /// The finding's message.
    #[serde(skip)]
    pub message: String,
    /// Shell commands (a multi-line entry is a heredoc block), in the order to run them.
    pub commands: Vec<String>,
    /// The same change in Terraform (HCL), with an `import` block naming the real id.
    pub terraform: String,
    /// What to check before running the commands.
    pub warnings: Vec<String>,
    /// Read-only commands that prove the change worked.
    pub verify: Vec<String>,
    /// The finding's evidence records.
    pub evidence: Vec<EvidenceRecord>,
}

impl Action {
    /// The order actions are printed in: grouped by account and region.
    fn sort_key(&self) -> impl Ord + '_ {
        (
            &self.account,
            &self.region,
            &self.rule_id,
            &self.resource_id,
            &self.message,
        )
    }
}

/// The fixes of every finding of the rules that have one, sorted by account, region, rule and
/// resource. Each rule's query and each fix run under `budget`, as in `scan`: a query that fails
/// or goes over it is a diagnostic naming the rule file, the rule and the row (a query over its
/// budget is stopped for the later rows), and every other rule's fixes are still made.
pub fn actions(rules: &[Rule], tables: &Tables, budget: Budget) -> (Vec<Action>, Vec<Diagnostic>) {
    let mut actions = Vec::new();
    let mut errors = Vec::new();
    for rule in rules {
        let Some(fix) = &rule.fix else { continue };
        let prepared = tables.get(&rule.meta.table).and_then(|df| {
            let run = FixRun::new(rule, fix, tables, budget)?;
            Ok((df, run))
        });
        let (df, run) = match prepared {
            Ok(prepared) => prepared,
            Err(e) => {
                let message = format!("rule {} [fix]: {e:#}", rule.meta.id);
                errors.push(Diagnostic::file(&rule.path, message));
                continue;
            }
        };
        // The rows the rule can fire on ([where]); no other row can have a finding to fix.
        let filter = RowFilter::new(&rule.meta.rows_where);
        let results: Vec<Result<Vec<Action>, Diagnostic>> = (0..df.height())
            .into_par_iter()
            .map(|i| match filter.wants(tables, &rule.meta.table, i) {
                Ok(true) => run.row_actions(i),
                Ok(false) => Ok(Vec::new()),
                Err(e) => Err(Diagnostic::file(
                    &rule.path,
                    format!("rule {}: {e:#}", rule.meta.id),
                )),
            })
            .collect();
        for result in results {
            match result {
                Ok(mut found) => actions.append(&mut found),
                Err(failed) => errors.push(failed),
            }
        }
    }
    actions.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    errors.sort();
    (actions, errors)
}

/// The ledger slots of a rule's query and of its fix.
const QUERY: usize = 0;
const FIX: usize = 1;

/// What making one rule's fixes needs on every row: the rule's query and its fix, each under
/// the budget (one ledger, a slot each), and its lookups.
struct FixRun<'a> {
    rule: &'a Rule,
    tables: &'a Tables,
    index: LookupIndex<'a>,
    /// The rule's query (slot [`QUERY`]) and its fix (slot [`FIX`], given each finding's
    /// variables as it runs).
    ledger: Ledger,
    /// The rule's parameters (`$params`).
    params: Value,
}

impl<'a> FixRun<'a> {
    fn new(
        rule: &'a Rule,
        fix: &Arc<jq::Filter>,
        tables: &'a Tables,
        budget: Budget,
    ) -> Result<Self> {
        let params = rule.params_json();
        // The fix's own `$finding` and `$lookup` are given per finding ([`FixRun::fixes`]).
        let fix = Task {
            filter: Arc::clone(fix),
            globals: Arc::from([params.clone()]),
            reads: None,
        };
        let ledger = Ledger::new(budget, vec![rule.task(), fix]);
        Ok(FixRun {
            rule,
            tables,
            index: LookupIndex::new(rule, tables)?,
            ledger,
            params,
        })
    }

    /// The actions for the failures the rule finds on row `i` of its table; an error names the
    /// rule (`ID` for its query, `ID [fix]` for its fix) and the row.
    fn row_actions(&self, i: usize) -> Result<Vec<Action>, Diagnostic> {
        let (rule, table) = (self.rule, self.rule.meta.table.as_str());
        let row = (self.tables.row(table, i).map(Arc::new))
            .map_err(|e| Diagnostic::file(&rule.path, format!("rule {}: {e:#}", rule.meta.id)))?;
        let verdict = self.ledger.run_one(Arc::clone(&row), QUERY, None);
        let findings = ran(verdict)
            .and_then(|outputs| findings_of(rule, &row, outputs.unwrap_or_default()))
            .map_err(|e| row_error(rule, &rule.meta.id, table, &row, e))?;
        self.fixes(&row, findings)
            .map_err(|e| row_error(rule, &format!("{} [fix]", rule.meta.id), table, &row, e))
    }

    /// The fix's actions for each failure among `findings` on `row` (an indeterminate result
    /// needs evidence, not a change).
    fn fixes(&self, row: &Arc<Value>, findings: Vec<Finding>) -> Result<Vec<Action>> {
        let failures: Vec<Finding> = (findings.into_iter())
            .filter(|f| f.status == Status::Fail)
            .collect();
        if failures.is_empty() {
            return Ok(Vec::new());
        }
        let lookup = self.index.rows(self.tables, row)?;
        let mut actions = Vec::new();
        for finding in failures {
            let globals = Arc::from([
                self.params.clone(),
                serde_json::to_value(&finding)?,
                lookup.clone(),
            ]);
            // None: the fix was stopped by its budget on an earlier row (reported there).
            let Some(outputs) = ran(self.ledger.run_one(Arc::clone(row), FIX, Some(globals)))?
            else {
                break;
            };
            for out in outputs {
                let emitted: Emitted = serde_json::from_value(out).context(
                    "the fix must emit objects with commands, terraform, warnings and verify",
                )?;
                actions.push(action(&finding, emitted));
            }
        }
        Ok(actions)
    }
}

/// The outputs of an evaluation (its `verdict`): none when it had been stopped on an earlier
/// row, an error when it failed or went over its budget now.
fn ran(verdict: Verdict) -> Result<Option<Vec<Value>>> {
    match verdict {
        Verdict::Ran(Ok(outputs)) => Ok(Some(outputs)),
        Verdict::Ran(Err(e)) | Verdict::Stopped(e) => Err(anyhow!(e)),
        Verdict::Skipped => Ok(None),
    }
}

/// An emitted change, placed on its finding.
fn action(finding: &Finding, emitted: Emitted) -> Action {
    Action {
        rule_id: finding.rule_id.clone(),
        account: finding.account.clone(),
        region: finding.region.clone(),
        resource_id: finding.resource_id.to_string(),
        message: finding.message.clone(),
        commands: emitted.commands,
        terraform: emitted.terraform,
        warnings: emitted.warnings,
        verify: emitted.verify,
        evidence: finding.evidence.to_vec(),
    }
}

/// The rows of a fix's lookup tables by their key column (stored or computed), each with its
/// account, indexed once per rule (a scan of the lookup table per finding grows with findings ×
/// rows).
struct LookupIndex<'a> {
    lookups: Vec<(&'a Lookup, KeyedRows)>,
}

/// A lookup table's rows by key: each row's index and account.
type KeyedRows = HashMap<String, Vec<(usize, Option<String>)>>;

impl<'a> LookupIndex<'a> {
    fn new(rule: &'a Rule, tables: &Tables) -> Result<Self> {
        let mut lookups = Vec::new();
        for lookup in rule.meta.fix.iter().flat_map(|f| &f.lookup) {
            let frame = tables.every_row_of(&lookup.table, &[&lookup.key, "account"])?;
            let keys = frame.column(&lookup.key)?.str()?;
            let accounts = frame.column("account")?.str()?;
            let mut by_key = KeyedRows::new();
            for (i, (key, account)) in keys.iter().zip(accounts.iter()).enumerate() {
                if let Some(key) = key {
                    let row = (i, account.map(String::from));
                    by_key.entry(key.to_string()).or_default().push(row);
                }
            }
            lookups.push((lookup, by_key));
        }
        Ok(LookupIndex { lookups })
    }

    /// `{TABLE: [rows]}`: each lookup table's rows whose key is the row's `on` value (or one of
    /// its values), in the row's account (or any, for a row without one).
    fn rows(&self, tables: &Tables, row: &Value) -> Result<Value> {
        let account = row.get("account").and_then(Value::as_str);
        let mut found = Map::new();
        for (lookup, by_key) in &self.lookups {
            let wanted: Vec<&str> = match row.get(&lookup.on) {
                Some(Value::String(s)) => vec![s.as_str()],
                Some(Value::Array(values)) => values.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
            let mut hits: Vec<usize> = (wanted.iter())
                .flat_map(|k| by_key.get(*k).into_iter().flatten())
                .filter(|(_, of)| account.is_none() || of.as_deref() == account)
                .map(|(i, _)| *i)
                .collect();
            hits.sort_unstable();
            hits.dedup();
            let mut rows = (hits.into_iter())
                .map(|i| tables.row(&lookup.table, i))
                .collect::<Result<Vec<_>>>()?;
            match found
                .entry(lookup.table.clone())
                .or_insert(Value::Array(Vec::new()))
            {
                Value::Array(list) => list.append(&mut rows),
                _ => bail!("lookup {} is not a list", lookup.table),
            }
        }
        Ok(Value::Object(found))
    }
}

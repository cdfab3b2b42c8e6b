//! Rule fixes: a rule's optional `[fix]` table holds a jq query that runs on the same row as the
//! rule, once per finding (`$finding`), with the rows of its lookups (`$lookup`), and emits the
//! change as data: shell commands, Terraform, preflight warnings and verification commands.
//! Nothing here runs a command; `snapaudit remediate` only prints them.

use std::collections::HashMap;

use anyhow::{Context, Result, bail};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::rows::RowFilter;
use super::{Finding, Rule, Status, jq, rule_on_row};
use crate::evidence::Diagnostic;
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
    pub rule_id: String,
    /// Account of the resource.
    pub account: Option<String>,
    /// Region of the resource.
    pub region: Option<String>,
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
    pub evidence: Vec<Value>,
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
/// resource; a fix that fails is a diagnostic naming the rule file.
pub fn actions(rules: &[Rule], tables: &Tables) -> (Vec<Action>, Vec<Diagnostic>) {
    let mut actions = Vec::new();
    let mut errors = Vec::new();
    for rule in rules {
        let Some(fix) = &rule.fix else { continue };
        let failed = |e: anyhow::Error| {
            let message = format!("rule {} [fix]: {e:#}", rule.meta.id);
            Diagnostic::file(&rule.path, message)
        };
        let (df, index) = match tables
            .get(&rule.meta.table)
            .and_then(|df| Ok((df, LookupIndex::new(rule, tables)?)))
        {
            Ok(found) => found,
            Err(e) => {
                errors.push(failed(e));
                continue;
            }
        };
        // The rows the rule can fire on ([where]); no other row can have a finding to fix.
        let filter = RowFilter::new(&rule.meta.rows_where);
        let results: Vec<Result<Vec<Action>>> = (0..df.height())
            .into_par_iter()
            .map_init(
                || rule.params(),
                |params, i| match filter.wants(df, i)? {
                    true => row_actions(rule, fix, tables, &index, params, i),
                    false => Ok(Vec::new()),
                },
            )
            .collect();
        for result in results {
            match result {
                Ok(mut found) => actions.append(&mut found),
                Err(e) => errors.push(failed(e)),
            }
        }
    }
    actions.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    errors.sort();
    (actions, errors)
}

/// The actions for the findings `rule` emits on row `i` of its table.
fn row_actions(
    rule: &Rule,
    fix: &jq::Filter,
    tables: &Tables,
    index: &LookupIndex,
    params: &jaq_json::Val,
    i: usize,
) -> Result<Vec<Action>> {
    let row = tables.row(&rule.meta.table, i)?;
    let input = jq::to_val(&row)?;
    let mut findings = rule_on_row(rule, &row, input.clone(), params)?;
    // Only a failure has a fix: an indeterminate result needs evidence, not a change.
    findings.retain(|f| f.status == Status::Fail);
    if findings.is_empty() {
        return Ok(Vec::new());
    }
    let lookup = jq::to_val(&index.rows(tables, &row)?)?;
    let mut actions = Vec::new();
    for finding in findings {
        let globals = [
            params.clone(),
            jq::to_val(&serde_json::to_value(&finding)?)?,
            lookup.clone(),
        ];
        for out in jq::run(fix, input.clone(), &globals)? {
            let emitted: Emitted = serde_json::from_value(jq::from_val(&out)?).context(
                "the fix must emit objects with commands, terraform, warnings and verify",
            )?;
            actions.push(action(&finding, emitted));
        }
    }
    Ok(actions)
}

/// An emitted change, placed on its finding.
fn action(finding: &Finding, emitted: Emitted) -> Action {
    Action {
        rule_id: finding.rule_id.clone(),
        account: finding.account.clone(),
        region: finding.region.clone(),
        resource_id: finding.resource_id.clone(),
        message: finding.message.clone(),
        commands: emitted.commands,
        terraform: emitted.terraform,
        warnings: emitted.warnings,
        verify: emitted.verify,
        evidence: finding.evidence.clone(),
    }
}

/// The rows of a fix's lookup tables by their key column, indexed once per rule (a scan of the
/// lookup table per finding grows with findings × rows).
struct LookupIndex<'a> {
    lookups: Vec<(&'a Lookup, HashMap<&'a str, Vec<usize>>)>,
}

impl<'a> LookupIndex<'a> {
    fn new(rule: &'a Rule, tables: &'a Tables) -> Result<Self> {
        let mut lookups = Vec::new();
        for lookup in rule.meta.fix.iter().flat_map(|f| &f.lookup) {
            let mut by_key: HashMap<&str, Vec<usize>> = HashMap::new();
            let keys = tables.get(&lookup.table)?.column(&lookup.key)?.str()?;
            for (i, key) in keys.iter().enumerate() {
                if let Some(key) = key {
                    by_key.entry(key).or_default().push(i);
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
            let accounts = tables.get(&lookup.table)?.column("account")?.str()?;
            let mut hits: Vec<usize> = (wanted.iter())
                .flat_map(|k| by_key.get(k).into_iter().flatten().copied())
                .filter(|&i| account.is_none() || accounts.get(i) == account)
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

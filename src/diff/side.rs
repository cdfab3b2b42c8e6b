//! One side of a diff: the findings, and the evidence files they came from with the kinds and
//! accounts each holds; read from an evidence path or a saved `scan --format json` report.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use serde_json::Value;

use crate::evidence::{self, Diagnostic};
use crate::report::coverage;
use crate::rules::{self, EvidenceRecord, Finding, Rule};
use crate::tables::Tables;

/// An evidence file of one side.
#[derive(Debug, Deserialize)]
pub struct SideFile {
    /// Path as the report names it.
    pub file: String,
    /// SHA-256 of its bytes.
    pub sha256: String,
    /// The evidence kinds it holds, as AWS CLI commands.
    pub kind: Vec<String>,
}

/// A saved `scan --format json` report: the parts a diff reads.
#[derive(Deserialize)]
struct SavedReport {
    findings: Vec<Finding>,
    /// Results the evidence could not settle; a diff compares them with the failures.
    #[serde(default)]
    indeterminate: Vec<Finding>,
    evidence: Vec<SideFile>,
    #[serde(rename = "summary")]
    _summary: Value,
}

/// One side of a diff.
#[derive(Debug)]
pub struct Side {
    /// The path it was read from, as given.
    pub label: String,
    /// Its findings: failures, then indeterminate results, each sorted as `scan` sorts them.
    pub findings: Vec<Finding>,
    /// Its evidence files.
    pub files: Vec<SideFile>,
    /// The accounts whose records each file holds (by file name); a file absent here carries
    /// no account and counts for every account.
    pub accounts: FileAccounts,
    /// The evidence root when the side was read from evidence, so records can be re-read.
    pub root: Option<PathBuf>,
}

impl Side {
    /// Reads `path`: a saved report (recognised by content) or evidence, scanned with `rules`.
    /// A path that does not exist, an unreadable report or unreadable evidence is an error.
    pub fn load(path: &Path, rules: &[Rule]) -> Result<Side> {
        let label = path.display().to_string();
        if !path.exists() {
            bail!("{label}: no such file or directory");
        }
        if let Some(mut report) = saved_report(path)? {
            report.findings.append(&mut report.indeterminate);
            let accounts = accounts_of_findings(&report.findings);
            return Ok(Side {
                label,
                findings: report.findings,
                files: report.evidence,
                accounts,
                root: None,
            });
        }
        let mut evidence = evidence::scan(&[path.to_path_buf()]);
        let tables = Tables::build(&mut evidence)?;
        let (findings, run_errors) = rules::run(rules, &tables);
        let errors: Vec<&Diagnostic> = evidence.errors.iter().chain(&run_errors).collect();
        if !errors.is_empty() {
            let lines: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
            bail!("{label} could not be read:\n{}", lines.join("\n"));
        }
        let files = evidence
            .files
            .iter()
            .map(|f| SideFile {
                file: f.file.clone(),
                sha256: f.sha256.clone(),
                kind: f.kind.iter().map(|k| k.to_string()).collect(),
            })
            .collect();
        Ok(Side {
            label,
            findings,
            files,
            accounts: accounts_of_tables(&tables)?,
            root: Some(path.to_path_buf()),
        })
    }

    /// Whether some evidence file holds `kind` for `account`: a file of that account, a file
    /// that carries no account, or (for a finding without an account) any file.
    pub fn has_kind(&self, kind: &str, account: Option<&str>) -> bool {
        self.files.iter().any(|f| {
            f.kind.iter().any(|k| k == kind)
                && match (account, self.accounts.get(&f.file)) {
                    (Some(account), Some(owners)) => owners.contains(account),
                    _ => true,
                }
        })
    }

    /// The file holding an evidence record named `file`, when the side was read from evidence.
    pub fn record_path(&self, file: &str) -> Option<PathBuf> {
        let root = self.root.as_ref()?;
        Some(if root.is_dir() {
            root.join(file)
        } else {
            root.clone()
        })
    }
}

/// `path` as a saved report, or `None` when it is not one (a folder, or a file that does not
/// hold a report's `findings`, `evidence` and `summary`); a report that does not read is an error.
fn saved_report(path: &Path) -> Result<Option<SavedReport>> {
    if !path.is_file() {
        return Ok(None);
    }
    let bytes = std::fs::read(path).with_context(|| format!("{}", path.display()))?;
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(&bytes) else {
        return Ok(None);
    };
    if !["findings", "evidence", "summary"]
        .iter()
        .all(|k| map.contains_key(*k))
    {
        return Ok(None);
    }
    let report = serde_json::from_value(Value::Object(map)).with_context(|| {
        format!(
            "{} looks like a saved scan report but does not read as one",
            path.display()
        )
    })?;
    Ok(Some(report))
}

/// File → accounts: which accounts' records each file holds.
pub type FileAccounts = BTreeMap<String, BTreeSet<String>>;

/// Notes that the files of `evidence` (`[{file, …}]`) hold records of `account`.
fn note(out: &mut FileAccounts, account: &str, evidence: &[EvidenceRecord]) {
    for record in evidence {
        out.entry(record.file.to_string())
            .or_default()
            .insert(account.to_string());
    }
}

/// File → accounts, from the evidence records every finding cites.
fn accounts_of_findings(findings: &[Finding]) -> FileAccounts {
    let mut out = FileAccounts::new();
    for f in findings {
        if let Some(account) = &f.account {
            note(&mut out, account, &f.evidence);
        }
    }
    out
}

/// File → accounts, from every table row that has an account and cites its records (also how
/// `shards` tells which accounts each file feeds).
pub fn accounts_of_tables(tables: &Tables) -> Result<FileAccounts> {
    let mut out = FileAccounts::new();
    for record in coverage::scoped_records(tables)? {
        if let Some(account) = record.scope.0 {
            out.entry(record.file).or_default().insert(account);
        }
    }
    Ok(out)
}

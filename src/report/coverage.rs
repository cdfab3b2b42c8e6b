//! Coverage: what evidence was examined (files, kinds, record counts per account and region,
//! hashes, skipped files, diagnostics) and, per rule and account/region, whether every evidence
//! kind the rule `requires` was there.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::evidence::{Diagnostic, Evidence, EvidenceFile, Kind, Skipped};
use crate::rules::RuleMeta;
use crate::tables::Tables;

/// An account and region; either may be unknown when the evidence does not say.
pub type Scope = (Option<String>, Option<String>);

/// One evidence record a table row cites as its own: the file, the JSON pointer, its scope.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ScopedRecord {
    /// The file, as the evidence names it.
    pub file: String,
    /// 0-based index of the JSON document in the file.
    pub document: u64,
    /// RFC 6901 pointer to the record inside that document.
    pub pointer: String,
    /// Account and region of the row that cites it.
    pub scope: Scope,
}

/// Every record cited as `record` by a table row that names an account, each once.
pub fn scoped_records(tables: &Tables) -> Result<BTreeSet<ScopedRecord>> {
    let mut out = BTreeSet::new();
    for_each_scoped_record(tables, |cited| {
        out.insert(ScopedRecord {
            file: cited.file.to_string(),
            document: u64::from(cited.document),
            pointer: cited.pointer.to_string(),
            scope: (
                Some(cited.account.to_string()),
                cited.region.map(str::to_string),
            ),
        });
    })?;
    Ok(out)
}

/// The scopes whose records each file holds, by file.
type FileScopes = BTreeMap<String, BTreeSet<Scope>>;

/// [`FileScopes`] straight from the tables, without keeping every record: what a scan needs.
/// Each distinct (file, account, region) is gathered borrowed, and owned once.
fn file_scopes(tables: &Tables) -> Result<FileScopes> {
    let mut distinct: BTreeSet<(&str, &str, Option<&str>)> = BTreeSet::new();
    for_each_scoped_record(tables, |cited| {
        distinct.insert((cited.file, cited.account, cited.region));
    })?;
    let mut out = FileScopes::new();
    for (file, account, region) in distinct {
        let scope = (Some(account.to_string()), region.map(str::to_string));
        out.entry(file.to_string()).or_default().insert(scope);
    }
    Ok(out)
}

/// [`FileScopes`] of records already gathered.
fn file_scopes_of(records: &BTreeSet<ScopedRecord>) -> FileScopes {
    let mut out = FileScopes::new();
    for r in records {
        out.entry(r.file.clone())
            .or_default()
            .insert(r.scope.clone());
    }
    out
}

/// A record a table row cites as its own, with the row's account and region, borrowed from the
/// tables.
struct CitedRecord<'t> {
    file: &'t str,
    document: u32,
    pointer: &'t str,
    account: &'t str,
    region: Option<&'t str>,
}

/// Calls `visit` for the `record` of every row that names an account, in the tables built with
/// the evidence, and of every interface (`network_interfaces`, a view, read from the network
/// model it is built from). Reads only the `account`, `region` and `record_ref` columns: a scan
/// pays for this on every table. The other views are not read: they cite only records their
/// source tables cite with the same scope (`eni_exposure`'s record is its interface's record;
/// the load-balancer and flow views cite none as `record`), and asking for one would build it,
/// evaluating the reachability of every interface or path.
fn for_each_scoped_record<'t>(
    tables: &'t Tables,
    mut visit: impl FnMut(CitedRecord<'t>),
) -> Result<()> {
    for (_, df) in tables.eager() {
        let text = |column: &str| df.column(column).ok().and_then(|c| c.str().ok());
        let (Some(accounts), Some(records)) = (text("account"), text("record_ref")) else {
            continue;
        };
        let regions = text("region");
        for i in 0..df.height() {
            let (Some(account), Some(reference)) = (accounts.get(i), records.get(i)) else {
                continue;
            };
            let (file, document, pointer) = tables.locate(reference)?;
            visit(CitedRecord {
                file: &file.file,
                document,
                pointer,
                account,
                region: regions.and_then(|r| r.get(i)),
            });
        }
    }
    let network = tables.network();
    for eni in &network.enis {
        let Some(account) = eni.account() else {
            continue;
        };
        let record = tables.evidence_ref("record", network.source(eni.record))?;
        visit(CitedRecord {
            file: record.file,
            document: record.document,
            pointer: record.pointer,
            account,
            region: eni.region(),
        });
    }
    Ok(())
}

/// The evidence kind whose array a pointer starts in, and the pointer's element of that array
/// (`/NetworkAcls/0/Entries/1` → network ACLs, `0`): a part of a record is not a record.
fn top_record(pointer: &str) -> Option<(Kind, &str)> {
    let mut parts = pointer.split('/').skip(1);
    let (key, index) = (parts.next()?, parts.next()?);
    let kind = Kind::ALL.iter().copied().find(|k| k.key() == key)?;
    Some((kind, index))
}

/// Records of one kind and scope in one file.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RecordCount {
    /// The kind, as an AWS CLI command.
    pub kind: &'static str,
    /// Account, when known.
    pub account: Option<String>,
    /// Region, when known.
    pub region: Option<String>,
    /// How many records.
    pub records: usize,
}

/// A file that held evidence, with its records counted per kind and scope.
#[derive(Debug, Clone, Serialize)]
pub struct FileCoverage {
    /// Path relative to the scanned root.
    pub file: String,
    /// SHA-256 of its bytes, hex.
    pub sha256: String,
    /// The kinds it held, as AWS CLI commands.
    pub kind: Vec<&'static str>,
    /// Records read from it.
    pub records: usize,
    /// Records per kind and scope (records no table row places in an account are not counted).
    pub counts: Vec<RecordCount>,
}

/// The evidence kinds present for one account/region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScopeKinds {
    /// Account, when known.
    pub account: Option<String>,
    /// Region, when known.
    pub region: Option<String>,
    /// Kinds present, as AWS CLI commands, sorted.
    #[serde(deserialize_with = "crate::evidence::kind_commands")]
    pub kinds: Vec<&'static str>,
}

/// Whether a rule could run for one account/region.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Every kind the rule requires is present.
    Full,
    /// Some required kinds are present, some are missing.
    Partial,
    /// None of the required kinds is present.
    None,
}

impl Status {
    /// The status as written in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Full => "full",
            Status::Partial => "partial",
            Status::None => "none",
        }
    }
}

/// One rule's coverage in one account/region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleCoverage {
    /// Rule id.
    pub rule: String,
    /// Account, when known.
    pub account: Option<String>,
    /// Region, when known.
    pub region: Option<String>,
    /// Full, partial or none.
    pub status: Status,
    /// The required kinds that are missing there, as AWS CLI commands.
    pub missing: Vec<String>,
}

impl RuleCoverage {
    /// "EC2.21 needs ec2 describe-network-acls for 111122223333/us-east-1", or `None` when full.
    pub fn need(&self) -> Option<String> {
        if self.missing.is_empty() {
            return None;
        }
        let scope = scope_label(&self.account, &self.region);
        Some(format!(
            "{} needs {} for {scope}",
            self.rule,
            self.missing.join(", ")
        ))
    }
}

/// `account/region`, `-` standing for what is unknown.
pub fn scope_label(account: &Option<impl AsRef<str>>, region: &Option<impl AsRef<str>>) -> String {
    let account = account.as_ref().map_or("-", AsRef::as_ref);
    format!("{account}/{}", region.as_ref().map_or("-", AsRef::as_ref))
}

/// What evidence was examined and what each rule could use of it.
#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    /// Files that held evidence.
    pub files: Vec<FileCoverage>,
    /// Files that are not evidence, with the reason.
    pub skipped: Vec<Skipped>,
    /// Files that could not be read.
    pub errors: Vec<Diagnostic>,
    /// Warnings, every one.
    pub warnings: Vec<Diagnostic>,
    /// The kinds present and each rule's coverage, per account/region.
    #[serde(flatten)]
    pub by_scope: ScopeCoverage,
    /// Per VPC, which interfaces have flow log records for which window.
    pub flow: Vec<super::flow_coverage::VpcFlowCoverage>,
}

/// Per account/region, the kinds present and each rule's coverage: the part of [`Coverage`] a
/// scan report carries (its files, skipped files and diagnostics are the report's own).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ScopeCoverage {
    /// Per account/region, the kinds present.
    pub scopes: Vec<ScopeKinds>,
    /// Per rule and account/region, full, partial or none; by rule id, then scope.
    pub rules: Vec<RuleCoverage>,
}

impl Coverage {
    /// The coverage of `rules` over `evidence`, whose tables are `tables`.
    pub fn new(evidence: &Evidence, tables: &Tables, rules: &[RuleMeta]) -> Result<Coverage> {
        let records = scoped_records(tables)?;
        let files: Vec<FileCoverage> = evidence
            .files
            .iter()
            .map(|f| FileCoverage {
                file: f.file.clone(),
                sha256: f.sha256.clone(),
                kind: f.kind.clone(),
                records: f.records,
                counts: counts_in(&f.file, &records),
            })
            .collect();
        Ok(Coverage {
            files,
            skipped: evidence.skipped.clone(),
            errors: evidence.errors.clone(),
            warnings: evidence.warnings.clone(),
            by_scope: ScopeCoverage::of(&evidence.files, &file_scopes_of(&records), rules),
            flow: super::flow_coverage::flow_coverage(tables)?,
        })
    }
}

impl ScopeCoverage {
    /// The coverage of `rules` per account/region of `evidence`, whose tables are `tables`.
    pub fn new(evidence: &Evidence, tables: &Tables, rules: &[RuleMeta]) -> Result<ScopeCoverage> {
        let owners = file_scopes(tables)?;
        Ok(ScopeCoverage::of(&evidence.files, &owners, rules))
    }

    /// The coverage of `rules` given the files and the scopes of each file's records.
    fn of(files: &[EvidenceFile], owners: &FileScopes, rules: &[RuleMeta]) -> ScopeCoverage {
        let present = kinds_by_scope(files, owners);
        let scopes = present
            .iter()
            .map(|((account, region), kinds)| ScopeKinds {
                account: account.clone(),
                region: region.clone(),
                kinds: kinds.iter().copied().collect(),
            })
            .collect();
        let mut rules: Vec<&RuleMeta> = rules.iter().collect();
        rules.sort_by(|a, b| a.id.cmp(&b.id));
        let rules = rules
            .into_iter()
            .flat_map(|meta| present.iter().map(move |(s, k)| rule_in(meta, s, k)))
            .collect();
        ScopeCoverage { scopes, rules }
    }

    /// The rules that could not run fully somewhere, in rule and scope order.
    pub fn gaps(&self) -> impl Iterator<Item = &RuleCoverage> {
        self.rules.iter().filter(|r| r.status != Status::Full)
    }
}

/// The records of `file` counted per kind and scope.
fn counts_in(file: &str, records: &BTreeSet<ScopedRecord>) -> Vec<RecordCount> {
    let tops: BTreeSet<(&'static str, &Scope, u64, &str)> = records
        .iter()
        .filter(|r| r.file == file)
        .filter_map(|r| {
            let (kind, index) = top_record(&r.pointer)?;
            Some((kind.command(), &r.scope, r.document, index))
        })
        .collect();
    let mut counts: BTreeMap<(&'static str, &Scope), usize> = BTreeMap::new();
    for (kind, scope, _, _) in tops {
        *counts.entry((kind, scope)).or_default() += 1;
    }
    counts
        .into_iter()
        .map(|((kind, (account, region)), records)| RecordCount {
            kind,
            account: account.clone(),
            region: region.clone(),
            records,
        })
        .collect()
}

/// Scope → kinds present. A file gives its kinds to every scope its records belong to; a
/// record of a known account but no region counts for each region of that account; a file with
/// no record placed in an account (an empty export, say) gives its kinds to every scope seen.
/// An account without any region-known record keeps a region-less scope.
fn kinds_by_scope(
    files: &[EvidenceFile],
    owners: &FileScopes,
) -> BTreeMap<Scope, BTreeSet<&'static str>> {
    let seen: BTreeSet<&Scope> = owners.values().flatten().collect();
    let regional: BTreeSet<&Option<String>> = seen
        .iter()
        .filter(|s| s.1.is_some())
        .map(|s| &s.0)
        .collect();
    let mut present: BTreeMap<Scope, BTreeSet<&'static str>> = seen
        .into_iter()
        .filter(|s| s.1.is_some() || !regional.contains(&s.0))
        .map(|s| (s.clone(), BTreeSet::new()))
        .collect();
    for f in files {
        let kinds = f.kind.iter().copied();
        match owners.get(&f.file).filter(|o| !o.is_empty()) {
            None => present.values_mut().for_each(|k| k.extend(kinds.clone())),
            Some(owners) => {
                for (account, region) in owners {
                    let of_account = present
                        .range_mut((account.clone(), None)..)
                        .take_while(|((a, _), _)| a == account);
                    for ((_, r), present_kinds) in of_account {
                        if region.is_none() || r == region {
                            present_kinds.extend(kinds.clone());
                        }
                    }
                }
            }
        }
    }
    present
}

/// One rule's coverage in one scope with `kinds` present.
fn rule_in(meta: &RuleMeta, scope: &Scope, kinds: &BTreeSet<&'static str>) -> RuleCoverage {
    let missing: Vec<String> = meta
        .requires
        .iter()
        .filter(|k| !kinds.contains(k.as_str()))
        .cloned()
        .collect();
    let status = if missing.is_empty() {
        Status::Full
    } else if missing.len() == meta.requires.len() {
        Status::None
    } else {
        Status::Partial
    };
    RuleCoverage {
        rule: meta.id.clone(),
        account: scope.0.clone(),
        region: scope.1.clone(),
        status,
        missing,
    }
}

/// How many lines of coverage gaps a scan's terminal table shows before pointing to JSON.
const SHOWN_GAPS: usize = 10;

impl ScopeCoverage {
    /// The gaps for a terminal, one line per scope and missing exports naming the rules they
    /// stop: "EC2.21 could not run fully for 111122223333/us-east-1: needs ec2
    /// describe-network-acls". Nothing when every rule could run fully.
    pub fn write_gaps(&self, out: &mut dyn Write) -> Result<()> {
        let mut lines: BTreeMap<(String, &[String], Status), Vec<&str>> = BTreeMap::new();
        for r in self.gaps() {
            let scope = scope_label(&r.account, &r.region);
            let key = (scope, r.missing.as_slice(), r.status);
            lines.entry(key).or_default().push(&r.rule);
        }
        if lines.is_empty() {
            return Ok(());
        }
        writeln!(
            out,
            "\nCOVERAGE GAPS: these rules could not run fully; no finding from them there is not a pass:"
        )?;
        for ((scope, missing, status), rules) in lines.iter().take(SHOWN_GAPS) {
            let fully = if *status == Status::Partial {
                " fully"
            } else {
                ""
            };
            let (rules, missing) = (rules.join(", "), missing.join(", "));
            writeln!(
                out,
                "{rules} could not run{fully} for {scope}: needs {missing}"
            )?;
        }
        if lines.len() > SHOWN_GAPS {
            writeln!(
                out,
                "… and {} more gaps (see --format json)",
                lines.len() - SHOWN_GAPS
            )?;
        }
        Ok(())
    }
}

/// How many diagnostics of one kind the terminal shows before pointing to JSON.
const SHOWN_PER_GROUP: usize = 3;

/// The kind of a diagnostic: its message with every word holding a digit (ids, ARNs,
/// addresses) blanked, so warnings that differ only in the resource group together.
fn diagnostic_kind(d: &Diagnostic) -> String {
    let words: Vec<&str> = d
        .message
        .split_whitespace()
        .map(|w| {
            if w.chars().any(|c| c.is_ascii_digit()) {
                "…"
            } else {
                w
            }
        })
        .collect();
    words.join(" ")
}

/// Diagnostics grouped by kind, in order of first appearance, each line under `indent`: a
/// group of more than [`SHOWN_PER_GROUP`] is shown as its count and its first few.
pub fn write_grouped(
    out: &mut dyn Write,
    indent: &str,
    label: &str,
    list: &[Diagnostic],
) -> Result<()> {
    let mut groups: Vec<(String, Vec<&Diagnostic>)> = Vec::new();
    for d in list {
        let kind = diagnostic_kind(d);
        match groups.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, members)) => members.push(d),
            None => groups.push((kind, vec![d])),
        }
    }
    for (_, members) in groups {
        if members.len() > SHOWN_PER_GROUP {
            writeln!(
                out,
                "{indent}{} {label}s like these (first {SHOWN_PER_GROUP} shown; see --format json):",
                members.len()
            )?;
        }
        for d in members.iter().take(SHOWN_PER_GROUP) {
            writeln!(out, "{indent}{label}: {d}")?;
        }
    }
    Ok(())
}

impl Coverage {
    /// The coverage for a terminal: files, scopes, rules, then skipped files and diagnostics.
    pub fn write_table(&self, out: &mut dyn Write) -> Result<()> {
        writeln!(out, "Evidence files ({}):", self.files.len())?;
        for f in &self.files {
            writeln!(out, "  {}  sha256:{}", f.file, f.sha256)?;
            writeln!(out, "    kinds: {}", f.kind.join(", "))?;
            for c in &f.counts {
                let scope = scope_label(&c.account, &c.region);
                writeln!(out, "    {:>6}  {}  {scope}", c.records, c.kind)?;
            }
        }
        writeln!(
            out,
            "\nAccounts and regions ({}):",
            self.by_scope.scopes.len()
        )?;
        for s in &self.by_scope.scopes {
            let scope = scope_label(&s.account, &s.region);
            writeln!(out, "  {scope}: {}", s.kinds.join(", "))?;
        }
        writeln!(out, "\nRule coverage:")?;
        for r in &self.by_scope.rules {
            let scope = scope_label(&r.account, &r.region);
            let status = r.status.as_str();
            match r.need() {
                Some(need) => writeln!(out, "  {:<10} {scope:<26} {status:<8} {need}", r.rule)?,
                None => writeln!(out, "  {:<10} {scope:<26} {status}", r.rule)?,
            }
        }
        super::flow_coverage::write_flow_coverage(out, &self.flow)?;
        if !self.skipped.is_empty() {
            writeln!(out, "\nSkipped files ({}):", self.skipped.len())?;
            for s in &self.skipped {
                writeln!(out, "  {}: {}", s.file, s.reason)?;
            }
        }
        if !self.errors.is_empty() || !self.warnings.is_empty() {
            writeln!(out, "\nDiagnostics:")?;
            write_grouped(out, "  ", "error", &self.errors)?;
            write_grouped(out, "  ", "warning", &self.warnings)?;
        }
        Ok(())
    }
}

//! `shards`: the evidence split into independent parts, one per account (or per VPC owner with
//! the accounts whose interfaces live in its shared VPCs), each scanned on its own by a batch
//! runner and combined again with `merge`. Evidence is independent per account except where a
//! VPC is shared across accounts (RAM-shared subnets: an interface's owner differs from its
//! subnet's); that is detected and warned about.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::Serialize;

use crate::diff::side::accounts_of_tables;
use crate::evidence::{self, Diagnostic, Evidence};
use crate::tables::Tables;

/// How evidence is split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum By {
    /// One shard per account.
    Account,
    /// One shard per account, except that accounts with interfaces in another account's shared
    /// VPC join that owner's shard.
    VpcOwner,
}

/// One shard: a name and the files to scan together.
#[derive(Debug, Serialize)]
pub struct Shard {
    /// The account (the VPC owner's, for `--by vpc-owner`).
    pub shard: String,
    /// The files, as paths usable from the current directory.
    pub files: Vec<String>,
    /// Those of `files` that also feed other shards: files of several accounts, and files that
    /// name no account (read by every shard).
    pub shared: Vec<String>,
}

/// The shards and what the user must know about them.
#[derive(Debug)]
pub struct Plan {
    /// The shards, by name.
    pub shards: Vec<Shard>,
    /// Shared VPCs found, and shared VPCs whose owner's evidence is absent.
    pub warnings: Vec<Diagnostic>,
    /// Evidence that could not be read.
    pub errors: Vec<Diagnostic>,
}

/// An interface in a subnet another account owns.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct SharedVpc {
    participant: String,
    owner: String,
    vpc: String,
}

/// Each shared VPC with the first interface record that shows it (file and pointer).
type SharedVpcs = BTreeMap<SharedVpc, (String, String)>;

/// Reads the evidence under `paths` and splits it `by` account or VPC owner.
pub fn plan(paths: &[PathBuf], by: By) -> Result<Plan> {
    let mut evidence = evidence::scan(paths);
    // Read from the typed records, which `Tables::build` releases.
    let shared_vpcs = shared_vpcs(&evidence);
    let warnings = shared_vpc_warnings(&evidence, &shared_vpcs, Some(by));
    let tables = Tables::build(&mut evidence)?;
    let mut accounts_of = accounts_of_tables(&tables)?;
    for file in &evidence.files {
        if !accounts_of.contains_key(&file.file) {
            let alone = accounts_alone(Path::new(&usable_path(paths, &file.file)))?;
            accounts_of.insert(file.file.clone(), alone);
        }
    }
    accounts_of.retain(|_, accounts| !accounts.is_empty());
    let group: BTreeMap<&str, &str> = match by {
        By::Account => BTreeMap::new(),
        By::VpcOwner => (shared_vpcs.keys())
            .map(|s| (s.participant.as_str(), s.owner.as_str()))
            .collect(),
    };
    let usable = |shown: &str| usable_path(paths, shown);
    let mut shards: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut everywhere = BTreeSet::new();
    let mut feeds: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
    let names =
        (evidence.files.iter().map(|f| &f.file)).chain(evidence.skipped.iter().map(|s| &s.file));
    for file in names {
        let Some(accounts) = accounts_of.get(file) else {
            everywhere.insert(usable(file));
            continue;
        };
        for account in accounts {
            let shard = group.get(account.as_str()).copied().unwrap_or(account);
            shards
                .entry(shard.to_string())
                .or_default()
                .insert(usable(file));
            feeds.entry(usable(file)).or_default().insert(shard);
        }
    }
    let shards = shards
        .into_iter()
        .map(|(shard, mut files)| {
            files.extend(everywhere.iter().cloned());
            let shared = (files.iter())
                .filter(|f| everywhere.contains(*f) || feeds.get(*f).is_some_and(|s| s.len() > 1))
                .cloned()
                .collect();
            Shard {
                shard,
                files: files.into_iter().collect(),
                shared,
            }
        })
        .collect();
    Ok(Plan {
        shards,
        warnings,
        errors: evidence.errors,
    })
}

/// The accounts a file feeds when read alone: a file whose records all repeat other files'
/// (dropped as duplicates in the whole) still feeds the shards of its accounts.
fn accounts_alone(path: &Path) -> Result<BTreeSet<String>> {
    let mut evidence = evidence::scan(&[path.to_path_buf()]);
    let tables = Tables::build(&mut evidence)?;
    Ok(accounts_of_tables(&tables)?
        .into_values()
        .flatten()
        .collect())
}

/// A file's name in the evidence as a path usable from the current directory: joined to the
/// folder scanned when one folder was given (names are relative to it), as it is otherwise.
fn usable_path(paths: &[PathBuf], shown: &str) -> String {
    match paths {
        [root] if root.is_dir() && root != Path::new(".") => {
            format!("{}/{shown}", root.to_string_lossy().trim_end_matches('/'))
        }
        [root] if root.is_file() => root.to_string_lossy().into_owned(),
        _ => shown.to_string(),
    }
}

/// Every (participant, owner, VPC) where an interface's owner differs from its subnet's owner.
fn shared_vpcs(evidence: &Evidence) -> SharedVpcs {
    let subnet_owner: BTreeMap<&str, &str> = (evidence.records.subnets.iter())
        .filter_map(|s| Some((s.item.subnet_id.as_str(), s.item.owner_id.as_deref()?)))
        .collect();
    let mut out = SharedVpcs::new();
    for record in &evidence.records.network_interfaces {
        let eni = &record.item;
        let (Some(participant), Some(subnet)) = (&eni.owner_id, &eni.subnet_id) else {
            continue;
        };
        if let Some(owner) = subnet_owner.get(subnet.as_str())
            && owner != participant
        {
            let shared = SharedVpc {
                participant: participant.to_string(),
                owner: owner.to_string(),
                vpc: eni.vpc_id.as_deref().unwrap_or(subnet).to_string(),
            };
            let file = &evidence.files[record.source.file as usize].file;
            (out.entry(shared)).or_insert_with(|| (file.clone(), record.source.pointer.clone()));
        }
    }
    out
}

/// For `scan`, before `Tables::build` releases the records: a warning for each VPC shared across accounts (RAM) whose owner's route tables are
/// not in `evidence`, naming the first interface that lives in it.
pub fn missing_vpc_owners(evidence: &Evidence) -> Vec<Diagnostic> {
    shared_vpc_warnings(evidence, &shared_vpcs(evidence), None)
}

/// With a split (`by`), one warning per shared VPC; and one more when its owner's route tables
/// are not in the evidence.
fn shared_vpc_warnings(
    evidence: &Evidence,
    shared: &SharedVpcs,
    by: Option<By>,
) -> Vec<Diagnostic> {
    let routed: BTreeSet<&str> = (evidence.records.route_tables.iter())
        .filter_map(|r| r.item.owner_id.as_deref())
        .collect();
    let mut out = Vec::new();
    for (s, (file, pointer)) in shared {
        let at = |message: String| Diagnostic {
            pointer: Some(pointer.clone()),
            ..Diagnostic::file(file, message)
        };
        let advice = match by {
            Some(By::Account) => "its shard lacks the owner's routes and ACLs; use --by vpc-owner",
            Some(By::VpcOwner) => "both are in the owner's shard",
            None => "",
        };
        if !advice.is_empty() {
            out.push(at(format!(
                "account {} has interfaces in {}, a VPC shared by account {} (RAM); {advice}",
                s.participant, s.vpc, s.owner
            )));
        }
        if !routed.contains(s.owner.as_str()) {
            out.push(at(format!(
                "account {} owns the shared VPC {} but none of its evidence is here; export \
                 its route tables, network ACLs and subnets to know what reaches {}",
                s.owner, s.vpc, s.participant
            )));
        }
    }
    out
}

/// Writes the shards as text: each shard, then its files, shared ones marked.
pub fn write_text(out: &mut dyn Write, shards: &[Shard]) -> Result<()> {
    for shard in shards {
        writeln!(out, "{}  ({} files)", shard.shard, shard.files.len())?;
        for file in &shard.files {
            let note = if shard.shared.contains(file) {
                "  (shared: also in other shards)"
            } else {
                ""
            };
            writeln!(out, "  {file}{note}")?;
        }
    }
    Ok(())
}

//! Evidence: finding files, reading them in parallel into typed records, recognising each
//! document by its content, and keeping every record's provenance.

mod depth;
mod discover;
pub mod elb;
mod encoding;
pub mod flow;
mod flow_read;
pub mod flow_summary;
pub mod kinds;
pub mod model;
pub mod read;
mod stream;
pub mod timestamp;

use std::collections::BTreeMap;
use std::path::PathBuf;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use kinds::{Conflict, Kind, Records};
pub use read::Diagnostic;

/// Where a record came from: a file, the JSON document within it, and a JSON pointer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Source {
    /// Index into [`Evidence::files`].
    pub file: u32,
    /// 0-based index of the JSON document in the file (files may hold several, concatenated).
    pub document: u32,
    /// RFC 6901 pointer to the record inside that document.
    pub pointer: String,
}

impl Source {
    /// A source in `file`, document `document`, at `pointer`.
    pub fn new(file: u32, document: u32, pointer: String) -> Self {
        Source {
            file,
            document,
            pointer,
        }
    }

    /// The same document, another pointer.
    pub fn at(&self, pointer: String) -> Self {
        Source::new(self.file, self.document, pointer)
    }

    /// Element `index` of the array `list` inside this record.
    pub fn child(&self, list: &str, index: usize) -> Self {
        self.at(format!("{}/{list}/{index}", self.pointer))
    }
}

/// A typed record with its provenance.
#[derive(Debug)]
pub struct Record<T> {
    /// The record.
    pub item: T,
    /// Where it was read.
    pub source: Source,
}

/// A record reads as its item alone, with a source to be filled in once its place is known
/// ([`Records::take`]): the reader parses a document's arrays straight into records.
impl<'de, T: Deserialize<'de>> Deserialize<'de> for Record<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Record {
            item: T::deserialize(d)?,
            source: Source::new(u32::MAX, 0, String::new()),
        })
    }
}

/// A file that held evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidenceFile {
    /// Path relative to the scanned root.
    pub file: String,
    /// SHA-256 of the file's bytes, hex.
    pub sha256: String,
    /// The kinds of evidence it held, as AWS CLI commands.
    #[serde(deserialize_with = "kind_commands")]
    pub kind: Vec<&'static str>,
    /// Records read from it (before duplicates across files were dropped).
    pub records: usize,
}

/// Reads [`EvidenceFile::kind`] back from a saved report: each entry must be the command of a
/// known kind.
pub(crate) fn kind_commands<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Vec<&'static str>, D::Error> {
    let names = Vec::<String>::deserialize(d)?;
    (names.iter())
        .map(|name| {
            let kind = Kind::ALL.iter().find(|k| k.command() == name);
            kind.map(|k| k.command())
                .ok_or_else(|| serde::de::Error::custom(format!("unknown evidence kind {name:?}")))
        })
        .collect()
}

/// A file that was read but is not AWS evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Skipped {
    /// Path relative to the scanned root.
    pub file: String,
    /// Why it was skipped.
    pub reason: String,
}

/// Everything read from the scanned paths.
#[derive(Debug, Default)]
pub struct Evidence {
    /// Files that held evidence; [`Source::file`] indexes this list.
    pub files: Vec<EvidenceFile>,
    /// Files that are not evidence.
    pub skipped: Vec<Skipped>,
    /// Failed API calls, `failures[]` entries and gaps found while joining.
    pub warnings: Vec<Diagnostic>,
    /// Files that could not be read (invalid JSON, unexpected shape, I/O).
    pub errors: Vec<Diagnostic>,
    /// The records, each resource once (empty once handed to the tables: see [`Evidence::take_records`]).
    pub records: Records,
    /// Records dropped because the same resource was exported more than once.
    pub duplicates: usize,
    /// Flow log records of each delivery file, in file order, aggregated as read (not records).
    pub flow: Vec<flow_summary::FlowSummary>,
    /// The number of records of each kind, kept when the records are released.
    released: Option<BTreeMap<Kind, usize>>,
}

impl Evidence {
    /// Number of records of a kind, also after the records are released.
    pub fn count(&self, kind: Kind) -> usize {
        match &self.released {
            Some(counts) => counts.get(&kind).copied().unwrap_or_default(),
            None => self.records.count(kind),
        }
    }

    /// Hands the records over to the tables, which free each kind once its last reader is
    /// done; only their counts per kind stay, for the report.
    pub fn take_records(&mut self) -> Records {
        let records = &self.records;
        (self.released).get_or_insert_with(|| {
            let counts = Kind::ALL.iter().map(|k| (*k, records.count(*k)));
            counts.collect()
        });
        std::mem::take(&mut self.records)
    }
}

impl Records {
    /// Frees the records on a thread of their own, alongside what comes next, and has the
    /// threads that read them give back the pages that leaves empty
    /// ([`crate::allocator::collect_freed_pages`]).
    pub fn release(self) {
        if self.count_all() > 0 {
            std::thread::spawn(move || {
                drop(self);
                crate::allocator::collect_freed_pages();
            });
        }
    }
}

/// Reads every file under `paths` (files or directories, recursively), in parallel.
pub fn scan(paths: &[PathBuf]) -> Evidence {
    let mut evidence = Evidence::default();
    let mut found = Vec::new();
    for root in paths {
        discover::discover(root, paths.len() > 1, &mut found, &mut evidence);
    }
    found.sort_by(|a, b| a.shown.cmp(&b.shown));
    found.dedup_by(|a, b| a.shown == b.shown);

    let progress = crate::progress::Progress::new("reading", found.len());
    let outcomes: Vec<_> = found
        .par_iter()
        .map(|f| {
            let outcome = read_found(f);
            progress.advance(1);
            outcome
        })
        .collect();
    drop(progress);

    for (f, outcome) in found.iter().zip(outcomes) {
        let (sha256, mut out) = match outcome {
            Ok(x) => x,
            Err(d) => {
                evidence.errors.push(d);
                continue;
            }
        };
        evidence.warnings.append(&mut out.warnings);
        evidence.errors.append(&mut out.errors);
        if let Some(reason) = out.skipped.take() {
            evidence.skipped.push(Skipped {
                file: f.shown.clone(),
                reason,
            });
            continue;
        }
        if out.kinds.is_empty() && out.records.count_all() == 0 && out.flow.is_none() {
            continue;
        }
        let index = evidence.files.len() as u32;
        out.records.set_file(index);
        let mut kind: Vec<&'static str> = out.kinds.iter().map(|(k, _)| k.command()).collect();
        let mut records = out.kinds.iter().map(|(_, n)| n).sum();
        if let Some(mut flow) = out.flow.take() {
            flow.set_file(index);
            kind.push(flow_read::DELIVERY);
            records += flow.len();
            evidence.flow.push(flow);
        }
        kind.sort_unstable();
        kind.dedup();
        evidence.files.push(EvidenceFile {
            file: f.shown.clone(),
            sha256,
            kind,
            records,
        });
        evidence.records.append(&mut out.records);
    }
    evidence.skipped.sort_by(|a, b| a.file.cmp(&b.file));
    flow_read::drop_repeated_deliveries(&mut evidence);
    let (duplicates, conflicts) = evidence.records.dedup();
    evidence.duplicates = duplicates;
    for c in conflicts {
        let kept = &evidence.files[c.kept.file as usize].file;
        evidence.warnings.push(Diagnostic {
            pointer: Some(c.dropped.pointer.clone()),
            ..Diagnostic::file(
                &evidence.files[c.dropped.file as usize].file,
                format!(
                    "{} is also in {kept} at {} with different content; the first copy in file \
                     order (that one) is used. Exports taken at different times are best scanned \
                     separately",
                    c.key, c.kept.pointer
                ),
            )
        });
    }
    evidence
}

/// Reads one found file: a flow log delivery file or a large JSON file as a stream, anything
/// else whole.
fn read_found(f: &discover::Found) -> Result<(String, read::FileOutcome), Diagnostic> {
    let cannot = |e: std::io::Error| Diagnostic::file(&f.shown, format!("cannot read: {e}"));
    if let Some(gzip) = flow_read::sniff(&f.path).map_err(cannot)? {
        return flow_read::read(&f.path, &f.shown, gzip).map_err(cannot);
    }
    if let Some(streamed) = stream::read(&f.path, &f.shown).map_err(cannot)? {
        return Ok(streamed);
    }
    let bytes = std::fs::read(&f.path).map_err(cannot)?;
    let sha = hex::encode(Sha256::digest(&bytes));
    Ok((sha, read::read_file(u32::MAX, &f.shown, &bytes)))
}

/// Reads one file's content as [`scan`] reads a file it found: a flow log delivery file (gzip,
/// or text under a flow log header) as a stream, anything else as JSON evidence. `shown` names
/// the file in diagnostics; the records' file index is left for the caller to set.
pub fn read_bytes(shown: &str, bytes: &[u8]) -> read::FileOutcome {
    match flow_read::sniff_head(bytes) {
        Some(gzip) => flow_read::read_from(bytes, shown, gzip),
        None => read::read_file(u32::MAX, shown, bytes),
    }
}

/// Reads one file's content as [`scan`] reads a large JSON file, as a stream `chunk` bytes at a
/// time (for the fuzz target that checks the stream reader against [`read_bytes`]): its SHA-256
/// and what it held, or `None` when `scan` would read it whole (a flow log delivery file, or
/// JSON not of the plain shape streamed).
pub fn read_bytes_streamed(
    shown: &str,
    bytes: &[u8],
    chunk: usize,
) -> Option<(String, read::FileOutcome)> {
    match flow_read::sniff_head(bytes) {
        Some(_) => None,
        None => stream::read_bytes(shown, bytes, chunk),
    }
}

/// Account and region of an ARN (`arn:aws:ecs:REGION:ACCOUNT:…`).
pub fn arn_scope(arn: &str) -> (Option<&str>, Option<&str>) {
    let mut parts = arn.splitn(6, ':');
    let region = parts.nth(3).filter(|s| !s.is_empty());
    let account = parts.next().filter(|s| !s.is_empty());
    (account, region)
}

/// The region of an availability zone: `eu-west-1a` → `eu-west-1`, local zones included
/// (`us-west-2-lax-1a` → `us-west-2`).
pub fn az_region(az: &str) -> Option<&str> {
    let mut dashes = 0;
    for (i, c) in az.char_indices() {
        if c == '-' {
            dashes += 1;
        } else if c.is_ascii_digit() && dashes >= 2 {
            let end = i + az[i..]
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(az.len() - i);
            return Some(&az[..end]);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_from_arn_and_zone() {
        assert_eq!(
            arn_scope("arn:aws:ecs:eu-west-1:111122223333:service/c/web"),
            (Some("111122223333"), Some("eu-west-1"))
        );
        assert_eq!(az_region("eu-west-1a"), Some("eu-west-1"));
        assert_eq!(az_region("us-west-2-lax-1a"), Some("us-west-2"));
        assert_eq!(az_region("us-gov-west-1b"), Some("us-gov-west-1"));
        assert_eq!(az_region("nowhere"), None);
    }

    #[test]
    fn records_taken_by_kind_keep_their_counts() {
        let mut document: kinds::Document = serde_json::from_str(
            r#"{"tasks": [{"taskArn": "arn:aws:ecs:eu-west-1:111122223333:task/c/a"}],
                "NetworkInterfaces": [{"NetworkInterfaceId": "eni-1"}, {"NetworkInterfaceId": "eni-2"}]}"#,
        )
        .unwrap();
        let mut evidence = Evidence::default();
        let at = Source::new(0, 0, String::new());
        evidence.records.take(&mut document, &at, &mut Vec::new());
        let mut records = evidence.take_records();
        let tasks = records.take_kinds(&[Kind::EcsTasks]);
        assert_eq!((tasks.count_all(), tasks.tasks.len()), (1, 1));
        assert_eq!(
            (records.count_all(), records.network_interfaces.len()),
            (2, 2)
        );
        assert_eq!(
            evidence.records.count_all(),
            0,
            "the tables own the records"
        );
        assert_eq!(evidence.count(Kind::EcsTasks), 1);
        assert_eq!(evidence.count(Kind::NetworkInterfaces), 2);
        evidence.take_records();
        assert_eq!(
            evidence.count(Kind::EcsTasks),
            1,
            "counted once, when first taken"
        );
    }
}

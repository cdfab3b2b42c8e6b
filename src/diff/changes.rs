//! What differs between the two sides' copies of one finding: severity, message, the ports
//! and sources exposed (from `details.exposed`), and the evidence records it rests on.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use serde::Serialize;
use serde_json::Value;

use super::Side;
use crate::rules::{EvidenceRecord, Finding, Severity};

/// One difference between the old and new copy of a finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// The severity differs.
    Severity {
        /// Before.
        old: Severity,
        /// After.
        new: Severity,
    },
    /// The message differs.
    Message {
        /// Before.
        old: String,
        /// After.
        new: String,
    },
    /// Ports or sources open on one side only: `tcp 8081-8100 from every internet source (IPv4)`.
    Exposure {
        /// Open now, not before.
        gained: Vec<String>,
        /// Open before, not now.
        lost: Vec<String>,
    },
    /// An evidence record of the finding whose file SHA-256 or pointer differs.
    Evidence {
        /// The record's role in the finding.
        role: String,
        /// The file holding it.
        file: String,
        /// Its pointer before (absent when the record is new).
        old_pointer: Option<String>,
        /// Its pointer after (absent when the record is gone).
        new_pointer: Option<String>,
        /// Whether the record's own JSON differs; known only when both sides are evidence.
        record_changed: Option<bool>,
    },
}

/// Reads evidence records of either side, each file parsed once.
pub struct RecordLookup {
    paths: [HashMap<String, PathBuf>; 2],
    documents: HashMap<PathBuf, Vec<Value>>,
}

impl RecordLookup {
    /// A lookup over the files of `old` and `new` (empty for a side read from a report).
    pub fn new(old: &Side, new: &Side) -> RecordLookup {
        let paths = [old, new].map(|side| {
            side.files
                .iter()
                .filter_map(|f| Some((f.file.clone(), side.record_path(&f.file)?)))
                .collect()
        });
        RecordLookup {
            paths,
            documents: HashMap::new(),
        }
    }

    /// The JSON of the record `file` / document / pointer on side 0 (old) or 1 (new).
    fn record(&mut self, side: usize, reference: &EvidenceRecord) -> Option<Value> {
        let path = self.paths[side].get(reference.file.as_str())?.clone();
        let documents = self.documents.entry(path).or_insert_with_key(|path| {
            std::fs::read(path)
                .ok()
                .map(|bytes| {
                    serde_json::Deserializer::from_slice(&bytes)
                        .into_iter::<Value>()
                        .map_while(Result::ok)
                        .collect()
                })
                .unwrap_or_default()
        });
        let document = documents.get(usize::try_from(reference.document).ok()?)?;
        document.pointer(&reference.pointer).cloned()
    }

    /// Whether the two records' JSON differs; `None` when either cannot be read.
    fn differs(&mut self, old: &EvidenceRecord, new: &EvidenceRecord) -> Option<bool> {
        Some(self.record(0, old)? != self.record(1, new)?)
    }
}

/// Every difference between `old` and `new`, two copies of the same finding; empty when the
/// severity, message and exposure are the same (evidence changes alone do not count).
pub fn between(old: &Finding, new: &Finding, records: &mut RecordLookup) -> Vec<Change> {
    let mut changes = Vec::new();
    if old.severity != new.severity {
        changes.push(Change::Severity {
            old: old.severity,
            new: new.severity,
        });
    }
    if old.message != new.message {
        changes.push(Change::Message {
            old: old.message.clone(),
            new: new.message.clone(),
        });
    }
    let (before, after) = (exposure(old), exposure(new));
    let (gained, lost) = (difference(&after, &before), difference(&before, &after));
    if !gained.is_empty() || !lost.is_empty() {
        changes.push(Change::Exposure { gained, lost });
    }
    if !changes.is_empty() {
        changes.extend(evidence_changes(old, new, records));
    }
    changes
}

/// The evidence records whose file or pointer differs, paired by role and order within it.
fn evidence_changes(old: &Finding, new: &Finding, records: &mut RecordLookup) -> Vec<Change> {
    let (before, after) = (by_role(&old.evidence), by_role(&new.evidence));
    let mut roles: Vec<&(String, String)> = before.keys().chain(after.keys()).collect();
    roles.sort();
    roles.dedup();
    let mut out = Vec::new();
    for role_file in roles {
        let none = Vec::new();
        let (olds, news) = (
            before.get(role_file).unwrap_or(&none),
            after.get(role_file).unwrap_or(&none),
        );
        for i in 0..olds.len().max(news.len()) {
            let (o, n) = (olds.get(i).copied(), news.get(i).copied());
            if place(o) == place(n) {
                continue;
            }
            let pointer = |r: Option<&EvidenceRecord>| r.map(|r| r.pointer.to_string());
            out.push(Change::Evidence {
                role: role_file.0.clone(),
                file: role_file.1.clone(),
                old_pointer: pointer(o),
                new_pointer: pointer(n),
                record_changed: o.zip(n).and_then(|(o, n)| records.differs(o, n)),
            });
        }
    }
    out
}

/// Where a record is: its file's SHA-256 and its pointer.
fn place(record: Option<&EvidenceRecord>) -> Option<(&str, &str)> {
    record.map(|r| (r.sha256.as_str(), &*r.pointer))
}

/// Evidence records grouped by (role, file), in the finding's order.
fn by_role(evidence: &[EvidenceRecord]) -> BTreeMap<(String, String), Vec<&EvidenceRecord>> {
    let mut out: BTreeMap<(String, String), Vec<&EvidenceRecord>> = BTreeMap::new();
    for e in evidence {
        let role_file = (e.role.to_string(), e.file.to_string());
        out.entry(role_file).or_default().push(e);
    }
    out
}

/// What a finding exposes: per (protocol or label, sources, IP version), the port ranges open
/// (`None` for a label without ports, such as `all traffic` or an ICMP type).
type Exposure = BTreeMap<(String, String, String), Option<Vec<(u32, u32)>>>;

/// The exposure in a finding's `details.exposed` (`{label, sources, ip_version}` entries).
fn exposure(finding: &Finding) -> Exposure {
    let mut out = Exposure::new();
    let details = finding.details.as_ref().and_then(|d| d.value().ok());
    let entries = details.as_ref().and_then(|d| d["exposed"].as_array());
    for e in entries.into_iter().flatten() {
        let text = |k: &str| e[k].as_str().unwrap_or_default().to_string();
        let label = text("label");
        let (name, ports) = match port_range(&label) {
            Some((protocol, range)) => (protocol.to_string(), Some(range)),
            None => (label, None),
        };
        let slot = out
            .entry((name, text("sources"), text("ip_version")))
            .or_insert_with(|| ports.map(|_| Vec::new()));
        if let (Some(ranges), Some(range)) = (slot.as_mut(), ports) {
            ranges.push(range);
        }
    }
    out
}

/// `tcp 22`, `udp 1024-65535` or `tcp (all ports)` as protocol and port range.
fn port_range(label: &str) -> Option<(&str, (u32, u32))> {
    let (protocol, ports) = label.split_once(' ')?;
    if !matches!(protocol, "tcp" | "udp") {
        return None;
    }
    if ports == "(all ports)" {
        return Some((protocol, (0, 65535)));
    }
    let (from, to) = ports.split_once('-').unwrap_or((ports, ports));
    Some((protocol, (from.parse().ok()?, to.parse().ok()?)))
}

/// What `a` exposes that `b` does not, described one range per line.
fn difference(a: &Exposure, b: &Exposure) -> Vec<String> {
    let mut out = Vec::new();
    for (key @ (name, sources, ip_version), ranges) in a {
        let described = |what: String| format!("{what} from {sources} ({ip_version})");
        match (ranges, b.get(key)) {
            (Some(ranges), Some(Some(others))) => out.extend(
                subtract(ranges, others)
                    .into_iter()
                    .map(|r| described(describe(name, r))),
            ),
            (Some(ranges), None) => {
                out.extend(ranges.iter().map(|r| described(describe(name, *r))))
            }
            (None, None) => out.push(described(name.clone())),
            (_, Some(_)) => {}
        }
    }
    out
}

/// The ports of `ranges` outside every range of `minus`.
fn subtract(ranges: &[(u32, u32)], minus: &[(u32, u32)]) -> Vec<(u32, u32)> {
    let mut left: Vec<(u32, u32)> = ranges.to_vec();
    for &(cut_from, cut_to) in minus {
        left = left
            .into_iter()
            .flat_map(|(from, to)| {
                let below = (from < cut_from).then(|| (from, to.min(cut_from - 1)));
                let above = (to > cut_to).then(|| (from.max(cut_to + 1), to));
                below.into_iter().chain(above)
            })
            .collect();
    }
    left.sort_unstable();
    left.dedup();
    left
}

/// `tcp 22`, `tcp 8081-8100` or `tcp (all ports)`, as the engine writes labels.
fn describe(protocol: &str, (from, to): (u32, u32)) -> String {
    match (from, to) {
        (0, 65535) => format!("{protocol} (all ports)"),
        _ if from == to => format!("{protocol} {from}"),
        _ => format!("{protocol} {from}-{to}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widened_range_gains_only_the_new_ports() {
        assert_eq!(
            subtract(&[(8000, 8100)], &[(8000, 8080)]),
            vec![(8081, 8100)]
        );
        assert_eq!(subtract(&[(1, 10)], &[(4, 5)]), vec![(1, 3), (6, 10)]);
        assert_eq!(subtract(&[(22, 22)], &[(0, 65535)]), vec![]);
        assert_eq!(port_range("tcp 8000-8080"), Some(("tcp", (8000, 8080))));
        assert_eq!(port_range("tcp (all ports)"), Some(("tcp", (0, 65535))));
        assert_eq!(port_range("all traffic"), None);
        assert_eq!(describe("udp", (53, 53)), "udp 53");
    }
}

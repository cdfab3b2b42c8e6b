//! A finding as the run keeps it until the report is written: large evidence sets give
//! hundreds of thousands, so its parts are compact. The rule's id, title and resource type,
//! the account, the region and each evidence record's file, role and SHA-256 are [`Shared`]
//! text (one copy per distinct value); an evidence record is a typed [`EvidenceRecord`], not a
//! JSON object; the rule's `details` are kept as their JSON text ([`Details`]). Each serialises
//! to the same JSON as the JSON value it replaces.

use compact_str::CompactString;
use serde::ser::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::{Severity, Status};
use crate::evidence::model::Shared;

/// One finding, with the evidence it rests on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The rule.
    pub rule_id: Shared,
    /// Severity.
    pub severity: Severity,
    /// `fail` or `indeterminate` (and `suppressed` once a waiver accepts a failure).
    #[serde(default)]
    pub status: Status,
    /// Rule title.
    pub title: Shared,
    /// Account of the resource.
    pub account: Option<Shared>,
    /// Region of the resource.
    pub region: Option<Shared>,
    /// Resource type.
    pub resource_type: Shared,
    /// Resource id or ARN (inline up to 24 bytes: every interface, group and subnet id).
    pub resource_id: CompactString,
    /// What was found.
    pub message: String,
    /// Evidence records (exactly as many as there are: a vector collected from a filter
    /// keeps room for four, 216 bytes unused per finding that cites one record).
    pub evidence: Box<[EvidenceRecord]>,
    /// Extra structured detail the rule chose to add.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<Details>,
}

/// Sorts findings in the order they are reported in (severity, rule, account, region,
/// resource, message).
pub fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
}

impl Finding {
    /// The order findings are reported in.
    fn sort_key(&self) -> impl Ord + '_ {
        (
            self.severity,
            &self.rule_id,
            &self.account,
            &self.region,
            &self.resource_id,
            &self.message,
        )
    }
}

/// An evidence record a finding cites: `{document, file, pointer, role, sha256}`, the fields in
/// name order as the row's JSON object has them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceRecord {
    /// Index of the JSON document in the file.
    pub document: u32,
    /// The file, relative to the scanned root.
    pub file: Shared,
    /// RFC 6901 pointer to the record.
    pub pointer: Box<str>,
    /// What the record is evidence of (a hop name, a `*_ref` column's role).
    pub role: Shared,
    /// SHA-256 of the file's bytes, hex.
    pub sha256: Shared,
}

impl EvidenceRecord {
    /// The record a row's `evidence` entry names (none when the entry is not one).
    pub fn of_entry(entry: &Value) -> Option<EvidenceRecord> {
        let text = |key: &str| entry.get(key).and_then(Value::as_str);
        Some(EvidenceRecord {
            document: u32::try_from(entry.get("document")?.as_u64()?).ok()?,
            file: Shared::new(text("file")?),
            pointer: text("pointer")?.into(),
            role: Shared::new(text("role")?),
            sha256: Shared::new(text("sha256")?),
        })
    }

    /// The records of a row's `evidence` array (entries of another shape left out).
    pub fn of_row(row: &Value) -> Box<[EvidenceRecord]> {
        let entries = row.get("evidence").and_then(Value::as_array);
        entries
            .into_iter()
            .flatten()
            .filter_map(EvidenceRecord::of_entry)
            .collect()
    }

    /// `file#document/pointer`.
    pub fn location(&self) -> String {
        format!("{}#{}{}", self.file, self.document, self.pointer)
    }
}

/// A finding's `details`, kept as compact JSON text (a fraction of the JSON value's size) and
/// written as that value; read with [`Details::value`].
#[derive(Debug, Clone, PartialEq)]
pub struct Details(Box<str>);

impl Details {
    /// The details holding `value`.
    pub fn new(value: &Value) -> Details {
        Details(value.to_string().into())
    }

    /// The details as a JSON value.
    pub fn value(&self) -> serde_json::Result<Value> {
        serde_json::from_str(&self.0)
    }
}

impl Serialize for Details {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value().map_err(S::Error::custom)?.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Details {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Details, D::Error> {
        Ok(Details::new(&Value::deserialize(d)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pretty(value: &impl Serialize) -> String {
        serde_json::to_string_pretty(value).unwrap()
    }

    /// A finding written from its compact parts is the JSON of the value it replaces, and reads
    /// back as the same finding.
    #[test]
    fn a_finding_writes_and_reads_as_its_json_value() {
        let entry = json!({"document": 2, "file": "a/b.json", "pointer": "/Groups/3",
                           "role": "record", "sha256": "ab12"});
        let details = json!({"z": [1.5, {"y": null, "b": "é"}], "a": 18446744073709551615u64});
        let value = json!({
            "rule_id": "EC2.19", "severity": "high", "status": "indeterminate", "title": "T",
            "account": "111122223333", "region": null, "resource_type": "AwsEc2SecurityGroup",
            "resource_id": "sg-1", "message": "m", "evidence": [entry], "details": details,
        });
        let finding = Finding {
            rule_id: Shared::new("EC2.19"),
            severity: Severity::High,
            status: Status::Indeterminate,
            title: Shared::new("T"),
            account: Some(Shared::new("111122223333")),
            region: None,
            resource_type: Shared::new("AwsEc2SecurityGroup"),
            resource_id: "sg-1".into(),
            message: "m".into(),
            evidence: EvidenceRecord::of_row(&json!({"evidence": [entry]})),
            details: Some(Details::new(&details)),
        };
        assert_eq!(pretty(&finding.evidence), pretty(&value["evidence"]));
        assert_eq!(pretty(&finding.details), pretty(&value["details"]));
        assert_eq!(serde_json::to_value(&finding).unwrap(), value);
        let text = serde_json::to_string_pretty(&finding).unwrap();
        let read: Finding = serde_json::from_str(&text).unwrap();
        assert_eq!(read, finding);
        assert_eq!(finding.evidence[0].location(), "a/b.json#2/Groups/3");
    }

    #[test]
    fn an_evidence_record_with_another_field_is_refused() {
        let entry = json!({"document": 0, "file": "f", "pointer": "", "role": "record",
                           "sha256": "00", "extra": 1});
        let e = serde_json::from_value::<EvidenceRecord>(entry).unwrap_err();
        assert!(e.to_string().contains("unknown field `extra`"), "{e}");
    }
}

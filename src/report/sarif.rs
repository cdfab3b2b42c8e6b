//! SARIF 2.1.0 output: rules as the tool's rule descriptors, findings as results located at the
//! evidence file (with the record's JSON pointer) and at the AWS resource, files with their SHA-256.

use serde_json::{Value, json};

use super::Report;
use super::waivers::AppliedWaiver;
use crate::provenance::Tool;
use crate::rules::{EvidenceRecord, Finding, Passed, RuleMeta, Severity, Status};

/// SARIF level of a severity.
fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub code scanning's `security-severity` score of a severity.
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

fn rule(m: &RuleMeta) -> Value {
    let mut tags: Vec<String> = vec!["security".into()];
    tags.extend(
        m.compliance
            .iter()
            .flat_map(|(f, cs)| cs.iter().map(move |c| format!("{f}: {c}"))),
    );
    let mut rule = json!({
        "id": m.id,
        "name": m.id,
        "shortDescription": {"text": m.title},
        "fullDescription": {"text": m.description.trim()},
        "help": {"text": m.remediation.trim()},
        "defaultConfiguration": {"level": level(m.severity)},
        "properties": {
            "tags": tags,
            "security-severity": security_severity(m.severity),
            "table": m.table,
        },
    });
    // The schema wants a URI here, never null: a rule without references has no helpUri.
    if let Some(uri) = m.references.first() {
        rule["helpUri"] = uri.as_str().into();
    }
    rule
}

/// The locations of a result: each evidence record's file, pointer and the AWS resource.
fn locations(evidence: &[EvidenceRecord], resource_id: &str) -> Vec<Value> {
    evidence
        .iter()
        .map(|e| {
            json!({
                "physicalLocation": {"artifactLocation": {"uri": e.file}},
                "logicalLocations": [{"fullyQualifiedName": resource_id, "kind": "resource"}],
                "properties": {"jsonPointer": e.pointer, "document": e.document, "role": e.role},
            })
        })
        .collect()
}

/// A result with the parts every status shares; `ruleIndex` when the rule is described.
fn result_of(
    rule: (&str, Option<usize>),
    resource_id: &str,
    message: &str,
    evidence: &[EvidenceRecord],
) -> Value {
    let (rule_id, rule_index) = rule;
    let mut result = json!({
        "ruleId": rule_id,
        "message": {"text": message},
        "locations": locations(evidence, resource_id),
        "partialFingerprints": {"resource/v1": format!("{rule_id}|{resource_id}")},
    });
    if let Some(index) = rule_index {
        result["ruleIndex"] = index.into();
    }
    result
}

/// A finding as a result. A failure has the level of its severity; an indeterminate one is
/// `kind: "review"` (SARIF 2.1.0 §3.27.9: a person must look at it), whose level must then be
/// `none` (§3.27.10), its severity kept as a property.
fn result(f: &Finding, rule_index: Option<usize>) -> Value {
    let rule = (f.rule_id.as_str(), rule_index);
    let mut result = result_of(rule, &f.resource_id, &f.message, &f.evidence);
    if f.status == Status::Indeterminate {
        result["kind"] = "review".into();
        result["level"] = "none".into();
    } else {
        result["level"] = level(f.severity).into();
    }
    result["properties"] = json!({
        "severity": f.severity.as_str(),
        "status": f.status.as_str(),
        "account": f.account,
        "region": f.region,
        "resourceType": f.resource_type,
        "resourceId": f.resource_id,
    });
    result
}

/// A passing resource as a `kind: "pass"` result (level `none`).
fn pass_result(p: &Passed, rule_index: Option<usize>) -> Value {
    let message = format!("{} passes {}", p.resource_id, p.rule_id);
    let rule = (p.rule_id.as_str(), rule_index);
    let mut result = result_of(rule, &p.resource_id, &message, p.evidence.as_slice());
    result["kind"] = "pass".into();
    result["level"] = "none".into();
    result["properties"] = json!({
        "status": p.status.as_str(),
        "account": p.account,
        "region": p.region,
        "resourceType": p.resource_type,
        "resourceId": p.resource_id,
    });
    result
}

/// An accepted suppression kept outside the code (the waiver file), with the waiver's reason as
/// justification.
fn suppression(w: &AppliedWaiver) -> Value {
    json!({
        "kind": "external",
        "status": "accepted",
        "justification": w.waiver.reason,
        "properties": {
            "owner": w.waiver.owner,
            "expires": w.waiver.expires.to_string(),
            "waiverFile": w.file,
            "waiverIndex": w.index,
        },
    })
}

/// The driver's property bag: the commit and the rule pack digests.
fn build_properties(tool: &Tool) -> Value {
    let mut properties = json!({"commit": tool.commit, "rules_sha256": tool.rules_sha256});
    if let Some(extra) = &tool.extra_rules_sha256 {
        properties["extra_rules_sha256"] = json!(extra);
    }
    properties
}

/// The report as one SARIF log.
pub fn document(report: &Report) -> Value {
    let rule_index = |id: &str| report.rules.iter().position(|r| r.id == id);
    let suppressed = report.suppressed.iter().map(|s| {
        let mut result = result(&s.waived(), rule_index(&s.finding.rule_id));
        result["suppressions"] = json!([suppression(&s.waiver)]);
        result
    });
    let findings = report.findings.iter().chain(&report.indeterminate);
    let passed = report.passed().iter();
    let results: Vec<Value> = findings
        .map(|f| result(f, rule_index(&f.rule_id)))
        .chain(suppressed)
        .chain(passed.map(|p| pass_result(p, rule_index(&p.rule_id))))
        .collect();
    let artifacts: Vec<Value> = report
        .evidence
        .iter()
        .map(|e| json!({"location": {"uri": e.file}, "hashes": {"sha-256": e.sha256}}))
        .collect();
    let notifications: Vec<Value> = report
        .errors
        .iter()
        .map(|d| (d, "error"))
        .chain(report.warnings.iter().map(|d| (d, "warning")))
        .chain(report.waiver_warnings.iter().map(|d| (d, "warning")))
        .map(|(d, lvl)| json!({"level": lvl, "message": {"text": d.to_string()}}))
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "snapaudit",
                "version": report.tool.version,
                "semanticVersion": report.tool.version,
                "properties": build_properties(&report.tool),
                "rules": report.rules.iter().map(rule).collect::<Vec<_>>(),
            }},
            "artifacts": artifacts,
            "results": results,
            "invocations": [{
                "executionSuccessful": report.errors.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "properties": {"summary": report.summary},
        }],
    })
}

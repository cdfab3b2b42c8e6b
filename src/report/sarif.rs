//! SARIF 2.1.0 output: rules as the tool's rule descriptors, findings as results located at the
//! evidence file (with the record's JSON pointer) and at the AWS resource, files with their SHA-256.

use serde_json::{Value, json};

use super::Report;
use super::waivers::AppliedWaiver;
use crate::provenance::Tool;
use crate::rules::{Finding, RuleMeta, Severity};

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

fn result(f: &Finding, rule_index: Option<usize>) -> Value {
    let locations: Vec<Value> = f
        .evidence
        .iter()
        .map(|e| {
            json!({
                "physicalLocation": {"artifactLocation": {"uri": e["file"]}},
                "logicalLocations": [{"fullyQualifiedName": f.resource_id, "kind": "resource"}],
                "properties": {"jsonPointer": e["pointer"], "document": e["document"], "role": e["role"]},
            })
        })
        .collect();
    let mut result = json!({
        "ruleId": f.rule_id,
        "level": level(f.severity),
        "message": {"text": f.message},
        "locations": locations,
        "partialFingerprints": {"resource/v1": format!("{}|{}", f.rule_id, f.resource_id)},
        "properties": {
            "severity": f.severity.as_str(),
            "account": f.account,
            "region": f.region,
            "resourceType": f.resource_type,
            "resourceId": f.resource_id,
        },
    });
    if let Some(index) = rule_index {
        result["ruleIndex"] = index.into();
    }
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
    let rule_index = |f: &Finding| report.rules.iter().position(|r| r.id == f.rule_id);
    let suppressed = report.suppressed.iter().map(|s| {
        let mut result = result(&s.finding, rule_index(&s.finding));
        result["suppressions"] = json!([suppression(&s.waiver)]);
        result
    });
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| result(f, rule_index(f)))
        .chain(suppressed)
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

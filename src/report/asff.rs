//! AWS Security Finding Format (ASFF): the list of findings `aws securityhub
//! batch-import-findings --findings file://FILE` takes, one ASFF finding per result: failures
//! (waived or not), indeterminate results and, with `--show-pass`, passing resources.
//!
//! Output is byte-identical across runs: ids are derived from (rule, account, region, resource),
//! and `CreatedAt` / `UpdatedAt` are the fixed [`OBSERVED_AT`], since a scan has no clock.

use serde_json::{Value, json};

use super::Report;
use super::waivers::AppliedWaiver;
use crate::evidence::model::Shared;
use crate::rules::{Finding, Passed, RuleMeta, Severity, Status};

/// `CreatedAt` and `UpdatedAt` of every finding: the Unix epoch, a fixed date standing for "the
/// time of the export", which the evidence does not state.
pub const OBSERVED_AT: &str = "1970-01-01T00:00:00.000Z";

/// The region a finding is filed under when the evidence does not say its region.
const FALLBACK_REGION: &str = "us-east-1";

/// The account a finding is filed under when the evidence does not say its account.
const UNKNOWN_ACCOUNT: &str = "000000000000";

/// Security Hub's length limits, in characters, of the fields snapaudit fills from free text.
const TITLE_LIMIT: usize = 256;
const DESCRIPTION_LIMIT: usize = 1024;
const RECOMMENDATION_LIMIT: usize = 512;
const NOTE_LIMIT: usize = 512;
const UPDATED_BY_LIMIT: usize = 512;

/// Evidence records listed per finding in `ProductFields` (three fields each; the map holds 50).
const EVIDENCE_FIELDS_LIMIT: usize = 15;

/// ASFF `Severity.Label` of a severity.
fn severity_label(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "CRITICAL",
        Severity::High => "HIGH",
        Severity::Medium => "MEDIUM",
        Severity::Low => "LOW",
        Severity::Info => "INFORMATIONAL",
    }
}

/// ASFF `Compliance.Status` of a result: `WARNING` ("some information is missing") for one the
/// evidence cannot settle, `PASSED` for a pass, `FAILED` for a failure, waived or not (a waiver
/// sets `Workflow.Status` instead).
fn compliance_status(status: Status) -> &'static str {
    match status {
        Status::Indeterminate => "WARNING",
        Status::Pass => "PASSED",
        Status::NotApplicable => "NOT_AVAILABLE",
        Status::Fail | Status::Suppressed => "FAILED",
    }
}

/// A passing resource as a finding for ASFF: severity informational, as Security Hub files
/// passed checks.
fn passed_finding(p: &Passed, rule: Option<&RuleMeta>) -> Finding {
    Finding {
        rule_id: p.rule_id.clone(),
        severity: Severity::Info,
        status: p.status,
        title: rule.map_or_else(|| p.rule_id.clone(), |r| Shared::new(&r.title)),
        account: p.account.clone(),
        region: p.region.clone(),
        resource_type: p.resource_type.clone(),
        resource_id: p.resource_id.as_str().into(),
        message: format!("{} passes {}", p.resource_id, p.rule_id),
        evidence: p.evidence.iter().cloned().collect(),
        details: None,
    }
}

/// The AWS partition of a region.
fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// `text` cut to at most `limit` characters, ending in `…` when cut.
fn truncate(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(limit - 1).collect();
    cut.push('…');
    cut
}

/// `ProductFields`: the tool, then file, pointer and SHA-256 of each evidence record.
fn product_fields(f: &Finding) -> Value {
    let mut fields = serde_json::Map::new();
    fields.insert("ProviderName".into(), "snapaudit".into());
    fields.insert("ProviderVersion".into(), env!("CARGO_PKG_VERSION").into());
    fields.insert(
        "snapaudit/evidence/count".into(),
        f.evidence.len().to_string().into(),
    );
    for (i, e) in f.evidence.iter().take(EVIDENCE_FIELDS_LIMIT).enumerate() {
        for (key, value) in [
            ("file", &*e.file),
            ("pointer", &e.pointer),
            ("sha256", &e.sha256),
        ] {
            fields.insert(format!("snapaudit/evidence/{i}/{key}"), value.into());
        }
    }
    Value::Object(fields)
}

/// One ASFF finding.
fn finding(f: &Finding, rule: Option<&RuleMeta>) -> Value {
    let account = f.account.as_deref().unwrap_or(UNKNOWN_ACCOUNT);
    let region = f.region.as_deref().unwrap_or(FALLBACK_REGION);
    let requirements: Vec<String> = rule
        .into_iter()
        .flat_map(|r| &r.compliance)
        .flat_map(|(framework, controls)| controls.iter().map(move |c| format!("{framework} {c}")))
        .collect();
    let mut recommendation = json!({
        "Text": truncate(rule.map_or("", |r| r.remediation.trim()), RECOMMENDATION_LIMIT)
    });
    if let Some(url) = rule.and_then(|r| r.references.first()) {
        recommendation["Url"] = url.as_str().into();
    }
    json!({
        "SchemaVersion": "2018-10-08",
        "Id": format!("snapaudit/{account}/{region}/{}/{}", f.rule_id, f.resource_id),
        "ProductArn": format!(
            "arn:{}:securityhub:{region}:{account}:product/{account}/default",
            partition(region)
        ),
        "GeneratorId": f.rule_id,
        "AwsAccountId": account,
        "Types": ["Software and Configuration Checks/AWS Security Best Practices"],
        "CreatedAt": OBSERVED_AT,
        "UpdatedAt": OBSERVED_AT,
        "Severity": {"Label": severity_label(f.severity)},
        "Title": truncate(&f.title, TITLE_LIMIT),
        "Description": truncate(&f.message, DESCRIPTION_LIMIT),
        "Resources": [{
            "Type": f.resource_type,
            "Id": f.resource_id,
            "Partition": partition(region),
            "Region": region,
        }],
        "Compliance": {"Status": compliance_status(f.status), "RelatedRequirements": requirements},
        "ProductFields": product_fields(f),
        "Remediation": {"Recommendation": recommendation},
    })
}

/// Marks an ASFF finding as suppressed by `w`: `Workflow.Status` `SUPPRESSED`, and a note with
/// the waiver's reason, owner and expiry.
fn suppress(finding: &mut Value, w: &AppliedWaiver) {
    finding["Workflow"] = json!({"Status": "SUPPRESSED"});
    let text = format!(
        "Waived until {} by {}: {}",
        w.waiver.expires, w.waiver.owner, w.waiver.reason
    );
    finding["Note"] = json!({
        "Text": truncate(&text, NOTE_LIMIT),
        "UpdatedBy": truncate(&w.waiver.owner, UPDATED_BY_LIMIT),
        "UpdatedAt": OBSERVED_AT,
    });
}

/// The report's results as one ASFF list, in the report's order: open failures, suppressed ones,
/// indeterminate results, then passing resources (with `--show-pass`).
pub fn document(report: &Report) -> Value {
    let rule = |id: &str| report.rules.iter().find(|r| r.id == id);
    let suppressed = report.suppressed.iter().map(|s| {
        let mut asff = finding(&s.waived(), rule(&s.finding.rule_id));
        suppress(&mut asff, &s.waiver);
        asff
    });
    let passed = report.passed().iter().map(|p| {
        let meta = rule(&p.rule_id);
        finding(&passed_finding(p, meta), meta)
    });
    let findings = |list: &'_ [Finding]| {
        let mapped: Vec<Value> = list.iter().map(|f| finding(f, rule(&f.rule_id))).collect();
        mapped
    };
    findings(&report.findings)
        .into_iter()
        .chain(suppressed)
        .chain(findings(&report.indeterminate))
        .chain(passed)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncate_counts_characters_and_marks_the_cut() {
        assert_eq!(truncate("short", 5), "short");
        assert_eq!(truncate(&"é".repeat(20), 5), "éééé…");
    }

    #[test]
    fn partition_follows_the_region() {
        assert_eq!(partition("cn-north-1"), "aws-cn");
        assert_eq!(partition("us-gov-west-1"), "aws-us-gov");
        assert_eq!(partition("eu-west-1"), "aws");
    }
}

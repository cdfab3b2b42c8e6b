//! The first line of `reach` for an instance's interface: the instance's system and instance
//! status checks from `describe-instance-status`, or that the export does not hold them.

use std::io::Write;

use anyhow::Result;
use serde_json::{Value, json};

use crate::tables::Tables;

/// A check status that means the instance itself is failing.
const FAILING: &str = "impaired";

/// The status checks of `instance` as JSON: `{instance_id, known, state, system, instance,
/// failing, evidence}`, or `{instance_id, known: false, note}` when the export does not list it
/// (the call lists running instances only by default: absence is not failure).
pub fn status_json(tables: &Tables, instance: &str) -> Result<Value> {
    let frame = tables.get("instance_status")?;
    let ids = frame.column("instance_id")?.str()?;
    let Some(row) = ids.iter().position(|id| id == Some(instance)) else {
        return Ok(json!({
            "instance_id": instance,
            "known": false,
            "note": "unknown: not in the export (describe-instance-status lists running \
                     instances only, unless called with --include-all-instances)",
        }));
    };
    let r = tables.row("instance_status", row)?;
    let check = |status: &str, details: &str| json!({"status": r[status], "details": r[details]});
    let failing = [&r["system_status"], &r["instance_status"]]
        .iter()
        .any(|s| s.as_str() == Some(FAILING));
    Ok(json!({
        "instance_id": instance,
        "known": true,
        "state": r["state"],
        "system": check("system_status", "system_details"),
        "instance": check("instance_status", "instance_details"),
        "failing": failing,
        "evidence": r["evidence"],
    }))
}

/// Writes the status line (and its evidence) as built by [`status_json`]; an instance whose
/// checks fail is said so before any network hop.
pub fn write_status(out: &mut dyn Write, status: &Value) -> Result<()> {
    let id = status["instance_id"].as_str().unwrap_or_default();
    if status["known"] != Value::Bool(true) {
        writeln!(
            out,
            "Status checks of {id}: {}",
            status["note"].as_str().unwrap_or_default()
        )?;
        return Ok(());
    }
    let check = |k: &str| {
        let c = &status[k];
        let details = c["details"].as_str().filter(|d| !d.is_empty());
        format!(
            "{k} {}{}",
            c["status"].as_str().unwrap_or("not given"),
            details.map(|d| format!(" ({d})")).unwrap_or_default()
        )
    };
    writeln!(
        out,
        "Status checks of {id} ({}): {}, {}",
        status["state"].as_str().unwrap_or("state not given"),
        check("system"),
        check("instance")
    )?;
    if status["failing"] == Value::Bool(true) {
        writeln!(
            out,
            "  {id} FAILS its status checks: it cannot answer whatever the network allows; \
             fix the instance (or its host) first"
        )?;
    }
    write_sources(out, "  evidence:", &status["evidence"])
}

/// One line per evidence record (`{file, pointer}`), each after `label`.
pub(super) fn write_sources(out: &mut dyn Write, label: &str, evidence: &Value) -> Result<()> {
    for e in evidence.as_array().into_iter().flatten() {
        writeln!(
            out,
            "{label} {} {}",
            e["file"].as_str().unwrap_or_default(),
            e["pointer"].as_str().unwrap_or_default()
        )?;
    }
    Ok(())
}

//! `snapaudit remediate`'s output: one reviewable bash script, the Terraform changes, or the
//! actions as JSON. Every change is printed under its finding, evidence and preflight warnings;
//! nothing is run.

use std::collections::HashSet;
use std::io::Write;

use anyhow::Result;
use serde_json::{Value, json};

use crate::provenance::Tool;
use crate::rules::fix::Action;

/// What the script says before its first change.
const SCRIPT_HEADER: &str = "\
#!/usr/bin/env bash
# Written by `snapaudit remediate` from exported evidence; snapaudit ran none of it.
# Review every change and its warnings before running it. Each change is followed by the
# read-only commands that prove it worked. Afterwards, re-export the evidence and run
# `snapaudit diff OLD NEW`: the findings fixed here should be `resolved`, with nothing `new`.
";

/// What the Terraform output says before its first change.
const TERRAFORM_HEADER: &str = "\
# Written by `snapaudit remediate --format terraform` from exported evidence.
# Per resource: the attribute to change, and an `import` block naming the real id so that a
# resource not yet managed by Terraform can be brought under it first.
";

/// The actions as one bash script, grouped by account and region. A change another finding's
/// fix already made (several rules flag one permission) is written once, then named as done: a
/// second `revoke` of a removed permission would stop the script.
pub fn write_script(out: &mut dyn Write, tool: &Tool, actions: &[Action]) -> Result<()> {
    write_header(out, SCRIPT_HEADER, tool)?;
    writeln!(out, "set -euo pipefail")?;
    if actions.is_empty() {
        writeln!(out, "\n# No finding with a known fix.")?;
    }
    let mut done: HashSet<&str> = HashSet::new();
    for_each_group(out, actions, |out, a| {
        write_heading(out, a)?;
        for command in &a.commands {
            if done.insert(command) {
                writeln!(out, "{command}")?;
            } else {
                writeln!(out, "# Already done above: {}", one_line(command))?;
            }
        }
        if !a.verify.is_empty() {
            writeln!(out, "# Verify (read-only):")?;
        }
        for command in &a.verify {
            writeln!(out, "{command}")?;
        }
        Ok(())
    })
}

/// The actions' Terraform changes, grouped by account and region; a change already written for
/// another finding is named, not repeated (a second `import` of one id would fail).
pub fn write_terraform(out: &mut dyn Write, tool: &Tool, actions: &[Action]) -> Result<()> {
    write_header(out, TERRAFORM_HEADER, tool)?;
    let mut done: HashSet<&str> = HashSet::new();
    for_each_group(out, actions, |out, a| {
        write_heading(out, a)?;
        let change = a.terraform.trim_end();
        if done.insert(change) {
            writeln!(out, "{change}")?;
        } else {
            writeln!(out, "# The same change as above.")?;
        }
        Ok(())
    })
}

/// The actions as `{"tool": {...}, "actions": [...]}`.
pub fn to_json(tool: &Tool, actions: &[Action]) -> Result<Value> {
    Ok(json!({ "tool": tool, "actions": serde_json::to_value(actions)? }))
}

/// A header comment, then the line naming the tool and rule pack that wrote the output.
fn write_header(out: &mut dyn Write, header: &str, tool: &Tool) -> Result<()> {
    write!(out, "{header}")?;
    writeln!(out, "# Produced by {tool}.")?;
    Ok(())
}

/// Runs `each` on every action, printing an account and region banner before each group.
fn for_each_group<'a>(
    out: &mut dyn Write,
    actions: &'a [Action],
    mut each: impl FnMut(&mut dyn Write, &'a Action) -> Result<()>,
) -> Result<()> {
    let mut group = None;
    for a in actions {
        let here = (a.account.as_deref(), a.region.as_deref());
        if group != Some(here) {
            let (account, region) = here;
            writeln!(
                out,
                "\n# ==== account {}, region {} ====",
                account.unwrap_or("unknown"),
                region.unwrap_or("unknown")
            )?;
            group = Some(here);
        }
        each(out, a)?;
    }
    Ok(())
}

/// The comment above a change: its finding, its evidence and its preflight warnings.
fn write_heading(out: &mut dyn Write, a: &Action) -> Result<()> {
    writeln!(out, "\n# ---- {} {}", a.rule_id, one_line(&a.resource_id))?;
    writeln!(out, "# Finding: {}", one_line(&a.message))?;
    for e in &a.evidence {
        writeln!(
            out,
            "# Evidence: {} {} ({})",
            one_line(&e.file),
            one_line(&e.pointer),
            e.role
        )?;
    }
    for w in &a.warnings {
        writeln!(out, "# WARNING: {}", one_line(w))?;
    }
    Ok(())
}

/// Text made safe for one comment line.
fn one_line(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
}

//! `collect-script`: the read-only bash script that exports the evidence a rule pack reads.
//!
//! The calls come from the rules' `requires` (each an evidence [`Kind`], which knows its AWS CLI
//! command), so a new rule's needs appear in the script by themselves; [`ALSO_READ`] adds the
//! kinds the tables read to refine an answer or a fix. Kinds exported once per parent resource
//! (ECS services and tasks per cluster, listeners per load balancer, target health and
//! attributes per target group, prefix-list entries per list) are enumerated by the functions
//! of `prelude.sh`; every other kind is one region-wide call. Flow log records are fetched last,
//! for a window of hours: CloudWatch Logs events, and the objects S3 delivery wrote on each day of
//! the window (`s3 cp` from S3 into the output folder, never the other way).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use anyhow::{Result, bail};

use crate::evidence::Kind;
use crate::rules::RuleMeta;

/// The shell functions every script starts with: the call wrapper, the manifest, and the
/// enumerations of the kinds exported per parent resource.
const PRELUDE: &str = include_str!("prelude.sh");

/// Kinds the tables read beyond what any rule `requires`, and what for.
pub const ALSO_READ: &[(Kind, &str)] = &[
    (
        Kind::Addresses,
        "tables: which interface holds an Elastic IP",
    ),
    (
        Kind::PrefixLists,
        "reachability: rules and routes that name a prefix list",
    ),
    (
        Kind::PrefixListEntries,
        "reachability: rules and routes that name a prefix list",
    ),
    (
        Kind::EgressOnlyInternetGateways,
        "reachability: IPv6 routes",
    ),
    (Kind::ElbRules, "reachability: listener rules' conditions"),
    (Kind::SecurityGroupRules, "remediate: rules revoked by id"),
    (Kind::NatGateways, "remediate: the preflight of ECS fixes"),
    (Kind::VpcEndpoints, "remediate: the preflight of ECS fixes"),
];

/// The ECS kinds, always exported: the cluster enumeration is the heart of the audit.
const ECS: [Kind; 3] = [Kind::EcsServices, Kind::EcsTaskSets, Kind::EcsTasks];

/// What the generated script is told.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Regions to export; none: the profile's configured region, asked at run time.
    pub regions: Vec<String>,
    /// The AWS CLI profile; none: the CLI's default credentials.
    pub profile: Option<String>,
    /// The folder the script writes to unless given one as its argument.
    pub out: String,
    /// The tool's version, written into the script and its manifest.
    pub version: String,
    /// How many hours of flow log records to fetch, back from when the script runs.
    pub flow_hours: u32,
}

/// Every kind to export, with what reads it (rule ids, or the reasons of [`ALSO_READ`]).
/// A `requires` entry that is no kind is skipped: the rule loader already rejects it.
pub fn needs(rules: &[RuleMeta]) -> BTreeMap<Kind, BTreeSet<String>> {
    let mut needs: BTreeMap<Kind, BTreeSet<String>> = BTreeMap::new();
    for rule in rules {
        for command in &rule.requires {
            if let Some(kind) = Kind::ALL.iter().find(|k| k.command() == command) {
                needs.entry(*kind).or_default().insert(rule.id.clone());
            }
        }
    }
    for kind in ECS {
        needs.entry(kind).or_default();
    }
    for (kind, why) in ALSO_READ {
        needs.entry(*kind).or_default().insert((*why).to_string());
    }
    needs
}

/// The shell line that exports `kind`: a call of one of the prelude's enumerations, or one
/// region-wide call into `SERVICE/OPERATION.json`.
fn step(kind: Kind, needs: &BTreeMap<Kind, BTreeSet<String>>) -> String {
    match kind {
        Kind::EcsServices | Kind::EcsTaskSets | Kind::EcsTasks => "ecs_clusters".into(),
        Kind::PrefixListEntries => "prefix_list_entries".into(),
        // Without the flag the call lists running instances only; a stopped instance's checks
        // are then "not in the export" rather than known.
        Kind::InstanceStatuses => {
            "export_json ec2/describe-instance-status.json ec2 describe-instance-status \
             --include-all-instances"
                .into()
        }
        Kind::ElbListeners | Kind::ElbRules => "listeners_and_rules".into(),
        Kind::ElbAttributes | Kind::ElbTargetHealth => {
            let parts = [
                (Kind::ElbTargetHealth, "health"),
                (Kind::ElbAttributes, "attributes"),
            ];
            let wanted = parts.iter().filter(|(k, _)| needs.contains_key(k));
            let args: Vec<&str> = wanted.map(|(_, arg)| *arg).collect();
            format!("target_groups {}", args.join(" "))
        }
        _ => {
            let command = kind.command();
            format!(
                "export_json {}.json {command}",
                command.replacen(' ', "/", 1)
            )
        }
    }
}

/// The script's calls in kind order, each once, with what reads it.
fn steps(needs: &BTreeMap<Kind, BTreeSet<String>>) -> Vec<(String, BTreeSet<String>)> {
    let mut steps: Vec<(String, BTreeSet<String>)> = Vec::new();
    let mut add =
        |line: String, readers: &BTreeSet<String>| match steps.iter_mut().find(|(l, _)| *l == line)
        {
            Some((_, all)) => all.extend(readers.iter().cloned()),
            None => steps.push((line, readers.clone())),
        };
    for (kind, readers) in needs {
        add(step(*kind, needs), readers);
        if *kind == Kind::ElbAttributes {
            add("load_balancer_attributes".into(), readers);
        }
    }
    steps
}

/// `text` as one shell word: as it is when it holds only safe characters, else single-quoted.
pub fn shell_quote(text: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "_./:@%+=,-".contains(c);
    if !text.is_empty() && text.chars().all(safe) {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// The script's settings: output folder, version, profile and regions (the configured one,
/// asked at run time, when none was given).
fn header(options: &Options) -> Result<String> {
    for region in &options.regions {
        let valid = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
        if region.is_empty() || !region.chars().all(valid) {
            bail!("--regions: `{region}` is not a region name (e.g. eu-west-1)");
        }
    }
    let mut out = String::new();
    writeln!(out, "out=${{1:-{}}}", shell_quote(&options.out))?;
    writeln!(out, "version={}", shell_quote(&options.version))?;
    writeln!(out, "flow_hours={}", options.flow_hours)?;
    match &options.profile {
        Some(p) => writeln!(out, "profile=(--profile {})", shell_quote(p))?,
        None => writeln!(out, "profile=()")?,
    }
    if options.regions.is_empty() {
        out.push_str(concat!(
            "configured=$(aws \"${profile[@]}\" configure get region) || configured=\"\"\n",
            "if [ -z \"$configured\" ]; then\n",
            "  echo \"no region configured: generate the script with --regions\" >&2\n",
            "  exit 2\n",
            "fi\n",
            "regions=(\"$configured\")\n",
        ));
    } else {
        let quoted: Vec<String> = options.regions.iter().map(|r| shell_quote(r)).collect();
        writeln!(out, "regions=({})", quoted.join(" "))?;
    }
    Ok(out)
}

/// What the script says of itself before it runs anything.
const ABOUT: &str = "\
# Exports, read-only, the AWS evidence snapaudit's rules read (snapaudit collect-script).
# Every AWS call reads: describe-*, list-* and get-* calls, logs filter-log-events, and s3 cp from
# S3 into OUT_DIR (flow log records); nothing is created, changed or deleted in AWS.
#
# Usage: bash collect.sh [OUT_DIR]
# Needs the AWS CLI v2 (it follows every page of a paginated answer itself) and bash 4.4+.
# Writes OUT_DIR/ACCOUNT/REGION/SERVICE/CALL.json for `snapaudit scan OUT_DIR`, and
# OUT_DIR/manifest.tsv and manifest.json: every call that ran, its exit code and, for a failed
# call, its standard error. A failed call is recorded and the script carries on; what it would
# have exported is then missing, and `snapaudit evidence OUT_DIR` names the rules it leaves
# uncovered. Exit status: 0 when every call succeeded, 1 when some failed.
";

/// The whole script for `rules`.
pub fn script(rules: &[RuleMeta], options: &Options) -> Result<String> {
    let mut out = String::from("#!/usr/bin/env bash\n");
    out.push_str(ABOUT);
    out.push_str("set -uo pipefail\n\n");
    out.push_str(&header(options)?);
    out.push('\n');
    out.push_str(PRELUDE);
    out.push_str("\nfor region in \"${regions[@]}\"; do\n  dir=\"$out/$account/$region\"\n");
    out.push_str("  mkdir -p \"$dir\"\n");
    for (line, readers) in steps(&needs(rules)) {
        let readers: Vec<&str> = readers.iter().map(String::as_str).collect();
        writeln!(out, "  # for {}", readers.join("; "))?;
        writeln!(out, "  {line}")?;
    }
    writeln!(
        out,
        "  # for flow_records and flow_observations: what the flow logs saw in the last {} hours",
        options.flow_hours
    )?;
    out.push_str("  flow_log_records\n");
    out.push_str(FOOTER);
    Ok(out)
}

/// The end of every script: manifest.json, a one-line summary, the exit status.
const FOOTER: &str = r#"done

write_manifest_json
calls=$(($(wc -l <"$manifest_tsv") - 1))
failed=$(grep -c '^failed' "$manifest_tsv") || failed=0
echo "exported to $out: $calls calls, $failed failed (see $manifest_tsv)" >&2
[ "$failed" -eq 0 ]
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_with_shell_meaning_are_quoted() {
        assert_eq!(shell_quote("eu-west-1"), "eu-west-1");
        assert_eq!(shell_quote("my profile"), "'my profile'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote("$HOME"), "'$HOME'");
        assert_eq!(shell_quote(""), "''");
    }

    #[test]
    fn a_region_that_is_no_region_name_is_refused() {
        let options = Options {
            regions: vec!["eu-west-1; rm -rf /".into()],
            ..Options::default()
        };
        let err = header(&options).unwrap_err().to_string();
        assert!(err.contains("not a region name"), "{err}");
    }

    #[test]
    fn target_health_and_attributes_share_one_walk_of_the_target_groups() {
        let mut needs = BTreeMap::new();
        needs.insert(Kind::ElbTargetHealth, BTreeSet::from(["A".to_string()]));
        needs.insert(Kind::ElbAttributes, BTreeSet::from(["B".to_string()]));
        let lines: Vec<String> = steps(&needs).into_iter().map(|(l, _)| l).collect();
        assert_eq!(
            lines,
            [
                "target_groups health attributes",
                "load_balancer_attributes"
            ]
        );
    }
}

//! Which tool and which rules produced a report: `--version`, and the same identity in every
//! report header; the rule pack's digest recomputed here from `queries/` as README documents it.

mod common;

use std::path::Path;

use serde_json::Value;
use sha2::{Digest, Sha256};

use common::{root, scan_json, scratch, snapaudit, snapshot};

/// The documented digest: files sorted by name, each as its name, NUL, contents, NUL.
fn documented_digest(files: &[(String, String)]) -> String {
    let mut files = files.to_vec();
    files.sort();
    let mut stream = Vec::new();
    for (name, contents) in files {
        stream.extend_from_slice(name.as_bytes());
        stream.push(0);
        stream.extend_from_slice(contents.as_bytes());
        stream.push(0);
    }
    hex::encode(Sha256::digest(&stream))
}

/// `snapaudit --version`, without its newline.
fn version_line() -> String {
    let run = snapaudit(&["--version"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.stdout.strip_suffix('\n').unwrap().to_string()
}

/// A tool object as the line `--version` prints.
fn as_version_line(tool: &Value) -> String {
    format!(
        "{} {} (commit {}, rules sha256:{})",
        tool["name"].as_str().unwrap(),
        tool["version"].as_str().unwrap(),
        tool["commit"].as_str().unwrap(),
        tool["rules_sha256"].as_str().unwrap()
    )
}

fn is_lower_hex(text: &str, len: usize) -> bool {
    text.len() == len
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[test]
fn version_names_the_release_the_commit_and_the_rule_pack() {
    let line = version_line();
    let rest = line
        .strip_prefix(concat!(
            "snapaudit ",
            env!("CARGO_PKG_VERSION"),
            " (commit "
        ))
        .unwrap_or_else(|| panic!("{line}"));
    let (commit, rest) = rest.split_once(", rules sha256:").unwrap();
    let hash = rest.strip_suffix(')').unwrap();
    let head = commit.strip_suffix("-dirty").unwrap_or(commit);
    assert!(is_lower_hex(head, 40) || commit == "unknown", "{commit}");
    assert!(is_lower_hex(hash, 64), "{hash}");
    assert_eq!(snapaudit(&["-V"]).stdout, snapaudit(&["--version"]).stdout);
}

#[test]
fn the_rule_pack_digest_is_the_documented_one_over_queries() {
    let queries = root().join("queries");
    let files: Vec<(String, String)> = std::fs::read_dir(&queries)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".toml") || n == "lib.jq")
        .map(|n| {
            let contents = std::fs::read_to_string(queries.join(&n)).unwrap();
            (format!("queries/{n}"), contents)
        })
        .collect();
    let (_, report) = scan_json(&[&snapshot("demo")], &[]);
    assert_eq!(report["tool"]["rules_sha256"], documented_digest(&files));
}

#[test]
fn every_report_header_carries_what_version_prints() {
    let line = version_line();
    let demo = snapshot("demo");
    let demo = demo.to_str().unwrap();
    let (_, report) = scan_json(&[Path::new(demo)], &[]);
    assert_eq!(as_version_line(&report["tool"]), line);
    assert!(report["tool"].get("extra_rules_sha256").is_none());
    for args in [
        vec!["diff", demo, demo, "--format", "json"],
        vec!["remediate", demo, "--format", "json"],
    ] {
        assert_eq!(snapaudit(&args).json()["tool"], report["tool"], "{args:?}");
    }
    let sarif = snapaudit(&["scan", demo, "--format", "sarif"]).json();
    let driver = &sarif["runs"][0]["tool"]["driver"];
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(driver["semanticVersion"], env!("CARGO_PKG_VERSION"));
    assert_eq!(driver["properties"]["commit"], report["tool"]["commit"]);
    assert_eq!(
        driver["properties"]["rules_sha256"],
        report["tool"]["rules_sha256"]
    );
    let html = snapaudit(&["scan", demo, "--format", "html"]).stdout;
    assert!(html.contains(&format!("<footer><p>Produced by {line}.</p></footer>")));
    let table = snapaudit(&["scan", demo]).stdout;
    assert!(table.contains(&format!(" rules\n{line}\n")), "{table}");
    let script = snapaudit(&["remediate", demo]).stdout;
    assert!(script.contains(&format!("\n# Produced by {line}.\nset -euo pipefail\n")));
}

#[test]
fn a_rules_folder_adds_the_digest_of_its_files() {
    let rule = std::fs::read_to_string(root().join("queries/EC2.2.toml"))
        .unwrap()
        .replace("id = \"EC2.2\"", "id = \"ORG.2\"");
    let extra = |folder: &Path| {
        let (_, report) = scan_json(&[&snapshot("demo")], &["--rules", folder.to_str().unwrap()]);
        assert!(report["errors"].as_array().unwrap().is_empty(), "{report}");
        report["tool"].clone()
    };
    let (one, two) = (scratch("extra-rules-one"), scratch("extra-rules-two"));
    for folder in [&one, &two] {
        std::fs::write(folder.join("ORG.2.toml"), &rule).unwrap();
    }
    let tool = extra(&one);
    let expected = documented_digest(&[("ORG.2.toml".into(), rule.clone())]);
    assert_eq!(tool["extra_rules_sha256"], expected);
    assert_eq!(extra(&two), tool, "the folder's own path is not hashed");
    let (_, builtin) = scan_json(&[&snapshot("demo")], &[]);
    assert_eq!(tool["rules_sha256"], builtin["tool"]["rules_sha256"]);
    let sarif = snapaudit(&[
        "scan",
        snapshot("demo").to_str().unwrap(),
        "--format",
        "sarif",
        "--rules",
        one.to_str().unwrap(),
    ])
    .json();
    let properties = &sarif["runs"][0]["tool"]["driver"]["properties"];
    assert_eq!(properties["extra_rules_sha256"], expected);
    std::fs::write(one.join("ORG.2.toml"), rule.replace("high", "low")).unwrap();
    assert_ne!(extra(&one)["extra_rules_sha256"], expected);
}

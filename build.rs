//! Embeds the rule pack: every `queries/*.toml` becomes an entry of `BUILTIN_RULES`, so adding a
//! rule is adding a file. Also writes one test per rule (`ECS.2` → `fn ECS_2`), which
//! `tests/rules.rs` includes, so that each rule passes or fails on its own. And records which
//! tool this is: the pack's digest (`SNAPAUDIT_RULES_SHA256`, see `src/provenance/digest.rs`)
//! and the git commit (`SNAPAUDIT_BUILD_COMMIT`).

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

#[path = "src/provenance/digest.rs"]
mod digest;

fn main() {
    println!("cargo:rerun-if-changed=queries");
    let mut files: Vec<String> = std::fs::read_dir("queries")
        .expect("the queries/ folder holds the rule pack")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    files.sort();
    let mut pack = String::from(
        "/// The built-in rule pack: (path, contents).\npub const BUILTIN_RULES: &[(&str, &str)] = &[\n",
    );
    let mut tests = String::new();
    for f in &files {
        println!("cargo:rerun-if-changed=queries/{f}");
        writeln!(
            pack,
            "    (\"queries/{f}\", include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/queries/{f}\"))),"
        )
        .unwrap();
        let id = f.trim_end_matches(".toml");
        writeln!(
            tests,
            "#[test]\n#[allow(non_snake_case)]\nfn {}() {{\n    rule_fires_as_its_fixture_expects({id:?});\n}}\n",
            id.replace('.', "_")
        )
        .unwrap();
    }
    pack.push_str("];\n");
    let out = std::env::var("OUT_DIR").unwrap();
    std::fs::write(Path::new(&out).join("builtin_rules.rs"), pack).unwrap();
    std::fs::write(Path::new(&out).join("rule_tests.rs"), tests).unwrap();
    std::fs::write(
        Path::new(&out).join("scaffold_sources.rs"),
        scaffold_sources(&files),
    )
    .unwrap();
    println!(
        "cargo:rustc-env=SNAPAUDIT_RULES_SHA256={}",
        pack_sha256(&files)
    );
    println!("cargo:rustc-env=SNAPAUDIT_BUILD_COMMIT={}", commit());
}

/// Test fixtures `rules new` also copies, for the tables no rule's fixture nor the demo gives two
/// resources of: NAT gateways and VPC endpoints, security group rule ids, managed prefix lists.
const SCAFFOLD_FIXTURES: [&str; 3] = [
    "tests/fixtures/remediate",
    "tests/fixtures/remediate-sgr",
    "tests/fixtures/prefix-lists",
];

/// The evidence `rules new` copies into a new rule's fixture, embedded so that it works outside
/// this repository: per table a built-in rule reads, the smallest fixture of such a rule (its
/// evidence only: no `expected.json`, no `README.md`), `snapshots/demo/` and the
/// [`SCAFFOLD_FIXTURES`]; smallest first.
fn scaffold_sources(rule_files: &[String]) -> String {
    let mut smallest: std::collections::BTreeMap<String, (u64, String)> = Default::default();
    for f in rule_files {
        let id = f.trim_end_matches(".toml");
        let text = std::fs::read_to_string(format!("queries/{f}")).unwrap();
        let table = text
            .lines()
            .find_map(|l| l.strip_prefix("table = "))
            .map(|t| t.trim().trim_matches('"').to_string());
        let folder = format!("snapshots/{id}");
        if let (Some(table), true) = (table, Path::new(&folder).is_dir()) {
            let size = folder_size(Path::new(&folder));
            let entry = smallest.entry(table).or_insert((size, folder.clone()));
            *entry = (*entry).clone().min((size, folder));
        }
    }
    let others = SCAFFOLD_FIXTURES.iter().chain(&["snapshots/demo"]);
    let mut sources: Vec<(u64, String, String)> = smallest
        .into_iter()
        .map(|(table, (size, folder))| (size, folder, table))
        .chain(others.map(|f| (folder_size(Path::new(f)), f.to_string(), String::new())))
        .collect();
    sources.sort();
    let mut code = String::from(
        "/// Evidence `rules new` copies, smallest first.\n\
         const SCAFFOLD_SOURCES: &[Source] = &[\n",
    );
    for (_, name, table) in &sources {
        let folder = Path::new(name);
        println!("cargo:rerun-if-changed={name}");
        writeln!(
            code,
            "    Source {{ folder: {name:?}, table: {table:?}, files: &["
        )
        .unwrap();
        for (file, _) in evidence_files(folder) {
            let relative = file
                .strip_prefix(folder)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let absolute = std::fs::canonicalize(&file).unwrap();
            writeln!(
                code,
                "        ({relative:?}, include_bytes!({absolute:?})),"
            )
            .unwrap();
        }
        code.push_str("    ] },\n");
    }
    code.push_str("];\n");
    code
}

/// The size of the evidence files under a fixture folder.
fn folder_size(folder: &Path) -> u64 {
    evidence_files(folder).iter().map(|(_, size)| size).sum()
}

/// The evidence files under a fixture folder with their sizes, sorted: every file but its
/// `expected.json` and any `README.md`.
fn evidence_files(folder: &Path) -> Vec<(std::path::PathBuf, u64)> {
    let mut files = Vec::new();
    let mut pending = vec![folder.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().filter_map(|e| e.ok()) {
            let path = entry.path();
            let name = entry.file_name();
            if path.is_dir() {
                pending.push(path);
            } else if name != "README.md" && path != folder.join("expected.json") {
                files.push((path, entry.metadata().unwrap().len()));
            }
        }
    }
    files.sort();
    files
}

/// The digest of the embedded rule files and `queries/lib.jq`, which every query can use.
fn pack_sha256(rule_files: &[String]) -> String {
    let read = |path: String| {
        let contents = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        (path, contents)
    };
    let pack: Vec<(String, String)> = rule_files
        .iter()
        .map(|f| format!("queries/{f}"))
        .chain(["queries/lib.jq".to_string()])
        .map(read)
        .collect();
    digest::rules_sha256(&pack)
}

/// The git commit of the source tree, `-dirty` when it has changes (the flag is as fresh as the
/// last re-run: a commit, a checkout or a rule edit). Outside a git checkout of this crate (a
/// source tarball): `SNAPAUDIT_COMMIT` if set, else the `COMMIT` file the tarball carries
/// (`dist/build.sh` writes it), else `unknown`.
fn commit() -> String {
    println!("cargo:rerun-if-env-changed=SNAPAUDIT_COMMIT");
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").unwrap();
    let own_checkout =
        git(&["rev-parse", "--show-toplevel"]).is_some_and(|top| same_dir(&top, &manifest_dir));
    match git(&["rev-parse", "HEAD"]).filter(|_| own_checkout) {
        Some(head) => {
            watch_head();
            let dirty = git(&["status", "--porcelain"]).is_some_and(|s| !s.is_empty());
            if dirty { format!("{head}-dirty") } else { head }
        }
        None => std::env::var("SNAPAUDIT_COMMIT")
            .ok()
            .or_else(commit_file)
            .unwrap_or_else(|| "unknown".into()),
    }
}

/// The commit named by a source tarball's `COMMIT` file, watched only when it exists (cargo
/// would re-run this script on every build for a missing one).
fn commit_file() -> Option<String> {
    let commit = std::fs::read_to_string("COMMIT").ok()?;
    println!("cargo:rerun-if-changed=COMMIT");
    Some(commit.trim().to_string()).filter(|c| !c.is_empty())
}

/// Re-runs this script when HEAD moves: `HEAD` itself (a checkout) and the branch it points to
/// (a commit), or `packed-refs` when the branch is packed. Asks git for the paths, which differ
/// in a worktree.
fn watch_head() {
    let mut watched = vec!["HEAD".to_string()];
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watched.push(branch);
        watched.push("packed-refs".into());
    }
    for name in watched {
        if let Some(path) = git(&["rev-parse", "--git-path", &name])
            && Path::new(&path).exists()
        {
            println!("cargo:rerun-if-changed={path}");
        }
    }
}

/// Whether two paths name the same folder.
fn same_dir(a: &str, b: &str) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// The trimmed output of a successful `git` command, run in this crate's folder.
fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

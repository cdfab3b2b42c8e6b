//! Embeds the rule pack: every `queries/*.toml` becomes an entry of `BUILTIN_RULES`, so adding a
//! rule is adding a file. Also writes one test per rule (`ECS.2` → `fn ECS_2`), which
//! `tests/rules.rs` includes, so that each rule passes or fails on its own.

use std::fmt::Write as _;
use std::path::Path;

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
}

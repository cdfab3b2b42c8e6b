//! Embeds the rule pack: every `queries/*.toml` becomes an entry of `BUILTIN_RULES`, so adding a
//! rule is adding a file.

use std::fmt::Write as _;

fn main() {
    println!("cargo:rerun-if-changed=queries");
    let mut files: Vec<String> = std::fs::read_dir("queries")
        .expect("the queries/ folder holds the rule pack")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    files.sort();
    let mut code = String::from(
        "/// The built-in rule pack: (path, contents).\npub const BUILTIN_RULES: &[(&str, &str)] = &[\n",
    );
    for f in &files {
        println!("cargo:rerun-if-changed=queries/{f}");
        writeln!(
            code,
            "    (\"queries/{f}\", include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/queries/{f}\"))),"
        )
        .unwrap();
    }
    code.push_str("];\n");
    let out = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("builtin_rules.rs");
    std::fs::write(out, code).unwrap();
}

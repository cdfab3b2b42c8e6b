//! The digest of a set of rule files, shared by `build.rs` (the built-in pack, `queries/*.toml`
//! and `queries/lib.jq`) and the binary (the files of `--rules` folders).
//!
//! Canonical form: the files sorted by path (bytewise), each fed to SHA-256 as its path, a NUL
//! byte, its contents and a NUL byte; the digest is written in lowercase hex. Anyone can recompute
//! it with a shell loop (README: "Which tool and which rules produced a report").

use sha2::{Digest, Sha256};

/// The SHA-256 of `files` (path, contents) in the canonical form above; the order they are given
/// in does not matter (equal paths, as from two folders, are ordered by contents).
pub fn rules_sha256(files: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = files.iter().collect();
    sorted.sort();
    let mut hasher = Sha256::new();
    for (path, contents) in sorted {
        hasher.update(path.as_bytes());
        hasher.update([0]);
        hasher.update(contents.as_bytes());
        hasher.update([0]);
    }
    hex::encode(hasher.finalize())
}

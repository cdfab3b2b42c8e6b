//! Finding the files to read under the scanned paths. Inside a folder, symbolic links are not
//! followed and special files (FIFOs, sockets, devices) are not read: each is listed as skipped
//! with the reason and warned about, since whatever it stands for was not read. A path given to
//! scan that cannot be read as a file or folder is an error saying why. Files snapaudit itself
//! writes beside evidence (a rule fixture's `expected.json`, `collect-script`'s manifest) are
//! recognised by their content and listed as skipped with what they are.

use std::fs::FileType;
use std::io;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{Diagnostic, Evidence, Skipped};

/// A file to read and the name it is shown under.
pub(super) struct Found {
    /// Where it is.
    pub path: PathBuf,
    /// Its name in the report: relative to the scanned folder, or the path given.
    pub shown: String,
}

/// Lists the regular files under `root` into `found`; what is not read goes to `evidence`.
pub(super) fn discover(
    root: &Path,
    prefix_root: bool,
    found: &mut Vec<Found>,
    evidence: &mut Evidence,
) {
    let root_shown = root.to_string_lossy().replace('\\', "/");
    let meta = match std::fs::metadata(root) {
        Ok(meta) => meta,
        Err(e) => {
            let why = unusable_path(root, &e);
            evidence.errors.push(Diagnostic::file(&root_shown, why));
            return;
        }
    };
    if meta.is_file() {
        let name = root
            .file_name()
            .map_or(root_shown.clone(), |n| n.to_string_lossy().into());
        found.push(Found {
            path: root.to_path_buf(),
            shown: if prefix_root { root_shown } else { name },
        });
        return;
    }
    if !meta.is_dir() {
        let what = special_kind(&meta.file_type());
        let why = format!("{what}, not a regular file or folder: not read; scan a file or folder");
        evidence.errors.push(Diagnostic::file(&root_shown, why));
        return;
    }
    for entry in walkdir::WalkDir::new(root).sort_by_file_name() {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                let at = e
                    .path()
                    .map_or(root_shown.clone(), |p| p.to_string_lossy().into());
                evidence
                    .errors
                    .push(Diagnostic::file(&at, format!("cannot list: {e}")));
                continue;
            }
        };
        let kind = entry.file_type();
        if kind.is_dir() {
            continue;
        }
        let rel = entry.path().strip_prefix(root).unwrap_or(entry.path());
        let rel = rel.to_string_lossy().replace('\\', "/");
        let shown = if prefix_root {
            format!("{}/{rel}", root_shown.trim_end_matches('/'))
        } else {
            rel
        };
        if kind.is_file() {
            found.push(Found {
                path: entry.path().to_path_buf(),
                shown,
            });
        } else {
            not_read(evidence, shown, entry.path(), &kind);
        }
    }
}

/// Lists a symbolic link or special file found in a folder as skipped, and warns that what it
/// stands for was not read.
fn not_read(evidence: &mut Evidence, shown: String, path: &Path, kind: &FileType) {
    let reason = if kind.is_symlink() {
        let target = std::fs::read_link(path)
            .map_or_else(|_| "?".into(), |t| t.to_string_lossy().replace('\\', "/"));
        format!("symbolic link (to {target}), not followed")
    } else {
        format!("{}, not read", special_kind(kind))
    };
    evidence.warnings.push(Diagnostic::file(
        &shown,
        format!("{reason}; if it is evidence, copy the file itself into the folder"),
    ));
    evidence.skipped.push(Skipped {
        file: shown,
        reason,
    });
}

/// The header line of `collect-script`'s `manifest.tsv` (see `collect/prelude.sh`).
const MANIFEST_TSV_HEADER: &[u8] = b"status\texit_code\taccount\tregion\tfile\tcommand\tstderr\n";

/// What a file that holds no evidence is, when snapaudit itself writes such files beside
/// evidence: the reason it is listed as skipped.
pub(super) fn own_file(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(MANIFEST_TSV_HEADER) {
        return Some("collect-script's manifest of the calls it ran (manifest.tsv), not evidence");
    }
    let Ok(Value::Object(document)) = serde_json::from_slice::<Value>(bytes) else {
        return None;
    };
    let has_only = |keys: &[&str]| document.keys().all(|k| keys.contains(&k.as_str()));
    let is_array = |key: &str| document.get(key).is_some_and(Value::is_array);
    if is_array("calls") && document.contains_key("snapaudit_collect") {
        return Some("collect-script's manifest of the calls it ran (manifest.json), not evidence");
    }
    if is_array("findings") && has_only(&["findings", "passing", "indeterminate"]) {
        return Some("a rule fixture's expected findings (read by `rules test`), not evidence");
    }
    None
}

/// Why a path given to scan could not be opened.
fn unusable_path(root: &Path, e: &io::Error) -> String {
    let is_link = std::fs::symlink_metadata(root).is_ok_and(|m| m.file_type().is_symlink());
    if is_link {
        format!("symbolic link that cannot be followed ({e}); scan the file or folder itself")
    } else if e.kind() == io::ErrorKind::NotFound {
        "no such file or directory; check the path given to scan".into()
    } else {
        format!("cannot read: {e}")
    }
}

/// What a file that is neither a regular file, a folder nor a symbolic link is.
#[cfg(unix)]
fn special_kind(kind: &FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_fifo() {
        "FIFO (named pipe)"
    } else if kind.is_socket() {
        "socket"
    } else if kind.is_block_device() || kind.is_char_device() {
        "device file"
    } else {
        "special file"
    }
}

/// What a file that is neither a regular file, a folder nor a symbolic link is.
#[cfg(not(unix))]
fn special_kind(_kind: &FileType) -> &'static str {
    "special file"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapaudits_own_files_are_told_from_evidence_by_content() {
        let tsv = b"status\texit_code\taccount\tregion\tfile\tcommand\tstderr\nok\t0\t1\n";
        assert!(own_file(tsv).unwrap().contains("(manifest.tsv)"));
        let manifest = br#"{"snapaudit_collect": "0.1.0", "calls": []}"#;
        assert!(own_file(manifest).unwrap().contains("(manifest.json)"));
        let expected = br#"{"findings": [], "passing": ["sg-1"], "indeterminate": []}"#;
        assert!(own_file(expected).unwrap().contains("expected findings"));
        for other in [
            &br#"{"findings": [], "SecurityGroups": []}"#[..],
            br#"{"calls": []}"#,
            b"status\tcode\n",
            b"[1, 2]",
        ] {
            assert_eq!(own_file(other), None, "{}", String::from_utf8_lossy(other));
        }
    }
}

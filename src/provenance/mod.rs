//! Which tool and which rules produced a report: the version, the git commit it was built from
//! and the digest of the rule pack (both computed by `build.rs`), plus the digest of any
//! `--rules` folders. Every report header carries it, so a work paper names exactly what
//! produced it.

pub mod digest;

use std::fmt;
use std::path::Path;

use serde::Serialize;

use crate::rules::RuleFiles;

/// The git commit the binary was built from (`-dirty` when the tree had changes; outside git,
/// `SNAPAUDIT_COMMIT` at build time or a source tarball's `COMMIT` file, else `unknown`).
pub const COMMIT: &str = env!("SNAPAUDIT_BUILD_COMMIT");

/// The digest of the built-in rule pack ([`digest::rules_sha256`] over `queries/`).
pub const RULES_SHA256: &str = env!("SNAPAUDIT_RULES_SHA256");

/// What `--version` prints after the program name.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("SNAPAUDIT_BUILD_COMMIT"),
    ", rules sha256:",
    env!("SNAPAUDIT_RULES_SHA256"),
    ")"
);

/// The tool that wrote a report, as the JSON reports' top-level `tool` object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tool {
    /// `snapaudit`.
    pub name: &'static str,
    /// The crate version.
    pub version: &'static str,
    /// See [`COMMIT`].
    pub commit: &'static str,
    /// See [`RULES_SHA256`].
    pub rules_sha256: &'static str,
    /// The digest of the `--rules` folders' files, each named by its file name; only when
    /// `--rules` was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extra_rules_sha256: Option<String>,
}

impl Tool {
    /// This binary with its built-in rule pack only.
    pub fn builtin() -> Tool {
        Tool {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
            commit: COMMIT,
            rules_sha256: RULES_SHA256,
            extra_rules_sha256: None,
        }
    }

    /// This binary with the built-in pack plus the `--rules` files, as read for the pack (none
    /// given: the built-in pack). A file that could not be read is left out; loading the pack
    /// reports it.
    pub fn with_rules(extra: &RuleFiles) -> Tool {
        let mut tool = Tool::builtin();
        if extra.given {
            let named: Vec<(String, String)> = (extra.sources.iter())
                .map(|(path, contents)| (file_name(path), contents.clone()))
                .collect();
            tool.extra_rules_sha256 = Some(digest::rules_sha256(&named));
        }
        tool
    }
}

/// The last component of `path`, so that the digest does not depend on where the folder is.
fn file_name(path: &str) -> String {
    Path::new(path)
        .file_name()
        .map_or_else(|| path.to_string(), |n| n.to_string_lossy().into_owned())
}

/// `snapaudit VERSION (commit COMMIT, rules sha256:HASH)`, as `--version` prints it, with
/// `, extra rules sha256:HASH` inside the parentheses when `--rules` was given.
impl fmt::Display for Tool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} (commit {}, rules sha256:{}",
            self.name, self.version, self.commit, self.rules_sha256
        )?;
        if let Some(extra) = &self.extra_rules_sha256 {
            write!(f, ", extra rules sha256:{extra}")?;
        }
        write!(f, ")")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_line_is_the_builtin_tool() {
        assert_eq!(Tool::builtin().to_string(), format!("snapaudit {VERSION}"));
    }

    #[test]
    fn the_digest_is_over_path_nul_contents_nul_in_path_order() {
        let files = [("b".to_string(), "2".to_string()), ("a".into(), "1".into())];
        let expected = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
            b"a\x001\x00b\x002\x00",
        ));
        assert_eq!(digest::rules_sha256(&files), expected);
    }
}

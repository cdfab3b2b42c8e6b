//! Reading one file: splitting it into JSON documents (one, several concatenated, or an array of
//! them), unwrapping boto3 recordings, and turning their arrays into records with provenance.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::depth;
use super::discover;
use super::elb;
use super::encoding;
use super::kinds::{ApiError, Document, Kind, Records};
use super::model::Shared;
use super::{Record, Source};

/// A problem tied to a file and, where known, a position in it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Diagnostic {
    /// The file, relative to the scanned root.
    pub file: String,
    /// 1-based line, when the problem has a text position.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// 1-based column, when the problem has a text position.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// JSON pointer of the record concerned, when the problem is about a record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    /// What is wrong and, where it helps, what to do.
    pub message: String,
}

impl Diagnostic {
    /// A diagnostic about a whole file.
    pub fn file(file: &str, message: impl Into<String>) -> Self {
        Diagnostic {
            file: file.to_string(),
            line: None,
            column: None,
            pointer: None,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file)?;
        if let (Some(l), Some(c)) = (self.line, self.column) {
            write!(f, ":{l}:{c}")?;
        }
        if let Some(p) = &self.pointer {
            write!(f, " at {p}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// What reading one file produced.
#[derive(Debug, Default)]
pub struct FileOutcome {
    /// Records found, tagged with `Source`s whose `file` is the index given to `read_file`.
    pub records: Records,
    /// Records per kind found in the file (one entry per document array).
    pub kinds: Vec<(Kind, usize)>,
    /// Flow log records, when the file is a flow log delivery file.
    pub flow: Option<super::flow_summary::FlowSummary>,
    /// Set when the file is not AWS evidence.
    pub skipped: Option<String>,
    /// Failed calls and `failures[]` entries recorded in the file.
    pub warnings: Vec<Diagnostic>,
    /// What could not be read: the error that stopped reading the file (documents before it
    /// are kept), or each record of an unexpected shape (the other records are kept).
    pub errors: Vec<Diagnostic>,
}

/// Reads the evidence in `bytes`, the content of the file shown as `path`.
pub fn read_file(file: u32, path: &str, bytes: &[u8]) -> FileOutcome {
    let mut out = FileOutcome::default();
    let text = match encoding::to_utf8(bytes) {
        Ok(text) => text,
        Err(why) => {
            out.errors.push(Diagnostic::file(path, why));
            return out;
        }
    };
    let out = read_text(file, path, text.as_ref());
    // The next file's values are interned afresh: these stay only as long as their records.
    Shared::forget_interned();
    out
}

/// Reads the evidence in the UTF-8 `bytes` of the file shown as `path`.
fn read_text(file: u32, path: &str, bytes: &[u8]) -> FileOutcome {
    let mut out = FileOutcome::default();
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    let documents = match first {
        None => {
            out.skipped = Some("empty file".into());
            return out;
        }
        Some(b'[') => match serde_json::from_slice::<Vec<Document>>(bytes) {
            Ok(docs) => docs
                .into_iter()
                .enumerate()
                .map(|(i, d)| (d, Source::new(file, 0, format!("/{i}"))))
                .collect(),
            Err(e) => return settle_error(out, file, path, bytes, e, Vec::new()),
        },
        Some(b'{') => {
            let mut docs = Vec::new();
            let stream = serde_json::Deserializer::from_slice(bytes).into_iter::<Document>();
            for (i, doc) in stream.enumerate() {
                match doc {
                    Ok(d) => docs.push((d, Source::new(file, i as u32, String::new()))),
                    Err(e) => return settle_error(out, file, path, bytes, e, docs),
                }
            }
            docs
        }
        Some(_) if path.ends_with(".json") => {
            let (line, column) = line_col(bytes, bytes.len() - bytes.trim_ascii_start().len());
            out.errors.push(Diagnostic {
                line: Some(line),
                column: Some(column),
                ..Diagnostic::file(
                    path,
                    "invalid JSON: expected `{` or `[` at the start of the file",
                )
            });
            return out;
        }
        Some(_) => {
            out.skipped = Some(not_evidence(bytes, "not JSON"));
            return out;
        }
    };
    let mut recognised = false;
    for (mut doc, at) in documents {
        recognised |= absorb(&mut out, path, &mut doc, &at);
    }
    finish(out, path, bytes, recognised)
}

/// Why a file holding no evidence is skipped: what it is when snapaudit wrote it (a fixture's
/// expected findings, a collection manifest), else `generic`.
fn not_evidence(bytes: &[u8], generic: &str) -> String {
    discover::own_file(bytes).unwrap_or(generic).into()
}

/// Marks a file (`bytes`) with nothing recognisable as skipped, and ties prefix-list entries to
/// the list named in the file name.
pub(super) fn finish(
    mut out: FileOutcome,
    path: &str,
    bytes: &[u8],
    recognised: bool,
) -> FileOutcome {
    if !recognised && out.errors.is_empty() && out.skipped.is_none() {
        let generic = "no AWS evidence recognised (no known top-level key)";
        out.skipped = Some(not_evidence(bytes, generic));
    }
    if let Some(list_id) = prefix_list_id(path) {
        for e in &mut out.records.prefix_list_entries {
            e.item.list_id = list_id.to_string();
        }
    }
    out
}

/// Takes one document's records; returns whether it held anything recognisable.
pub(super) fn absorb(out: &mut FileOutcome, path: &str, doc: &mut Document, at: &Source) -> bool {
    let mut recognised = false;
    if let Some(mut inner) = doc.data.take() {
        if failed_call(out, path, at, doc.status_code, inner.error.as_ref()) {
            return true;
        }
        recognised |= absorb(
            out,
            path,
            &mut inner,
            &at.at(format!("{}/data", at.pointer)),
        );
    }
    let kinds = doc.kinds();
    recognised |= notes(out, path, doc, &kinds, at);
    let services_before = out.records.services.len();
    let owned_before = elb::Before::of(&out.records);
    out.records.take(doc, at, &mut out.kinds);
    lift_inline_task_sets(out, services_before);
    recognised |= elb::adopt(out, path, doc, at, owned_before);
    recognised | !kinds.is_empty()
}

/// The slow path of [`absorb`] for a document already read as JSON: records of an unexpected
/// shape become errors naming their pointer, the others are kept.
fn absorb_value(out: &mut FileOutcome, path: &str, value: Value, at: &Source) -> bool {
    let Value::Object(mut map) = value else {
        return false;
    };
    let data = map.remove("data");
    let kinds_before = out.kinds.len();
    let services_before = out.records.services.len();
    let owned_before = elb::Before::of(&out.records);
    let bad = out.records.take_values(&mut map, at, &mut out.kinds);
    lift_inline_task_sets(out, services_before);
    let kinds: Vec<Kind> = out.kinds[kinds_before..].iter().map(|(k, _)| *k).collect();
    for (pointer, why) in bad {
        out.errors.push(Diagnostic {
            pointer: Some(pointer),
            ..Diagnostic::file(
                path,
                format!(
                    "record skipped, unexpected shape: {why}; the file's other records were read"
                ),
            )
        });
    }
    let mut rest: Document = serde_json::from_value(Value::Object(map)).unwrap_or_default();
    let mut recognised = !kinds.is_empty() | elb::adopt(out, path, &mut rest, at, owned_before);
    if let Some(data) = data {
        let error = data
            .get("Error")
            .and_then(|e| ApiError::deserialize(e).ok());
        if failed_call(out, path, at, rest.status_code, error.as_ref()) {
            return true;
        }
        recognised |= absorb_value(out, path, data, &at.at(format!("{}/data", at.pointer)));
    }
    recognised | notes(out, path, &mut rest, &kinds, at)
}

/// A boto3 recording of a failed call becomes a warning; returns whether the call failed.
fn failed_call(
    out: &mut FileOutcome,
    path: &str,
    at: &Source,
    status: Option<u16>,
    error: Option<&ApiError>,
) -> bool {
    if !(status.is_some_and(|s| s >= 400) || error.is_some()) {
        return false;
    }
    let status = status.map(|s| format!("status {s}, ")).unwrap_or_default();
    let (code, message) = error
        .map(|e| {
            (
                e.code.as_deref().unwrap_or("?"),
                e.message.as_deref().unwrap_or(""),
            )
        })
        .unwrap_or(("?", ""));
    out.warnings.push(Diagnostic {
        pointer: Some(format!("{}/data", at.pointer)),
        ..Diagnostic::file(
            path,
            format!(
                "recorded API call failed ({status}{code}: {message}); what it would \
                 have listed is unknown, not absent"
            ),
        )
    });
    true
}

/// A recorded `Error` and every ECS `failures[]` entry become warnings; returns whether there
/// were any.
fn notes(
    out: &mut FileOutcome,
    path: &str,
    doc: &mut Document,
    kinds: &[Kind],
    at: &Source,
) -> bool {
    let mut any = false;
    if let Some(err) = &doc.error {
        out.warnings.push(Diagnostic {
            pointer: Some(at.pointer.clone()),
            ..Diagnostic::file(
                path,
                format!(
                    "recorded API error {}: {}; what it would have listed is unknown, not absent",
                    err.code.as_deref().unwrap_or("?"),
                    err.message.as_deref().unwrap_or("")
                ),
            )
        });
        any = true;
    }
    let command = kinds.first().map_or("the ECS call", |k| k.command());
    for (i, f) in doc.failures.take().unwrap_or_default().iter().enumerate() {
        any = true;
        out.warnings.push(Diagnostic {
            pointer: Some(format!("{}/failures/{i}", at.pointer)),
            ..Diagnostic::file(
                path,
                format!(
                    "{command} could not describe {}: {}{}",
                    f.arn.as_deref().unwrap_or("a resource"),
                    f.reason.as_deref().unwrap_or("no reason given"),
                    f.detail
                        .as_deref()
                        .map(|d| format!(" ({d})"))
                        .unwrap_or_default()
                ),
            )
        });
    }
    any
}

/// Task sets shown inline in describe-services (services from index `from` on) are task-set
/// evidence too.
fn lift_inline_task_sets(out: &mut FileOutcome, from: usize) {
    for service in &mut out.records.services[from..] {
        let inline = std::mem::take(&mut service.item.task_sets);
        out.records
            .task_sets
            .extend(inline.into_iter().enumerate().map(|(j, item)| Record {
                item,
                source: service.source.child("taskSets", j),
            }));
    }
}

/// Decides what a parse error means. Invalid JSON is an error (documents before it are kept).
/// Valid JSON that is not AWS evidence is skipped. Evidence of an unexpected shape is read again,
/// record by record, so that only the records that do not read are lost, each named.
fn settle_error(
    mut out: FileOutcome,
    file: u32,
    path: &str,
    bytes: &[u8],
    e: serde_json::Error,
    before: Vec<(Document, Source)>,
) -> FileOutcome {
    let deep = depth::too_deep(bytes, depth::LIMIT);
    if !deep.is_empty() {
        return without_deep(file, path, bytes, &deep);
    }
    let is_data = e.classify() == serde_json::error::Category::Data;
    if is_data && !looks_like_evidence(bytes) {
        let generic = "no AWS evidence recognised (JSON of another shape)";
        out.skipped = Some(not_evidence(bytes, generic));
        return out;
    }
    if is_data {
        let mut recognised = false;
        let (documents, stopped) = documents_as_values(file, bytes);
        for (value, at) in documents {
            recognised |= absorb_value(&mut out, path, value, &at);
        }
        if let Some(first) = out.errors.first_mut() {
            // serde stopped at the first record that does not read: give it the text position.
            (first.line, first.column) = (Some(e.line()), Some(e.column()));
            if let Some(syntax) = stopped {
                out.errors.push(invalid_json(path, &syntax));
            }
            return finish(out, path, bytes, recognised);
        }
        out = FileOutcome::default();
    }
    let mut recognised = false;
    for (mut doc, at) in before {
        recognised |= absorb(&mut out, path, &mut doc, &at);
    }
    out.errors.push(invalid_json(path, &e));
    finish(out, path, bytes, recognised)
}

/// Reads a file whose values `deep` are nested too deep to parse: the file is read with them
/// emptied, and each record holding one is dropped and named in an error (with its position);
/// the file's other records are kept.
fn without_deep(file: u32, path: &str, bytes: &[u8], deep: &[depth::TooDeep]) -> FileOutcome {
    let mut out = read_text(file, path, &depth::emptied(bytes, deep));
    let held = |document: Option<u32>, pointer: &str| {
        (deep.iter())
            .any(|d| document.is_none_or(|n| n == d.document) && depth::holds(pointer, &d.pointer))
    };
    let dropped = out.records.retain(|s| !held(Some(s.document), &s.pointer));
    uncount(&mut out.kinds, &dropped);
    // The emptied value may also have given its record an unexpected shape: one error is enough.
    out.errors
        .retain(|e| !e.pointer.as_deref().is_some_and(|p| held(None, p)));
    for d in deep {
        let (line, column) = line_col(bytes, d.start);
        out.errors.push(Diagnostic {
            line: Some(line),
            column: Some(column),
            pointer: Some(d.pointer.clone()),
            ..Diagnostic::file(
                path,
                format!(
                    "record skipped: a value nested deeper than {} levels (document {}); the \
                     file's other records were read",
                    depth::LIMIT,
                    d.document
                ),
            )
        });
    }
    out
}

/// Takes records dropped after reading off the file's counts per kind, so that a dropped record
/// is never counted as read.
fn uncount(counts: &mut [(Kind, usize)], dropped: &[(Kind, usize)]) {
    for &(kind, mut left) in dropped {
        for (_, n) in counts.iter_mut().filter(|(k, _)| *k == kind) {
            let taken = left.min(*n);
            (*n, left) = (*n - taken, left - taken);
        }
    }
}

/// The error for a file serde could not read, at serde's position.
fn invalid_json(path: &str, e: &serde_json::Error) -> Diagnostic {
    let what = if e.classify() == serde_json::error::Category::Data {
        "unexpected shape for AWS evidence"
    } else {
        "invalid JSON"
    };
    let message = strip_position(&e.to_string());
    Diagnostic {
        line: Some(e.line()),
        column: Some(e.column()),
        ..Diagnostic::file(
            path,
            format!("{what}: {message}; fix or re-export this file (the rest of the scan went on)"),
        )
    }
}

/// The file's documents as plain JSON, with the same sources as the typed reading gives them,
/// and the syntax error that ended them early, if one did.
fn documents_as_values(
    file: u32,
    bytes: &[u8],
) -> (Vec<(Value, Source)>, Option<serde_json::Error>) {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'[') {
        return match serde_json::from_slice::<Vec<Value>>(bytes) {
            Ok(docs) => (
                docs.into_iter()
                    .enumerate()
                    .map(|(i, d)| (d, Source::new(file, 0, format!("/{i}"))))
                    .collect(),
                None,
            ),
            Err(e) => (Vec::new(), Some(e)),
        };
    }
    let mut docs = Vec::new();
    for (i, doc) in serde_json::Deserializer::from_slice(bytes)
        .into_iter::<Value>()
        .enumerate()
    {
        match doc {
            Ok(d) => docs.push((d, Source::new(file, i as u32, String::new()))),
            Err(e) => return (docs, Some(e)),
        }
    }
    (docs, None)
}

/// Whether valid JSON holds a known evidence key with an array value in some document.
fn looks_like_evidence(bytes: &[u8]) -> bool {
    fn has_kind(v: &serde_json::Value) -> bool {
        match v {
            serde_json::Value::Array(items) => items.iter().any(has_kind),
            serde_json::Value::Object(map) => {
                Kind::ALL
                    .iter()
                    .any(|k| map.get(k.key()).is_some_and(|x| x.is_array()))
                    || map.get("data").is_some_and(has_kind)
            }
            _ => false,
        }
    }
    serde_json::Deserializer::from_slice(bytes)
        .into_iter::<serde_json::Value>()
        .map_while(Result::ok)
        .any(|v| has_kind(&v))
}

/// serde_json appends " at line L column C"; the diagnostic carries those separately.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// 1-based line and column of a byte offset.
fn line_col(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = offset
        - before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1)
        + 1;
    (line, column)
}

/// The `pl-…` id in a file name, for `get-managed-prefix-list-entries` output.
fn prefix_list_id(path: &str) -> Option<&str> {
    let name = path.rsplit('/').next()?;
    let start = name.find("pl-")?;
    let rest = &name[start..];
    let end = 3 + rest[3..]
        .find(|c: char| !c.is_ascii_hexdigit())
        .unwrap_or(rest.len() - 3);
    (end > 3).then(|| &rest[..end])
}

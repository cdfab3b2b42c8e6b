//! Reading a flow log delivery file (`*.log.gz` or plain text, as flow logs write them to S3):
//! recognised by its content (gzip, or a first line naming flow log fields), read as a stream
//! (the SHA-256 is computed on the bytes as they are read), one record per line.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;
use sha2::{Digest, Sha256};

use super::Evidence;
use super::flow::FlowFormat;
use super::flow_summary::FlowSummary;
use super::read::{Diagnostic, FileOutcome};

/// The AWS CLI command (or delivery) named for a delivery file in the evidence list.
pub const DELIVERY: &str = "flow log records (S3 delivery file)";

/// Records of unexpected shape reported one by one per file; the rest are counted.
const SHOWN_ERRORS: usize = 10;

/// Whether a file is a flow log delivery file: gzip (`Some(true)`), or text whose first line
/// names flow log fields (`Some(false)`); `None` for anything else (JSON is never one).
pub fn sniff(path: &Path) -> io::Result<Option<bool>> {
    let mut head = Vec::with_capacity(SNIFFED);
    File::open(path)?
        .take(SNIFFED as u64)
        .read_to_end(&mut head)?;
    Ok(sniff_head(&head))
}

/// The bytes [`sniff`] looks at.
const SNIFFED: usize = 512;

/// [`sniff`] on the first bytes of a file (any more than [`SNIFFED`] are not looked at).
pub fn sniff_head(head: &[u8]) -> Option<bool> {
    let head = &head[..head.len().min(SNIFFED)];
    if head.starts_with(&[0x1f, 0x8b]) {
        return Some(true);
    }
    let first = head.split(|b| *b == b'\n').next().unwrap_or_default();
    let header = std::str::from_utf8(first)
        .ok()
        .and_then(FlowFormat::from_header);
    header.map(|_| false)
}

/// A reader that hashes what passes through it.
pub struct Hashing<R> {
    inner: R,
    hash: Sha256,
}

impl<R> Hashing<R> {
    /// Hashes what is read from `inner`.
    pub fn new(inner: R) -> Self {
        Hashing {
            inner,
            hash: Sha256::new(),
        }
    }

    /// The SHA-256 of what was read, hex.
    pub fn finish(self) -> String {
        hex::encode(self.hash.finalize())
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
}

/// Reads a delivery file: its SHA-256 and its records as columns (see [`read_from`]).
pub fn read(path: &Path, shown: &str, gzip: bool) -> io::Result<(String, FileOutcome)> {
    let mut hashing = Hashing::new(File::open(path)?);
    let out = read_from(&mut hashing, shown, gzip);
    io::copy(&mut hashing, &mut io::sink())?;
    Ok((hashing.finish(), out))
}

/// Reads a delivery file's records from `input` as columns. A record that does not read is an
/// error naming its line (the others are kept); a file that stops early (a truncated gzip)
/// keeps the records before the error.
pub fn read_from(input: impl Read, shown: &str, gzip: bool) -> FileOutcome {
    let mut out = FileOutcome::default();
    let outcome = if gzip {
        let decoder = MultiGzDecoder::new(input);
        read_lines(
            &mut BufReader::with_capacity(1 << 16, decoder),
            shown,
            &mut out,
        )
    } else {
        read_lines(
            &mut BufReader::with_capacity(1 << 16, input),
            shown,
            &mut out,
        )
    };
    if let Err((line, e)) = outcome {
        out.errors
            .push(at_line(shown, line, format!("cannot read further: {e}")));
    }
    out
}

/// Reads the header line and every record after it into `out`; an I/O error is returned with
/// the line it happened at.
fn read_lines(
    input: &mut dyn BufRead,
    shown: &str,
    out: &mut FileOutcome,
) -> Result<(), (usize, io::Error)> {
    let mut line = String::new();
    let header = input.read_line(&mut line).map_err(|e| (1, e))?;
    let format = (header > 0)
        .then(|| FlowFormat::from_header(&line))
        .flatten();
    let Some(format) = format else {
        out.skipped = Some("gzip file whose first line is not a flow log header".into());
        return Ok(());
    };
    if let Some(why) = format.unusable() {
        out.errors.push(at_line(shown, 1, why.to_string()));
        return Ok(());
    }
    let mut summary = FlowSummary::default();
    let mut bad = 0;
    for number in 2.. {
        line.clear();
        if input.read_line(&mut line).map_err(|e| (number, e))? == 0 {
            break;
        }
        if line.trim().is_empty() {
            continue;
        }
        if let Err(why) = summary.push(&format, &line, number as u64) {
            bad += 1;
            if bad <= SHOWN_ERRORS {
                let why = format!("flow record skipped: {why}; the file's other records were read");
                out.errors.push(at_line(shown, number, why));
            }
        }
    }
    if bad > SHOWN_ERRORS {
        let more = format!(
            "{} more flow records of unexpected shape skipped",
            bad - SHOWN_ERRORS
        );
        out.errors.push(Diagnostic::file(shown, more));
    }
    out.flow = Some(summary);
    Ok(())
}

fn at_line(shown: &str, line: usize, message: String) -> Diagnostic {
    Diagnostic {
        line: Some(line),
        column: Some(1),
        ..Diagnostic::file(shown, message)
    }
}

/// Keeps each delivery file's records once: a file with the same content (SHA-256) as one
/// before it in file order (the same S3 object under two names) is warned about, naming both,
/// and its records are not counted again.
pub fn drop_repeated_deliveries(evidence: &mut Evidence) {
    let files = &evidence.files;
    let mut first: HashMap<&str, &str> = HashMap::new();
    let mut repeats = Vec::new();
    evidence.flow.retain(|summary| {
        let file = &files[summary.file() as usize];
        match first.entry(file.sha256.as_str()) {
            Entry::Vacant(v) => {
                v.insert(&file.file);
                true
            }
            Entry::Occupied(o) => {
                let why = format!(
                    "the same flow log records as {} (same SHA-256): counted once, from that file",
                    o.get()
                );
                repeats.push(Diagnostic::file(&file.file, why));
                false
            }
        }
    });
    evidence.warnings.extend(repeats);
}

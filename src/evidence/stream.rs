//! Reading a large JSON evidence file as a stream, so that its bytes are never held whole beside
//! its records and its records are parsed on every core. The file is read a chunk at a time
//! (hashed as it is read); the elements of each evidence array at a document's top level are
//! found by a light scan of the text and parsed in parallel, the chunk's complete ones at a time;
//! the document's other members, small by nature, are parsed together as before.
//!
//! Only plain UTF-8 documents (`{…}`, one or several) take this path. Anything else, or anything
//! the scan or the parser does not accept, sends the file back to the reader that reads it whole,
//! so every diagnostic keeps the position and wording it has there.

use std::fs::File;
use std::io::{self, Read};
use std::ops::Range;
use std::path::Path;

use rayon::prelude::*;
use serde::de::DeserializeOwned;

use super::depth;
use super::flow_read::Hashing;
use super::kinds::{Document, Kind};
use super::model::Shared;
use super::read::{self, FileOutcome};
use super::{Record, Source};

/// Files from this size on are streamed; smaller ones are read whole, which is faster.
pub const STREAMED_FROM: u64 = 32 << 20;

/// The bytes read at a time (more when one value is longer). A document member other than an
/// evidence array (a boto3 recording's `data`, say) longer than this is not streamed: the file
/// is read whole rather than held twice, in the buffer and among the members parsed together.
const CHUNK: usize = 16 << 20;

/// The nesting of a document's members (inside the document's object) and of the elements of
/// its arrays, as `depth` counts it.
const MEMBER_DEPTH: usize = 1;
const ELEMENT_DEPTH: usize = 2;

/// Reads the file at `path`, shown as `shown`, as a stream when it is large: its SHA-256 and
/// what it held. `None` when it is small or not of the plain shape streamed: the caller reads it
/// whole.
pub fn read(path: &Path, shown: &str) -> io::Result<Option<(String, FileOutcome)>> {
    let file = File::open(path)?;
    let len = file.metadata()?.len();
    if len < STREAMED_FROM {
        return Ok(None);
    }
    let mut stream = Stream::new(file, len, CHUNK);
    let outcome = stream.documents(shown);
    Shared::forget_interned();
    Ok(outcome?.map(|out| (stream.input.finish(), out)))
}

/// Reads `bytes` as [`read`] reads a large file, `chunk` bytes at a time (any size: the fuzz
/// target cuts every unit somewhere): its SHA-256 and what it held, or `None` when the file must
/// be read whole.
pub fn read_bytes(shown: &str, bytes: &[u8], chunk: usize) -> Option<(String, FileOutcome)> {
    let mut stream = Stream::new(bytes, bytes.len() as u64, chunk.max(1));
    let outcome = stream.documents(shown);
    Shared::forget_interned();
    outcome.ok()?.map(|out| (stream.input.finish(), out))
}

/// What a scan of the text after the current position found.
enum Scan<T> {
    /// A complete unit of the given shape.
    Done(T),
    /// The text ends before the unit does: read more.
    Incomplete,
    /// Not of the shape streamed: read the file whole.
    Unusable,
}

use Scan::{Done, Incomplete, Unusable};

/// The start of a document member, or the document's end.
enum MemberStart {
    /// `}`: the member's length.
    End(usize),
    /// A member: its key's bytes (without quotes) and where its value starts.
    Member { key: Range<usize>, value: usize },
}

/// An array's next element (its range), or the array's end (the length up to it).
enum Element {
    Record(Range<usize>),
    Close(usize),
}

/// What follows a member or an array element: `,` or the closing bracket (with their length).
enum After {
    Next(usize),
    End(usize),
}

/// The file being read and the bytes read but not yet used.
struct Stream<R> {
    input: Hashing<R>,
    /// The input's length in bytes.
    len: u64,
    /// The bytes read so far.
    read: u64,
    /// The bytes read at a time.
    chunk: usize,
    buf: Vec<u8>,
    /// Where the unused bytes start.
    at: usize,
}

impl<R: Read> Stream<R> {
    /// A stream of `input`, `len` bytes long, read `chunk` bytes at a time.
    fn new(input: R, len: u64, chunk: usize) -> Self {
        Stream {
            input: Hashing::new(input),
            len,
            read: 0,
            chunk,
            buf: Vec::new(),
            at: 0,
        }
    }

    /// Every document of the file, taken into one outcome as the whole-file reader takes them;
    /// `None` when the file must be read whole.
    fn documents(&mut self, shown: &str) -> io::Result<Option<FileOutcome>> {
        let mut out = FileOutcome::default();
        let mut recognised = false;
        let mut index = 0;
        loop {
            self.at += whitespace(&self.buf[self.at..]);
            if self.at == self.buf.len() {
                if self.more()? {
                    continue;
                }
                break;
            }
            if self.buf[self.at] != b'{' {
                return Ok(None);
            }
            self.at += 1;
            let Some(mut doc) = self.document()? else {
                return Ok(None);
            };
            let at = Source::new(u32::MAX, index, String::new());
            recognised |= read::absorb(&mut out, shown, &mut doc, &at);
            index += 1;
        }
        // A file with nothing recognised is told apart by its whole content.
        Ok(recognised.then(|| read::finish(out, shown, &[], true)))
    }

    /// One document, after its `{`: the evidence arrays streamed, the other members parsed
    /// together.
    fn document(&mut self) -> io::Result<Option<Document>> {
        let mut rest = vec![b'{'];
        let mut streamed = Document::default();
        let mut first = true;
        loop {
            let Some(start) = self.scan(|s| member_start(s, first))? else {
                return Ok(None);
            };
            let (key, value) = match start {
                MemberStart::End(n) => {
                    self.at += n;
                    break;
                }
                MemberStart::Member { key, value } => (key, value),
            };
            let kind = Kind::ALL
                .iter()
                .find(|k| k.key().as_bytes() == &self.buf[self.at..][key.clone()]);
            match kind {
                Some(&kind) if self.buf[self.at + value] == b'[' => {
                    self.at += value + 1;
                    if !streamed.begin(kind) || self.array(kind, &mut streamed)?.is_none() {
                        return Ok(None);
                    }
                }
                _ => {
                    let end =
                        self.scan(|s| value_len(&s[value..], MEMBER_DEPTH).map(|n| value + n));
                    let Some(end) = end?.filter(|&end| end <= CHUNK) else {
                        return Ok(None);
                    };
                    if rest.len() > 1 {
                        rest.push(b',');
                    }
                    rest.extend_from_slice(&self.buf[self.at + key.start - 1..self.at + end]);
                    self.at += end;
                }
            }
            first = false;
            match self.scan(|s| after(s, b'}'))? {
                Some(After::Next(n)) => self.at += n,
                Some(After::End(n)) => {
                    self.at += n;
                    break;
                }
                None => return Ok(None),
            }
        }
        rest.push(b'}');
        let Ok(mut doc) = serde_json::from_slice::<Document>(&rest) else {
            return Ok(None);
        };
        Ok(doc.adopt_streamed(streamed).then_some(doc))
    }

    /// The elements of an evidence array, after its `[`, parsed into `doc` a chunk at a time.
    fn array(&mut self, kind: Kind, doc: &mut Document) -> io::Result<Option<()>> {
        let mut first = true;
        loop {
            let mut elements = Vec::new();
            let mut at = self.at;
            let closed = loop {
                match element(&self.buf[at..], first) {
                    Done(Element::Record(range)) => {
                        elements.push(at + range.start..at + range.end);
                        at += range.end;
                        first = false;
                    }
                    Done(Element::Close(n)) => {
                        at += n;
                        break true;
                    }
                    Incomplete => break false,
                    Unusable => return Ok(None),
                }
            };
            let expected = self.expected(&elements);
            let texts: Vec<&[u8]> = elements.iter().map(|r| &self.buf[r.clone()]).collect();
            if doc.push_elements(kind, &texts, expected).is_err() {
                return Ok(None);
            }
            self.at = at;
            if closed {
                return Ok(Some(()));
            }
            if !self.more()? {
                return Ok(None);
            }
        }
    }

    /// How many records an array holds, guessed from the size of its first `elements` (ranges
    /// of the buffer) and what is left to read: enough room for all of them is made at once, so
    /// a large array is not copied as it grows (room left unused is never touched).
    fn expected(&self, elements: &[Range<usize>]) -> usize {
        let (Some(first), Some(last)) = (elements.first(), elements.last()) else {
            return 0;
        };
        let each = (last.end - first.start) / elements.len();
        let unread = self.len.saturating_sub(self.read) as usize + (self.buf.len() - last.end);
        (elements.len() + unread / each.max(1)) * 9 / 8
    }

    /// Scans the unused text with `shape`, reading more while it is incomplete; `None` when the
    /// text is not of that shape or the file ends first.
    fn scan<T>(&mut self, shape: impl Fn(&[u8]) -> Scan<T>) -> io::Result<Option<T>> {
        loop {
            match shape(&self.buf[self.at..]) {
                Done(found) => return Ok(Some(found)),
                Unusable => return Ok(None),
                Incomplete if self.more()? => {}
                Incomplete => return Ok(None),
            }
        }
    }

    /// Drops the used bytes and reads more (at least a chunk, and as much as is unused, so a
    /// long value is read in a few steps); whether any was read.
    fn more(&mut self) -> io::Result<bool> {
        self.buf.drain(..self.at);
        self.at = 0;
        let want = self.chunk.max(self.buf.len());
        let read = (&mut self.input)
            .take(want as u64)
            .read_to_end(&mut self.buf)?;
        self.read += read as u64;
        Ok(read > 0)
    }
}

/// Parses the texts of evidence records in parallel and appends them to `into`, in order;
/// `expected` is how many the array is thought to hold, for which room is made at its start.
pub fn parse_records<T: DeserializeOwned + Send>(
    into: &mut Vec<Record<T>>,
    texts: &[&[u8]],
    expected: usize,
) -> Result<(), serde_json::Error> {
    if into.is_empty() {
        into.reserve(expected);
    }
    let per_thread = texts.len().div_ceil(rayon::current_num_threads()).max(1);
    let parsed = (texts.par_chunks(per_thread))
        .map(|chunk| {
            let records = (chunk.iter())
                .map(|text| serde_json::from_slice::<Record<T>>(text))
                .collect::<Result<Vec<_>, _>>();
            // The values of this chunk stay only as long as their records.
            Shared::forget_interned();
            records
        })
        .collect::<Result<Vec<_>, _>>()?;
    for mut records in parsed {
        into.append(&mut records);
    }
    Ok(())
}

/// The length of JSON whitespace at the start of `s`.
fn whitespace(s: &[u8]) -> usize {
    (s.iter())
        .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        .unwrap_or(s.len())
}

/// A member's key and where its value starts, or `}` (only where a first member may be).
fn member_start(s: &[u8], first: bool) -> Scan<MemberStart> {
    let i = whitespace(s);
    match s.get(i) {
        None => Incomplete,
        Some(b'}') if first => Done(MemberStart::End(i + 1)),
        Some(b'"') => {
            let Done(n) = string_len(&s[i..]) else {
                return Incomplete;
            };
            let colon = i + n + whitespace(&s[i + n..]);
            match s.get(colon) {
                None => Incomplete,
                Some(b':') => {
                    let value = colon + 1 + whitespace(&s[colon + 1..]);
                    if value < s.len() {
                        Done(MemberStart::Member {
                            key: i + 1..i + n - 1,
                            value,
                        })
                    } else {
                        Incomplete
                    }
                }
                Some(_) => Unusable,
            }
        }
        Some(_) => Unusable,
    }
}

/// `,` or `close` after whitespace.
fn after(s: &[u8], close: u8) -> Scan<After> {
    let i = whitespace(s);
    match s.get(i) {
        None => Incomplete,
        Some(b',') => Done(After::Next(i + 1)),
        Some(&b) if b == close => Done(After::End(i + 1)),
        Some(_) => Unusable,
    }
}

/// The next element of an array, or its end; a record is an object, so any other element is
/// left to the whole-file reader.
fn element(s: &[u8], first: bool) -> Scan<Element> {
    let start = if first {
        let i = whitespace(s);
        match s.get(i) {
            None => return Incomplete,
            Some(b']') => return Done(Element::Close(i + 1)),
            Some(_) => i,
        }
    } else {
        match after(s, b']') {
            Done(After::Next(n)) => n + whitespace(&s[n..]),
            Done(After::End(n)) => return Done(Element::Close(n)),
            Incomplete => return Incomplete,
            Unusable => return Unusable,
        }
    };
    match s.get(start) {
        None => Incomplete,
        Some(b'{') => {
            value_len(&s[start..], ELEMENT_DEPTH).map(|n| Element::Record(start..start + n))
        }
        Some(_) => Unusable,
    }
}

/// The bytes [`value_len`] stops at: strings and brackets.
const STRUCTURAL: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    while i < 5 {
        table[b"\"{}[]"[i] as usize] = true;
        i += 1;
    }
    table
};

/// The length of the JSON value starting `s`, nested at `depth`: its brackets are matched and
/// its strings skipped, the parser checks the rest. A value nested too deep is left to the
/// whole-file reader, which names it.
fn value_len(s: &[u8], depth: usize) -> Scan<usize> {
    match s.first() {
        None => return Incomplete,
        Some(b'"') => return string_len(s),
        Some(b'{' | b'[') => {}
        Some(_) => {
            let end = s
                .iter()
                .position(|b| matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'));
            return end.map_or(Incomplete, Done);
        }
    }
    let mut open = 0usize;
    let mut at = 0;
    while at < s.len() {
        if !STRUCTURAL[s[at] as usize] {
            at += 1;
            continue;
        }
        match s[at] {
            b'"' => match string_len(&s[at..]) {
                Done(n) => at += n,
                _ => return Incomplete,
            },
            b'{' | b'[' if depth + open >= depth::LIMIT => return Unusable,
            b'{' | b'[' => {
                open += 1;
                at += 1;
            }
            b'}' | b']' => {
                open -= 1;
                at += 1;
                if open == 0 {
                    return Done(at);
                }
            }
            _ => at += 1,
        }
    }
    Incomplete
}

/// The length of the string starting `s` (quotes included).
fn string_len(s: &[u8]) -> Scan<usize> {
    let mut at = 1;
    while let Some(i) = memchr::memchr2(b'"', b'\\', s.get(at..).unwrap_or_default()) {
        match s[at + i] {
            b'"' => return Done(at + i + 1),
            _ => at += i + 2,
        }
    }
    Incomplete
}

impl<T> Scan<T> {
    /// The found unit mapped by `f`.
    fn map<U>(self, f: impl FnOnce(T) -> U) -> Scan<U> {
        match self {
            Done(found) => Done(f(found)),
            Incomplete => Incomplete,
            Unusable => Unusable,
        }
    }
}

#[cfg(test)]
mod tests {
    use sha2::{Digest, Sha256};

    use super::*;

    /// What streaming `text` gives (read a few bytes at a time, so that every unit is cut
    /// somewhere), with its hash checked when it is read through.
    fn streamed(text: &str) -> Option<String> {
        let (sha, out) = read_bytes("f.json", text.as_bytes(), 5)?;
        assert_eq!(sha, hex::encode(Sha256::digest(text.as_bytes())));
        Some(format!("{out:?}"))
    }

    #[test]
    fn a_streamed_file_reads_as_the_whole_file_does() {
        let enis = r#"{"NetworkInterfaces": [ {"NetworkInterfaceId": "eni-1", "Description":
            "a \"quoted\" ]} [{ text", "Groups": [{"GroupId": "sg-1"}, {"GroupId": "sg-2"}],
            "TagSet": [{"Key": "k", "Value": [[[{}]]]}]},
            {"NetworkInterfaceId": "eni-2", "SubnetId": "subnet-1"}
          ], "NextToken": null, "Other": {"a": [1, 2, {"b": "]"}]}}
        {"Vpcs": [], "Subnets": [{"SubnetId": "subnet-1", "VpcId": "vpc-1"}]}{"Vpcs":[{"VpcId":"vpc-1"}]}"#;
        let wrapped = "{\"statusCode\": 200, \"data\": {\"Vpcs\": [{\"VpcId\": \"vpc-2\"}]},\r\n\t\
            \"Vpcs\": [{\"VpcId\": \"vpc-3\"}]}";
        let health = r#"{"TargetHealthDescriptions": [{"Target": {"Id": "i-1", "Port": 80},
            "TargetHealth": {"State": "healthy"}}], "TargetGroupArn": "arn:tg"}
            {"TargetHealthDescriptions": [{"Target": {"Id": "i-2"}}]}"#;
        let failures = r#"{"tasks": [], "failures": [{"arn": "arn:task", "reason": "MISSING"}]}"#;
        for text in [enis, wrapped, health, failures] {
            let whole = read::read_file(u32::MAX, "f.json", text.as_bytes());
            Shared::forget_interned();
            assert_eq!(streamed(text), Some(format!("{whole:?}")), "{text}");
        }
    }

    #[test]
    fn what_is_not_plain_evidence_is_left_to_the_whole_file_reader() {
        let deep = format!(
            r#"{{"Vpcs": [{{"VpcId": "v", "x": {}{}}}]}}"#,
            "[".repeat(98),
            "]".repeat(98)
        );
        let mut fine = deep.replacen("[[", "", 1);
        fine = fine.replacen("]]", "", 1);
        assert!(streamed(&fine).is_some(), "nested just within the limit");
        for text in [
            r#"[{"Vpcs": [{"VpcId": "v"}]}]"#,
            r#"{"Vpcs": [{"VpcId": "v"},]}"#,
            r#"{"Vpcs": [{"VpcId": "v"} {"VpcId": "w"}]}"#,
            r#"{"Vpcs": [1]}"#,
            r#"{"Vpcs": [{"VpcId": 1}]}"#,
            r#"{"Vpcs": [], "Vpcs": []}"#,
            r#"{"Vpcs": [], "Vp\u0063s": []}"#,
            r#"{"Vpcs": [{"VpcId": "v"}"#,
            r#"{"Vpcs": [{"VpcId": "v"}]} x"#,
            r#"{"Vpcs" [{"VpcId": "v"}]}"#,
            r#"{"Vpcs": [{"VpcId": "v"}], }"#,
            "\u{feff}{\"Vpcs\": []}",
            "{\u{c}\"Vpcs\": []}",
            r#"{"Other": [1]}"#,
            r#"{"statusCode": 2x0, "Vpcs": []}"#,
            &deep,
        ] {
            assert_eq!(streamed(text), None, "{text}");
        }
    }
}

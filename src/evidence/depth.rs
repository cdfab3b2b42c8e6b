//! Values nested too deep to read. serde_json stops at 128 levels, and a file that stops it is
//! lost whole; instead, the values deeper than [`LIMIT`] are found here (with their document,
//! pointer and text position), emptied in a copy of the text, and the records holding them are
//! reported and dropped by the reader while the file's other records are kept.

/// The deepest nesting read; AWS exports stay under 20 levels.
pub const LIMIT: usize = 100;

/// A value nested deeper than [`LIMIT`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooDeep {
    /// Its document in the file (0 for a file that is one array of documents).
    pub document: u32,
    /// RFC 6901 pointer of the value that goes one level too deep.
    pub pointer: String,
    /// Byte offset of its opening bracket.
    pub start: usize,
    /// Byte offset just after its closing bracket (the end of the text if it has none).
    pub end: usize,
}

/// One open array or object, while scanning.
enum Frame {
    /// An array and the index of its current element.
    Array(usize),
    /// An object, its current key and whether a key comes next.
    Object { key: String, want_key: bool },
}

/// The pointer segment of the value a frame is at.
fn segment(frame: &Frame) -> String {
    match frame {
        Frame::Array(i) => i.to_string(),
        Frame::Object { key, .. } => key.replace('~', "~0").replace('/', "~1"),
    }
}

/// The values of `text` nested deeper than `limit` (none for a file within it). Scanning is
/// lenient: what is not JSON is left for the parser to report.
pub fn too_deep(text: &[u8], limit: usize) -> Vec<TooDeep> {
    let mut found = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut document = 0u32;
    let mut at = 0;
    while at < text.len() {
        match text[at] {
            b'"' => {
                let end = string_end(text, at);
                if let Some(Frame::Object { key, want_key }) = stack.last_mut()
                    && *want_key
                {
                    *key = serde_json::from_slice(&text[at..end]).unwrap_or_default();
                    *want_key = false;
                }
                at = end;
                continue;
            }
            b'{' | b'[' if stack.len() == limit => {
                let pointer: String = stack.iter().map(|f| format!("/{}", segment(f))).collect();
                let end = value_end(text, at);
                found.push(TooDeep {
                    document,
                    pointer,
                    start: at,
                    end,
                });
                at = end;
                continue;
            }
            b'{' => stack.push(Frame::Object {
                key: String::new(),
                want_key: true,
            }),
            b'[' => stack.push(Frame::Array(0)),
            b'}' | b']' => {
                stack.pop();
                document += u32::from(stack.is_empty());
            }
            b',' => match stack.last_mut() {
                Some(Frame::Array(i)) => *i += 1,
                Some(Frame::Object { want_key, .. }) => *want_key = true,
                None => {}
            },
            _ => {}
        }
        at += 1;
    }
    found
}

/// The offset just after the string starting at `start`.
fn string_end(text: &[u8], start: usize) -> usize {
    let mut at = start + 1;
    while at < text.len() {
        match text[at] {
            b'\\' => at += 2,
            b'"' => return at + 1,
            _ => at += 1,
        }
    }
    text.len()
}

/// The offset just after the array or object starting at `start`.
fn value_end(text: &[u8], start: usize) -> usize {
    let mut open = 0usize;
    let mut at = start;
    while at < text.len() {
        match text[at] {
            b'"' => {
                at = string_end(text, at);
                continue;
            }
            b'{' | b'[' => open += 1,
            b'}' | b']' => {
                open -= 1;
                if open == 0 {
                    return at + 1;
                }
            }
            _ => {}
        }
        at += 1;
    }
    text.len()
}

/// `text` with each value of `deep` replaced by `0` and spaces (its line breaks kept, so every
/// other position is unchanged).
pub fn emptied(text: &[u8], deep: &[TooDeep]) -> Vec<u8> {
    let mut out = text.to_vec();
    for d in deep {
        for b in &mut out[d.start..d.end] {
            if *b != b'\n' {
                *b = b' ';
            }
        }
        out[d.start] = b'0';
    }
    out
}

/// Whether the record at `pointer` holds (or is) the value at `deep` (same document).
pub fn holds(pointer: &str, deep: &str) -> bool {
    deep.strip_prefix(pointer)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_value_that_goes_too_deep_with_its_pointer() {
        let text = br#"{"A": [1, {"k/e": [[[]]]}]} {"B": "[[[["} [[[[]]]]"#;
        let deep = too_deep(text, 3);
        let pointers: Vec<(u32, &str)> = deep
            .iter()
            .map(|d| (d.document, d.pointer.as_str()))
            .collect();
        assert_eq!(pointers, [(0, "/A/1/k~1e"), (2, "/0/0/0")]);
        let emptied = emptied(text, &deep);
        assert_eq!(emptied.len(), text.len());
        assert!(too_deep(&emptied, 3).is_empty());
        let value: serde_json::Value = serde_json::Deserializer::from_slice(&emptied)
            .into_iter()
            .next()
            .unwrap()
            .unwrap();
        assert_eq!(value, serde_json::json!({"A": [1, {"k/e": 0}]}));
        assert!(holds("/A/1", "/A/1/k~1e") && !holds("/A/10", "/A/1/k~1e"));
    }
}

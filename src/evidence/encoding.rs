//! Text encodings of evidence files: UTF-8 (a byte-order mark is skipped), and UTF-16 or UTF-32
//! in either byte order, with or without a byte-order mark, decoded to UTF-8 before parsing.

use std::borrow::Cow;

/// A Unicode encoding other than UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wide {
    Utf16Le,
    Utf16Be,
    Utf32Le,
    Utf32Be,
}

impl Wide {
    fn name(self) -> &'static str {
        match self {
            Wide::Utf16Le => "UTF-16LE",
            Wide::Utf16Be => "UTF-16BE",
            Wide::Utf32Le => "UTF-32LE",
            Wide::Utf32Be => "UTF-32BE",
        }
    }
}

/// The file's text as UTF-8 bytes: UTF-8 as is (without its byte-order mark), UTF-16 and UTF-32
/// decoded. A file whose byte-order mark names an encoding it does not decode in is an error
/// saying which encoding and why.
pub fn to_utf8(bytes: &[u8]) -> Result<Cow<'_, [u8]>, String> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return Ok(Cow::Borrowed(rest));
    }
    let Some((wide, bom)) = detect(bytes) else {
        return Ok(Cow::Borrowed(bytes));
    };
    match decode(wide, &bytes[bom..]) {
        Ok(text) => Ok(Cow::Owned(text.into_bytes())),
        // Without a mark, zero bytes alone do not make a file text: leave it to the JSON reader.
        Err(_) if bom == 0 => Ok(Cow::Borrowed(bytes)),
        Err(why) => Err(format!(
            "{} text that does not decode: {why}; re-export it as UTF-8",
            wide.name()
        )),
    }
}

/// The wide encoding of `bytes` and the length of its byte-order mark: from the mark when there
/// is one, otherwise from where the zero bytes of the first character fall (JSON starts with an
/// ASCII character, RFC 4627 section 3).
fn detect(bytes: &[u8]) -> Option<(Wide, usize)> {
    match bytes {
        [0xFF, 0xFE, 0, 0, ..] => Some((Wide::Utf32Le, 4)),
        [0, 0, 0xFE, 0xFF, ..] => Some((Wide::Utf32Be, 4)),
        [0xFF, 0xFE, ..] => Some((Wide::Utf16Le, 2)),
        [0xFE, 0xFF, ..] => Some((Wide::Utf16Be, 2)),
        [0, 0, 0, a, ..] if *a != 0 => Some((Wide::Utf32Be, 0)),
        [a, 0, 0, 0, ..] if *a != 0 => Some((Wide::Utf32Le, 0)),
        [0, a, ..] if *a != 0 => Some((Wide::Utf16Be, 0)),
        [a, 0, ..] if *a != 0 => Some((Wide::Utf16Le, 0)),
        _ => None,
    }
}

/// Decodes the text after the byte-order mark.
fn decode(wide: Wide, bytes: &[u8]) -> Result<String, String> {
    let unit = match wide {
        Wide::Utf16Le | Wide::Utf16Be => 2,
        Wide::Utf32Le | Wide::Utf32Be => 4,
    };
    if !bytes.len().is_multiple_of(unit) {
        return Err(format!(
            "{} bytes is not a whole number of {unit}-byte code units",
            bytes.len()
        ));
    }
    let chunks = bytes.chunks_exact(unit);
    match wide {
        Wide::Utf16Le | Wide::Utf16Be => {
            let units = chunks.map(|c| {
                let pair = [c[0], c[1]];
                if wide == Wide::Utf16Le {
                    u16::from_le_bytes(pair)
                } else {
                    u16::from_be_bytes(pair)
                }
            });
            char::decode_utf16(units)
                .map(|c| {
                    c.map_err(|e| format!("unpaired surrogate {:#06x}", e.unpaired_surrogate()))
                })
                .collect()
        }
        Wide::Utf32Le | Wide::Utf32Be => chunks
            .map(|c| {
                let quad = [c[0], c[1], c[2], c[3]];
                let code = if wide == Wide::Utf32Le {
                    u32::from_le_bytes(quad)
                } else {
                    u32::from_be_bytes(quad)
                };
                char::from_u32(code)
                    .ok_or_else(|| format!("{code:#x} is not a Unicode scalar value"))
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_text_decodes_with_or_without_a_byte_order_mark() {
        let decoded = |bytes: &[u8]| String::from_utf8(to_utf8(bytes).unwrap().into_owned());
        assert_eq!(decoded(&[0, b'{', 0, b'}']).unwrap(), "{}");
        assert_eq!(decoded(&[0xFF, 0xFE, 0x34, 0xD8, 0x1E, 0xDD]).unwrap(), "𝄞");
        let utf32le = [0xFF, 0xFE, 0, 0, b'[', 0, 0, 0, 0x1E, 0xD1, 1, 0];
        assert_eq!(decoded(&utf32le).unwrap(), "[𝄞");
        assert_eq!(decoded(&[0, 0, 0, b'[', 0, 0, 0, b']']).unwrap(), "[]");
        let utf8 = "{\"Vpcs\": []}";
        let with_bom = [b"\xEF\xBB\xBF".as_slice(), utf8.as_bytes()].concat();
        assert_eq!(to_utf8(&with_bom).unwrap().as_ref(), utf8.as_bytes());
        assert!(matches!(
            to_utf8(utf8.as_bytes()).unwrap(),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn broken_wide_text_is_an_error_naming_the_encoding() {
        let odd = [0xFF, 0xFE, b'{', 0, b'}', 0, b' '];
        let err = to_utf8(&odd).unwrap_err();
        assert!(
            err.starts_with("UTF-16LE text that does not decode: 5 bytes"),
            "{err}"
        );
        let lone_surrogate = [0xFE, 0xFF, 0xD8, 0x00, 0x00, 0x7B];
        let err = to_utf8(&lone_surrogate).unwrap_err();
        assert!(
            err.contains("UTF-16BE") && err.contains("unpaired surrogate 0xd800"),
            "{err}"
        );
        let beyond_unicode = [0, 0, 0xFE, 0xFF, 0, 0, 0, b'{', 0, 0x11, 0, 0];
        assert!(
            to_utf8(&beyond_unicode)
                .unwrap_err()
                .contains("0x110000 is not a Unicode")
        );
        let binary = [b'x', 0, 0, 0xD8];
        assert!(matches!(to_utf8(&binary).unwrap(), Cow::Borrowed(_)));
    }
}

//! The stream reader (how `scan` reads a JSON file of 32 MiB or more) against the whole-file
//! reader on the same bytes, read 1 to 64 bytes at a time (by the input's length, so that every
//! token is cut somewhere and the evidence fixtures seed it as they are). Whenever the stream reader takes a file
//! rather than leaving it to the whole-file reader, it must give the same records, kinds,
//! diagnostics and SHA-256.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sha2::{Digest, Sha256};
use snapaudit::evidence::{self, model::Shared};

const SHOWN: &str = "fuzzed.json";

fuzz_target!(|bytes: &[u8]| {
    let chunk = 1 + bytes.len() % 64;
    let whole = evidence::read_bytes(SHOWN, bytes);
    Shared::forget_interned();
    let Some((sha, streamed)) = evidence::read_bytes_streamed(SHOWN, bytes, chunk) else {
        return;
    };
    assert_eq!(sha, hex::encode(Sha256::digest(bytes)));
    assert_eq!(format!("{streamed:?}"), format!("{whole:?}"), "chunk {chunk}");
});

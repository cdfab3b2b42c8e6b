//! The evidence reader on one file's bytes: recognising the file, decoding UTF-16/32, the depth
//! check, parsing into typed records and the flow log text path. Whatever the bytes, reading
//! returns; every diagnostic names the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use snapaudit::evidence;

const SHOWN: &str = "fuzzed.json";

fuzz_target!(|bytes: &[u8]| {
    let out = evidence::read_bytes(SHOWN, bytes);
    for diagnostic in out.errors.iter().chain(&out.warnings) {
        assert_eq!(diagnostic.file, SHOWN, "{diagnostic}");
        assert!(!diagnostic.message.is_empty(), "{diagnostic:?}");
    }
});

//! The fuzz targets' entry points (`fuzz/`), and every input the fuzzers found to break the
//! reader or the rule compiler, kept as a regression test asserting the clear error.

use std::path::Path;

use snapaudit::evidence;

/// `read_bytes`, the evidence fuzzer's entry point, reads a file as `scan` does: the same
/// records per file for JSON evidence and for a gzip flow log delivery file.
#[test]
fn read_bytes_reads_each_file_as_scan_does() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots/SA.NET.4");
    let scanned = evidence::scan(std::slice::from_ref(&root));
    assert!(scanned.errors.is_empty(), "{:?}", scanned.errors);
    assert!(scanned.files.iter().any(|f| f.file.ends_with(".log.gz")));
    for file in &scanned.files {
        let bytes = std::fs::read(root.join(&file.file)).unwrap();
        let out = evidence::read_bytes(&file.file, &bytes);
        let kinds: usize = out.kinds.iter().map(|(_, n)| n).sum();
        let flow = out.flow.as_ref().map_or(0, |f| f.len());
        assert_eq!(kinds + flow, file.records, "{}", file.file);
        assert!(out.errors.is_empty(), "{}: {:?}", file.file, out.errors);
    }
}

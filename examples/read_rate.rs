//! The rate `serde_json` alone reads evidence at, as the yardstick for snapaudit's own read phase
//! (`bench/compare.sh`): every `.json` file under the given folders (except `MANIFEST.json`) is
//! read and parsed, in parallel as snapaudit reads, once skipping every value (`IgnoredAny`, pure
//! parsing) and once into `serde_json::Value` (a tree of every value).
//!
//! `cargo run --release --example read_rate -- DIR...` prints one line per mode:
//! `ignored: 1049.8 MB in 1.234 s, 850.7 MB/s, 3277 documents`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use rayon::prelude::*;
use serde::de::{DeserializeOwned, IgnoredAny};
use serde_json::Value;

/// Every evidence file under `root`, sorted.
fn files(root: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = walkdir::WalkDir::new(root)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(walkdir::DirEntry::into_path)
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .filter(|p| p.file_name().is_some_and(|n| n != "MANIFEST.json"))
        .collect();
    found.sort();
    found
}

/// Reads and parses one file into values of type `T`, one per JSON document; returns the
/// number of bytes and of documents.
fn parse<T: DeserializeOwned>(path: &Path) -> Result<(usize, usize)> {
    let bytes = std::fs::read(path).with_context(|| format!("{}", path.display()))?;
    let mut documents = 0;
    for document in serde_json::Deserializer::from_slice(&bytes).into_iter::<T>() {
        document.with_context(|| format!("{}", path.display()))?;
        documents += 1;
    }
    Ok((bytes.len(), documents))
}

/// Parses every file in parallel with `T` and prints the rate.
fn measure<T: DeserializeOwned>(label: &str, files: &[PathBuf]) -> Result<()> {
    let start = Instant::now();
    let counts = files
        .par_iter()
        .map(|f| parse::<T>(f))
        .collect::<Result<Vec<_>>>()?;
    let seconds = start.elapsed().as_secs_f64();
    let bytes: usize = counts.iter().map(|(b, _)| b).sum();
    let documents: usize = counts.iter().map(|(_, d)| d).sum();
    let mb = bytes as f64 / 1e6;
    println!(
        "{label}: {mb:.1} MB in {seconds:.3} s, {:.1} MB/s, {documents} documents",
        mb / seconds
    );
    Ok(())
}

fn main() -> Result<()> {
    let roots: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    anyhow::ensure!(!roots.is_empty(), "usage: read_rate DIR...");
    let files: Vec<PathBuf> = roots.iter().flat_map(|r| files(r)).collect();
    measure::<IgnoredAny>("ignored", &files)?;
    measure::<Value>("value", &files)
}

#!/usr/bin/env bash
# Builds the fuzz targets and runs each for SECONDS (default 60); a crash, a timeout or an
# out-of-memory input fails the run and is saved as fuzz/artifacts/TARGET/crash-* (or
# timeout-*, oom-*). Usage: fuzz/run.sh [SECONDS [TARGET...]] (targets: evidence_file
# evidence_stream rule_file);
# SECONDS 0 only builds them.
#
# Stable Rust, no cargo-fuzz: libfuzzer-sys supplies libFuzzer and `main`, and the crates whose
# code is fuzzed get the coverage instrumentation cargo-fuzz would give them (sancov, `--cfg
# fuzzing`) from the rustc wrapper `sancov-rustc`; their own opt-level keeps those builds apart
# from the project's. Everything else, polars included, is not instrumented: it is the very build
# `cargo test` made in the same target directory, reused.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
targets=("${@:2}")
[ ${#targets[@]} -gt 0 ] || targets=(evidence_file evidence_stream rule_file)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}

# The fuzzed code: the project, and the parsers of rule files (TOML and jq).
packages=(snapaudit jaq-core jaq-std jaq-json toml toml_parser winnow)
config=()
for package in "${packages[@]}"; do
  config+=(--config "profile.dev.package.$package.opt-level=2")
done
# rustc's --crate-name has underscores where cargo's package names have dashes.
packages=("${packages[@]//-/_}")
export SANCOV_CRATES="${packages[*]}"
RUSTC_WRAPPER=$root/fuzz/sancov-rustc \
  cargo build --manifest-path "$root/fuzz/Cargo.toml" --locked "${config[@]}"
[ "$seconds" -gt 0 ] || exit 0

# Seeds are the project's own files, read where they are: every evidence fixture (JSON, text
# and gzip flow logs) and every rule. What the fuzzer adds goes to a corpus in the target dir.
declare -A seeds=([evidence_file]="$root/snapshots" [evidence_stream]="$root/snapshots"
  [rule_file]="$root/queries")
declare -A options=([evidence_file]="-max_len=65536" [evidence_stream]="-max_len=65536"
  [rule_file]="-max_len=8192")
for target in "${targets[@]}"; do
  corpus=$CARGO_TARGET_DIR/fuzz-corpus/$target
  artifacts=$root/fuzz/artifacts/$target
  mkdir -p "$corpus" "$artifacts"
  echo "fuzzing $target for ${seconds}s"
  "$CARGO_TARGET_DIR/debug/$target" "$corpus" "${seeds[$target]}" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 "${options[$target]}" \
    -artifact_prefix="$artifacts/" -print_final_stats=1
done

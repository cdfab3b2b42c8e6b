#!/usr/bin/env bash
# Side by side on the generator's presets (issue 15): snapaudit's full scan (all rules, the
# reachability of every interface) against jq and DuckDB doing only the core join (running ECS
# tasks with a public IP), serde_json's own read rate on the same files, and the check of every
# finding set against MANIFEST.json. Runs are interleaved (snapaudit, DuckDB, jq, then again);
# medians are printed as a Markdown table per preset, for bench/RESULTS.md. Not run by CI.
#
# Usage: bench/compare.sh [PRESET...]        (default: small medium large)
#   BENCH_DIR  where the presets are, or are generated (BENCH_DIR/PRESET; default /tmp/snapaudit-bench)
#   RUNS       runs per tool and preset (default 3)
#   BENCH_VENV the Python environment DuckDB is installed into with pip (default /tmp/snapaudit-bench-venv)
set -euo pipefail
cd "$(dirname "$0")/.."
presets=("$@")
[ ${#presets[@]} -gt 0 ] || presets=(small medium large)
dir=${BENCH_DIR:-/tmp/snapaudit-bench}
runs=${RUNS:-3}
venv=${BENCH_VENV:-/tmp/snapaudit-bench-venv}
gen=../shared/bench/gen_evidence.py
target=${CARGO_TARGET_DIR:-target}
bin=$target/release/snapaudit
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

command -v jq > /dev/null || { apt-get update -qq && apt-get install -y -qq jq > /dev/null; }
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c 'import duckdb' 2> /dev/null || "$venv/bin/pip" install -q duckdb
cargo build --release --quiet --bin snapaudit --example read_rate

# timed LABEL COMMAND...: runs COMMAND, its stdout to $work/LABEL.out, and appends
# "wall user peak_kb" to $work/LABEL.times.
timed() {
  local label=$1
  shift
  /usr/bin/time -q -f "%e %U %M" -o "$work/time" "$@" > "$work/$label.out" 2> "$work/$label.err" || true
  cat "$work/time" >> "$work/$label.times"
}

# median COLUMN FILE: the median of a whitespace-separated column.
median() {
  sort -g -k"$1","$1" "$2" | awk -v c="$1" '{ v[NR] = $c } END { print v[int((NR + 1) / 2)] }'
}

# row LABEL NAME COUNT MB: one Markdown row from LABEL's medians.
row() {
  local wall user peak
  wall=$(median 1 "$work/$1.times")
  user=$(median 2 "$work/$1.times")
  peak=$(median 3 "$work/$1.times")
  printf '| %s | %s | %.2f s | %.2f s | %.0f MB/s | %.0f MB | %s |\n' "$1" "$2" "$wall" "$user" \
    "$(echo "$4 / $wall" | bc -l)" "$(echo "$peak * 1024 / 1000000" | bc -l)" "$3"
}

for preset in "${presets[@]}"; do
  out=$dir/$preset
  if [ ! -f "$out/MANIFEST.json" ]; then
    mkdir -p "$out"
    python3 "$gen" --preset "$preset" "$out"
  fi
  rm -f "$work"/*.times
  files=$(find "$out" -name '*.json' ! -name MANIFEST.json | wc -l)
  mb=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["total_bytes"] / 1e6)' "$out/MANIFEST.json")
  want=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["expected"]["SA.ECS.1"]["count"])' "$out/MANIFEST.json")
  for _ in $(seq "$runs"); do
    timed snapaudit "$bin" scan "$out" --format json --timings
    cp "$work/snapaudit.err" "$work/snapaudit.timings.$(wc -l < "$work/snapaudit.times")"
    timed duckdb "$venv/bin/python" bench/duckdb_join.py "$out"
    # shellcheck disable=SC2016 # $1 is expanded by the inner shell
    timed jq sh -c 'find "$1" -name "*.json" ! -name MANIFEST.json -exec cat {} + | jq -n -f bench/ecs_public_tasks.jq' sh "$out"
  done
  sa_count=$(python3 -c 'import json, sys; print(len({f["resource_id"] for f in json.load(open(sys.argv[1]))["findings"] if f["rule_id"] == "SA.ECS.1"}))' "$work/snapaudit.out")
  echo "### $preset: $mb MB in $files files, median of $runs runs"
  echo
  echo "| tool | does | wall | user CPU | MB/s | peak RSS | ECS tasks with a public IP (manifest: $want) |"
  echo "|---|---|---|---|---|---|---|"
  row snapaudit "full scan, all rules" "$sa_count" "$mb"
  row duckdb "the core join only" "$(cat "$work/duckdb.out")" "$mb"
  row jq "the core join only" "$(cat "$work/jq.out")" "$mb"
  echo
  echo "snapaudit phases, each run (\`scan --timings\`):"
  echo
  for t in "$work"/snapaudit.timings.*; do echo "- $(grep '^timings:' "$t")"; done
  echo
  echo "serde_json alone on the same files (\`examples/read_rate.rs\`, in parallel like snapaudit):"
  echo
  "$target/release/examples/read_rate" "$out" | sed 's/^/- /'
  echo
  echo "MANIFEST check (\`bench/check_manifest.py\`):"
  echo
  python3 bench/check_manifest.py "$out/MANIFEST.json" "$work/snapaudit.out" "$bin" | sed 's/^/- /'
  echo
done

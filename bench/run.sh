#!/usr/bin/env bash
# Scan-time and peak-memory benchmark on generated evidence (never committed).
# Usage: bench/run.sh [tiny|small|medium|large] [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-medium}
runs=${2:-3}
gen=../shared/bench/gen_evidence.py
out=${BENCH_DIR:-/tmp/snapaudit-bench-$preset}
[ -f "$gen" ] || { echo "needs $gen (the evidence generator)" >&2; exit 2; }
if [ ! -f "$out/MANIFEST.json" ]; then
  mkdir -p "$out"
  python3 "$gen" --preset "$preset" "$out"
fi
cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-target}/release/snapaudit
echo "evidence: $(du -sh "$out" | cut -f1) in $(find "$out" -name '*.json' | wc -l) files ($preset)"
for i in $(seq "$runs"); do
  /usr/bin/time -f "run $i: %e s wall, %U s user, %S s sys, %M KB peak RSS" \
    "$bin" scan "$out" --format json > /tmp/snapaudit-bench-report.json || true
done
python3 bench/check_manifest.py "$out/MANIFEST.json" /tmp/snapaudit-bench-report.json "$bin"

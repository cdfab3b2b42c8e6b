#!/usr/bin/env bash
# Flow log throughput: generates a gzip delivery file of N records (default 3,000,000; never
# committed) beside the demo evidence, then times `scan --timings` over it (read and tables
# phases include parsing and aggregating the records) and reports records per second.
# Usage: bench/flow.sh [records] [debug|release]
set -euo pipefail
cd "$(dirname "$0")/.."
records=${1:-3000000}
profile=${2:-release}
out=${BENCH_DIR:-/tmp/snapaudit-bench-flow-$records}
if [ ! -f "$out/flow/bench.log.gz" ]; then
  mkdir -p "$out/flow"
  cp -r snapshots/demo/ec2 "$out/"
  python3 - "$records" "$out/flow/bench.log.gz" <<'PY'
import gzip, random, sys
n, path = int(sys.argv[1]), sys.argv[2]
rng = random.Random(13)
enis = ["eni-0dc98e24f3cf61d00", "eni-0a5b2a80d1aad895e", "eni-07f8cf45d6c9c66f6"] + \
       ["eni-%017x" % rng.getrandbits(68) for _ in range(200)]
ports = [22, 80, 443, 3389, 8080, 5432] + list(range(1024, 1124))
with gzip.open(path, "wt", compresslevel=6) as f:
    f.write("version account-id interface-id srcaddr dstaddr srcport dstport protocol "
            "packets bytes start end action log-status\n")
    t = 1772870400
    for i in range(n):
        if i % 500 == 0:
            f.write("2 111122223333 %s - - - - - - - %d %d - NODATA\n" % (rng.choice(enis), t, t + 60))
            continue
        src = "%d.%d.%d.%d" % (rng.choice([10, 45, 198, 203, 151]), rng.randrange(256),
                                rng.randrange(256), rng.randrange(1, 255))
        f.write("2 111122223333 %s %s 10.20.0.37 %d %d 6 %d %d %d %d %s OK\n" % (
            rng.choice(enis), src, rng.randrange(1024, 65535), rng.choice(ports),
            rng.randrange(1, 50), rng.randrange(40, 90000), t + i // 1000, t + i // 1000 + 60,
            rng.choice(["ACCEPT", "REJECT"])))
PY
fi
if [ "$profile" = release ]; then cargo build --release --quiet; fi
bin=${CARGO_TARGET_DIR:-target}/$profile/snapaudit
echo "flow log: $(du -h "$out/flow/bench.log.gz" | cut -f1) gzip, $records records"
/usr/bin/time -f "scan: %e s wall, %U s user, %M KB peak RSS" \
  "$bin" scan "$out" --timings --format json > /dev/null 2> /tmp/snapaudit-bench-flow.err || true
grep -v '^snapaudit' /tmp/snapaudit-bench-flow.err | tail -12

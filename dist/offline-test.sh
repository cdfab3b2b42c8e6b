#!/usr/bin/env bash
# The air-gapped bundle works as the README says. Runs dist/build.sh, whose release binary is
# built from the vendored source tarball in an empty folder, offline, with an empty CARGO_HOME
# (one release build serves both checks), then:
#   - verifies SHA256SUMS and that the README states the glibc minimum the binary needs;
#   - unpacks the release tarball into an empty folder and runs its binary from there:
#     --version names this commit, and its `scan snapshots/demo --format json` is byte-identical
#     to the normal build's (`cargo build`, this checkout), commit included;
#   - checks the tarball holds the man pages, completions, rule pack and licences.
# Needs a clean checkout: the normal build marks a dirty tree `-dirty`, the bundle is HEAD.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=$root/dist/out
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fail() {
  echo "offline-test: $*" >&2
  exit 1
}

# `scan snapshots/demo --format json` with BINARY, run from an unrelated folder; findings exit 1.
demo_scan() {
  local status=0
  (cd "$work" && "$1" scan "$root/snapshots/demo" --format json) || status=$?
  [ "$status" -eq 1 ] || fail "$1: scan of the demo exited $status, not 1 (findings)"
}

bash dist/build.sh
(cd "$out" && sha256sum --check SHA256SUMS) || fail "SHA256SUMS does not match"
glibc=$(cat "$out/GLIBC")
grep -q "glibc $glibc or newer" README.md ||
  fail "README.md does not state the binary's glibc minimum: glibc $glibc or newer"

cargo build --locked --quiet
normal=$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')/debug/snapaudit
demo_scan "$normal" >"$work/normal.json"

mkdir "$work/unpacked"
tar -xzf "$out"/snapaudit-*-"$(rustc -vV | sed -n 's/^host: //p')".tar.gz -C "$work/unpacked"
bundle=$(echo "$work"/unpacked/snapaudit-*)
commit=$(git rev-parse HEAD)
"$bundle/snapaudit" --version | tee "$work/version"
grep -q "(commit $commit, rules sha256:" "$work/version" || fail "--version does not name $commit"
demo_scan "$bundle/snapaudit" >"$work/bundled.json"
cmp "$work/normal.json" "$work/bundled.json" ||
  fail "the offline build's demo scan differs from the normal build's"

for file in README.md RULES.md ARCHITECTURE.md LICENSE THIRD-PARTY-LICENSES \
  queries/lib.jq man/man1/snapaudit.1 man/man1/snapaudit-scan.1 completions/snapaudit.bash; do
  [ -s "$bundle/$file" ] || fail "the release tarball lacks $file"
done
bash -n "$bundle/completions/snapaudit.bash" || fail "the bundled bash completions do not parse"
echo "offline-test: the source tarball built offline; its binary scans the demo byte-identically"

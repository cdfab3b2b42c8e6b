#!/usr/bin/env bash
# Builds the air-gapped bundle of the committed HEAD into dist/out/:
#   snapaudit-VERSION-src-vendored.tar.gz  git archive of HEAD, its COMMIT, every dependency
#                                          vendored and the .cargo/config.toml that points at them
#   snapaudit-VERSION-TARGET.tar.gz        the release binary, documentation, man pages,
#                                          completions, rule pack, LICENSE, THIRD-PARTY-LICENSES
#   SHA256SUMS                             over both tarballs
#   GLIBC                                  the newest glibc symbol version the binary needs
# The shipped binary is the one built from the source tarball itself: unpacked into an empty
# folder and built with `cargo build --release --offline --locked`, an empty CARGO_HOME and no
# network, so the bundle proves that the source tarball builds air-gapped.
# Needs git, cargo (network only for `cargo vendor`), python3, tar, gzip, objdump, strip.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/dist/out
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ -n "$(git -C "$root" status --porcelain)" ]; then
  echo "dist/build.sh: warning: uncommitted changes are not in the bundle (it is HEAD)" >&2
fi
commit=$(git -C "$root" rev-parse HEAD)
epoch=$(git -C "$root" show -s --format=%ct HEAD)
target=$(rustc -vV | sed -n 's/^host: //p')
version=$(cargo metadata --manifest-path "$root/Cargo.toml" --no-deps --format-version 1 |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["packages"][0]["version"])')
src_name=snapaudit-$version
bin_name=snapaudit-$version-$target

# Runs a command with no network: in a new network namespace when the kernel allows it, else
# with cargo told to stay offline and every proxy pointing at a closed port.
offline() {
  if unshare -rn true 2>/dev/null; then
    unshare -rn "$@"
  else
    echo "dist/build.sh: no network namespace here; offline by CARGO_NET_OFFLINE and dead proxies" >&2
    CARGO_NET_OFFLINE=true http_proxy=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9 \
      HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 ALL_PROXY=http://127.0.0.1:9 \
      "$@"
  fi
}

# A reproducible gzipped tar of FOLDER (inside PARENT) at PATH: sorted, fixed owner, time and
# modes (whatever the umask).
pack() {
  local parent=$1 folder=$2 path=$3
  tar --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner --format=gnu \
    --mode=u+rwX,go+rX,go-w \
    -C "$parent" -cf - "$folder" | gzip -n -9 >"$path"
}

echo "== source tarball: $src_name (commit $commit)"
src=$work/$src_name
mkdir -p "$src/.cargo" "$out"
git -C "$root" archive --format=tar HEAD | tar -x -C "$src"
echo "$commit" >"$src/COMMIT"
(cd "$src" && cargo vendor --locked --versioned-dirs vendor >>.cargo/config.toml)
rm -f "$out"/snapaudit-*.tar.gz "$out/SHA256SUMS" "$out/GLIBC"
pack "$work" "$src_name" "$out/$src_name-src-vendored.tar.gz"

echo "== release build from the source tarball, offline, empty CARGO_HOME"
build=$work/build
mkdir -p "$build/cargo-home"
tar -xzf "$out/$src_name-src-vendored.tar.gz" -C "$build"
(
  cd "$build/$src_name"
  export CARGO_HOME=$build/cargo-home CARGO_TARGET_DIR=$build/target
  # Build paths out of the binary (panic locations), so that it does not name this temp folder.
  export RUSTFLAGS="--remap-path-prefix=$build/$src_name=$src_name"
  offline cargo build --release --offline --locked
  offline cargo metadata --format-version 1 --offline --locked --filter-platform "$target" \
    >"$build/metadata.json"
)

echo "== release tarball: $bin_name"
rel=$work/$bin_name
mkdir -p "$rel/man/man1" "$rel/completions"
strip --strip-all -o "$rel/snapaudit" "$build/target/release/snapaudit"
cp -r "$src/README.md" "$src/RULES.md" "$src/ARCHITECTURE.md" "$src/LICENSE" "$src/queries" "$rel/"
"$rel/snapaudit" man --out "$rel/man/man1"
"$rel/snapaudit" completions bash >"$rel/completions/snapaudit.bash"
"$rel/snapaudit" completions zsh >"$rel/completions/_snapaudit"
"$rel/snapaudit" completions fish >"$rel/completions/snapaudit.fish"
"$rel/snapaudit" completions powershell >"$rel/completions/_snapaudit.ps1"
"$rel/snapaudit" completions elvish >"$rel/completions/snapaudit.elv"
python3 "$root/dist/third_party_licenses.py" "$target" <"$build/metadata.json" \
  >"$rel/THIRD-PARTY-LICENSES"
pack "$work" "$bin_name" "$out/$bin_name.tar.gz"

glibc=$(objdump -T "$rel/snapaudit" | grep -o 'GLIBC_[0-9][0-9.]*' | sort -uV | tail -n 1)
echo "${glibc#GLIBC_}" >"$out/GLIBC"
(cd "$out" && sha256sum "$src_name-src-vendored.tar.gz" "$bin_name.tar.gz" >SHA256SUMS)

echo "== dist/out"
cat "$out/SHA256SUMS"
echo "minimum glibc: ${glibc#GLIBC_}"

#!/usr/bin/env python3
"""Writes THIRD-PARTY-LICENSES: every crate linked into the snapaudit binary on one target, with
its licence expression and the licence texts its package folder holds.

Usage: third_party_licenses.py TARGET < cargo-metadata.json > THIRD-PARTY-LICENSES

The input is `cargo metadata --format-version 1 --filter-platform TARGET` of the crate, run where
the dependencies are vendored so that each package folder is the vendored one. Linked means
reached from the root over normal dependencies; build dependencies, dev dependencies and
procedural macros (with what only they use) run at build time and are not linked in. Exits 1,
naming them, when a linked crate declares no licence.
"""

import json
import re
import sys
from pathlib import Path

LICENCE_FILE = re.compile(r"^(LICEN[CS]E|COPYING|NOTICE|UNLICENSE)", re.IGNORECASE)
RULE = "=" * 78


def linked_packages(metadata):
    """The packages reached from the root over normal, non-proc-macro dependencies."""
    packages = {p["id"]: p for p in metadata["packages"]}
    nodes = {n["id"]: n for n in metadata["resolve"]["nodes"]}
    root = metadata["resolve"]["root"]
    seen, stack = {root}, [root]
    while stack:
        for dep in nodes[stack.pop()]["deps"]:
            normal = any(kind["kind"] is None for kind in dep["dep_kinds"])
            proc_macro = any(
                "proc-macro" in target["kind"] for target in packages[dep["pkg"]]["targets"]
            )
            if normal and not proc_macro and dep["pkg"] not in seen:
                seen.add(dep["pkg"])
                stack.append(dep["pkg"])
    seen.discard(root)
    return sorted((packages[i] for i in seen), key=lambda p: (p["name"], p["version"]))


def licence_texts(package):
    """(file name, text) of each licence file in the package's folder, by name."""
    folder = Path(package["manifest_path"]).parent
    names = {f.name for f in folder.iterdir() if f.is_file() and LICENCE_FILE.match(f.name)}
    if package.get("license_file"):
        names.add(package["license_file"])
    return [
        (name, (folder / name).read_text(encoding="utf-8", errors="replace"))
        for name in sorted(names)
    ]


def entry(package):
    """The section of one crate."""
    lines = [
        RULE,
        f"{package['name']} {package['version']}",
        f"licence: {package['license'] or 'see ' + package['license_file']}",
    ]
    if package.get("repository"):
        lines.append(f"repository: {package['repository']}")
    texts = licence_texts(package)
    if not texts:
        lines.append("(the crate's package holds no licence file; its expression above applies)")
    for name, text in texts:
        lines += ["", f"----- {name} -----", text.rstrip()]
    return "\n".join(lines) + "\n\n"


def main():
    target = sys.argv[1]
    metadata = json.load(sys.stdin)
    linked = linked_packages(metadata)
    unlicensed = [
        f"{p['name']} {p['version']}"
        for p in linked
        if not p.get("license") and not p.get("license_file")
    ]
    if unlicensed:
        sys.exit("third_party_licenses: no licence declared by: " + ", ".join(unlicensed))
    sys.stdout.write(
        f"Third-party crates linked into snapaudit on {target}: {len(linked)}.\n"
        "Each with its licence expression (Cargo.toml) and the licence files of its package.\n\n"
    )
    for package in linked:
        sys.stdout.write(entry(package))


if __name__ == "__main__":
    main()

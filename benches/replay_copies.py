#!/usr/bin/env python3
"""Copies of the shipped conformance suite, for benches/compare.sh's replay runs.

    replay_copies.py SRC OUT COPIES

Writes COPIES copies of every scenario file under SRC (subdirectories included)
into OUT, flat: `c007-merges.yaml` is copy 7 of `merges.yaml`. A suite needs
distinct scenario names and distinct file names (the snapshot is named after
the file), so each copy's `name:` gets ` (copy 7)`. Its `exclusive:` label gets
the same: the shipped suite keeps three scenarios that share the test profile's
emails from running at once, and against mimeo's mock every scenario runs in a
session of its own, so copy 7's three must not wait for copy 8's (they would
otherwise run one at a time across all copies). Nothing else changes.
"""

import pathlib
import re
import sys

KEYS = re.compile(r"^(name|exclusive):[ \t]*(.*?)[ \t]*$")


def tagged(value, tag):
    """`value` (plain or quoted YAML scalar) with `tag` appended inside it."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return f"{value[:-1]}{tag}{value[-1]}"
    if "#" in value:
        raise ValueError(f"cannot tag a value with a comment: {value!r}")
    return f"{value}{tag}"


def copy(text, n, source):
    out, named = [], False
    for line in text.splitlines(keepends=True):
        m = KEYS.match(line.rstrip("\n"))
        if m:
            key, value = m.groups()
            named |= key == "name"
            line = f"{key}: {tagged(value, f' (copy {n})')}\n"
        out.append(line)
    if not named:
        raise ValueError(f"{source}: no top-level `name:` line")
    return "".join(out)


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    src, out, copies = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), int(sys.argv[3])
    files = sorted(p for p in src.rglob("*.yaml") if p.is_file())
    stems = [p.stem for p in files]
    if len(set(stems)) != len(stems):
        print(f"replay_copies.py: file names repeat under {src}", file=sys.stderr)
        return 1
    out.mkdir(parents=True, exist_ok=True)
    for p in files:
        text = p.read_text()
        for n in range(copies):
            (out / f"c{n:03d}-{p.name}").write_text(copy(text, n, p))
    print(len(files) * copies)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Fails when a tracked file refers to something outside the repository.

A clone must build, test and explain itself with nothing beside it, so no tracked file
may read a path that climbs out of the repository (a `../` chain deeper than the file's
own folder, or a build variable for the source tree followed by `/..`), nor send the
reader to documents that only exist beside it (the sibling design, style and protocol
notes a development machine may have). Prints each offending line as FILE:LINE: TEXT,
with what to do, and exits 1; exits 0 when there is none.

    scripts/check-self-contained.py [REPO]
"""
import pathlib
import re
import subprocess
import sys

# Documents that lived beside the repository; the project's own are docs/PROTOCOL.md,
# docs/ARCHITECTURE.md and the code itself.
OUTSIDE_DOCS = re.compile(r"\b(?:STYLE|PROTOCOLS|DESIGN)\.md\b")
# The source tree's root followed by a step up.
ROOT_UP = re.compile(r"(?:SOURCE_DIR|sourceDir|toplevel)\}?[\"']?/\.\.(?:/|\b)")
# A relative chain of parent steps, and the name it leads to.
UP_CHAIN = re.compile(r"(?<![\w.$})])((?:\.\./)+)([\w.-]*)")
# Names a relative path may lead to without being tracked: the build trees.
UNTRACKED_OK = {"build", ""}
# Binary or generated data has no paths worth reading.
SKIP_SUFFIXES = {".hex", ".pcap", ".png", ".bin", ".der"}


def tracked_files(repo):
    out = subprocess.run(["git", "-C", str(repo), "ls-files", "-z"], check=True, capture_output=True).stdout
    return [pathlib.PurePosixPath(p) for p in out.decode().split("\0") if p]


def known_paths(files):
    """Every tracked file and every folder above one, as repository-relative strings."""
    known = set()
    for f in files:
        for i in range(1, len(f.parts) + 1):
            known.add("/".join(f.parts[:i]))
    return known


def problems_in(repo, path, known):
    if path.suffix in SKIP_SUFFIXES or path.name == pathlib.Path(__file__).name:
        return
    try:
        text = (repo / path).read_text(encoding="utf-8")
    except (UnicodeDecodeError, FileNotFoundError, IsADirectoryError):
        return
    depth = len(path.parts) - 1  # how many steps up stay inside the repository
    for number, line in enumerate(text.splitlines(), 1):
        if OUTSIDE_DOCS.search(line):
            yield number, line, "names a document that is not in the repository; say it in the project's own words"
            continue
        if ROOT_UP.search(line):
            yield number, line, "reads above the source tree; carry the file in the repository"
            continue
        for m in UP_CHAIN.finditer(line):
            up = m.group(1).count("../")
            if up > depth:
                yield number, line, "a relative path that climbs out of the repository"
                break
            target = "/".join(path.parts[:depth - up] + (m.group(2),)).strip("/")
            if m.group(2) not in UNTRACKED_OK and target not in known:
                yield number, line, f"a relative path to '{target}', which the repository does not have"
                break


def main():
    repo = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    found = 0
    files = tracked_files(repo)
    known = known_paths(files)
    for path in files:
        for number, line, why in problems_in(repo, path, known):
            print(f"{path}:{number}: {line.strip()[:160]}\n    -> {why}", file=sys.stderr)
            found += 1
    if found:
        print(f"check-self-contained: {found} reference(s) to files outside the repository. A clone has"
              " nothing beside it: copy the data into the repository (tests/data/...) or state the"
              " reason in the text itself.", file=sys.stderr)
        return 1
    print("check-self-contained: no tracked file refers outside the repository")
    return 0


if __name__ == "__main__":
    sys.exit(main())

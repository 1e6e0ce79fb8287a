"""`corpus/CHANGELOG.md`: the dataset's own changelog (Keep a Changelog), an entry per release.

It lives beside the versions it describes, apart from any changelog of the software or the project
around it: a release adds its entry here and never moves anybody else's notes.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..errors import DataError
from ..regular import read_own_text
from .layout import write_atomic

NAME = "CHANGELOG.md"
MAX_BYTES = 1 << 24  # tens of thousands of releases' entries
HEADER = """# Changelog of the dataset

Every release of the dataset in this folder, newest first. The format follows
[Keep a Changelog](https://keepachangelog.com/en/1.1.0/); versions follow
[Semantic Versioning](https://semver.org/).
"""
_ENTRY = re.compile(r"^## \[", re.MULTILINE)


def entry(manifest: dict[str, Any], diff: dict[str, Any] | None) -> str:
    counts = manifest["counts"]
    dropped = ", ".join(f"{reason} {n}" for reason, n in counts["dropped_by_reason"].items())
    if diff is None:
        change = f"first release, {counts['documents']} in total"
        schema = "documents and paragraphs tables as described in the dataset card"
    else:
        d = diff["documents"]
        change = (
            f"{d['added']} added, {d['removed']} removed, {d['changed']} changed, "
            f"{d['metadata_changed']} with metadata changes ({counts['documents']} in total)"
        )
        schema = "changed" if diff["schema_changed"] else "unchanged"
    body = [
        f"## [{manifest['version']}] - {manifest['release_date']}",
        "",
        "### Dataset",
        f"- Documents: {change}.",
        f"- Paragraphs: {counts['paragraphs']} read, {counts['paragraphs_kept']} kept; dropped: {dropped}.",
        f"- Schema: {schema}.",
    ]
    if diff is not None and diff.get("inputs_changed"):
        body.append(f"- Inputs: {diff['inputs_changed']} changed (seed files, schema or settings: `corpuspack diff`).")
    return "\n".join(body) + "\n"


def read(path: Path) -> str | None:
    """The changelog's text, None when there is none. DataError when it cannot be the changelog: a
    symlink (its target's text would be published in it), not a regular file, over `MAX_BYTES`, or
    not UTF-8. A release reads it before it publishes anything."""
    return read_own_text(path, MAX_BYTES, "the dataset's changelog", DataError)


def has_entry(path: Path, version: str) -> bool:
    text = read(path)
    return text is not None and f"## [{version}]" in text


def add_release(path: Path, manifest: dict[str, Any], diff: dict[str, Any] | None) -> None:
    """Put the version's entry above the newest one (the file is made if missing); idempotent."""
    text = read(path) or HEADER
    if f"## [{manifest['version']}]" in text:
        return
    first = _ENTRY.search(text)
    at = first.start() if first else len(text)
    new = text[:at].rstrip("\n") + "\n\n" + entry(manifest, diff) + "\n" + text[at:]
    write_atomic(path, new.rstrip("\n") + "\n")

"""`CHANGELOG.md` (Keep a Changelog): a release moves the Unreleased notes under a new version heading."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .layout import write_atomic

HEADER = """# Changelog

All notable changes to this project and every release of the dataset in `corpus/` are recorded here.
The format follows [Keep a Changelog](https://keepachangelog.com/en/1.1.0/); versions follow
[Semantic Versioning](https://semver.org/).
"""
_UNRELEASED = re.compile(r"^## \[Unreleased\][^\n]*\n", re.MULTILINE)
_NEXT = re.compile(r"^## \[", re.MULTILINE)


def entry(manifest: dict[str, Any], diff: dict[str, Any] | None, notes: str) -> str:
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
    if notes.strip():
        body += ["", notes.strip()]
    return "\n".join(body) + "\n"


def add_release(path: Path, manifest: dict[str, Any], diff: dict[str, Any] | None) -> None:
    """Insert the version's entry under an emptied Unreleased section (created if missing)."""
    text = path.read_text(encoding="utf-8") if path.exists() else HEADER
    if f"## [{manifest['version']}]" in text:
        return
    match = _UNRELEASED.search(text)
    if match is None:
        first = _NEXT.search(text)
        at = first.start() if first else len(text)
        text = text[:at].rstrip("\n") + "\n\n## [Unreleased]\n\n" + text[at:]
        match = _UNRELEASED.search(text)
        assert match is not None
    following = _NEXT.search(text, match.end())
    end = following.start() if following else len(text)
    notes = text[match.end() : end]
    new = text[: match.end()] + "\n" + entry(manifest, diff, notes) + "\n" + text[end:]
    write_atomic(path, new.rstrip("\n") + "\n")

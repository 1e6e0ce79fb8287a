"""What a build records of each seed file it read: size, sha256 and git blob id."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from ..sources.bounded import Refused, open_regular


def file_facts(rel: str, raw: bytes) -> dict:
    """Path, size, sha256 and git blob id (so a changed seed can be fetched back from git history)."""
    blob = hashlib.sha1(b"blob %d\0" % len(raw), usedforsecurity=False)
    blob.update(raw)  # not header + raw: that copies the file
    return {"path": rel, "size": len(raw), "sha256": hashlib.sha256(raw).hexdigest(), "git_blob": blob.hexdigest()}


def path_facts(rel: str, path: Path) -> dict:
    """`file_facts` of a file on disk, hashed in blocks so a multi-GB JSONL file is never held whole."""
    sha256 = hashlib.sha256()
    try:
        with open_regular(str(path), rel) as f:  # a FIFO named like a seed must not block here either
            size = os.fstat(f.fileno()).st_size
            blob = hashlib.sha1(b"blob %d\0" % size, usedforsecurity=False)
            while block := f.read(1 << 20):
                sha256.update(block)
                blob.update(block)
    except (Refused, OSError):  # already a finding of the reader: the build stops before using this
        return {"path": rel, "size": -1, "sha256": "", "git_blob": ""}
    return {"path": rel, "size": size, "sha256": sha256.hexdigest(), "git_blob": blob.hexdigest()}


def sha256_of(path: str, rel: str) -> str:
    """The file's sha256 alone (the check of a kept chunk needs no git blob id): "" if unreadable."""
    try:
        with open_regular(path, rel) as f:
            return hashlib.file_digest(f, "sha256").hexdigest()
    except (Refused, OSError):
        return ""

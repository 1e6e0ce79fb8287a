"""Facts of a written file (size, sha256, rows), taken by its writer right after closing it.

The file is still in the page cache then: hashing it at the end of the build instead read the
whole version back from disk (20 GB at a million documents) and hashed it in one process.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

BLOCK = 1 << 20


@dataclass(frozen=True)
class Written:
    path: Path
    size: int
    sha256: str
    rows: int | None = None

    def entry(self, rel: str) -> dict[str, Any]:
        """The manifest's entry for this file, `rel` its path in the version folder."""
        entry: dict[str, Any] = {"path": rel, "size": self.size, "sha256": self.sha256}
        if self.rows is not None:
            entry["rows"] = self.rows
        return entry


def written(path: Path, rows: int | None = None, *also: Any) -> Written:
    """Size and sha256 of `path`, read once; each digest in `also` is fed the same bytes."""
    digest = hashlib.sha256()
    size = feed(path, digest, *also)
    return Written(path, size, digest.hexdigest(), rows)


def feed(source: Path | BinaryIO, *digests: Any, limit: int | None = None, out: BinaryIO | None = None) -> int:
    """The bytes of `source` (a path, or a file object read from where it stands), at most `limit`
    of them, into each digest and `out` when given, in blocks; returns how many."""
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb", buffering=0) as f:
            return feed(f, *digests, limit=limit, out=out)
    size, block = 0, memoryview(bytearray(BLOCK))  # one block, read into again and again
    while n := source.readinto(block[: BLOCK if limit is None else min(BLOCK, limit - size)]):
        for digest in digests:
            digest.update(block[:n])
        if out is not None:
            out.write(block[:n])
        size += n
    return size

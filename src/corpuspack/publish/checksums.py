"""Facts of a written file (size, sha256, rows), taken by its writer right after closing it.

The file is still in the page cache then: hashing it at the end of the build instead read the
whole version back from disk (20 GB at a million documents) and hashed it in one process.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any


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


def feed(path: Path, *digests: Any) -> int:
    """Every byte of `path` into each digest, in blocks; returns the size."""
    size = 0
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            for digest in digests:
                digest.update(block)
            size += len(block)
    return size

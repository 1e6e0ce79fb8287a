"""The one way corpuspack stages a folder: under a fresh name nobody chose (never a fixed name that may
already exist, or be a planted symlink), moved into place whole, or removed."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def fresh_folder(parent: Path, prefix: str) -> Path:
    """A new, empty folder in `parent`, with the mode the user's umask gives (mkdtemp's is 0700)."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    os.chmod(path, 0o777 & ~_umask())
    return path


@contextmanager
def staged(target: Path) -> Iterator[Path]:
    """A fresh folder beside `target`, renamed to `target` (which may exist, empty) when the block
    ends, removed when it raises: `target` appears complete or not at all."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = fresh_folder(target.parent, f".{target.name}.partial-")
    try:
        yield partial
        if target.exists():
            target.rmdir()
        os.rename(partial, target)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask

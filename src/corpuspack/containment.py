"""One rule for every writer: a relative path from outside (a manifest, a store key, an id) names a
place inside the folder it belongs to, or it is refused."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from .errors import DataError


class Escape(DataError):
    """A path that would lead outside the folder it was given for."""


def join_inside(root: Path, rel: str) -> Path:
    """`root`/`rel`, or `Escape` when `rel` is absolute, climbs with `..`, holds a backslash, a NUL
    or a drive letter, or leads outside `root` through a symlink already there."""
    if not isinstance(rel, str) or not rel or "\0" in rel or "\\" in rel:
        raise Escape(f"{rel!r}: not a relative path")
    pure = PurePosixPath(rel)
    if pure.is_absolute() or any(part in ("..", "") for part in pure.parts) or ":" in pure.parts[0]:
        raise Escape(f"{rel!r}: leads outside {root}")
    target = root / Path(*pure.parts)
    real_root = os.path.realpath(root)
    real = os.path.realpath(target)
    if real != real_root and not real.startswith(real_root.rstrip(os.sep) + os.sep):
        raise Escape(f"{rel!r}: leads outside {root} (through a symlink)")
    return target


def is_within(path: Path, folder: Path) -> bool:
    """Whether `path` is `folder` or lies under it, symlinks resolved."""
    real, top = Path(os.path.realpath(path)), Path(os.path.realpath(folder))
    return real == top or top in real.parents

"""The corpus folder: versions, a release lock, staging folders and atomic renames."""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError

_VERSION = re.compile(r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
STAGING_PREFIX = ".staging-"


@dataclass(frozen=True, order=True)
class Version:
    major: int
    minor: int
    patch: int

    @classmethod
    def parse(cls, text: str) -> Version:
        match = _VERSION.match(text.strip())
        if not match:
            raise UsageError(f"not a version: {text!r} (expected MAJOR.MINOR.PATCH, e.g. 1.2.0)")
        return cls(*(int(g) for g in match.groups()))

    def bump(self, part: str) -> Version:
        if part == "major":
            return Version(self.major + 1, 0, 0)
        if part == "minor":
            return Version(self.major, self.minor + 1, 0)
        if part == "patch":
            return Version(self.major, self.minor, self.patch + 1)
        raise UsageError(f"unknown bump {part!r}: use major, minor or patch")

    @property
    def folder(self) -> str:
        return f"v{self}"

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"


def versions(corpus: Path) -> list[Version]:
    """Released versions in `corpus`, oldest first."""
    if not corpus.is_dir():
        return []
    found = []
    for entry in corpus.iterdir():
        match = _VERSION.match(entry.name)
        if entry.is_dir() and entry.name.startswith("v") and match and (entry / "manifest.json").is_file():
            found.append(Version(*(int(g) for g in match.groups())))
    return sorted(found)


def resolve(corpus: Path, name: str | None) -> Version:
    """A version by name (`1.0.0`, `v1.0.0`, `latest` or None for the latest) that exists."""
    known = versions(corpus)
    if not known:
        raise UsageError(f"{corpus}: no released version yet (corpuspack release)")
    if name in (None, "latest"):
        return known[-1]
    version = Version.parse(name)
    if version not in known:
        raise UsageError(f"{corpus}: no version {version} (have {', '.join(map(str, known))})")
    return version


@contextlib.contextmanager
def release_lock(corpus: Path) -> Iterator[None]:
    """An exclusive lock on the corpus folder itself (no lock file to commit by mistake); the kernel
    drops it if the holder dies, so a killed release never leaves the corpus locked."""
    corpus.mkdir(parents=True, exist_ok=True)
    fd = os.open(corpus, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UsageError(f"{corpus}: another release is running") from None
        yield
    finally:
        os.close(fd)


def clear_stale_staging(corpus: Path) -> list[Path]:
    """Remove staging folders a killed release left behind (call with the lock held)."""
    stale = [p for p in corpus.glob(STAGING_PREFIX + "*") if p.is_dir()]
    for path in stale:
        shutil.rmtree(path, ignore_errors=True)
    return stale


def new_staging(corpus: Path) -> Path:
    return Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=corpus)) / "version"


def fsync_tree(folder: Path) -> None:
    for path in sorted(folder.rglob("*"), reverse=True):
        _fsync(path)
    _fsync(folder)


def publish(staged: Path, target: Path) -> None:
    """Move a complete, synced folder into place in one rename; refuse to replace anything."""
    if target.exists():
        raise UsageError(f"{target} already exists; a released version is never rewritten")
    fsync_tree(staged)
    os.rename(staged, target)
    _fsync(target.parent)
    shutil.rmtree(staged.parent, ignore_errors=True)


def write_atomic(path: Path, text: str) -> None:
    """Write a file through a temporary sibling and a rename, so readers see old or new, never half."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        # mkstemp makes the file private (0600): give it the old file's mode, or the usual one.
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync(path.parent)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

"""The corpus folder: versions, a release lock, staging folders, atomic renames, and the
checksums of every version's manifest (`SHA256SUMS`, as `sha256sum -c` reads it)."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import DataError, UsageError
from ..printable import printable, printable_path
from ..regular import NotRegular, open_fd, read_capped
from ..staging import fresh_folder

# Digits of each of MAJOR, MINOR and PATCH: plenty for any version, and int() of a part 4,301 digits
# long raised a ValueError that crashed every command reading SHA256SUMS. ASCII digits only (`\d`
# takes any script's), each part without leading zeros; matched whole (fullmatch: `$` let a "\n" by).
VERSION_DIGITS = 9
_PART = rf"(0|[1-9][0-9]{{0,{VERSION_DIGITS - 1}}})"
_VERSION = re.compile(rf"v?{_PART}\.{_PART}\.{_PART}")
_MAX_PART = 10**VERSION_DIGITS - 1
STAGING_PREFIX = ".staging-"
JOURNAL = "release.json"  # in a staging folder: the version it is publishing, once its files are complete
SUMS = "SHA256SUMS"
SUM_LINE = re.compile(rf"([0-9a-f]{{64}})  (v{_PART}\.{_PART}\.{_PART})/manifest\.json")  # fullmatch it


@dataclass(frozen=True, order=True)
class Version:
    """MAJOR.MINOR.PATCH, each part at most VERSION_DIGITS digits (a UsageError otherwise)."""

    major: int
    minor: int
    patch: int

    def __post_init__(self) -> None:
        if not all(0 <= part <= _MAX_PART for part in (self.major, self.minor, self.patch)):
            shown = f"{self.major}.{self.minor}.{self.patch}"
            raise UsageError(f"{shown}: past the largest version part, {_MAX_PART} ({VERSION_DIGITS} digits)")

    @classmethod
    def parse(cls, text: str) -> Version:
        """`1.2.0` or `v1.2.0`, exactly (no spaces, no line break), else a UsageError (exit 2)."""
        match = _VERSION.fullmatch(text)
        if not match:
            shown = printable(repr(text), 80)
            raise UsageError(
                f"not a version: {shown} (expected MAJOR.MINOR.PATCH, e.g. 1.2.0, "
                f"each part a number of at most {VERSION_DIGITS} digits)"
            )
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
    """Version folders in `corpus`, oldest first (a folder whose manifest was lost still counts:
    it is damaged, not absent, and no new version may go below it)."""
    if not corpus.is_dir():
        return []
    found = []
    for entry in corpus.iterdir():
        match = _VERSION.fullmatch(entry.name)  # any other name (too many digits too) is no version
        if entry.is_dir() and entry.name.startswith("v") and match:
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


def recover(corpus: Path, finish: Callable[[Version], None]) -> list[Version]:
    """Settle what a killed release left (call with the lock held, from `release` only): a release
    whose version folder is in place is finished (`finish` writes its checksum, changelog entry and
    card) unless `SHA256SUMS` already holds another checksum for it (a planted journal must not get
    an edited manifest re-checksummed); any other staging folder is removed, so the release never
    happened. Returns the versions finished."""
    finished = []
    sums = read_sums(corpus)
    for staging in _stagings(corpus):
        version = _journal_version(staging / JOURNAL)
        if version in interrupted(corpus):
            manifest = corpus / version.folder / "manifest.json"
            if version not in sums or (manifest.is_file() and _sha256(manifest) == sums[version]):
                finish(version)
                finished.append(version)
        shutil.rmtree(staging, ignore_errors=True)
    return finished


def interrupted(corpus: Path) -> list[Version]:
    """Versions whose release was killed after their folder was moved into place (their staging
    folder still holds the journal); `verify` and `check` report them, `release` finishes them."""
    found = []
    for staging in _stagings(corpus):
        version = _journal_version(staging / JOURNAL)
        if version is not None and (corpus / version.folder).is_dir() and not (staging / "version").exists():
            found.append(version)
    return sorted(found)


def _stagings(corpus: Path) -> list[Path]:
    if not corpus.is_dir():
        return []
    return sorted(p for p in corpus.glob(STAGING_PREFIX + "*") if p.is_dir() and not p.is_symlink())


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _journal_version(path: Path) -> Version | None:
    """The version a staging folder's journal names; None for no journal, or one that is no regular
    file of at most 4 kB of JSON naming one (a FIFO there made every command wait for ever)."""
    try:
        fd, st = open_fd(str(path), follow=False)
        data, _ = read_capped(fd, st, 4096)
        return Version.parse(json.loads(data)["version"])
    except (OSError, NotRegular, ValueError, KeyError, TypeError, RecursionError, UsageError):
        return None


def new_staging(corpus: Path) -> Path:
    return fresh_folder(corpus, STAGING_PREFIX) / "version"


def read_sums(corpus: Path) -> dict[Version, str]:
    """The manifest checksums `SHA256SUMS` lists, by version (lines that are not such are ignored
    here and reported by `verify`)."""
    path = corpus / SUMS
    if not path.is_file():
        return {}
    sums = {}
    with path.open("rb") as f:
        for line in f.read(1 << 24).decode("utf-8", "replace").splitlines():
            match = SUM_LINE.fullmatch(line)
            if match:
                sums[Version.parse(match.group(2))] = match.group(1)
    return sums


def write_sums(corpus: Path, sums: dict[Version, str]) -> None:
    write_atomic(corpus / SUMS, "".join(f"{sums[v]}  {v.folder}/manifest.json\n" for v in sorted(sums)))


def fsync_tree(folder: Path) -> None:
    for path in sorted(folder.rglob("*"), reverse=True):
        _fsync(path)
    _fsync(folder)


def publish(staged: Path, target: Path, version: Version) -> None:
    """Move a complete, synced folder into place in one rename; refuse to replace anything. The
    journal written first lets the next command finish this release if it is killed after the rename."""
    if target.exists():
        raise UsageError(f"{target} already exists; a released version is never rewritten")
    fsync_tree(staged)
    journal = staged.parent / JOURNAL
    journal.write_text(json.dumps({"version": str(version)}), encoding="utf-8")
    _fsync(journal)
    _fsync(staged.parent)
    os.rename(staged, target)
    _fsync(target.parent)


def check_replaceable(path: Path) -> None:
    """`write_atomic` renames over `path`: a folder there cannot be replaced, and is never removed."""
    if path.is_dir() and not path.is_symlink():
        raise DataError(f"{printable_path(path)}: a folder where corpuspack writes a file; move it away")


def write_atomic(path: Path, text: str) -> None:
    """Write a file through a temporary sibling and a rename, so readers see old or new, never half."""
    check_replaceable(path)
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

"""Finding seed files: stable sorted order, no symlink escapes, nothing skipped without a word."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa

from ..model import Finding
from ..printable import printable
from .bounded import has_surrogate
from .seedfile import JSON_SUFFIXES, JSONL_SUFFIXES, TEXT_SUFFIXES, SeedFile
from .seedlist import SeedColumns, SeedList
from .sidecar import SUFFIX as SIDECAR_SUFFIX
from .sidecar import stem

__all__ = ["JSONL_SUFFIXES", "JSON_SUFFIXES", "TEXT_SUFFIXES", "SeedFile", "discover", "stamp"]


def discover(paths: list[Path], base: Path) -> tuple[SeedList, list[Finding]]:
    """Every seed file under `paths` (files or folders), sorted by relative path, as columns
    (`SeedList`: no object per seed is made here).

    Names starting with a dot (.gitkeep, .DS_Store) are not seeds. A symlink is followed only when
    its target stays inside the folder being read; otherwise it is reported.
    """
    found = SeedColumns()
    given: list[str] = []  # files named directly: stamped once all are known (a sidecar may be among them)
    findings: list[Finding] = []
    for top in paths:
        top_real = top.resolve()
        if not top.exists():
            findings.append(Finding(_rel(top, base), None, "", "no such file or folder", code="missing"))
        elif top.is_file():
            found.add(str(top), _rel(top, base), -1, "", None)
            found.close_folder()
            given.append(_rel(top, base))
        else:
            _walk(top, top_real, base, found, findings)
    if given:  # files named one by one (a seed seen twice: the last kept): seeds as objects here
        listed = {seed.rel: seed for seed in found.seeds()}
        for rel in given:
            listed[rel] = _stamped(listed[rel], listed)
        for seed in listed.values():
            found.add(seed.file, seed.rel, seed.size, seed.stamp, seed.sidecar)
    return found.seeds(), findings


def _stamped(seed: SeedFile, files: dict[str, SeedFile]) -> SeedFile:
    """`seed`, named directly, with its size and stamp (its sidecar found among `files`)."""
    folder = seed.rel[: len(seed.rel) - len(os.path.basename(seed.file))]

    def sidecar(name: str) -> str:
        listed = files.get(folder + name)
        return _stat_text(listed.file) if listed is not None else ""

    own = _stat_text(seed.file)
    return SeedFile(seed.file, seed.rel, _size(own), _stamp_text(os.path.basename(seed.file), own, sidecar))


def stamp(path: str) -> tuple[int, str]:
    """Size of a seed file (-1 when it cannot be stat-ed) and its stamp (`_stamp_text`), its
    sidecar looked for beside it."""
    folder, name = os.path.split(path)
    own = _stat_text(path)
    return _size(own), _stamp_text(name, own, lambda sidecar: _stat_text(os.path.join(folder, sidecar)))


def _stamp_text(name: str, own: str, sidecar: Callable[[str], str | None]) -> str:
    """What changes when a seed or its sidecar does: the seed's "size:mtime" and, for a text seed,
    its sidecar's, looked up by name ("" or None when there is none)."""
    if own and name.lower().endswith(TEXT_SUFFIXES):
        side = sidecar(stem(name) + SIDECAR_SUFFIX)
        return f"{own}+{side}" if side else own
    return own


def _stat_text(path: str | os.DirEntry) -> str:
    """ "size:mtime" of a file, "" when it cannot be stat-ed."""
    try:
        st = path.stat() if isinstance(path, os.DirEntry) else os.stat(path)
    except OSError:
        return ""
    return f"{st.st_size}:{st.st_mtime_ns}"


def _size(stat_text: str) -> int:
    return int(stat_text[: stat_text.index(":")]) if stat_text else -1


def _walk(top: Path, top_real: Path, base: Path, found: SeedColumns, findings: list[Finding]) -> None:
    """Folders depth first in name order, one `scandir` each: the entries' types come with the
    listing, and each file is stat-ed once, its stamp made from that stat and its sidecar's (a
    million seeds: 46 s with `os.walk`, a symlink check and a stat per file, 16 s so)."""
    seen: set[str] = set()
    pending = [(str(top), _rel(top, base))]
    while pending:
        folder, rel_here = pending.pop()
        real = os.path.realpath(folder)
        if real in seen:
            continue
        seen.add(real)
        # Streamed, keeping a string per file: a folder of a million seeds must not hold a million
        # DirEntry and stat objects at once (they fragment the heap for the rest of the build).
        folders: list[tuple[str, str]] = []
        listed = _Listed()  # name and "size:mtime" ("" when it cannot be stat-ed) of every file
        sidecars: dict[str, bool | None] = {}  # name: a regular file (None: not known, as for a symlink left out)
        try:
            with os.scandir(folder) as listing:
                for entry in listing:
                    name = entry.name
                    if has_surrogate(name):  # not UTF-8: no table or JSON can hold it
                        shown = printable(os.fsencode(name).decode("utf-8", "backslashreplace"))
                        where = f"{rel_here}/{shown}" if rel_here else shown
                        findings.append(Finding(where, None, "", "file name is not valid UTF-8: not read", code="name"))
                        continue
                    sidecar = name.lower().endswith(SIDECAR_SUFFIX)
                    if name.startswith(".") or (
                        entry.is_symlink() and _escapes(Path(entry.path), top_real, base, findings)
                    ):
                        if sidecar:  # not a seed, but beside one it is still read: the disk tells
                            sidecars[name] = None
                        continue
                    if sidecar:
                        sidecars[name] = _is_file(entry)
                    try:
                        if entry.is_dir():
                            folders.append((name, entry.path))
                            continue
                    except OSError:
                        pass
                    listed.add(name, _stat_text(entry), sidecar)
        except OSError as exc:
            findings.append(Finding(rel_here or ".", None, "", f"cannot list folder: {exc.strerror or exc}", code="io"))
            continue
        has_sidecar = _sidecar_lookup(sidecars)
        for names, stats in listed.blocks():
            for name, own in zip(names, stats, strict=True):
                rel = f"{rel_here}/{name}" if rel_here else name
                stamped = _stamp_text(name, own, listed.sidecar_stats.get)
                found.add(os.path.join(folder, name), rel, _size(own), stamped, has_sidecar(name))
            found.close_folder()
        for name, path in sorted(folders, reverse=True):
            pending.append((path, f"{rel_here}/{name}" if rel_here else name))


class _Listed:
    """A folder's files as listed, a block of names and stat texts at a time in Arrow: a folder of a
    million seeds holds no million Python strings at once (they fragment the heap for the rest of
    the build). Sidecars' stat texts, which other seeds' stamps look up, are kept by name."""

    BLOCK = 4096

    def __init__(self) -> None:
        self._names: list[str] = []
        self._stats: list[str] = []
        self._blocks: list[tuple[pa.Array, pa.Array]] = []
        self.sidecar_stats: dict[str, str] = {}

    def add(self, name: str, stat: str, sidecar: bool) -> None:
        if sidecar:
            self.sidecar_stats[name] = stat
        self._names.append(name)
        self._stats.append(stat)
        if len(self._names) >= self.BLOCK:
            self._close()

    def _close(self) -> None:
        if self._names:
            self._blocks.append((pa.array(self._names, pa.string()), pa.array(self._stats, pa.string())))
            self._names, self._stats = [], []

    def blocks(self) -> Iterator[tuple[list[str], list[str]]]:
        """The names and stat texts, a block at a time, in the order listed (each block let go once given)."""
        self._close()
        while self._blocks:
            names, stats = self._blocks.pop(0)
            yield names.to_pylist(), stats.to_pylist()


def _is_file(entry: os.DirEntry) -> bool | None:
    """`os.path.isfile` of a listed entry, for a symlink too (None when that cannot be told)."""
    try:
        return entry.is_file()
    except OSError:
        return None


def _sidecar_lookup(sidecars: dict[str, bool | None]) -> Callable[[str], bool | None]:
    """Whether the seed of each name in a folder has a sidecar, from the folder's listing of
    sidecars: True or False, or None where only the disk can tell (a sidecar left out of the
    listing, or named in other letter cases: some file systems take one name for the other)."""
    folded = {name.lower() for name in sidecars}

    def lookup(name: str) -> bool | None:
        if not name.lower().endswith(TEXT_SUFFIXES):
            return None
        if not sidecars:
            return False
        side = stem(name) + SIDECAR_SUFFIX
        if side in sidecars:
            return sidecars[side]
        return None if folded and side.lower() in folded else False

    return lookup


def _escapes(path: Path, top_real: Path, base: Path, findings: list[Finding]) -> bool:
    if not path.is_symlink():
        return False
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):  # a loop, or nothing at the end
        findings.append(Finding(_rel(path, base), None, "", "broken symlink or symlink loop", code="symlink"))
        return True
    if target == top_real or top_real in target.parents:
        return False
    findings.append(
        Finding(_rel(path, base), None, "", f"symlink leads outside the seeds folder (to {target})", code="symlink")
    )
    return True


def _rel(path: Path, base: Path) -> str:
    try:
        rel = path.absolute().relative_to(base.absolute()).as_posix()
    except ValueError:
        rel = path.as_posix()
    return "" if rel == "." else rel

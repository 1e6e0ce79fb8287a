"""A run of seed files held as a few strings and arrays instead of a `SeedFile` object per seed.

A build keeps every chunk's seeds from discovery until its chunk is read, and the read workers fork
from that memory: as objects, about 480 bytes a seed (480 MB at a million seeds); as columns, the
characters of the paths and stamps and a dozen bytes more. `SeedFile`s are made again, a chunk at a
time, where a chunk is read.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator, Sequence
from typing import overload

from .discover import SeedFile

_SEP = "\0"  # no path or stamp holds a NUL
_SIDECAR = {False: 0, True: 1, None: 2}
_SIDECAR_BACK = (False, True, None)


class SeedList(Sequence[SeedFile]):
    """`SeedFile`s in order, as columns: the paths, relative paths and stamps each joined into one
    string (the paths as one shared head and the relative paths, when every path is that), sizes
    and sidecar flags as arrays. Picklable; equal to a list of the same `SeedFile`s."""

    __slots__ = ("_count", "_files", "_head", "_rels", "_sidecars", "_sizes", "_stamps")

    def __init__(self, seeds: Iterable[SeedFile]) -> None:
        seeds = list(seeds)
        rels = [s.rel for s in seeds]
        files = [s.file for s in seeds]
        head = _shared_head(files, rels)
        self._head, self._files = head, None if head is not None else _SEP.join(files)
        self._rels = _SEP.join(rels)
        self._stamps = _SEP.join(s.stamp for s in seeds)
        self._sizes = array("q", (s.size for s in seeds))
        self._sidecars = bytes(_SIDECAR[s.sidecar] for s in seeds)
        self._count = len(seeds)

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[SeedFile]:
        if not self._count:
            return iter(())
        rels = self._rels.split(_SEP)
        files = [self._head + r for r in rels] if self._head is not None else self._files.split(_SEP)
        stamps = self._stamps.split(_SEP)
        sidecars = (_SIDECAR_BACK[flag] for flag in self._sidecars)
        return map(SeedFile, files, rels, self._sizes, stamps, sidecars)

    @overload
    def __getitem__(self, index: int) -> SeedFile: ...
    @overload
    def __getitem__(self, index: slice) -> list[SeedFile]: ...
    def __getitem__(self, index: int | slice) -> SeedFile | list[SeedFile]:
        return list(self)[index]  # not on any hot path: iteration is how a chunk is read

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # equal to lists, which are not hashable

    def __repr__(self) -> str:
        return f"SeedList({list(self)!r})"


def _shared_head(files: list[str], rels: list[str]) -> str | None:
    """The one string every path is, followed by its relative path (a seeds folder's own), or None."""
    if not files or not files[0].endswith(rels[0]):
        return None
    head = files[0][: len(files[0]) - len(rels[0])]
    return head if all(f == head + r for f, r in zip(files, rels, strict=True)) else None

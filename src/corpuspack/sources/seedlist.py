"""Seed files held as a few Arrow columns instead of a `SeedFile` object per seed.

A build keeps every chunk's seeds from discovery until its chunk is read, and the read workers fork
from that memory: as objects, about 480 bytes a seed (480 MB at a million seeds); as columns, the
characters of the relative paths and stamps and a dozen bytes more. Discovery builds the columns
folder by folder (`SeedColumns`); `SeedFile`s are made a chunk at a time, where a chunk is read.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from typing import overload

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .seedfile import SeedFile

_SIDECAR = {False: 0, True: 1, None: 2}
_SIDECAR_BACK = (False, True, None)
_SCHEMA = pa.schema(
    [
        ("file", pa.large_binary()),
        ("rel", pa.large_string()),
        ("size", pa.int64()),
        ("stamp", pa.string()),
        ("sidecar", pa.int8()),
    ]
)
# `file` holds a path's bytes (`os.fsencode`): a folder above the seeds may have a name that is not
# UTF-8 (the seeds' own relative paths are: discovery skips any other). The paths' columns have
# 64-bit offsets: ten million seeds with long paths pass 2 GiB of characters in one column.
_BLOCK = 4096  # seeds made into objects at a time while iterating


class SeedList(Sequence[SeedFile]):
    """`SeedFile`s in order, as the columns of an Arrow table (the paths as one shared head and the
    relative paths, when every path is that). Indexing is by row; a slice is a `SeedList` of its own
    rows only (so it pickles small). Equal to a list of the same `SeedFile`s."""

    __slots__ = ("_head", "_table")

    def __init__(self, seeds: Iterable[SeedFile] = ()) -> None:
        columns = SeedColumns()
        for s in seeds:
            columns.add(s.file, s.rel, s.size, s.stamp, s.sidecar)
        self._head, self._table = _compact(columns.table())

    @classmethod
    def _of(cls, head: str | None, table: pa.Table) -> SeedList:
        held = cls.__new__(cls)
        held._head, held._table = head, table
        return held

    def __len__(self) -> int:
        return self._table.num_rows

    def __iter__(self) -> Iterator[SeedFile]:
        for lo in range(0, len(self), _BLOCK):
            yield from self._made(self._table.slice(lo, _BLOCK))

    def _made(self, rows: pa.Table) -> Iterator[SeedFile]:
        rels = rows.column("rel").to_pylist()
        if self._head is not None:
            files = [self._head + r for r in rels]
        else:
            files = [os.fsdecode(f) for f in rows.column("file").to_pylist()]
        sidecars = (_SIDECAR_BACK[flag] for flag in rows.column("sidecar").to_pylist())
        stamps, sizes = rows.column("stamp").to_pylist(), rows.column("size").to_pylist()
        return map(SeedFile, files, rels, sizes, stamps, sidecars)

    @overload
    def __getitem__(self, index: int) -> SeedFile: ...
    @overload
    def __getitem__(self, index: slice) -> SeedList: ...
    def __getitem__(self, index: int | slice) -> SeedFile | SeedList:
        if isinstance(index, slice):
            rows = pa.array(np.arange(*index.indices(len(self))), pa.int64())
            return SeedList._of(self._head, self._table.take(rows))  # its rows copied: pickles small
        if not -len(self) <= index < len(self):
            raise IndexError("SeedList index out of range")
        return next(self._made(self._table.slice(index % len(self), 1)))

    def rels(self) -> pa.Array:
        """The relative paths, in order (large_string)."""
        return self._table.column("rel").combine_chunks()

    def take(self, rows: np.ndarray) -> SeedList:
        """The seeds at positions `rows`, in that order."""
        return SeedList._of(self._head, self._table.take(pa.array(rows, pa.int64())))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # equal to lists, which are not hashable

    def __repr__(self) -> str:
        return f"SeedList({list(self)!r})"


class SeedColumns:
    """Seeds gathered as discovery finds them, a folder's at a time into Arrow (`close_folder`), then
    sorted by relative path, the last of any seen twice kept (`seeds`)."""

    def __init__(self) -> None:
        self._batches: list[pa.RecordBatch] = []
        self._rows: tuple[list, ...] = ([], [], [], [], [])

    def add(self, file: str, rel: str, size: int, stamp: str, sidecar: bool | None) -> None:
        values = (os.fsencode(file), rel, size, stamp, _SIDECAR[sidecar])
        for column, value in zip(self._rows, values, strict=True):
            column.append(value)

    def close_folder(self) -> None:
        if self._rows[0]:
            arrays = [pa.array(c, f.type) for c, f in zip(self._rows, _SCHEMA, strict=True)]
            self._batches.append(pa.record_batch(arrays, _SCHEMA))
            self._rows = ([], [], [], [], [])

    def table(self) -> pa.Table:
        self.close_folder()
        return pa.Table.from_batches(self._batches, _SCHEMA)

    def seeds(self) -> SeedList:
        """By relative path (UTF-8 byte order, which is code point order: `sorted` of the strings)."""
        table = self.table()
        self._batches = []
        if table.num_rows:
            table = table.take(pc.sort_indices(table, [("rel", "ascending")]))  # stable: seen twice stay in order
            rels = table.column("rel").combine_chunks()
            again = pc.equal(rels.slice(0, len(rels) - 1), rels.slice(1))  # the same path as the next row's
            table = table.filter(pa.concat_arrays([pc.invert(again), pa.array([True])]))
        return SeedList._of(*_compact(table))


def _compact(table: pa.Table) -> tuple[str | None, pa.Table]:
    """The one string every path is followed by its relative path (a seeds folder's own) and the
    table without its paths, or None and the table as it is."""
    table = table.combine_chunks()
    if not table.num_rows:
        return None, table
    file, rel = os.fsdecode(table.column("file")[0].as_py()), table.column("rel")[0].as_py()
    if not file.endswith(rel):
        return None, table
    head = file[: len(file) - len(rel)]
    rels = table.column("rel").cast(pa.large_binary())
    joined = pc.binary_join_element_wise(
        pa.scalar(os.fsencode(head), pa.large_binary()), rels, pa.scalar(b"", pa.large_binary())
    )
    if not pc.all(pc.equal(joined, table.column("file"))).as_py():
        return None, table
    return head, table.drop_columns(["file"])

"""The shingle sets of near-duplicate candidates, made again from their spilled texts.

The spill keeps no shingle sets (they were a third of it, and only candidates' are ever read). Once
the candidate pairs are known, each chunk's candidate rows have their sets made from the chunk's
texts, decompressed once (`write_sets`), into a file per chunk in the work folder's `sets/`; the
Jaccard of the pairs then reads the sets it needs by row (`CandidateSets`), in any order and any
number of times, without decompressing a text again.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa

from ..dedup.features import shingle_sets
from ..dedup.settings import DedupConfig
from .spill import ParagraphFiles, inverse

SETS = pa.schema([pa.field("row", pa.int64()), pa.field("shingles", pa.large_list(pa.uint32()))])
FOLDER = "sets"
GROUP_ROWS = 32_768


def sets_path(folder: Path, chunk: int) -> Path:
    return folder / f"sets-{chunk:06d}.arrow"


def by_chunk(files: ParagraphFiles, rows: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """(chunk, its rows, ascending) for every chunk holding some of `rows` (distinct, ascending)."""
    if len(rows) == 0:
        return []
    chunk = files.chunk_of(rows)
    cuts = np.flatnonzero(np.diff(chunk)) + 1
    return [(int(chunk[part[0]]), rows[part]) for part in np.split(np.arange(len(rows)), cuts)]


def groups(chunks: list[tuple[int, np.ndarray]], rows: int = GROUP_ROWS) -> list[list[tuple[int, np.ndarray]]]:
    """`by_chunk`'s chunks in runs of about `rows` candidate rows: each run's sets are made in one
    call (a call per chunk would hash much the same vocabulary again for a few rows each)."""
    out: list[list[tuple[int, np.ndarray]]] = []
    size = rows
    for chunk in chunks:
        if size >= rows:
            out.append([])
            size = 0
        out[-1].append(chunk)
        size += len(chunk[1])
    return out


def write_sets(files: ParagraphFiles, group: list[tuple[int, np.ndarray]], config: DedupConfig, folder: Path) -> None:
    """The sets of each chunk's candidate rows (ascending, all in that chunk), made in one call,
    into the chunk's sets file (written whole under another name first)."""
    rows = np.concatenate([r for _, r in group]) if group else np.zeros(0, dtype=np.int64)
    flat, offsets = shingle_sets(files.take("text", rows), config)
    lists = pa.LargeListArray.from_arrays(pa.array(offsets, pa.int64()), pa.array(flat, pa.uint32()))
    at = 0
    for chunk, part in group:
        table = pa.table([pa.array(part, pa.int64()), lists.slice(at, len(part))], schema=SETS)
        at += len(part)
        path = sets_path(folder, chunk)
        tmp = path.with_suffix(".tmp")
        with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, SETS) as writer:
            writer.write_table(table, max_chunksize=64 * 1024)
        tmp.replace(path)


class CandidateSets:
    """`sets(rows)`: (their sets one after another, offsets), read from the sets files by row; for a
    chunk with no file there, from `kept(chunk)` (a work folder's kept sets, `kept_sets.held`)."""

    def __init__(
        self, files: ParagraphFiles, folder: Path, kept: Callable[[int], pa.Table | None] | None = None
    ) -> None:
        self.files, self.folder, self.kept = files, folder, kept

    def __call__(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        chunk = self.files.chunk_of(rows)
        order = np.argsort(chunk, kind="stable")
        pieces: list[pa.Array] = []
        for part in np.split(order, np.flatnonzero(np.diff(chunk[order])) + 1) if len(rows) else []:
            table = self._table(int(chunk[part[0]]))
            have = table.column("row").to_numpy()
            at = np.minimum(np.searchsorted(have, rows[part]), len(have) - 1)
            if len(have) == 0 or not np.array_equal(have[at], rows[part]):
                raise ValueError(f"{self.folder}: a candidate row has no shingle set")
            pieces.append(table.column("shingles").take(pa.array(at, pa.int64())).combine_chunks())
            del table
        lists = pa.concat_arrays(pieces).take(pa.array(inverse(order), pa.int64())) if pieces else None
        if lists is None or len(lists) == 0:
            return np.zeros(0, dtype=np.uint32), np.zeros(len(rows) + 1, dtype=np.int64)
        offsets = np.asarray(lists.offsets, dtype=np.int64)
        return np.asarray(lists.flatten().to_numpy(), dtype=np.uint32), offsets - offsets[0]

    def _table(self, chunk: int) -> pa.Table:
        path = sets_path(self.folder, chunk)
        if self.kept is not None and not path.exists():
            table = self.kept(chunk)
            if table is None:
                raise ValueError(f"{self.folder}: the kept shingle sets of chunk {chunk} no longer read")
            return table
        with pa.memory_map(str(path), "r") as source:
            return pa.ipc.open_file(source).read_all()

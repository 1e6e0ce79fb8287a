"""Paragraph texts and documents' metadata in global order, for the writer, read forward (windows over the
spill, or runs regrouped in order first).

Documents are spread over every chunk file, so the texts of one row group come from nearly every
chunk. Reading them row group by row group maps every chunk once per row group: chunks x row
groups, quadratic in the corpus (440 of a 1M build's 1,240 seconds). Two ways out:

- `TextWindow` reads a window of about `WINDOW_BYTES` of text at once (one mapping of each chunk
  per window) and needs nothing but the spill: what a cluster's workers, writing a shard each, use.
  `SpillDocuments` takes metadata from the whole documents table.
- `RegroupedTexts` and `RegroupedDocuments` copy the texts and the metadata once, in one pass over
  the chunks, into `Runs`: files of consecutive positions, each read when the writer reaches it.
  Linear, for one machine, and only a run or two in memory (the metadata of a million documents
  is 350 MB). Runs are zstd-compressed like the spill: written once, read once.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from contextlib import AbstractContextManager
from pathlib import Path

import numpy as np
import pyarrow as pa

from ..tables import DOCUMENT_SPILL
from .chunk import COMPRESSED
from .spill import Spill, inverse

WINDOW_BYTES = 16 * 1024 * 1024  # 64 MB windows were a fifth of a 10,000-document build's peak memory
MAX_RUNS = 512  # files open at once while regrouping; beyond it, runs grow instead


class _Forward:
    """Rows of positions lo..hi served from the last range fetched; a new range is fetched (and
    the old one let go first) only when asked outside it. For readers that move forward."""

    def __init__(self) -> None:
        self._lo = self._hi = 0
        self._held: pa.Array | pa.Table | None = None

    def _range(self, lo: int, hi: int) -> tuple[int, pa.Array | pa.Table]:
        """(first position held, rows held), holding positions lo..hi."""
        if self._held is None or not self._lo <= lo <= hi <= self._hi:
            self._held = None
            self._lo, self._hi, self._held = self._fetch(lo, hi)
        return self._lo, self._held

    def _fetch(self, lo: int, hi: int) -> tuple[int, int, pa.Array | pa.Table]:
        """Rows of positions start..stop, a range holding lo..hi."""
        raise NotImplementedError

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_held": None, "_lo": 0, "_hi": 0}


class _ForwardTexts(_Forward):
    def __call__(self, lo: int, hi: int) -> pa.Array:
        if hi == lo:
            return pa.array([], pa.large_string())
        start, texts = self._range(lo, hi)
        return texts.slice(lo - start, hi - lo)


class TextWindow(_ForwardTexts):
    """Texts read straight from the chunk files, about `window_bytes` from the first position asked.
    Holds the lengths as int32 (a paragraph's text is under 2 GB: the spill counts it in an int32),
    summed only over the positions a window may reach: 4 bytes a paragraph while writing, not 16."""

    def __init__(self, spill: Spill, rows: np.ndarray, lengths: np.ndarray, window_bytes: int | None = None) -> None:
        super().__init__()
        self._spill, self._rows, self._bytes = spill, rows, window_bytes or WINDOW_BYTES
        self._lengths = np.asarray(lengths, dtype=np.int32)

    def _fetch(self, lo: int, hi: int) -> tuple[int, int, pa.Array]:
        stop, reach = hi, 1 << 16
        while stop < len(self._lengths):  # the first position past `window_bytes` from `lo`
            ends = np.cumsum(self._lengths[lo : lo + reach], dtype=np.int64)
            if ends[-1] > self._bytes or lo + reach >= len(self._lengths):
                stop = max(hi, lo + int(np.searchsorted(ends, self._bytes, side="right")))
                break
            reach *= 4
        return lo, stop, self._spill.take("text", self._rows[lo:stop])


class RegroupedTexts(_ForwardTexts):
    """Texts copied into `folder` as runs of consecutive positions of about `run_bytes` each."""

    def __init__(self, spill: Spill, rows: np.ndarray, lengths: np.ndarray, folder: Path, run_bytes: int) -> None:
        super().__init__()
        before = np.cumsum(lengths, dtype=np.int64)
        before -= lengths
        total = int(before[-1] + lengths[-1]) if len(lengths) else 0
        run_bytes = max(run_bytes, -(-total // MAX_RUNS), 1)
        tables = ((spill.chunk_start(c), spill.text_chunk(c)) for c in range(spill.chunks))
        self._runs = Runs(folder, (before // run_bytes).astype(np.int32), inverse(rows, rows.dtype), tables, ["text"])

    def _fetch(self, lo: int, hi: int) -> tuple[int, int, pa.Array]:
        start, stop, table = self._runs.read(lo, hi)
        return start, stop, table.column("text").combine_chunks()


class SpillDocuments:
    """The documents' metadata for ascending ranks, taken from the spill's documents table."""

    def __init__(self, spill: Spill, doc_rows: np.ndarray) -> None:
        self._spill, self._doc_rows = spill, doc_rows

    def __call__(self, ranks: np.ndarray) -> pa.Table:
        return self._spill.documents.take(pa.array(self._doc_rows[ranks], pa.int64()))


class RegroupedDocuments(_Forward):
    """The documents' metadata (the spill's documents files) copied into `folder` in id order, as
    runs of `run_rows` documents; `documents(ranks)` for ascending ranks that move forward."""

    def __init__(self, spill: Spill, doc_rows: np.ndarray, folder: Path, run_rows: int) -> None:
        super().__init__()
        run = (np.arange(len(doc_rows)) // max(run_rows, -(-len(doc_rows) // MAX_RUNS), 1)).astype(np.int32)
        self._runs = Runs(folder, run, inverse(doc_rows), spill.document_chunks(), [f.name for f in DOCUMENT_SPILL])

    def __call__(self, ranks: np.ndarray) -> pa.Table:
        start, table = self._range(int(ranks[0]), int(ranks[-1]) + 1)
        return table.take(pa.array(ranks - start, pa.int64()))

    def _fetch(self, lo: int, hi: int) -> tuple[int, int, pa.Table]:
        return self._runs.read(lo, hi)


class Runs:
    """Rows of chunked tables copied, in one pass over the chunks, into one file per run of
    consecutive positions; `read(lo, hi)` gives the runs holding positions lo..hi in position order.

    `run[p]` is the run of position p (ascending); `position[i]` the position of the i-th source row,
    the sources' rows numbered across `tables`: (first row number, a context manager giving a table).
    """

    def __init__(
        self,
        folder: Path,
        run: np.ndarray,
        position: np.ndarray,
        tables: Iterable[tuple[int, AbstractContextManager[pa.Table]]],
        columns: list[str],
    ) -> None:
        runs = int(run[-1]) + 1 if len(run) else 0
        self._bounds = np.searchsorted(run, np.arange(runs + 1))  # positions of each run
        self._run = run
        self._folder = folder
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        _regroup(tables, position, run, runs, folder, columns)

    def read(self, lo: int, hi: int) -> tuple[int, int, pa.Table]:
        first, last = int(self._run[lo]), int(self._run[hi - 1])
        parts = [self._read(r) for r in range(first, last + 1)]
        table = parts[0] if len(parts) == 1 else pa.concat_tables(parts)
        return int(self._bounds[first]), int(self._bounds[last + 1]), table

    def _read(self, r: int) -> pa.Table:
        """Run `r`'s rows in position order (it holds a piece from each chunk, in chunk order)."""
        with pa.memory_map(str(self._folder / _run_name(r)), "r") as source:
            table = pa.ipc.open_stream(source).read_all()
            where = table.column("position").to_numpy() - self._bounds[r]
            return table.drop_columns(["position"]).take(pa.array(inverse(where))).combine_chunks()


def _run_name(r: int) -> str:
    return f"run-{r:05d}.arrow"


def _regroup(
    tables: Iterable[tuple[int, AbstractContextManager[pa.Table]]],
    position: np.ndarray,
    run: np.ndarray,
    runs: int,
    folder: Path,
    columns: list[str],
) -> None:
    """One pass over the chunks, each chunk's rows split by run and appended to the run's file."""
    writers: list[pa.ipc.RecordBatchStreamWriter] = []
    schema: pa.Schema | None = None
    try:
        for start, opened in tables:
            with opened as table:
                if schema is None:
                    schema = pa.schema([pa.field("position", pa.int64()), *(table.schema.field(c) for c in columns)])
                    writers = [
                        pa.ipc.new_stream(str(folder / _run_name(r)), schema, options=COMPRESSED) for r in range(runs)
                    ]
                mine = position[start : start + table.num_rows]
                by_run = np.argsort(run[mine], kind="stable")
                rows = (
                    pa.RecordBatch.from_struct_array(
                        table.select(columns).take(pa.array(by_run)).to_struct_array().combine_chunks()
                    )
                    if table.num_rows
                    else None
                )
            mine = mine[by_run]
            cuts = np.flatnonzero(np.diff(run[mine])) + 1
            for lo, hi in zip(np.concatenate([[0], cuts]), np.concatenate([cuts, [len(mine)]]), strict=True):
                if hi > lo:
                    piece = rows.slice(lo, hi - lo)
                    batch = pa.record_batch([pa.array(mine[lo:hi], pa.int64()), *piece.columns], schema=schema)
                    writers[int(run[mine[lo]])].write_batch(batch)
    finally:
        for writer in writers:
            writer.close()

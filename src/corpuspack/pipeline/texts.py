"""Paragraph texts by global position, for the writer: `texts(lo, hi)` with ranges that move forward.

Documents are spread over every chunk file, so the texts of one row group come from nearly every
chunk. Reading them row group by row group maps every chunk once per row group: chunks x row
groups, quadratic in the corpus (440 of a 1M build's 1,240 seconds). Two ways out:

- `TextWindow` reads a window of about `WINDOW_BYTES` of text at once (one mapping of each chunk
  per window) and needs nothing but the spill: what a cluster's workers, writing a shard each, use.
- `RegroupedTexts` copies the texts once, in one pass over the chunks, into files of consecutive
  positions, then reads each file when the writer reaches it: linear, for one machine.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa

from .spill import Spill

WINDOW_BYTES = 64 * 1024 * 1024
RUN_BYTES = 8 * 1024 * 1024
MAX_RUNS = 512  # files open at once while regrouping; beyond it, runs grow instead


class _ForwardTexts:
    """Serves `texts(lo, hi)` from the last range fetched, fetching a new one when asked outside it."""

    def __init__(self) -> None:
        self._lo = self._hi = 0
        self._texts: pa.Array | None = None

    def __call__(self, lo: int, hi: int) -> pa.Array:
        if hi == lo:
            return pa.array([], pa.large_string())
        if self._texts is None or not self._lo <= lo <= hi <= self._hi:
            self._texts = None  # the old range goes before the new one comes
            self._lo, self._hi, self._texts = self._fetch(lo, hi)
        return self._texts.slice(lo - self._lo, hi - lo)

    def _fetch(self, lo: int, hi: int) -> tuple[int, int, pa.Array]:
        """Texts of positions start..stop, a range holding lo..hi."""
        raise NotImplementedError

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_texts": None, "_lo": 0, "_hi": 0}


class TextWindow(_ForwardTexts):
    """Texts read straight from the chunk files, about `window_bytes` from the first position asked."""

    def __init__(self, spill: Spill, rows: np.ndarray, lengths: np.ndarray, window_bytes: int | None = None) -> None:
        super().__init__()
        self._spill, self._rows, self._bytes = spill, rows, window_bytes or WINDOW_BYTES
        self._lengths = lengths
        self._ends: np.ndarray | None = None  # made when first needed: an engine may regroup instead

    def _fetch(self, lo: int, hi: int) -> tuple[int, int, pa.Array]:
        if self._ends is None:
            self._ends = np.cumsum(self._lengths, dtype=np.int64)
        start = int(self._ends[lo - 1]) if lo > 0 else 0
        stop = max(hi, int(np.searchsorted(self._ends, start + self._bytes, side="right")))
        return lo, stop, self._spill.take("text", self._rows[lo:stop])


class RegroupedTexts(_ForwardTexts):
    """Texts copied into `folder` as runs of consecutive positions of about `run_bytes` each."""

    def __init__(
        self, spill: Spill, rows: np.ndarray, lengths: np.ndarray, folder: Path, run_bytes: int | None = None
    ) -> None:
        super().__init__()
        before = np.cumsum(lengths, dtype=np.int64) - lengths
        total = int(before[-1] + lengths[-1]) if len(lengths) else 0
        run_bytes = max(run_bytes or RUN_BYTES, -(-total // MAX_RUNS), 1)
        run = (before // run_bytes).astype(np.int32)
        runs = int(run[-1]) + 1 if len(run) else 0
        self._bounds = np.searchsorted(run, np.arange(runs + 1))  # positions of each run
        self._run = run
        self._folder = folder
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        _regroup(spill, rows, run, runs, folder)

    def _fetch(self, lo: int, hi: int) -> tuple[int, int, pa.Array]:
        first, last = int(self._run[lo]), int(self._run[hi - 1])
        parts = [self._read(r) for r in range(first, last + 1)]
        texts = parts[0] if len(parts) == 1 else pa.concat_arrays(parts)
        return int(self._bounds[first]), int(self._bounds[last + 1]), texts

    def _read(self, r: int) -> pa.Array:
        """Run `r`'s texts in position order (it holds a piece from each chunk, in chunk order)."""
        with pa.memory_map(str(self._folder / _run_name(r)), "r") as source:
            table = pa.ipc.open_stream(source).read_all()
            where = table.column("position").to_numpy() - self._bounds[r]
            order = np.empty(len(where), dtype=np.int64)
            order[where] = np.arange(len(where))
            return table.column("text").take(pa.array(order)).combine_chunks()


_RUN_SCHEMA = pa.schema([pa.field("position", pa.int64()), pa.field("text", pa.large_string())])


def _run_name(r: int) -> str:
    return f"texts-{r:05d}.arrow"


def _regroup(spill: Spill, rows: np.ndarray, run: np.ndarray, runs: int, folder: Path) -> None:
    """One pass over the chunks, each chunk's texts split by run and appended to the run's file."""
    position = np.empty(len(rows), dtype=np.int64)
    position[rows] = np.arange(len(rows), dtype=np.int64)
    writers = [pa.ipc.new_stream(str(folder / _run_name(r)), _RUN_SCHEMA) for r in range(runs)]
    try:
        for c in range(spill.chunks):
            start = spill.chunk_start(c)
            with spill.chunk(c) as table:
                mine = position[start : start + table.num_rows]
                by_run = np.argsort(run[mine], kind="stable")
                texts = table.column("text").take(pa.array(by_run)).combine_chunks()
            mine = mine[by_run]
            cuts = np.flatnonzero(np.diff(run[mine])) + 1
            for lo, hi in zip(np.concatenate([[0], cuts]), np.concatenate([cuts, [len(mine)]]), strict=True):
                if hi > lo:
                    batch = pa.record_batch([pa.array(mine[lo:hi]), texts.slice(lo, hi - lo)], schema=_RUN_SCHEMA)
                    writers[int(run[mine[lo]])].write_batch(batch)
    finally:
        for writer in writers:
            writer.close()

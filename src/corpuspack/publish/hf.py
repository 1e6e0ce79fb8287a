"""Hugging Face `datasets` artifacts: the folder `Dataset.save_to_disk` writes, written as rows stream by.

`save_to_disk` needs the whole table as one memory-mapped Arrow file; writing its format here keeps
the write stage streaming and spares the build importing `datasets`. The format (datasets 5):
- `data-XXXXX-of-NNNNN.arrow`: Arrow IPC streams. Rows are cut into NNNNN contiguous shards of
  (almost) equal row counts, each written as record batches of `writer_batch_size` rows: 1000,
  fewer when rows average over 100 kB. The schema carries the features as `huggingface` metadata.
- `dataset_info.json` (the features) and `state.json` (shard names and the fingerprint).
From output format 4 (`formats`) the files are cut where the table's Parquet shards are, and a
batch also ends at each of the shard's row groups (so no rewrite: a row group is at most 8 MB), so a
file's bytes depend on its shard's rows alone; `load_from_disk` reads any cut.
`tests/test_hf.py` compares every byte with what `save_to_disk` itself writes. Datasets 2.19 to 3.6
wrote the same bytes but for a list's feature, `Sequence` where 4 and later write `List`; output
format 2 writes `Sequence`, which every version reads (datasets before 4.0 know no `List`).
"""

from __future__ import annotations

import bisect
import json
import shutil
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

import pyarrow as pa

from ..staging import fresh_folder
from .checksums import Written, written
from .hf_layout import MAX_BATCH_ROWS, batch_rows, features, hf_schema, shard_bounds, shard_name


class HFWriter:
    """Receives a table's rows in order, as record batches, and writes its `save_to_disk` folder.

    The batch size depends on the table's total Arrow size, known only at the end. Batches of 1000
    rows are written as the rows come; in the rare table whose rows average over 100 kB, `close`
    writes the files again with smaller batches from `replay`, the same batches once more.
    """

    def __init__(
        self,
        folder: Path,
        schema: pa.Schema,
        rows: int,
        shards: int,
        rows_per_batch: int = MAX_BATCH_ROWS,
        list_type: str = "List",
        groups: list[list[int]] | None = None,
        lo: int = 0,
    ):
        """`groups`: the Parquet shards' row-group boundaries, to cut the files with (format 4);
        None cuts `shards` files of equal row counts, as `save_to_disk`."""
        self.folder, self.rows, self.shards = folder, rows, max(shards, 1)
        self.list_type = list_type
        self.schema = hf_schema(schema, list_type)
        self.rows_per_batch = rows_per_batch
        self.nbytes = 0  # what `datasets` would measure (the batches read back from a file); without `groups` only
        self.with_groups = groups is not None
        self._bounds = shard_bounds(rows, self.shards) if groups is None else [g[0] for g in groups] + [rows]
        # Where a batch must end: each file's end, and with `groups` each row group's.
        self._stops = self._bounds if groups is None else sorted({c for g in groups for c in g})
        shard = bisect.bisect_right(self._bounds, lo) - 1 if lo else 0
        self._shard = shard - 1
        self._position = lo
        # Given rows from `lo` on (`publish.split`), the batch gathering when `lo` comes is the rows
        # before it's: counted, not written.
        self._pending: list[pa.RecordBatch] = []
        self._pending_rows = (lo - self._stops[bisect.bisect_right(self._stops, lo) - 1]) % rows_per_batch
        self._skip = self._pending_rows > 0
        self._row = self.batch_start(lo)  # first row of the next batch written
        self._first = -1  # first row of the open file
        self._entered = False  # in a shard: the rows given next go to `self._shard`
        self._file: pa.NativeFile | None = None
        self._writer: pa.ipc.RecordBatchStreamWriter | None = None
        self.written: list[Written] = []  # facts of every whole shard file written, once closed
        folder.mkdir(parents=True, exist_ok=True)

    def shard_file(self, shard: int, first: int) -> Path:
        """Where the batches of `shard` from row `first` on go: its file (a hook: `publish.split`
        puts those that begin after a shard's first row into a piece file)."""
        return self.path(shard)

    def batch_start(self, row: int) -> int:
        """The first batch boundary at or after `row`."""
        if row >= self.rows:
            return self.rows
        at = bisect.bisect_right(self._stops, row) - 1
        start, size = self._stops[at], self.rows_per_batch
        return min(start + -(-(row - start) // size) * size, self._stops[at + 1])

    def shard_rows(self, shard: int) -> int:
        return self._bounds[shard + 1] - self._bounds[shard]

    def path(self, shard: int) -> Path:
        return self.folder / shard_name(shard, self.shards)

    def __call__(self, batch: pa.RecordBatch) -> None:
        if self._position + batch.num_rows > self.rows:
            raise ValueError(
                f"{self.folder}: rows {self._position} to {self._position + batch.num_rows} given, {self.rows} planned"
            )
        # `save_to_disk` slices the batches as read back from a file; their buffers, so the bytes
        # written, can differ from the batch in memory (a bitmap of a column without nulls, say).
        # Files cut with the shards are written from fresh arrays (`_joined`), and their batch size
        # never depends on `nbytes`: no copy read back for them.
        if not self.with_groups:
            batch = read_back(batch)
            self.nbytes += batch.nbytes
        batch = pa.RecordBatch.from_arrays(batch.columns, schema=self.schema)
        start, size = 0, self.rows_per_batch
        while start < batch.num_rows:
            if not self._entered or self._position == self._bounds[self._shard + 1]:
                self._next_shard()
            end = self._stops[bisect.bisect_right(self._stops, self._position)]
            rows = batch.slice(start, min(batch.num_rows - start, end - self._position))
            # As `datasets.table.table_iter` over the shard: its chunks, cut into pieces of at most
            # `size` rows from each chunk's start, gathered into batches of `size` rows.
            for piece in (rows.slice(at, size) for at in range(0, rows.num_rows, size)):
                self._gather(piece)
            self._position += rows.num_rows
            start += rows.num_rows
            if self._position == end:
                self._flush()

    def _gather(self, piece: pa.RecordBatch) -> None:
        room = self.rows_per_batch - self._pending_rows
        if piece.num_rows < room:
            self._pending.append(piece)
            self._pending_rows += piece.num_rows
            return
        self._pending.append(piece.slice(0, room))
        self._pending_rows += room
        self._flush()
        if piece.num_rows > room:
            self._pending, self._pending_rows = [piece.slice(room)], piece.num_rows - room

    def close(self, content: str, replay: Callable[[], Iterable[pa.RecordBatch]]) -> None:
        """Finish the shards and write the two JSON files. `save_to_disk` records a random
        fingerprint; ours is the start of `content`, the table's Parquet shards' `content_sha256`."""
        self._finish()
        self.describe(content, replay)

    def describe(self, content: str, replay: Callable[[], Iterable[pa.RecordBatch]]) -> None:
        """Once every shard is written (with `nbytes` of all rows): the shards again with smaller
        batches if the rows are that large, and the two JSON files."""
        wanted = batch_rows(self.rows, self.nbytes)
        if wanted < self.rows_per_batch and not self.with_groups:
            self._rewrite(wanted, replay())
        files = [{"filename": shard_name(i, self.shards)} for i in range(self.shards)]
        state = {
            "_data_files": files,
            "_fingerprint": content[:16],
            "_format_columns": None,
            "_format_kwargs": {},
            "_format_type": None,
            "_output_all_columns": False,
            "_split": None,
        }
        info = {
            "citation": "",
            "description": "",
            "features": features(self.schema, self.list_type),
            "homepage": "",
            "license": "",
        }
        bodies = {
            "state.json": json.dumps(state, indent=2, sort_keys=True),
            "dataset_info.json": json.dumps(info, indent=2),
        }
        for name, body in bodies.items():
            (self.folder / name).write_text(body, encoding="utf-8")
            self.written.append(written(self.folder / name))

    def _finish(self) -> None:
        if self._position != self.rows:
            raise ValueError(f"{self.folder}: {self._position} rows written, {self.rows} expected")
        while self._shard + 1 < self.shards:  # a shard without rows still gets its file
            self._next_shard()
        self._close_shard()

    def _next_shard(self) -> None:
        self._close_shard()
        self._shard += 1
        self._entered = True

    def _flush(self) -> None:
        if self._pending_rows and self._skip:
            self._skip = False
        elif self._pending_rows:
            if self._writer is None:
                self._open(self._row)
            self._writer.write_table(self._joined(), max_chunksize=self.rows_per_batch)
            self._row += self._pending_rows
        self._pending, self._pending_rows = [], 0

    def _joined(self) -> pa.Table:
        """The pending pieces as one batch. Cut with the shards, always copied: a batch's buffers
        then hold its values alone, whether they were made or read from a kept file (an Arrow
        stream writes a buffer whole, its unused tail too)."""
        table = pa.Table.from_batches(self._pending, self.schema)
        if not self.with_groups:
            return table.combine_chunks()
        return pa.Table.from_arrays([pa.concat_arrays(c.chunks) for c in table.columns], schema=self.schema)

    def _open(self, first: int) -> None:
        self._first = first
        self._file = pa.OSFile(str(self.shard_file(self._shard, first)), "wb")
        self._writer = pa.ipc.new_stream(self._file, self.schema)

    def _close_shard(self) -> None:
        if not self._entered:
            return
        self._flush()
        lo, hi = self._bounds[self._shard], self._bounds[self._shard + 1]
        if self._writer is None:
            if hi > lo:  # none of its rows were given here
                return
            self._open(lo)  # a shard without rows still gets its file
        self._writer.close()
        self._file.close()
        self._writer = self._file = None
        if self._first == lo and self._row == hi:  # the whole shard (else its pieces are joined later)
            self.written.append(written(self.path(self._shard), hi - lo))

    def _rewrite(self, rows_per_batch: int, batches: Iterable[pa.RecordBatch]) -> None:
        """Write the shards again with smaller batches (into a sibling folder, then moved over)."""
        again = fresh_folder(self.folder.parent, f".{self.folder.name}.rewrite-")
        writer = HFWriter(again, self.schema, self.rows, self.shards, rows_per_batch, self.list_type)
        for batch in batches:
            writer(batch)
        writer._finish()
        for i in range(self.shards):
            (again / shard_name(i, self.shards)).replace(self.folder / shard_name(i, self.shards))
        shutil.rmtree(again)
        self.written = [replace(w, path=self.folder / w.path.name) for w in writer.written]


def read_back(batch: pa.RecordBatch) -> pa.RecordBatch:
    """`batch` written to an Arrow stream and read again (`serialize` aligns buffers differently)."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, batch.schema) as writer:
        writer.write_batch(batch)
    return pa.ipc.open_stream(sink.getvalue()).read_next_batch()

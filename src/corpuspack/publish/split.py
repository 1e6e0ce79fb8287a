"""The published tables written by several processes at once, each a run of Parquet shards, with the
same bytes as one writer (`publish.writer.write_table`).

A run writes its shards and the `save_to_disk` batches of about the same rows: a Hugging Face shard
is cut into batches of `MAX_BATCH_ROWS` rows counted from its first row (`publish.hf`), and a run
writes the batches that start within its rows, making the few rows past its end the last one
needs. Where a Hugging Face shard spans two runs, the later run's batches go to a piece file that
`join` appends to the shard (an Arrow stream's batches do not depend on where they stand in it).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from .checksums import Written, written
from .hf import HFWriter
from .hf_layout import MAX_BATCH_ROWS, content_sha256
from .hf_layout import shard_name as _name
from .parquet import write_shard
from .writer import Advance, Batch, Kept, TablePlan, kept_or_written

EOS = b"\xff\xff\xff\xff\x00\x00\x00\x00"  # an Arrow stream's end
PREFIX = "pieces-"  # a fresh folder of the work folder's (`staging.fresh_folder`)
# CPU per byte of a table's rows against a paragraph row's (a document's text is joined, hashed,
# and its Parquet column written with statistics of long strings): measured, for balance only.
WEIGHT: dict[str, float] = {"documents": 1.6, "paragraphs": 1.0}
TAKEN = 0.5  # a kept shard's cost against a written one's (copied and compared, not encoded): for balance only


@dataclass(frozen=True)
class Run:
    """Shards `first` to `end` (excluded) of one table."""

    plan: TablePlan
    first: int
    end: int

    @property
    def whole(self) -> bool:
        """The whole table: written as one writer does."""
        return self.first == 0 and self.end == self.plan.shards

    @property
    def lo(self) -> int:
        return self.plan.groups[self.first][0]

    @property
    def hi(self) -> int:
        return self.plan.groups[self.end - 1][-1]


@dataclass(frozen=True)
class Done:
    """What a run wrote: the facts of its whole files, and the Arrow bytes of its rows (`HFWriter.nbytes`)."""

    table: str
    written: list[Written]
    nbytes: int


def runs(plans: list[TablePlan], costs: list[np.ndarray], workers: int) -> list[list[Run]]:
    """The shards of every table, in order, cut into at most `workers` lists of runs of about equal
    cost (`costs`: each table's cost per shard). A table is cut only between shards of at least a
    batch of rows and when every Hugging Face shard holds one (`divisible`)."""
    flat = [(t, s, float(c)) for t, cost in enumerate(costs) for s, c in enumerate(cost)]
    total = sum(c for _, _, c in flat)
    cuts, spent, last = [], 0.0, (-1, 0)  # last: the table and first row of the latest cut
    for at, (t, s, c) in enumerate(flat):
        share = total * (len(cuts) + 1) / workers
        if len(cuts) + 1 < workers and at and spent >= share:
            row = plans[t].groups[s][0]
            if s == 0 or (divisible(plans[t], s) and (last[0] != t or row - last[1] >= MAX_BATCH_ROWS)):
                cuts.append(at)
                last = (t, row)
        spent += c
    out = []
    for lo, hi in zip([0, *cuts], [*cuts, len(flat)], strict=True):
        part: list[Run] = []
        for t, s, _ in flat[lo:hi]:
            if part and part[-1].plan is plans[t]:
                part[-1] = Run(plans[t], part[-1].first, s + 1)
            else:
                part.append(Run(plans[t], s, s + 1))
        out.append(part)
    return out


def divisible(plan: TablePlan, shard: int) -> bool:
    """Whether `plan` may be cut before `shard`: every Hugging Face shard and both sides of the cut
    hold at least a batch of rows."""
    at = plan.groups[shard][0]
    return plan.rows >= plan.shards * MAX_BATCH_ROWS and MAX_BATCH_ROWS <= at <= plan.rows - MAX_BATCH_ROWS


def write_run(run: Run, out: Path, pieces: Path, batch: Batch, advance: Advance, kept: Kept | None = None) -> Done:
    """The run's Parquet shards (with `kept`, each taken from the work folder or written,
    `writer.kept_or_written`) and its `save_to_disk` batches (`_Piece`)."""
    plan = run.plan
    hf = plan.hf_writer(out, run.lo, _Piece, hi=run.hi, pieces=pieces / plan.table)

    def also(rows: pa.RecordBatch) -> None:
        hf(rows)
        advance(rows.num_rows)

    files = []
    for index in range(run.first, run.end):
        path = plan.shard_path(out, index)
        path.parent.mkdir(parents=True, exist_ok=True)
        if kept is None:
            files.append(written(path, write_shard(path, plan.parquet_schema, plan.groups[index], batch, also)))
        else:  # the tables' content digest is made by `join`, from the files
            files.append(kept_or_written(plan, index, out, batch, also, kept, None)[0])
    hf.finish(batch)
    return Done(plan.table, files + hf.written, hf.nbytes)


def join(plan: TablePlan, out: Path, pieces: Path, done: list[Done], batch: Batch) -> list[Written]:
    """A table's files once every run is done: pieces appended to their shards, the JSON files."""
    mine = [d for d in done if d.table == plan.table]
    files = [w for d in mine for w in d.written]
    hf = plan.hf_writer(out)
    head = _schema_bytes(hf.schema)
    for shard, parts in _pieces(pieces / plan.table).items():
        path = hf.folder / _name(shard, plan.shards)
        _append(path, parts, head)
        files.append(written(path, hf.shard_rows(shard)))
    parquet = [w for w in files if w.path.suffix == ".parquet"]
    hf.written = [w for w in files if w.path.suffix != ".parquet"]
    hf.nbytes = sum(d.nbytes for d in mine)
    content = content_sha256([plan.shard_path(out, i) for i in range(plan.shards)])
    hf.describe(content, lambda: (batch(lo, hi) for cuts in plan.groups for lo, hi in pairwise(cuts) if hi > lo))
    return parquet + hf.written


class _Piece(HFWriter):
    """`HFWriter` of a run's rows `lo` to `hi`: it writes the batches starting at `lo` or after
    (those before are its neighbour's) and ends the last with the rows the next run begins with.
    A shard's file is written here from its first row; batches after a shard's start, into a
    piece file named by shard and first row (`join`)."""

    def __init__(self, *args: Any, hi: int, pieces: Path, **kwargs: Any) -> None:
        """`HFWriter`'s arguments (`TablePlan.hf_writer`), the end of the run's rows and the folder of piece files."""
        super().__init__(*args, **kwargs)
        self.pieces, self.hi, self.end = pieces, hi, self.batch_start(hi)

    def shard_file(self, shard: int, first: int) -> Path:
        if first == self._bounds[shard]:
            return super().shard_file(shard, first)
        self.pieces.mkdir(parents=True, exist_ok=True)
        return self.pieces / f"{shard:05d}-{first:012d}.arrow"

    def finish(self, batch: Batch) -> None:
        """After the run's rows: the next rows up to the end of the last batch (not counted in `nbytes`)."""
        if self.end > self.hi:
            nbytes = self.nbytes
            self(batch(self.hi, self.end))
            self.nbytes = nbytes
        if self._position != self.end:
            raise ValueError(f"{self.folder}: rows written up to {self._position}, {self.end} expected")
        self._close_shard()


def _pieces(folder: Path) -> dict[int, list[Path]]:
    """Piece files by shard, in row order (their names: shard, then first row, zero-padded)."""
    found: dict[int, list[Path]] = {}
    for path in sorted(folder.glob("*.arrow")) if folder.is_dir() else []:
        found.setdefault(int(path.name[:5]), []).append(path)
    return found


def _append(path: Path, parts: list[Path], head: bytes) -> None:
    """The batches of `parts` (streams of the same schema) moved to the end of the stream at `path`."""
    with path.open("r+b") as target:
        target.seek(-len(EOS), 2)
        if target.read() != EOS:
            raise ValueError(f"{path}: not a whole Arrow stream")
        target.seek(-len(EOS), 2)
        for part in parts:
            size = part.stat().st_size
            with part.open("rb") as source:
                if source.read(len(head)) != head:
                    raise ValueError(f"{part}: not a stream of {path.name}'s schema")
                left = size - len(head) - len(EOS)
                while left > 0:
                    block = source.read(min(left, 1 << 20))
                    target.write(block)
                    left -= len(block)
                if source.read() != EOS:
                    raise ValueError(f"{part}: not a whole Arrow stream")
            part.unlink()
        target.write(EOS)
        target.truncate()


def _schema_bytes(schema: pa.Schema) -> bytes:
    """The bytes an Arrow stream of `schema` starts with (its schema message)."""
    sink = pa.BufferOutputStream()
    pa.ipc.new_stream(sink, schema).close()
    whole = sink.getvalue().to_pybytes()
    return whole[: -len(EOS)]


def shard_costs(plan: TablePlan, sizes: np.ndarray, kept: Kept | None = None) -> np.ndarray:
    """What writing each shard costs: its rows' bytes, weighed by the table (`WEIGHT`), and by
    `TAKEN` for a shard the kept shards hold (`kept`: it is compared, not encoded)."""
    ends = np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)])
    cuts = np.array([g[0] for g in plan.groups] + [plan.rows], dtype=np.int64)
    costs = np.diff(ends[cuts]) * WEIGHT.get(plan.table, 1.0)
    if kept is not None:
        shelf, prints = kept
        costs[[shelf.holds(p) for p in prints]] *= TAKEN
    return costs


def remove(pieces: Path) -> None:
    shutil.rmtree(pieces, ignore_errors=True)

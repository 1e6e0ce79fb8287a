"""The one writer of a published table: its Parquet shards and, from the same row groups, its
`save_to_disk` folder. Engines only schedule these calls: all at once (`write_table`), or a shard per
task (`write_shard`) and the Hugging Face files joined from the shards' rows afterwards (`join_parts`)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pyarrow as pa

from .. import formats
from ..pipeline.assemble import TEXTS
from .checksums import Written, written
from .hf import HFWriter
from .hf_layout import content_sha256
from .kept import KeptShards, Taken
from .parquet import plan, shard_name, write_shards
from .parquet import write_shard as write_parquet_shard

Batch = Callable[..., pa.RecordBatch]  # rows lo..hi of the table: batch(lo, hi, given=None) (`Assembly.batch`)
Advance = Callable[[int], None]
W = TypeVar("W", bound=HFWriter)
Kept = tuple[KeptShards, list[str]]  # the work folder's kept shards of a table, and each shard's fingerprint


@dataclass(frozen=True)
class TablePlan:
    """One table's files: shards and their row groups, cut from the rows' sizes alone (so every
    engine and any number of workers writes the same bytes)."""

    table: str
    groups: list[list[int]]  # row-group boundaries of each shard
    rows: int
    output_format: int  # `publish.formats`

    @property
    def schema(self) -> pa.Schema:
        """The rows' schema (what `batch` gives, and the Hugging Face files hold)."""
        return formats.tables(self.output_format)[self.table]

    @property
    def parquet_schema(self) -> pa.Schema:
        return formats.parquet_schema(self.table, self.output_format)

    @property
    def list_type(self) -> str:
        return formats.hf_list_type(self.output_format)

    @property
    def shards(self) -> int:
        return len(self.groups)

    def shard_path(self, out: Path, index: int) -> Path:
        return out / self.table / shard_name(index, self.shards)

    def hf_folder(self, out: Path) -> Path:
        return out / "arrow" / self.table

    @property
    def hf_groups(self) -> list[list[int]] | None:
        """What the `arrow/` files are cut by (`hf.HFWriter`): the shards' row groups from format 4."""
        return self.groups if formats.arrow_cut_with_shards(self.output_format) else None

    def hf_writer(self, out: Path, lo: int = 0, kind: type[W] = HFWriter, **more: Any) -> W:
        """The writer of the table's `arrow/` folder in `out`, given its rows from `lo` on: an
        `HFWriter`, or the subclass `kind` (given `more` of its own arguments)."""
        return kind(
            self.hf_folder(out),
            self.schema,
            self.rows,
            self.shards,
            list_type=self.list_type,
            groups=self.hf_groups,
            lo=lo,
            **more,
        )

    def shard_rows(self, index: int) -> int:
        cuts = self.groups[index]
        return cuts[-1] - cuts[0]


def plan_table(table: str, sizes: np.ndarray, shard_bytes: int, output_format: int) -> TablePlan:
    return TablePlan(table, plan(sizes, shard_bytes)[1], len(sizes), output_format)


def write_table(plan_: TablePlan, out: Path, batch: Batch, advance: Advance, kept: Kept | None = None) -> list[Written]:
    """Every shard in turn, each row group also fed to the Hugging Face writer; the facts of every file.
    With `kept` (the work folder's `KeptShards` and each shard's fingerprint), a shard the last build
    wrote with the same rows is taken from there instead of encoding and compressing it again."""
    hf = plan_.hf_writer(out)

    def also(rows: pa.RecordBatch) -> None:
        hf(rows)
        advance(rows.num_rows)

    if kept is None:
        shards, content = write_shards(out / plan_.table, plan_.parquet_schema, plan_.groups, batch, also)
    else:
        shards, content = _reusing(plan_, out, batch, also, *kept)
    hf.close(content, lambda: (batch(lo, hi) for cuts in plan_.groups for lo, hi in pairwise(cuts) if hi > lo))
    return shards + hf.written


def _reusing(
    plan_: TablePlan,
    out: Path,
    batch: Batch,
    also: Callable[[pa.RecordBatch], None],
    shelf: KeptShards,
    prints: list[str],
) -> tuple[list[Written], str]:
    """`write_shards`, each shard taken from `shelf` or written (`kept_or_written`)."""
    (out / plan_.table).mkdir(parents=True, exist_ok=True)
    whole, shards = hashlib.sha256(), []
    for index in range(plan_.shards):
        done, whole = kept_or_written(plan_, index, out, batch, also, (shelf, prints), whole)
        shards.append(done)
    shelf.forget_except(prints)
    return shards, whole.hexdigest()


def kept_or_written(
    plan_: TablePlan,
    index: int,
    out: Path,
    batch: Batch,
    also: Callable[[pa.RecordBatch], None],
    kept: Kept,
    whole: Any,
) -> tuple[Written, Any]:
    """Shard `index`, taken from the kept shards when they hold it with the rows the build makes,
    else written and a copy kept; its facts, and the digest `whole` fed its bytes (a new object
    when the shard is taken; None: no digest). Its rows go to `also` either way: the `arrow/`
    files are written from them, never taken (the rows are made anyway, to compare a taken
    shard's, and writing them costs no more than copying a kept file would)."""
    shelf, prints = kept
    path, cuts = plan_.shard_path(out, index), plan_.groups[index]
    taken = shelf.reuse(prints[index], path, cuts, plan_.parquet_schema, whole)
    if taken is not None:
        if _feed_taken(taken, cuts, TEXTS[plan_.table], batch, also):
            return taken.done, taken.whole  # the kept copy stays as it is
        path.unlink()  # its rows went to `also` as the build makes them: the shard alone is written
        done = written(path, write_parquet_shard(path, plan_.parquet_schema, cuts, batch), *_digest(whole))
    else:
        done = written(path, write_parquet_shard(path, plan_.parquet_schema, cuts, batch, also), *_digest(whole))
    shelf.keep(prints[index], done)
    return done, whole


def _digest(whole: Any) -> list[Any]:
    return [] if whole is None else [whole]


def _feed_taken(
    taken: Taken, cuts: list[int], texts: tuple[str, ...], batch: Batch, also: Callable[[pa.RecordBatch], None]
) -> bool:
    """Feed `also` the rows of a taken shard, row group by row group; whether the file holds them.

    The columns made from the paragraphs' texts (`texts`: what making rows costs) are taken from
    the file as they are, trusted as the spill's texts are once the file's size and sha256 are
    the recorded ones (and holding no null, as a made one never does); every other column is made
    and must read back equal to the file's. From a row group that does not, the rows are made whole."""
    same = True
    try:
        for group, (lo, hi) in enumerate((lo, hi) for lo, hi in pairwise(cuts) if hi > lo):
            kept = taken.rows(group) if same else None
            given = {} if kept is None else {name: _array(kept.column(name)) for name in texts}
            rows = batch(lo, hi, given) if given and not any(c.null_count for c in given.values()) else None
            if rows is None or not kept.equals(pa.Table.from_batches([rows])):
                same = False
                rows = batch(lo, hi)
            also(rows)
    finally:
        taken.close()
    return same


def _array(column: pa.ChunkedArray) -> pa.Array:
    """The column as one array: its chunk when it has one (`combine_chunks` would copy it)."""
    return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()


def write_shard(plan_: TablePlan, index: int, out: Path, batch: Batch, part: Path) -> Written:
    """Shard `index` alone, and its rows as the Arrow stream `part` for `join_parts`."""
    path = plan_.shard_path(out, index)
    path.parent.mkdir(parents=True, exist_ok=True)
    with pa.OSFile(str(part), "wb") as sink, pa.ipc.new_stream(sink, plan_.schema) as stream:
        rows = write_parquet_shard(path, plan_.parquet_schema, plan_.groups[index], batch, also=stream.write_batch)
    return written(path, rows)


def join_parts(plan_: TablePlan, out: Path, parts: list[Path]) -> list[Written]:
    """Once every shard is written: their Arrow parts, in order (the batches `write_table` would have
    fed), streamed into the Hugging Face files; the parts are removed."""

    def batches() -> Iterator[pa.RecordBatch]:
        for part in parts:
            with pa.OSFile(str(part)) as source:
                yield from pa.ipc.open_stream(source)

    hf = plan_.hf_writer(out)
    for rows in batches():
        hf(rows)
    hf.close(content_sha256([plan_.shard_path(out, i) for i in range(plan_.shards)]), batches)
    for part in parts:
        part.unlink()
    return hf.written

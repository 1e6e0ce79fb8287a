"""The one canonical Parquet writer: fixed shards and row groups decided by the data alone."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from .checksums import Written, written

ROW_GROUP_BYTES = 8 * 1024 * 1024
ROW_GROUP_ROWS = 100_000
CODEC = "zstd"
OPTIONS = {
    "compression": CODEC,
    "compression_level": 1,
    "write_page_index": True,
    "write_statistics": True,
    "store_schema": True,
}

T = TypeVar("T")


def shard_name(index: int, count: int) -> str:
    return f"train-{index:05d}-of-{count:05d}.parquet"


def plan(sizes: np.ndarray, shard_bytes: int) -> tuple[list[int], list[list[int]]]:
    """Cut rows into shards of about `shard_bytes` and those into row groups.

    Returns (first row of each shard + total, row-group boundaries per shard). Depends only on the
    row sizes, so any engine and any number of workers writes the same files.
    """
    shard_cuts = _cuts(sizes, 0, len(sizes), shard_bytes, len(sizes) or 1)
    groups = [_cuts(sizes, lo, hi, ROW_GROUP_BYTES, ROW_GROUP_ROWS) for lo, hi in pairwise(shard_cuts)]
    return shard_cuts, groups


def _cuts(sizes: np.ndarray, lo: int, hi: int, max_bytes: int, max_rows: int) -> list[int]:
    """Greedy cuts of rows lo..hi: a group ends before the row that would take it over `max_bytes`
    or `max_rows` (a group holds at least one row). One binary search per group, not a loop per row."""
    ends = np.cumsum(sizes[lo:hi], dtype=np.int64)  # ends[k]: bytes of rows lo..lo+k
    cuts = [lo]
    while cuts[-1] < hi:
        start = cuts[-1] - lo
        before = int(ends[start - 1]) if start > 0 else 0
        # first k > start with bytes of rows start..k above max_bytes
        over = int(np.searchsorted(ends, before + max_bytes, side="right"))
        cuts.append(lo + min(max(over, start + 1), start + max_rows, hi - lo))
    if hi == lo:
        cuts.append(hi)
    return cuts


def write_shards(
    folder: Path,
    schema: pa.Schema,
    groups: list[list[int]],
    batch: Callable[[int, int], pa.RecordBatch],
    also: Callable[[pa.RecordBatch], None] | None = None,
) -> tuple[list[Written], str]:
    """Write the shards `plan` cut (row-group boundaries per shard); `batch(lo, hi)` builds the rows
    of one row group, which `also` receives too (to write another format from the same rows).

    Returns each shard's facts and the sha256 of all shards' bytes in order (`hf_layout.content_sha256`).
    """
    folder.mkdir(parents=True, exist_ok=True)
    whole = hashlib.sha256()
    shards = []
    for index, cuts in enumerate(groups):
        path = folder / shard_name(index, len(groups))
        shards.append(written(path, write_shard(path, schema, cuts, batch, also), whole))
    return shards, whole.hexdigest()


def write_shard(
    path: Path,
    schema: pa.Schema,
    cuts: list[int],
    batch: Callable[[int, int], pa.RecordBatch],
    also: Callable[[pa.RecordBatch], None] | None = None,
) -> int:
    """One shard: a row group per pair of consecutive `cuts` (one shard of `plan`); returns its rows."""
    spans = [(lo, hi) for lo, hi in pairwise(cuts) if hi > lo]
    with pq.ParquetWriter(path, schema, **OPTIONS) as writer:
        for rows in _made_ahead(batch, spans):
            writer.write_table(pa.Table.from_batches([rows], schema), row_group_size=rows.num_rows)
            if also is not None:
                also(rows)
        if not spans:
            writer.write_table(schema.empty_table())
    return cuts[-1] - cuts[0]


def as_written(meta: pq.FileMetaData, schema: pa.Schema) -> bool:
    """Whether a Parquet file's footer says `write_shard` wrote it with `schema`: every column chunk
    compressed with its codec, and the writer and key-value metadata (the Arrow schema, with the
    schema's own metadata) its own. Cheap: the footer alone, no page read."""
    created_by, metadata = _footer(schema.serialize().to_pybytes())
    if meta.created_by != created_by or meta.metadata != metadata:
        return False
    groups = (meta.row_group(i) for i in range(meta.num_row_groups))
    return all(g.column(j).compression == CODEC.upper() for g in groups for j in range(g.num_columns))


@lru_cache(maxsize=8)
def _footer(serialized: bytes) -> tuple[str, dict[bytes, bytes] | None]:
    """The writer and key-value metadata of a file `write_shard` writes with the schema `serialized`
    (they do not depend on its rows), from an empty file written in memory. Cached by the schema's
    bytes: `pa.Schema` equality and hash leave out metadata, which the footer holds."""
    schema = pa.ipc.read_schema(pa.py_buffer(serialized))
    sink = pa.BufferOutputStream()
    with pq.ParquetWriter(sink, schema, **OPTIONS) as writer:
        writer.write_table(schema.empty_table())
    meta = pq.read_metadata(pa.BufferReader(sink.getvalue()))
    return meta.created_by, meta.metadata


def _made_ahead(make: Callable[[int, int], T], spans: list[tuple[int, int]]) -> Iterator[T]:
    """`make(lo, hi)` of each span in order, the next one made in a thread while this one is used.

    Making rows is mostly Python; compressing and writing them is C++ that releases the GIL, so the
    two overlap. One made item waits at most: memory grows by one row group.
    """
    if not spans:
        return
    with ThreadPoolExecutor(1, thread_name_prefix="rows") as pool:
        pending = pool.submit(make, *spans[0])
        for span in spans[1:]:
            done = pending.result()
            pending = pool.submit(make, *span)
            yield done
        yield pending.result()

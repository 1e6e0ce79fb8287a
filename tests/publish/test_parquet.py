"""The Parquet writer: shards and row groups cut by the data alone, rows made ahead in order."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from corpuspack.publish import parquet


def test_row_groups_are_greedy_cuts_by_bytes_and_rows():
    def greedy(sizes, max_bytes, max_rows):  # the rule, one row at a time
        cuts, total = [0], 0
        for i, size in enumerate(sizes):
            if i > cuts[-1] and (total + size > max_bytes or i - cuts[-1] >= max_rows):
                cuts.append(i)
                total = 0
            total += size
        return cuts if cuts[-1] == len(sizes) and sizes else [*cuts, len(sizes)]

    rng = np.random.default_rng(5)
    for _ in range(500):
        sizes = rng.integers(0, 60, int(rng.integers(0, 40))) * rng.integers(0, 2)
        max_bytes, max_rows = int(rng.integers(1, 100)), int(rng.integers(1, 8))
        assert parquet._cuts(sizes, 0, len(sizes), max_bytes, max_rows) == greedy(list(sizes), max_bytes, max_rows)


def test_shard_rows_made_ahead_are_written_in_order_and_errors_surface(tmp_path: Path):
    schema = pa.schema([pa.field("n", pa.int64())])
    made = []

    def rows(lo: int, hi: int) -> pa.RecordBatch:
        made.append(lo)
        return pa.record_batch([pa.array(range(lo, hi), pa.int64())], schema=schema)

    seen = []
    parquet.write_shard(tmp_path / "a.parquet", schema, [0, 3, 3, 7, 12], rows, also=lambda b: seen.append(b))
    table = pq.read_table(tmp_path / "a.parquet")
    assert table.column("n").to_pylist() == list(range(12))
    assert pq.ParquetFile(tmp_path / "a.parquet").metadata.num_row_groups == 3
    assert [b.num_rows for b in seen] == [3, 4, 5] and made == [0, 3, 7]

    def broken(lo: int, hi: int) -> pa.RecordBatch:
        if lo >= 7:
            raise ValueError(f"no rows from {lo}")
        return rows(lo, hi)

    with pytest.raises(ValueError, match="no rows from 7"):
        parquet.write_shard(tmp_path / "b.parquet", schema, [0, 3, 7, 12], broken)


def test_a_shard_is_as_written_only_with_its_own_schemas_metadata(tmp_path: Path):
    """Two schemas that differ only in a field's description are equal to Arrow (`==`, `hash`),
    but a file written with one is not as the writer writes with the other, whichever was asked first."""
    described = [pa.schema([pa.field("x", pa.int32(), metadata={b"description": text})]) for text in (b"A", b"B")]
    assert described[0] == described[1]
    for first in (0, 1):
        for schema in (described[first], described[1 - first]):
            path = tmp_path / f"{first}-{schema.field('x').metadata[b'description'].decode()}.parquet"
            parquet.write_shard(
                path, schema, [0, 2], lambda lo, hi, s=schema: pa.record_batch([pa.array([1, 2], pa.int32())], schema=s)
            )
            meta = pq.read_metadata(path)
            assert parquet.as_written(meta, schema)
            assert not parquet.as_written(meta, described[0] if schema is described[1] else described[1])

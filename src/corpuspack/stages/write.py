"""The write stage: both published tables, as Parquet shards and `save_to_disk` files from the same
row groups (`publish.writer`), assembled row group by row group from the spill and the ledger."""

from __future__ import annotations

from pathlib import Path

from .. import formats
from ..engines import Engine
from ..pipeline.assemble import Assembly
from ..progress import Progress
from ..publish.checksums import Written
from ..publish.writer import plan_table
from .dedup import Deduped
from .read import Read


def write(
    read: Read,
    deduped: Deduped,
    engine: Engine,
    shard_bytes: int,
    output_format: int,
    out: Path,
    work: Path,
    progress: Progress,
) -> list[Written]:
    """The facts (path, size, sha256, rows) of every file written into `out`, in `output_format`
    (`publish.formats`)."""
    assembly = Assembly(read.spill, deduped.order, deduped.ledger, output_format)
    tables = formats.tables(output_format)
    plans = [plan_table(table, assembly.sizes(table), shard_bytes, output_format) for table in tables]
    with progress("write", sum(p.rows for p in plans), "row") as advance:
        return engine.write(assembly, plans, out, work, advance)

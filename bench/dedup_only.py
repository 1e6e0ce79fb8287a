"""Exact + near dedup alone, the like-for-like counterpart of the floor: read and validate the seeds,
split and hash paragraphs (exact keys, MinHash), decide every paragraph, and write the ledger as one
Parquet file. It composes the build's own stages; only the documents table, the Hugging Face
artifacts and the manifest are left out.

    python bench/dedup_only.py PROJECT_DIR OUT.parquet
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from corpuspack import load_config
from corpuspack.builder import _dedup
from corpuspack.engines.local import LocalDedup, plan_chunks, run_chunks
from corpuspack.pipeline.assemble import Assembly
from corpuspack.pipeline.chunk import chunk_key
from corpuspack.pipeline.order import global_order
from corpuspack.pipeline.spill import Spill
from corpuspack.tables import PARAGRAPHS
from corpuspack.schema import load_schema
from corpuspack.sources import discover


def dedup_only(root: Path, out: Path) -> int:
    config = load_config(root)
    schema = load_schema(config.schema_path)
    seeds, _ = discover([config.seeds_dir], config.root)
    chunks = plan_chunks(seeds)
    keys = [chunk_key(chunk, config, schema.sha256) for chunk in chunks]
    with tempfile.TemporaryDirectory() as work:
        list(run_chunks(chunks, keys, config, Path(work)))
        spill = Spill(Path(work), keys)
        order = global_order(spill)
        ledger, _ = _dedup(spill, order, config, LocalDedup(spill, order, config), lambda n: None)
        batch = Assembly(spill, order, ledger).batch("paragraphs", 0, len(ledger.kept))
        pq.write_table(pa.Table.from_batches([batch], PARAGRAPHS), out, compression="zstd")
        return batch.num_rows


if __name__ == "__main__":
    print(dedup_only(Path(sys.argv[1]), Path(sys.argv[2])), "paragraphs")

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
from corpuspack.engines import open_engine
from corpuspack.pipeline.assemble import Assembly
from corpuspack.progress import quiet
from corpuspack.schema import load_schema
from corpuspack.stages.dedup import dedup
from corpuspack.stages.read import read
from corpuspack.tables import PARAGRAPHS
from corpuspack.tuning import Tuning


def dedup_only(root: Path, out: Path) -> int:
    config, tuning = load_config(root), Tuning()
    schema = load_schema(config.schema_path)
    engine = open_engine(config, tuning)
    with tempfile.TemporaryDirectory() as work:
        seeds = read(engine, config, schema, Path(work), tuning, quiet)
        deduped = dedup(seeds, engine, config, quiet)
        batch = Assembly(seeds.spill, deduped.order, deduped.ledger).batch("paragraphs", 0, len(deduped.ledger.kept))
        pq.write_table(pa.Table.from_batches([batch], PARAGRAPHS), out, compression="zstd")
        return batch.num_rows


if __name__ == "__main__":
    print(dedup_only(Path(sys.argv[1]), Path(sys.argv[2])), "paragraphs")

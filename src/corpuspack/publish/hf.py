"""Hugging Face `datasets` artifacts: `Dataset.save_to_disk` output, reproducible to the byte."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import pyarrow as pa

from .parquet import read_batches


def save_arrow(parquet: list[Path], schema: pa.Schema, out: Path) -> None:
    """Stream the Parquet shards into an Arrow file and save it as a `datasets.Dataset` folder.

    `save_to_disk` records the dataset's fingerprint; a random one would change the bytes on every
    build, so it is derived from the Parquet shards' content.
    """
    import datasets

    digest = hashlib.sha256()
    for path in parquet:
        digest.update(path.read_bytes())
    with tempfile.TemporaryDirectory(prefix="corpuspack-hf-") as tmp:
        stream = Path(tmp) / "table.arrow"
        with pa.OSFile(str(stream), "wb") as sink, pa.ipc.new_stream(sink, schema) as writer:
            for batch in read_batches(parquet):
                writer.write_batch(batch)
        dataset = datasets.Dataset.from_file(str(stream), in_memory=False)
        dataset._fingerprint = digest.hexdigest()[:16]
        previous = datasets.is_progress_bar_enabled()
        datasets.disable_progress_bars()
        try:
            dataset.save_to_disk(str(out), num_shards=len(parquet))
        finally:
            if previous:
                datasets.enable_progress_bars()
        del dataset

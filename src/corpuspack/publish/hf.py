"""Hugging Face `datasets` artifacts: `Dataset.save_to_disk` output, reproducible to the byte."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa


class ArrowSink:
    """Collects the rows written to Parquet into an Arrow stream file, for `save`."""

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self.path = path
        self.rows = 0
        self._schema = schema
        self._file = pa.OSFile(str(path), "wb")
        self._writer = pa.ipc.new_stream(self._file, schema)

    def __call__(self, batch: pa.RecordBatch) -> None:
        self._writer.write_batch(batch)
        self.rows += batch.num_rows

    def close(self) -> None:
        if self.rows == 0:  # datasets cannot open a stream without a batch
            self._writer.write_batch(pa.RecordBatch.from_pylist([], self._schema))
        self._writer.close()
        self._file.close()


def save(stream: Path, parquet: list[Path], out: Path) -> None:
    """Save the rows in `stream` as a `datasets.Dataset` folder with as many shards as `parquet`.

    `save_to_disk` records the dataset's fingerprint; a random one would change the bytes on every
    build, so it is derived from the Parquet shards' content.
    """
    import datasets

    digest = hashlib.sha256()
    for path in parquet:
        digest.update(path.read_bytes())
    dataset = datasets.Dataset.from_file(str(stream), in_memory=False)
    dataset._fingerprint = digest.hexdigest()[:16]
    dataset.save_to_disk(str(out), num_shards=len(parquet))
    del dataset


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """No `datasets` progress bars (a global switch: set it once, around all saves)."""
    import datasets

    previous = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()
    try:
        yield
    finally:
        if previous:
            datasets.enable_progress_bars()

"""Reading the spilled chunks back, memory-mapped: key columns for dedup, texts for writing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from .chunk import spill_paths


def _open(path: Path) -> pa.Table:
    return pa.ipc.open_file(pa.memory_map(str(path), "r")).read_all()


class Spill:
    """All chunks of one build as two memory-mapped tables (documents, paragraphs) in chunk order."""

    def __init__(self, folder: Path, chunks: int) -> None:
        paths = [spill_paths(folder, i) for i in range(chunks)]
        doc_tables = [_open(d) for d, _ in paths]
        para_tables = [_open(p) for _, p in paths]
        self.documents = pa.concat_tables(doc_tables)
        self.paragraphs = pa.concat_tables(para_tables)
        doc_offsets = np.cumsum([0] + [t.num_rows for t in doc_tables])[:-1]
        counts = [t.num_rows for t in para_tables]
        local = self.column("doc").astype(np.int64)
        self.doc_of_paragraph = local + np.repeat(doc_offsets, counts).astype(np.int64)

    def column(self, name: str) -> np.ndarray:
        return self.paragraphs.column(name).to_numpy()

    def take(self, name: str, rows: np.ndarray) -> pa.Array:
        return self.paragraphs.column(name).take(pa.array(rows, pa.int64())).combine_chunks()

    def shingle_sets(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lists = self.take("shingles", rows)
        offsets = np.asarray(lists.offsets, dtype=np.int64)
        return lists.values.to_numpy()[offsets[0] : offsets[-1]], offsets - offsets[0]

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

    def __init__(self, folder: Path, keys: list[str]) -> None:
        paths = [spill_paths(folder, key) for key in keys]
        doc_tables = [_open(d) for d, _ in paths]
        para_tables = [_open(p) for _, p in paths]
        self.documents = pa.concat_tables(doc_tables)
        self.paragraphs = pa.concat_tables(para_tables)
        lengths = [len(c) for c in self.paragraphs.column("pidx").chunks]
        self._chunk_starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
        doc_offsets = np.cumsum([0] + [t.num_rows for t in doc_tables])[:-1]
        counts = [t.num_rows for t in para_tables]
        local = self.column("doc").astype(np.int64)
        self.doc_of_paragraph = local + np.repeat(doc_offsets, counts).astype(np.int64)

    def column(self, name: str) -> np.ndarray:
        return self.paragraphs.column(name).to_numpy()

    def take(self, name: str, rows: np.ndarray) -> pa.Array:
        """Rows of one column, chunk by chunk: taking from the chunked column as a whole would first
        concatenate it, copying the whole memory-mapped column into memory."""
        column = self.paragraphs.column(name)
        if len(rows) == 0:
            return pa.array([], column.type)
        chunk = np.searchsorted(self._chunk_starts, rows, side="right") - 1
        order = np.argsort(chunk, kind="stable")
        pieces = []
        sorted_chunks = chunk[order]
        bounds = np.flatnonzero(np.diff(sorted_chunks)) + 1
        for part in np.split(order, bounds):
            c = int(chunk[part[0]])
            local = rows[part] - self._chunk_starts[c]
            pieces.append(column.chunk(c).take(pa.array(local, pa.int64())))
        taken = pa.concat_arrays(pieces)
        inverse = np.empty(len(rows), dtype=np.int64)
        inverse[order] = np.arange(len(rows))
        return taken.take(pa.array(inverse, pa.int64()))

    def shingle_sets(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lists = self.take("shingles", rows)
        offsets = np.asarray(lists.offsets, dtype=np.int64)
        return lists.values.to_numpy()[offsets[0] : offsets[-1]], offsets - offsets[0]

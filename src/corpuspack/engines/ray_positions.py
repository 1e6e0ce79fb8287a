"""Global positions worked out where the paragraphs are read, from per-document figures.

A paragraph's position in the global (document id, paragraph index) order is its document's first
position plus its rank among its document's paragraphs; a document's paragraphs all lie in one spill
chunk. So a task reading a chunk needs per-document figures only (about 16 bytes a document, where a
position per paragraph sent from the driver is 8 bytes a paragraph, pickled into every task).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Documents:
    """Where documents are: by chunk (`chunk_docs[c]`: the spill row of chunk c's first document), by
    rank (`rank[spill row]`) and by position (`start[rank]`: the rank's first position; one more at the end)."""

    chunk_docs: np.ndarray
    rank: np.ndarray
    start: np.ndarray

    def chunk_positions(self, chunk: int, doc: np.ndarray, pidx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(global position, document rank) of each paragraph of spill chunk `chunk`, given its
        `doc` (the document's row in the chunk) and `pidx` (paragraph index) columns."""
        rank = self.rank[doc.astype(np.int64) + self.chunk_docs[chunk]]
        if len(rank) == 0:
            return np.zeros(0, dtype=np.int64), rank
        order = np.lexsort((pidx, rank))  # stable: ties keep spill order, as `pipeline.order.global_order`
        ranked = rank[order]
        first = np.concatenate([[True], ranked[1:] != ranked[:-1]])
        begin = np.flatnonzero(first)
        within = np.arange(len(order)) - np.repeat(begin, np.diff(np.append(begin, len(order))))
        position = np.empty(len(order), dtype=np.int64)
        position[order] = self.start[ranked] + within
        return position, rank

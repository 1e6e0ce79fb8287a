"""The global order: documents by id, paragraphs by (document id, paragraph index)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow.compute as pc

from ..dedup.grouping import position_dtype
from .spill import Spill, inverse


@dataclass
class Order:
    """`doc_rows[r]`: spill row of the r-th document by id. `rows[g]`: spill row of the g-th paragraph.
    `doc_rank[g]`: the rank of paragraph g's document; `doc_start[r]`: its first position.
    `rows` and `doc_rank` are of `position_dtype(paragraphs)`, the others int64."""

    doc_rows: np.ndarray
    rows: np.ndarray
    doc_rank: np.ndarray
    doc_start: np.ndarray


def global_order(spill: Spill) -> Order:
    dtype = position_dtype(max(len(spill), len(spill.ids)))
    doc_rows = np.asarray(pc.sort_indices(spill.ids), dtype=np.int64)
    par_rank = inverse(doc_rows, dtype)[spill.doc_of_paragraph()]
    rows = np.lexsort((spill.column("pidx"), par_rank)).astype(dtype)
    doc_rank = par_rank[rows]
    doc_start = np.searchsorted(doc_rank, np.arange(len(doc_rows) + 1))
    return Order(doc_rows, rows, doc_rank, doc_start)

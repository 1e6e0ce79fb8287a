"""Assembling the published tables, in order, batch by batch, from the spill and the ledger."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .. import formats
from ..dedup.ledger import REASONS, Ledger
from ..tables import DOCUMENTS, PARAGRAPHS
from ..tuning import Tuning
from .chunk import TEXT_BATCH_ROWS
from .order import Order
from .ordered import WINDOW_BYTES, RegroupedDocuments, RegroupedTexts, SpillDocuments, TextWindow
from .spill import Spill

Texts = Callable[[int, int], pa.Array]  # texts of positions lo..hi
Documents = Callable[[np.ndarray], pa.Table]  # metadata of ascending document ranks
Given = dict[str, pa.Array]  # columns of rows taken as they are (`TEXTS`), not made
ROW_OVERHEAD = 64  # bytes counted per paragraph row besides its text, for cutting row groups
# The columns made from the paragraphs' texts, by table: what making rows costs (reading the texts
# from the spill, joining and hashing them); never null, so taken from a kept shard they are bytes
# for bytes those a build makes.
TEXTS = {"documents": ("text", "text_sha256"), "paragraphs": ("text",)}


def text_bytes(spill: Spill, order: Order) -> np.ndarray:
    """UTF-8 length of every paragraph in global order, int32 as spilled (a text is under 2 GB)."""
    return spill.column("text_bytes")[order.rows]


def document_bytes(lengths: np.ndarray, ledger: Ledger, order: Order) -> np.ndarray:
    """Size of each document's published text, in id order."""
    kept = np.where(ledger.kept, lengths.astype(np.int64) + 2, 0)
    sums = np.add.reduceat(np.append(kept, 0), order.doc_start[:-1]) if len(kept) else np.zeros(0)
    sums = sums[: len(order.doc_start) - 1]
    return np.maximum(sums - 2, 0)


def document_batch(
    documents: Documents,
    order: Order,
    ledger: Ledger,
    texts: Texts,
    ranks: np.ndarray,
    schema: pa.Schema = DOCUMENTS,
    given: Given | None = None,
) -> pa.RecordBatch:
    """Rows of the documents table (`schema`: with signals or not) for the given document ranks
    (ascending); `given`: the `TEXTS` columns of these rows, taken as they are instead of made."""
    meta = documents(ranks)
    first, last = int(order.doc_start[ranks[0]]), int(order.doc_start[ranks[-1] + 1])
    kept = ledger.kept[first:last]
    positions = np.arange(first, last)[kept]
    bounds = np.searchsorted(positions, order.doc_start[np.concatenate([ranks, [ranks[-1] + 1]])])
    kept_counts = np.diff(bounds)
    dropped_counts = (order.doc_start[ranks + 1] - order.doc_start[ranks]) - kept_counts
    made = {
        "n_paragraphs": pa.array(kept_counts, pa.int32()),
        "n_dropped": pa.array(dropped_counts, pa.int32()),
        "date": pc.cast(meta.column("date"), pa.date32()),
    }
    if given is None:
        parts = texts(first, last).filter(pa.array(kept)).cast(pa.large_string())
        # Each document's kept paragraphs are a contiguous run of `parts`: joined by Arrow, not in Python.
        lists = pa.LargeListArray.from_arrays(pa.array(bounds, pa.int64()), parts)
        joined = pc.binary_join(lists, pa.scalar("\n\n", pa.large_string()))
        made |= {"text": joined.cast(pa.string()), "text_sha256": pa.array(_sha256_each(joined), pa.string())}
    else:
        made |= {name: given[name] for name in ("text", "text_sha256")}
    if "dropped_share" in schema.names:  # known only now: the share of the document's paragraphs the ledger drops
        whole = kept_counts + dropped_counts
        share = np.divide(dropped_counts, whole, out=np.zeros(len(whole)), where=whole > 0)
        made["dropped_share"] = pa.array(np.round(share, 4), pa.float64())
    columns = {name: made[name] if name in made else meta.column(name) for name in schema.names}
    return pa.RecordBatch.from_pydict({k: _flat(v) for k, v in columns.items()}, schema=schema)


def _sha256_each(texts: pa.Array) -> list[str]:
    """The sha256 (hex) of each string's UTF-8 bytes, hashed where Arrow holds them (`texts`: large_string)."""
    offsets = np.frombuffer(texts.buffers()[1], dtype=np.int64)[texts.offset : texts.offset + len(texts) + 1]
    data = memoryview(texts.buffers()[2] or b"")
    return [hashlib.sha256(data[lo:hi]).hexdigest() for lo, hi in pairwise(offsets.tolist())]


def paragraph_batch(
    order: Order, ledger: Ledger, ids: pa.Array, texts: Texts, lo: int, hi: int, given: Given | None = None
) -> pa.RecordBatch:
    """Rows lo..hi of the paragraphs table (global positions); `ids` are document ids by rank;
    `given`: the `TEXTS` column of these rows, taken as it is instead of made."""
    dup = ledger.duplicate_of[lo:hi]
    has_dup = dup >= 0
    safe = np.where(has_dup, dup, 0)
    reason_names = pa.array(REASONS, pa.string())  # a null index (kept) gives a null reason
    reason = ledger.reason[lo:hi]
    dup_doc = ids.take(pa.array(order.doc_rank[safe] if len(safe) else safe, pa.int64()))
    dup_index = _paragraph_index(order, safe)
    similarity = ledger.similarity(lo, hi)
    cluster = ledger.cluster[lo:hi]
    columns = {
        "doc_id": ids.take(pa.array(order.doc_rank[lo:hi], pa.int64())),
        "paragraph_index": _paragraph_index(order, np.arange(lo, hi)),
        "text": texts(lo, hi).cast(pa.string()) if given is None else given["text"],
        "kept": pa.array(reason == 0),
        "reason": reason_names.take(pa.array(reason.astype(np.int64), mask=reason == 0)),
        "duplicate_of_doc": pc.if_else(pa.array(has_dup), dup_doc, pa.scalar(None, pa.string())),
        "duplicate_of_index": pc.if_else(pa.array(has_dup), dup_index, pa.scalar(None, pa.int32())),
        "similarity": pa.array(similarity, pa.float64(), mask=np.isnan(similarity)),
        "cluster_id": pa.array(cluster, pa.int64(), mask=cluster < 0),
    }
    return pa.RecordBatch.from_pydict({k: _flat(v) for k, v in columns.items()}, schema=PARAGRAPHS)


def _paragraph_index(order: Order, positions: np.ndarray) -> pa.Array:
    """Index of each paragraph in its document: a document's paragraphs are consecutive positions."""
    return pa.array(positions - order.doc_start[order.doc_rank[positions]], pa.int32())


def _flat(value: pa.Array | pa.ChunkedArray) -> pa.Array:
    return value.combine_chunks() if isinstance(value, pa.ChunkedArray) else value


def in_spill_order(
    spill: Spill, rows: np.ndarray, lengths: np.ndarray, window_bytes: int = WINDOW_BYTES, block: int = 1 << 20
) -> bool:
    """Whether reading the texts of spill `rows` (of `lengths` bytes) straight from the chunk files,
    about `window_bytes` at a time (`TextWindow`), decompresses no more of the spill's batches of
    texts (`TEXT_BATCH_ROWS` rows) than copying them in order first would (`RegroupedTexts`): at
    most twice as many, counting a batch once for each window that needs it. So it is for a spill
    in id order (seeds named by their ids), and for one with a few chunks out of it (seeds added
    among the others, read in chunks of their own); without such an order every window needs most
    batches."""
    starts = np.array([spill.chunk_start(c) for c in range(spill.chunks)] + [len(spill)], dtype=np.int64)
    first_batch = np.concatenate([[0], np.cumsum(-(-np.diff(starts) // TEXT_BATCH_ROWS))])
    batches, touched, before = int(first_batch[-1]), 0, 0
    open_keys, open_window = np.zeros(0, dtype=np.int64), -1  # the last window's batches, read on
    for lo in range(0, len(rows), block):  # in blocks: `rows` can hold tens of millions
        at = rows[lo : lo + block]
        chunk = spill.chunk_of(at)
        ends = np.cumsum(lengths[lo : lo + block], dtype=np.int64) + before
        before = int(ends[-1]) if len(ends) else before
        window = ends // window_bytes  # ascending
        keys = window * max(batches, 1) + first_batch[chunk] + (at - starts[chunk]) // TEXT_BATCH_ROWS
        last = int(window[-1]) if len(window) else open_window
        done = window < last
        if last != open_window:  # the window left open before is done too
            touched += len(np.unique(np.concatenate([open_keys, keys[done]])))
            open_keys = np.zeros(0, dtype=np.int64)
        open_keys, open_window = np.unique(np.concatenate([open_keys, keys[~done]])), last
    return touched + len(open_keys) <= 2 * batches


class Assembly:
    """Everything needed to build rows of either table; picklable, so an engine can ship it to workers."""

    def __init__(self, spill: Spill, order: Order, ledger: Ledger, output_format: int = formats.CURRENT) -> None:
        self.spill, self.order, self.ledger = spill, order, ledger
        self.document_schema = formats.tables(output_format)["documents"]
        lengths = text_bytes(spill, order)
        self._lengths = lengths  # int32: the sizes, int64, are made when asked (`paragraph_sizes`)
        self.document_sizes = document_bytes(lengths, ledger, order)
        self.published = (
            np.flatnonzero(np.add.reduceat(ledger.kept.astype(np.int64), order.doc_start[:-1]) > 0)
            if len(lengths)
            else np.zeros(0, dtype=np.int64)
        )
        self.ids = spill.ids.take(pa.array(order.doc_rows, pa.int64()))
        self.texts: Texts = TextWindow(spill, order.rows, lengths)
        self.documents: Documents = SpillDocuments(spill, order.doc_rows)

    @property
    def paragraph_sizes(self) -> np.ndarray:
        """Approximate bytes of each paragraph row, in order."""
        return self._lengths.astype(np.int64) + ROW_OVERHEAD

    def regroup(self, folder: Path, tuning: Tuning) -> None:
        """Copy the texts and the documents' metadata into `folder` in order first (`RegroupedTexts`,
        `RegroupedDocuments`): one pass over the spill instead of one per window, and no whole
        metadata table in memory, for an engine that writes every row on one machine.

        Texts already in about that order in the spill (seeds named by their ids, so found in id
        order) stay where they are: windows read straight from the chunk files map each about once.
        """
        regroup = tuning.regroup_texts
        if regroup is None:
            regroup = not in_spill_order(self.spill, self.order.rows, self._lengths)
        if regroup:
            self.texts = RegroupedTexts(self.spill, self.order.rows, self._lengths, folder / "texts", tuning.run_bytes)
        self.documents = RegroupedDocuments(self.spill, self.order.doc_rows, folder / "documents", tuning.run_documents)

    def sizes(self, table: str) -> np.ndarray:
        """Approximate bytes of each row of `table`, in order (what shards and row groups are cut by)."""
        return self.document_sizes[self.published] if table == "documents" else self.paragraph_sizes

    def batch(self, table: str, lo: int, hi: int, given: Given | None = None) -> pa.RecordBatch:
        """Rows lo..hi of `table`; `given`: their `TEXTS[table]` columns, taken instead of made."""
        if table == "documents":
            ranks = self.published[lo:hi]
            return document_batch(
                self.documents, self.order, self.ledger, self.texts, ranks, self.document_schema, given
            )
        return paragraph_batch(self.order, self.ledger, self.ids, self.texts, lo, hi, given)

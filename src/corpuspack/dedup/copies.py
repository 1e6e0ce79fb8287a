"""Whole duplicate documents: documents whose paragraphs that match no pattern equal, in order,
those of an earlier document, found by one digest per document (`grouping.document_digests`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .grouping import document_digests, first_of_groups, position_dtype

if TYPE_CHECKING:
    from .ledger import KeyColumns


def canonical_documents(cols: KeyColumns, copies: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Each document's first copy, by rank: documents whose paragraphs that match no pattern are
    equal, in order, are copies (so a story scraped 11 times from one site counts once). `copies`:
    `document_copies(cols, cols.pattern)`, made here when not given."""
    ndocs = int(cols.doc.max()) + 1 if len(cols.doc) else 0
    canon = np.arange(ndocs, dtype=np.int64)
    copy, original = document_copies(cols, cols.pattern) if copies is None else copies
    canon[copy] = original
    return canon


def document_copies(cols: KeyColumns, boiler: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(copy, original) document ranks, ascending by copy: documents whose paragraphs that are not
    `boiler` equal, in order, those of an earlier document, and the first such document."""
    content = np.flatnonzero(~boiler).astype(position_dtype(len(boiler)))
    ranks, digest = document_digests(cols.doc, cols.key, content)
    first = first_of_groups(digest, np.arange(len(ranks)))
    copies = np.flatnonzero(first != np.arange(len(ranks)))
    return ranks[copies], ranks[first[copies]]


def content_of(cols: KeyColumns, boiler: np.ndarray, ranks: np.ndarray) -> np.ndarray:
    """Positions of the paragraphs that are not `boiler` in the documents `ranks`, document by document."""
    lo, hi = np.searchsorted(cols.doc, ranks), np.searchsorted(cols.doc, ranks, side="right")
    lengths = hi - lo
    at = np.repeat(lo, lengths) + np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return at[~boiler[at]]

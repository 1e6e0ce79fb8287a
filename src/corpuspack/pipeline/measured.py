"""The signals and filters of a chunk's documents, and the dedup features of filtered documents
taken out of dedup (a filtered paragraph must neither be kept as the first copy of a text nor
make another document's copy a duplicate of it)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import xxhash

from .. import formats, signals
from ..config import Config
from ..dedup.keys import RULES
from ..model import Document
from ..signals.filters import rules_broken


def document_signals(
    docs: list[Document], texts: pa.Array, counts: list[int], config: Config, words: tuple[np.ndarray, np.ndarray]
) -> tuple[dict[str, pa.Array], list[str | None]]:
    """(spilled signal columns, the filter reason of each document or None); `words`: dedup's word
    hashes of the paragraphs, used for the 5-grams when made under the rules the signals define."""
    if not formats.has_signals(config.output_format):
        return signals.nulls(len(docs)), [None] * len(docs)
    given = words if config.dedup.rules == RULES else None
    measured = signals.measure_documents([d.paragraphs for d in docs], texts, counts, given)
    return measured, rules_broken(measured, config.filters())


def exclude_filtered(
    features: dict[str, pa.Array], docs: list[Document], counts: list[int], filtered: list[str | None]
) -> dict[str, pa.Array]:
    """`features` with the paragraphs of filtered documents made unlike any other: a key of their own
    (from the document id and index), no words (so no near-duplicate candidate), no pattern."""
    if not any(filtered):
        return features
    starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    key = np.asarray(features["key"]).copy()
    nwords = np.asarray(features["nwords"]).copy()
    pattern = np.asarray(features["pattern"]).copy()
    for i, rule in enumerate(filtered):
        if rule is None:
            continue
        lo, hi = int(starts[i]), int(starts[i + 1])
        key[lo:hi] = [xxhash.xxh3_64_intdigest(f"filtered\0{docs[i].id}\0{j}".encode()) for j in range(hi - lo)]
        nwords[lo:hi] = 0
        pattern[lo:hi] = False
    out = dict(features)
    out["key"], out["nwords"], out["pattern"] = pa.array(key), pa.array(nwords), pa.array(pattern)
    return out

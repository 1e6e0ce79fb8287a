"""The dedup stage: the ledger (every paragraph kept, or dropped with its reason and what it
duplicates) decided by `dedup.ledger.decide` from the engine's group-bys, and the facts of it the
manifest records."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .. import formats
from ..config import Config
from ..dedup.ledger import REASONS, KeyColumns, Ledger, decide, steps
from ..engines import Engine
from ..errors import DataError
from ..pipeline.order import Order, global_order
from ..pipeline.spill import Spill
from ..progress import Progress
from .read import Read


@dataclass
class Deduped:
    order: Order
    ledger: Ledger
    facts: dict[str, Any]  # what the manifest records: counts, documents_emptied, most_repeated


def dedup(read: Read, engine: Engine, config: Config, progress: Progress) -> Deduped:
    """Raises DataError when nothing would be published, or (strict) when dedup empties over
    `max_emptied_share` of the documents."""
    spill = read.spill
    order = global_order(spill)
    rows = order.rows
    ops = engine.dedup_ops(spill, order, config)
    eligible = spill.column("nwords")[rows] >= config.dedup.min_words
    keys = spill.column("key")[rows] if ops.keys_here else None  # 8 bytes a paragraph
    cols = KeyColumns(order.doc_rank, keys, spill.column("pattern")[rows], eligible)
    if config.dedup.rules >= 2:  # furniture is counted per source
        sources = pc.dictionary_encode(spill.document_column("source")).combine_chunks()
        cols.doc_source = np.asarray(sources.indices.fill_null(-1), dtype=np.int64)[order.doc_rows]
    with progress("dedup", steps(config.dedup), "step") as advance:
        try:
            ledger = decide(cols, config.dedup, ops, advance, formats.clusters_every_kept(config.output_format))
        finally:
            ops.release()
    filtered = mark_filtered(spill, order, ledger)
    repeated = most_repeated(ops.most_repeated(), spill, order, ledger)
    facts = {**_counts(spill, order, ledger, filtered, bool(config.filters())), "most_repeated": repeated}
    _check_emptied(facts["counts"], config)
    return Deduped(order, ledger, facts)


def mark_filtered(spill: Spill, order: Order, ledger: Ledger) -> np.ndarray:
    """Give every paragraph of a document a filter removed (decided by the worker that read it) the
    reason `filtered:<rule>`; they took no part in dedup (`pipeline.measured`). The filtered
    documents' ranks."""
    rules = spill.document_column("filtered").take(pa.array(order.doc_rows, pa.int64())).combine_chunks()
    ranks = np.flatnonzero(np.asarray(rules.is_valid()))
    if len(ranks) == 0:
        return ranks
    code = {r: i for i, r in enumerate(REASONS)}
    for rank, rule in zip(ranks.tolist(), rules.take(pa.array(ranks)).to_pylist(), strict=True):
        lo, hi = int(order.doc_start[rank]), int(order.doc_start[rank + 1])
        ledger.reason[lo:hi] = code[rule]
        ledger.duplicate_of[lo:hi] = -1
        ledger.cluster[lo:hi] = -1
    return ranks


def _counts(spill: Spill, order: Order, ledger: Ledger, filtered: np.ndarray, filters: bool) -> dict[str, Any]:
    """Counts as the manifest records them; a filtered document is not counted as emptied by dedup,
    and `documents_filtered` and the filter reasons appear only where filters are configured (so
    the manifests of earlier versions rebuild as they were)."""
    counts = ledger.counts()
    per_doc_kept = np.add.reduceat(ledger.kept.astype(np.int64), order.doc_start[:-1]) if len(ledger.kept) else []
    emptied_ranks = np.setdiff1d(np.flatnonzero(np.asarray(per_doc_kept) == 0), filtered)
    emptied = spill.ids.take(pa.array(order.doc_rows[emptied_ranks], pa.int64())).to_pylist()
    documents_read = len(order.doc_rows)
    reasons = [r for r in REASONS if r and (filters or not r.startswith("filtered:"))]
    out: dict[str, Any] = {
        "documents_read": documents_read,
        "documents": documents_read - len(emptied) - len(filtered),
        "documents_emptied": len(emptied),
        "paragraphs": len(ledger.kept),
        "paragraphs_kept": counts["kept"],
        "dropped_by_reason": {r: counts[r] for r in reasons},
    }
    if filters:
        out["documents_filtered"] = len(filtered)
    return {"counts": out, "documents_emptied": emptied}


def most_repeated(top: tuple[np.ndarray, np.ndarray], spill: Spill, order: Order, ledger: Ledger) -> list[dict]:
    """The manifest's entries of the `most_repeated_keys`."""
    first, counts = top
    best = np.arange(len(first))
    texts = spill.take("text", order.rows[first[best]]).to_pylist()
    indexes = spill.take("pidx", order.rows[first[best]]).to_pylist()
    ids = spill.ids.take(pa.array(order.doc_rows[order.doc_rank[first[best]]], pa.int64())).to_pylist()
    return [
        {
            "count": int(counts[b]),
            "doc_id": doc_id,
            "paragraph_index": index,
            "reason": REASONS[int(ledger.reason[first[b]])] or None,
            "text": t if len(t) <= 200 else t[:197] + "...",
        }
        for b, t, index, doc_id in zip(best.tolist(), texts, indexes, ids, strict=True)
    ]


def emptied_share(counts: dict[str, int]) -> float:
    return counts["documents_emptied"] / counts["documents_read"] if counts["documents_read"] else 0.0


def emptied_warning(counts: dict[str, int], config: Config) -> str | None:
    """The warning a build summary gives when dedup emptied over `max_emptied_share` of the documents."""
    if emptied_share(counts) <= config.max_emptied_share:
        return None
    return f"{_emptied_text(counts)} (over max_emptied_share = {config.max_emptied_share}): check the dedup rules"


def _emptied_text(counts: dict[str, int]) -> str:
    return f"dedup left {counts['documents_emptied']} of {counts['documents_read']} documents with no paragraph"


def _check_emptied(counts: dict[str, int], config: Config) -> None:
    if counts["documents"] == 0:
        filtered = counts.get("documents_filtered", 0)
        if filtered:  # the filters, not dedup: say which, with what they were set to
            by_rule = ", ".join(
                f"{r} {n}" for r, n in counts["dropped_by_reason"].items() if r.startswith("filtered:") and n
            )
            rest = counts["documents_read"] - filtered
            raise DataError(
                f"the filters removed {filtered} of {counts['documents_read']} documents (paragraphs {by_rule})"
                + (f" and dedup emptied the other {rest}" if rest else "")
                + ": nothing would be published (check the filter_* settings)"
            )
        raise DataError(
            f"dedup dropped every paragraph of all {counts['documents_read']} documents: nothing would be "
            "published (see the most repeated paragraphs with `corpuspack build` on a few seeds)"
        )
    if config.strict and emptied_share(counts) > config.max_emptied_share:
        raise DataError(f"{_emptied_text(counts)}, over max_emptied_share = {config.max_emptied_share} (strict)")

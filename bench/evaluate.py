"""Dedup quality of a build against an oracle computed independently, in plain Python.

    python bench/evaluate.py CORPUS_DIR BUILD_DIR

Exact: a paragraph is an exact duplicate when its words (lower-case alphanumeric runs, digits
folded to 0) equal an earlier paragraph's, in (document id, paragraph index) order, and it is not
boilerplate (words found in >= 10 documents). Predicted exact: reason exact, exact_within_document
or duplicate_document. Near: recall over the generator's planted near duplicates whose true word
5-gram Jaccard to their source is >= 0.8 (and that are not exact); precision over every paragraph
flagged near_duplicate, correct when its true Jaccard to the paragraph it names is >= 0.8.
"""

from __future__ import annotations

import json
import re
import sys
from collections import defaultdict
from pathlib import Path

import pyarrow.parquet as pq

EXACT_REASONS = {"exact", "exact_within_document", "duplicate_document"}


def words(text: str) -> tuple[str, ...]:
    return tuple(re.sub(r"[0-9]", "0", w) for w in re.findall(r"[a-z0-9]+", text.lower()))


def shingle_set(text: str, k: int = 5) -> set[tuple[str, ...]]:
    w = words(text)
    return {w[i : i + k] for i in range(len(w) - k + 1)}


def jaccard(a: str, b: str) -> float:
    sa, sb = shingle_set(a), shingle_set(b)
    return len(sa & sb) / len(sa | sb) if sa | sb else 0.0


def evaluate(corpus: Path, build: Path, threshold: float = 0.8, min_docs: int = 10) -> dict:
    rows = pq.read_table(build / "paragraphs").to_pylist()  # in (doc id, index) order
    text = {(r["doc_id"], r["paragraph_index"]): r["text"] for r in rows}
    docs_of = defaultdict(set)
    for r in rows:
        docs_of[words(r["text"])].add(r["doc_id"])
    boiler = {k for k, d in docs_of.items() if len(d) >= min_docs}
    seen: set[tuple[str, ...]] = set()
    truth_exact, truth_boiler = set(), set()
    for r in rows:
        key, at = words(r["text"]), (r["doc_id"], r["paragraph_index"])
        if key in boiler:
            truth_boiler.add(at)
        elif key in seen:
            truth_exact.add(at)
        seen.add(key)
    pred_exact = {(r["doc_id"], r["paragraph_index"]) for r in rows if r["reason"] in EXACT_REASONS}
    pred_boiler = {(r["doc_id"], r["paragraph_index"]) for r in rows if r["reason"] == "boilerplate"}
    truth = pq.read_table(corpus / "truth.parquet").to_pylist()
    planted_near = (
        {(t["doc_id"], t["paragraph_index"]) for t in truth if t["planted"] == "near" and t["jaccard"] >= threshold}
        - truth_exact
        - truth_boiler
    )
    flagged = [r for r in rows if r["reason"] == "near_duplicate"]
    correct = sum(
        1 for r in flagged if jaccard(r["text"], text[(r["duplicate_of_doc"], r["duplicate_of_index"])]) >= threshold
    )
    near_found = {(r["doc_id"], r["paragraph_index"]) for r in flagged}
    return {
        "paragraphs": len(rows),
        "exact": _pr(pred_exact, truth_exact),
        "boilerplate": _pr(pred_boiler, truth_boiler),
        "near": {
            "planted_at_or_above_threshold": len(planted_near),
            "recall": round(len(planted_near & near_found) / len(planted_near), 4) if planted_near else None,
            "flagged": len(flagged),
            "precision": round(correct / len(flagged), 4) if flagged else None,
        },
    }


def _pr(predicted: set, truth: set) -> dict:
    hit = len(predicted & truth)
    return {
        "truth": len(truth),
        "predicted": len(predicted),
        "precision": round(hit / len(predicted), 4) if predicted else None,
        "recall": round(hit / len(truth), 4) if truth else None,
    }


if __name__ == "__main__":
    print(json.dumps(evaluate(Path(sys.argv[1]), Path(sys.argv[2])), indent=2))

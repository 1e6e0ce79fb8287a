"""Dedup quality of a build against an oracle computed independently, in plain Python.

    python bench/evaluate.py CORPUS_DIR BUILD_DIR [--rules 1|2]

Words: lower-case alphanumeric runs (rules 1: digits folded to 0). Boilerplate: rules 1, words
found in >= 10 documents; rules 2, words one source (the dateline's) puts in >= 10 documents,
documents with the same paragraphs counting once. Exact: a paragraph whose words equal an earlier
paragraph's, in (document id, paragraph index) order, and that is not boilerplate (rules 2: and has
at least 8 words, or is in a document whose non-boilerplate paragraphs equal an earlier
document's). Predicted exact: reason exact, exact_within_document or duplicate_document. Near:
recall over the generator's planted near duplicates whose true word 5-gram Jaccard to their source
is >= 0.8 (and that are not exact); precision over every paragraph flagged near_duplicate, correct
when its true Jaccard to the paragraph it names is >= 0.8.
"""

from __future__ import annotations

import json
import re
import sys
from collections import defaultdict
from pathlib import Path

import pyarrow.parquet as pq

EXACT_REASONS = {"exact", "exact_within_document", "duplicate_document"}


RULES = 2
DATELINE = re.compile(r"^(.+?)\s+(?:Updated|Published)\s+on\s+\S", re.IGNORECASE | re.MULTILINE)


def words(text: str) -> tuple[str, ...]:
    found = re.findall(r"[a-z0-9]+", text.lower())
    return tuple(re.sub(r"[0-9]", "0", w) for w in found) if RULES == 1 else tuple(found)


def sources(corpus: Path) -> dict[str, str]:
    """Each seed's source, from its dateline (the seeds are in the article layout)."""
    out = {}
    for path in (corpus / "seeds").rglob("*.txt"):
        match = DATELINE.search(path.read_text(encoding="utf-8-sig"))
        out[path.stem] = match.group(1).strip() if match else ""
    return out


def shingle_set(text: str, k: int = 5) -> set[tuple[str, ...]]:
    w = words(text)
    return {w[i : i + k] for i in range(len(w) - k + 1)}


def jaccard(a: str, b: str) -> float:
    sa, sb = shingle_set(a), shingle_set(b)
    return len(sa & sb) / len(sa | sb) if sa | sb else 0.0


def evaluate(corpus: Path, build: Path, threshold: float = 0.8, min_docs: int = 10) -> dict:
    rows = pq.read_table(build / "paragraphs").to_pylist()  # in (doc id, index) order
    text = {(r["doc_id"], r["paragraph_index"]): r["text"] for r in rows}
    boiler = _rules1_boiler(rows, min_docs) if RULES == 1 else _rules2_boiler(rows, sources(corpus), min_docs)
    copies = set() if RULES == 1 else _copied_documents(rows, boiler)
    seen: set[tuple[str, ...]] = set()
    truth_exact, truth_boiler = set(), set()
    for r in rows:
        key, at = words(r["text"]), (r["doc_id"], r["paragraph_index"])
        if key in boiler:
            truth_boiler.add(at)
        elif r["doc_id"] in copies or (key in seen and (RULES == 1 or len(key) >= 8)):
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


def _rules1_boiler(rows: list[dict], min_docs: int) -> set[tuple[str, ...]]:
    docs_of = defaultdict(set)
    for r in rows:
        docs_of[words(r["text"])].add(r["doc_id"])
    return {k for k, d in docs_of.items() if len(d) >= min_docs}


def _paragraph_lists(rows: list[dict], skip: set) -> dict[str, tuple]:
    docs: dict[str, list] = defaultdict(list)
    for r in rows:
        key = words(r["text"])
        if key not in skip:
            docs[r["doc_id"]].append(key)
    return {d: tuple(ps) for d, ps in docs.items()}


def _rules2_boiler(rows: list[dict], source: dict[str, str], min_docs: int) -> set[tuple[str, ...]]:
    first: dict[tuple, str] = {}
    canon = {}
    for doc, paragraphs in sorted(_paragraph_lists(rows, set()).items()):
        canon[doc] = first.setdefault(paragraphs, doc)
    docs_of = defaultdict(set)
    for r in rows:
        docs_of[(words(r["text"]), source[r["doc_id"]])].add(canon[r["doc_id"]])
    return {k for (k, _), d in docs_of.items() if len(d) >= min_docs}


def _copied_documents(rows: list[dict], boiler: set) -> set[str]:
    seen, copies = set(), set()
    for doc, paragraphs in sorted(_paragraph_lists(rows, boiler).items()):
        if paragraphs and paragraphs in seen:
            copies.add(doc)
        seen.add(paragraphs)
    return copies


def _pr(predicted: set, truth: set) -> dict:
    hit = len(predicted & truth)
    return {
        "truth": len(truth),
        "predicted": len(predicted),
        "precision": round(hit / len(predicted), 4) if predicted else None,
        "recall": round(hit / len(truth), 4) if truth else None,
    }


if __name__ == "__main__":
    args = sys.argv[1:]
    if "--rules" in args:
        at = args.index("--rules")
        RULES = int(args[at + 1])
        del args[at : at + 2]
    print(json.dumps(evaluate(Path(args[0]), Path(args[1])), indent=2))

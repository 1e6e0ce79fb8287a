"""The manifest values the dataset card shows, checked before the card is made. `manifest.read`
checks the shape every command relies on; the card also reads the counts, the dedup settings, the
schema's `$id`, the normalisation key and the quality signals, some of them into its text as they
are. A value missing or of another type is a problem naming the field (a DataError for the
manifest), never a KeyError or TypeError traceback in `card`, `check` or `release`."""

from __future__ import annotations

from typing import Any

from ..printable import printable

MAX_COUNT = 10**15  # far above any corpus, far below what int64 and float64 hold exactly
MAX_ENTRIES = 1000  # removal reasons, signal columns, most repeated paragraphs (the report's too)
COUNTS = ("documents", "paragraphs", "paragraphs_kept", "documents_emptied")
DEDUP_INTS = ("num_perm", "bands", "rows")
SIGNALS = ("version", "language_model", "language_sample_chars", "repetition")


def card_problem(body: dict[str, Any]) -> str | None:
    """The first value of the manifest `body` (already through `manifest.read`) the card cannot
    show, as `/field: problem`; None when it can show them all."""
    counts = body["counts"]
    for key in COUNTS:
        if problem := count_problem(counts.get(key)):
            return f"/counts/{key}: {problem}"
    problem = _mapping(counts.get("dropped_by_reason"), "/counts/dropped_by_reason")
    if problem:
        return problem
    dedup = body["config"].get("dedup")
    problem = _mapping(dedup, "/config/dedup")
    if problem:
        return problem
    threshold = dedup.get("threshold")
    if type(threshold) not in (int, float) or not 0 <= threshold <= 1:
        return f"/config/dedup/threshold: not a number from 0 to 1 ({printable(repr(threshold), 60)})"
    for key in DEDUP_INTS + (("shingle_size",) if "shingle_size" in dedup else ()):
        if problem := count_problem(dedup.get(key)):
            return f"/config/dedup/{key}: {problem}"
    for key, inner in (("schema", "$id"), ("normalisation", "key")):
        value = body.get(key)
        if not isinstance(value, dict) or not isinstance(value.get(inner), str):
            return f"/{key}/{inner}: missing or not a string"
    for i, entry in enumerate(body["outputs"]):
        if "rows" in entry and (problem := count_problem(entry["rows"])):
            return f"/outputs/{i}/rows: {problem}"
    return _signals_problem(body.get("signals"))


def _signals_problem(signals: Any) -> str | None:
    if not signals:  # before output format 3: none
        return None
    problem = _mapping(signals, "/signals") or _mapping(signals.get("columns"), "/signals/columns")
    if problem:
        return problem
    missing = [key for key in SIGNALS if key not in signals]
    return f"/signals/{missing[0]}: missing" if missing else None


def count_problem(value: Any) -> str | None:
    """Why `value` is no count (None when it is one): the card's rule and the report's."""
    # bool is an int in Python, and JSON's NaN and 1e30 are floats: only a plain int in range
    if type(value) is int and 0 <= value <= MAX_COUNT:
        return None
    return f"not a whole number from 0 to {MAX_COUNT:,} ({printable(repr(value), 60)})"


def _mapping(value: Any, field: str) -> str | None:
    if not isinstance(value, dict):
        return f"{field}: missing or not an object"
    if len(value) > MAX_ENTRIES:
        return f"{field}: {len(value):,} entries, over {MAX_ENTRIES:,}"
    return None

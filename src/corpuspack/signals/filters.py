"""Optional document filters over the signals: the first rule a document breaks, or none.

A filtered document is decided where it is read (its signals are known there); its paragraphs then
take no part in dedup and the ledger gives each the reason `filtered:<rule>`.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from .language import primary

RULES = ("min_words", "max_dup_line_share", "languages")  # checked in this order
SETTING = {rule: f"filter_{rule}" for rule in RULES}


def reason(rule: str) -> str:
    return f"filtered:{rule}"


def rules_broken(signals: dict[str, pa.Array], filters: dict[str, Any]) -> list[str | None]:
    """Per document, the first rule of `filters` (as `Config.filters()` gives them) it breaks, or None."""
    n = len(signals["n_words"])
    out: list[str | None] = [None] * n
    if not filters:
        return out
    words = signals["n_words"].to_pylist()
    dup = signals["dup_line_share"].to_pylist()
    langs = signals["language_detected"].to_pylist()
    min_words = filters.get(SETTING["min_words"])
    max_dup = filters.get(SETTING["max_dup_line_share"])
    allowed = filters.get(SETTING["languages"])
    allowed_set = {primary(a) for a in allowed} if allowed is not None else None
    for i in range(n):
        if min_words is not None and words[i] < min_words:
            out[i] = reason("min_words")
        elif max_dup is not None and dup[i] > max_dup:
            out[i] = reason("max_dup_line_share")
        elif allowed_set is not None and (langs[i] is None or primary(langs[i]) not in allowed_set):
            out[i] = reason("languages")
    return out

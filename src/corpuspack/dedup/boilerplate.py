"""Boilerplate: paragraphs matching configured patterns, or recurring in many documents.

Both are dropped everywhere, first occurrence included: a disclaimer is not content anywhere.
The recurrence default (`boilerplate_min_docs = 10`) sits above syndication: a paragraph quoted by a
handful of outlets is content, kept once as an exact duplicate; one that a scraper found on ten or
more different pages is site furniture (cookie notes, newsletter prompts, "Related Pages").
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import ConfigError
from .grouping import combine_keys, distinct_count


def pattern_matcher(patterns: tuple[str, ...]) -> str | None:
    """One RE2 alternation of the configured patterns, checked once so a bad one is a config error."""
    if not patterns:
        return None
    for p in patterns:
        if not isinstance(p, str) or not p:
            raise ConfigError(f"boilerplate_patterns: {p!r} is not a non-empty string")
        try:
            probes = pa.array(["Zq9 an ordinary paragraph.", "Another one, entirely different: 42!"])
            hits = pc.match_substring_regex(probes, p).to_pylist()
        except pa.ArrowInvalid as exc:
            raise ConfigError(f"boilerplate_patterns: invalid pattern {p!r} (RE2 syntax): {exc}") from exc
        if all(hits):
            raise ConfigError(f"boilerplate_patterns: {p!r} matches every paragraph (anchor it, e.g. '^Disclaimer:')")
    return "|".join(f"(?:{p})" for p in patterns)


def matches(texts: pa.Array, combined: str | None) -> np.ndarray:
    if combined is None or len(texts) == 0:
        return np.zeros(len(texts), dtype=bool)
    return np.asarray(pc.match_substring_regex(texts, combined).fill_null(False), dtype=bool)


def recurring(keys: np.ndarray, docs: np.ndarray, min_docs: int) -> np.ndarray:
    """Rules 1: paragraphs whose key appears in at least `min_docs` different documents."""
    return distinct_count(keys, docs) >= min_docs


def furniture(keys: np.ndarray, sources: np.ndarray, canon: np.ndarray, min_docs: int) -> np.ndarray:
    """Rules 2: paragraphs whose key one source puts in at least `min_docs` different documents,
    copies of one document counting once (`canon`: each paragraph's document's first copy).

    A site's footer recurs under that site's own articles; a syndicated story, a quoted statement
    or a licence recurs across sources, once per outlet: content, kept once as an exact duplicate.
    """
    hot = distinct_count(combine_keys(keys, sources.astype(np.uint64)), canon) >= min_docs
    if not hot.any():
        return hot
    return np.isin(keys, np.unique(keys[hot]))

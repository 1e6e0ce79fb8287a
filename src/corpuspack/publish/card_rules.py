"""What decided which paragraphs were dropped, as the card says it to the people who train on the
data: from the version's recorded dedup settings, in the words of the README's "Deduplication"."""

from __future__ import annotations

from typing import Any

from .markdown import cell

README = 'corpuspack\'s README, "Deduplication"'


def dedup_rules(dedup: dict[str, Any]) -> str:
    """The rules a version was deduplicated under (its manifest's `config.dedup`)."""
    first = "Every paragraph gets one decision; of copies, the first in (document id, paragraph index) order is kept."
    if dedup.get("rules") != 2:
        return f"{first} This version was deduplicated under dedup rules 1 ({README})."
    patterns = dedup.get("boilerplate_patterns")
    named = (
        f", and paragraphs matching one of {len(patterns)} configured patterns"
        if isinstance(patterns, list) and patterns
        else ""
    )
    return (
        f"{first} Boilerplate is what one source puts in at least {cell(dedup.get('boilerplate_min_docs'))} of its "
        f"documents{named}: it is dropped everywhere, the first copy too; text repeated across sources (a wire "
        "story, a quotation) is content and keeps one copy. A document whose other paragraphs equal an earlier "
        f"document's, in order, is a duplicate document. Paragraphs under {cell(dedup.get('min_words'))} words are "
        "never dropped as exact or near duplicates (they still go as boilerplate or with a duplicate document). "
        f"Dedup rules 2 ({README})."
    )

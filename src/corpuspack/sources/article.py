"""The scraped-article layout: title line, dateline block, then blank-line-separated paragraphs."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..model import Finding, Location, ReadResult
from ..text import blocks, clean, lines
from .records import make_document

DATELINE = re.compile(r"^(?P<source>.+?)\s+(?:Updated|Published)\s+on\s+(?P<date>\S+)$", re.IGNORECASE)
EXPECTED = "expected a dateline such as 'Mondo Education Updated on 2024-01-29'"


def read_article(
    text: str,
    path: str,
    doc_id: str,
    defaults: Mapping[str, Any],
    sidecar: tuple[Mapping[str, Any], Mapping[str, Location]] | None = None,
) -> ReadResult:
    found = list(blocks(lines(text)))
    if not found:
        return ReadResult(findings=[Finding(path, None, "/title", "no title: the file has no text")])
    title_line, title_rows = found[0]
    rest = found[1:]
    # The dateline may follow the title without a blank line in between.
    for offset, row in enumerate(title_rows[1:], 1):
        if DATELINE.match(clean(row)):
            rest.insert(0, (title_line + offset, title_rows[offset:]))
            title_rows = title_rows[:offset]
            break
    if not rest:
        return ReadResult(
            findings=[Finding(path, title_line + len(title_rows), "/source", f"missing dateline: {EXPECTED}")]
        )
    date_line, date_rows = rest[0]
    match = DATELINE.match(clean(" ".join(date_rows)))
    if match is None:
        return ReadResult(
            findings=[
                Finding(path, date_line, "/source", f"missing dateline: {EXPECTED}, found {clean(date_rows[0])[:80]!r}")
            ]
        )
    body = rest[1:]
    meta = {"title": clean(" ".join(title_rows)), "source": match["source"], "date": match["date"]}
    where = {
        "title": Location(path, title_line),
        "source": Location(path, date_line),
        "date": Location(path, date_line),
        "text": Location(path, body[0][0] if body else date_line),
    }
    paras = [clean(" ".join(rows)) for _, rows in body]
    return ReadResult(documents=[make_document(doc_id, meta, paras, path, 1, where, defaults, sidecar)])

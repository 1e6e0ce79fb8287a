"""The scraped-article layout: title line, dateline block, then blank-line-separated paragraphs."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..model import Finding, Location, ReadResult
from ..text import clean, lines, split_blocks
from .records import make_document

# Any date text is taken, so that a date in another format is reported as a bad date, not as no dateline.
DATELINE = re.compile(r"^(?P<source>.+?)\s+(?:Updated|Published)\s+on\s+(?P<date>\S.*?)\s*$", re.IGNORECASE)
EXPECTED = "expected a dateline such as 'Mondo Education Updated on 2024-01-29'"


def read_article(
    text: str,
    path: str,
    doc_id: str,
    defaults: Mapping[str, Any],
    sidecar: tuple[Mapping[str, Any], Mapping[str, Location]] | None = None,
) -> ReadResult:
    numbers, blocks = split_blocks(text)
    if not blocks:
        return ReadResult(findings=[Finding(path, None, "/title", "no title: the file has no text")])
    title_line, title = numbers[0], blocks[0]
    second = blocks[1] if len(blocks) > 1 else None
    match = DATELINE.match(second) if second is not None else None
    tail = None if match is not None else _title_tail(text, title_line)
    if tail is not None:
        # The dateline follows the title without a blank line in between.
        title, dateline, date_line = tail
        first_body = 1
        match = DATELINE.match(dateline)
    elif second is not None:
        date_line, dateline, first_body = numbers[1], second, 2
    else:
        dateline = None
    if dateline is None:
        return ReadResult(findings=[Finding(path, title_line + 1, "/source", f"missing dateline: {EXPECTED}")])
    if match is None:
        return ReadResult(
            findings=[Finding(path, date_line, "/source", f"missing dateline: {EXPECTED}, found {dateline[:80]!r}")]
        )
    meta = {"title": title, "source": match["source"], "date": match["date"]}
    dated = Location(path, date_line)
    where = {
        "title": Location(path, title_line),
        "source": dated,
        "date": dated,
        "text": Location(path, numbers[first_body] if len(blocks) > first_body else date_line),
    }
    paras = blocks[first_body:]
    return ReadResult(documents=[make_document(doc_id, meta, paras, path, 1, where, defaults, sidecar)])


def _title_tail(text: str, title_line: int) -> tuple[str, str, int] | None:
    """When the first block's last line is a dateline: (title, dateline, its line)."""
    block = []
    for row in lines(text)[title_line - 1 :]:
        if not row.strip():
            break
        block.append(row)
    if len(block) > 1 and DATELINE.match(clean(block[-1])):
        return clean(" ".join(block[:-1])), clean(block[-1]), title_line + len(block) - 1
    return None

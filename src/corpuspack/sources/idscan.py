"""The ids a seed file holds, read cheaply: no schema, no paragraphs, only as much of each file as
says its ids. `validate PATHS` checks the given files' ids against the rest of the seeds folder this
way, so a pre-commit hook that sees only the changed files still sees an id used elsewhere.

A file that cannot be read yields the ids found before the problem (or none), except that a text
seed without front matter claims its name's id whatever its body: its problems are the full
validation's to report, when that file is given or in CI.
"""

from __future__ import annotations

import json
import os

import pyarrow as pa

from ..text import lines
from .bounded import Refused, numbered_lines, open_regular
from .discover import SeedFile
from .frontmatter import FENCE, has_front_matter, read_front_matter
from .jsonrecords import read_json
from .sidecar import stem

HEAD = 1 << 12  # front matter is a few lines: read this much first, the whole file only if it is not closed there

Ids = list[tuple[str, int | None]]  # (id, line) per document


def scan_ids(seed: SeedFile, max_bytes: int) -> Ids:
    """(id, line) of each document `read_seed` would make of `seed`, reading as little as it can."""
    kind = seed.kind
    if kind not in ("jsonl", "json", "text"):
        return []
    try:
        with open_regular(seed.file, seed.rel) as f:
            if kind == "jsonl":
                return _jsonl_ids(f, seed.rel, max_bytes)
            if os.fstat(f.fileno()).st_size > max_bytes:
                return []
            head = f.read(min(HEAD, max_bytes + 1))
            if kind == "json" or _header(_text(head)) is None:
                head += f.read(max(max_bytes + 1 - len(head), 0))
            if len(head) > max_bytes:  # grew while being read
                return []
    except (Refused, OSError):
        return []
    text = _text(head)
    if kind == "json":
        return [(d.id, d.location.line) for d in read_json(text, seed.rel, {}).documents]
    doc_id = stem(os.path.basename(seed.file))
    header = _header(text)
    if header == "":
        return [(doc_id, 1)]
    docs = read_front_matter(header or text, seed.rel, doc_id, {}).documents
    return [(d.id, d.location.line) for d in docs]


def _jsonl_ids(f, rel: str, max_bytes: int) -> Ids:
    ids: Ids = []
    try:
        for number, raw in numbered_lines(f, rel, max_bytes):
            if isinstance(raw, int) or not raw.strip():
                continue
            try:
                record = json.loads(raw)
            except (ValueError, RecursionError):
                continue
            doc_id = record.get("id") if isinstance(record, dict) else None
            if isinstance(doc_id, str) and doc_id and isinstance(record.get("text"), str):
                ids.append((doc_id, number))
    except (Refused, OSError, ValueError, pa.ArrowException):
        pass  # a broken stream: the ids before the break
    return ids


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace").removeprefix("\ufeff")


def _header(text: str) -> str | None:
    """The front matter block alone, which is what fixes the id ("" when the file has none; None
    when it is not closed in `text`)."""
    if not has_front_matter(text):
        return ""
    rows = lines(text)
    end = next((i for i in range(1, len(rows)) if rows[i].rstrip() in (FENCE, "...")), None)
    return None if end is None else "\n".join(rows[: end + 1]) + "\n"

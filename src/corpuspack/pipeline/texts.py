"""A chunk's paragraph texts as one Arrow array, cut from the seed files' own UTF-8 where readers kept it.

Arrow holds text as UTF-8 and Python as code points: making the array from the paragraphs' strings
encodes every character of text that is not ASCII again, one paragraph at a time (accented text
cost twice what English did here). A reader that kept a document's paragraphs as the file held them
(`Document.body_utf8`: joined by two line breaks, each paragraph's own line breaks left in) lets
the chunk's array be made in a few passes over its bytes: the documents joined by two line breaks,
the separators found with numpy, removed, and the line breaks left made spaces, as cleaning made
them. Documents without it are encoded as before, each in one piece.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..model import Document

_SEP = b"\n\n"


def paragraph_texts(docs: Sequence[Document], paragraphs: Sequence[str]) -> pa.LargeStringArray:
    """The paragraphs of `docs`, in order (`paragraphs`: the same, as strings), as large_string."""
    if all(map(str.isascii, paragraphs)):  # (a flag of each string) Python holds ASCII as UTF-8 already
        return pa.array(paragraphs, pa.large_string())
    pieces = [_utf8(d) for d in docs if d.paragraphs]
    if any(p is None for p in pieces):
        return pa.array(paragraphs, pa.large_string())
    raw = np.frombuffer(_SEP.join(pieces), dtype=np.uint8)
    breaks = np.flatnonzero(raw == 10)
    # Paragraphs hold no empty line nor one at either end: each pair of line breaks separates two.
    seps = breaks[:-1][np.diff(breaks) == 1]
    keep = np.ones(len(raw), dtype=bool)
    keep[seps] = keep[seps + 1] = False
    data = raw[keep]
    data[data == 10] = 32  # a line break inside a paragraph: cleaning made it a space
    ends = np.empty(len(seps) + 2, dtype=np.int64)
    ends[0], ends[-1] = 0, len(data)
    ends[1:-1] = seps - 2 * np.arange(len(seps), dtype=np.int64)
    if len(ends) - 1 != len(paragraphs) or np.any(np.diff(ends) <= 0):
        return pa.array(paragraphs, pa.large_string())  # not as the readers promised: made from the strings
    texts = pa.LargeStringArray.from_buffers(len(paragraphs), pa.py_buffer(ends), pa.py_buffer(data))
    lengths = np.fromiter(map(len, paragraphs), dtype=np.int64, count=len(paragraphs))
    if not np.array_equal(pc.utf8_length(texts).to_numpy(), lengths):
        return pa.array(paragraphs, pa.large_string())
    return texts


def _utf8(doc: Document) -> bytes | None:
    """The document's paragraphs joined by two line breaks, as UTF-8; None when one holds a line break."""
    if doc.body_utf8 is not None:
        return doc.body_utf8
    text = "\n\n".join(doc.paragraphs)
    return text.encode("utf-8") if text.count("\n") == 2 * len(doc.paragraphs) - 2 else None

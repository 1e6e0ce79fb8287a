"""Quality signals of a document (output format 3): what they are, as the manifest records them, and
the per-chunk measurement a worker spills next to the document's metadata.

Every signal but `dropped_share` is measured on the document as read (all its paragraphs, before
dedup), so a worker computes them in the pass that reads it; `dropped_share` comes from the ledger
when the documents table is written.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from ..model import Document, Finding
from ..tables import MEASURED, SIGNALS, description
from . import language
from .measure import text_signals

# Bumped when a definition changes, so two versions' signals are known to be comparable or not.
VERSION = 1
DEFINITIONS = "Dolma's gopher_v1 statistics (lines: paragraphs; characters: the document's text)"


def manifest_entry() -> dict[str, Any]:
    """What a format-3 manifest records under `signals`: version, model, each signal's definition."""
    return {
        "version": VERSION,
        "language_model": language.model_version(),
        "language_sample_chars": language.SAMPLE_CHARS,
        "repetition": DEFINITIONS,
        "columns": {f.name: description(f) for f in SIGNALS},
    }


def measure_documents(
    paragraphs: list[tuple[str, ...]],
    texts: pa.Array,
    counts: list[int],
    words: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict[str, pa.Array]:
    """The spilled signals of each document: `paragraphs` per document, `texts` all of them in order,
    `words` their key-text word hashes and offsets if already made (`dedup.features.paragraph_words`)."""
    hashes, offsets = words if words is not None else (None, None)
    found: dict[str, Any] = text_signals(texts, np.asarray(counts, dtype=np.int64), hashes, offsets)
    detected, confidence = language.detect([language.sample(p) for p in paragraphs])
    found["language_detected"], found["language_confidence"] = detected, confidence
    return {f.name: pa.array(found[f.name], f.type) for f in MEASURED}


def prepare() -> None:
    """Load the language model now: workers forked after this inherit it rather than each loading it."""
    language.prepared()


def language_findings(docs: list[Document], strict: bool) -> list[Finding]:
    """A finding for each document whose declared language the detected one contradicts at high
    confidence: a warning, an error when `strict`."""
    samples = [language.sample(d.paragraphs) for d in docs]
    detected, confidence = language.detect(samples)
    out = []
    for doc, text, found, score in zip(docs, samples, detected, confidence, strict=True):
        declared = doc.metadata.get("language")
        if not isinstance(declared, str) or not language.contradicts(declared, found, score, len(text)):
            continue
        where = doc.where("/language")
        message = (
            f"document {doc.id!r} declares language {declared!r} but its text reads as {found!r} "
            f"(lid.176 confidence {score:.2f})"
        )
        out.append(Finding(where.path, where.line, "/language", message, "error" if strict else "warning", "language"))
    return out


def nulls(n: int) -> dict[str, pa.Array]:
    """The spilled signal columns of a format that has none."""
    return {f.name: pa.nulls(n, f.type) for f in MEASURED}

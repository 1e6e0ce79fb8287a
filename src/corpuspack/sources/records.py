"""Building a Document from what a reader found, with metadata precedence and locations."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..model import Document, Location


def make_document(
    doc_id: str,
    metadata: Mapping[str, Any],
    paragraphs: list[str],
    path: str,
    line: int | None,
    locations: Mapping[str, Location],
    defaults: Mapping[str, Any],
    sidecar: tuple[Mapping[str, Any], Mapping[str, Location]] | None = None,
) -> Document:
    """Defaults, then the file's own metadata, then the sidecar's, each field remembering its origin."""
    meta: dict[str, Any] = dict(defaults)
    where: dict[str, Location] = {}
    meta.update(metadata)
    where.update(locations)
    if sidecar is not None:
        meta.update(sidecar[0])
        where.update(sidecar[1])
    meta.pop("id", None)
    meta.pop("text", None)
    return Document(
        id=doc_id,
        metadata=meta,
        paragraphs=tuple(paragraphs),
        seed_path=path,
        location=Location(path, line),
        locations=where,
    )

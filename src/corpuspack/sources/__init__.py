"""Readers: one module per seed format, all returning documents plus findings, never raising on bad data."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..model import Finding, ReadResult
from .article import read_article
from .bounded import Refused, open_fd, open_regular, read_whole, too_large
from .decode import decode
from .discover import TEXT_SUFFIXES, SeedFile, discover
from .frontmatter import has_front_matter, read_front_matter
from .jsonrecords import read_json, read_jsonl
from .readahead import CAN_ADVISE
from .sidecar import read_sidecar, stem

__all__ = ["SeedFile", "discover", "read_seed"]


def read_seed(
    seed: SeedFile, defaults: Mapping[str, Any], max_bytes: int, strict: bool = False, forget: bool = False
) -> ReadResult:
    """Read one seed file into documents and findings; with `forget`, the page cache lets go of a
    file read whole once it is read (`readahead.too_large_to_keep`)."""
    kind, rel = seed.kind, seed.rel
    if kind == "sidecar":
        if not _has_seed(seed.path):
            return ReadResult(
                findings=[Finding(rel, None, "", "sidecar has no seed file next to it", "warning", "orphan")]
            )
        return ReadResult()
    if kind is None:
        severity = "error" if strict else "warning"
        return ReadResult(findings=[Finding(rel, None, "", "no reader for this file type", severity, "unknown-type")])
    # Plain strings, one open + fstat per file and no file object for a file read whole: at a
    # million files, Path objects and extra stat calls were a fifth of the reading time.
    try:
        if kind == "jsonl":
            with open_regular(seed.file, rel) as f:
                return read_jsonl(f, rel, defaults, max_bytes)
        fd, st = open_fd(seed.file, rel)
        try:
            if st.st_size > max_bytes:
                return ReadResult(findings=[too_large(rel, st.st_size, max_bytes)])
            raw = read_whole(fd, st.st_size, max_bytes)
            if len(raw) > max_bytes:
                return ReadResult(findings=[too_large(rel, len(raw), max_bytes)])
            if forget and CAN_ADVISE:
                with contextlib.suppress(OSError):  # advice: the file was read all the same
                    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
    except Refused as refused:
        return ReadResult(findings=[refused.finding])
    except OSError as exc:
        return _unreadable(rel, exc)
    text, problem = decode(raw, rel)
    if problem is not None:
        return ReadResult(findings=[problem], raw=raw)
    assert text is not None
    if kind == "json":
        result = read_json(text, rel, defaults)
        result.raw = raw
        return result
    doc_id = stem(os.path.basename(seed.file))
    side = seed.sidecar_file
    sidecar = None
    extra: list[Finding] = []
    if side is not None:
        side_rel = rel.rsplit("/", 1)[0] + "/" + os.path.basename(side) if "/" in rel else os.path.basename(side)
        fields, where, extra = read_sidecar(Path(side), side_rel)
        sidecar = (fields, where)
    reader = read_front_matter if has_front_matter(text) else read_article
    result = reader(text, rel, doc_id, defaults, sidecar)
    result.findings[:0] = extra
    result.raw = raw
    return result


def _unreadable(rel: str, exc: OSError) -> ReadResult:
    return ReadResult(findings=[Finding(rel, None, "", f"cannot read: {exc.strerror or exc}", code="io")])


def _has_seed(side: Path) -> bool:
    stem = side.name[: -len(".meta.json")]
    return any(side.with_name(stem + suffix).is_file() for suffix in TEXT_SUFFIXES)

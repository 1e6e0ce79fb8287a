"""`<stem>.meta.json` next to a text seed: metadata that adds to or overrides the seed's own."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from ..model import Finding, Location
from .bounded import Refused, open_regular, shape_problem, too_large
from .decode import decode

SUFFIX = ".meta.json"
MAX_SIDECAR_BYTES = 1 << 20  # metadata only: a megabyte is already far more than any needs
_FORBIDDEN = ("id", "text")


def stem(name: str) -> str:
    """`Path(name).stem`, without making a Path (a million seeds, several uses each)."""
    dot = name.rfind(".")
    return name[:dot] if 0 < dot < len(name) - 1 else name


def sidecar_path(seed: str) -> str:
    """Where a text seed's sidecar would be: `<stem>.meta.json` in the same folder."""
    folder, name = os.path.split(seed)
    return os.path.join(folder, stem(name) + SUFFIX)


def read_sidecar(path: Path, rel: str) -> tuple[dict[str, Any], dict[str, Location], list[Finding]]:
    """The sidecar's fields and where each stands, or findings explaining why it cannot be used."""
    from .jsonrecords import parse_json

    try:
        with open_regular(str(path), rel) as f:
            raw = f.read(MAX_SIDECAR_BYTES + 1)
    except Refused as refused:
        return {}, {}, [refused.finding]
    except OSError as exc:
        return {}, {}, [Finding(rel, None, "", f"cannot read: {exc.strerror or exc}", code="io")]
    if len(raw) > MAX_SIDECAR_BYTES:
        return {}, {}, [too_large(rel, len(raw), MAX_SIDECAR_BYTES, "sidecar")]
    text, problem = decode(raw, rel)
    if problem is not None:
        return {}, {}, [problem]
    assert text is not None
    data, problem = parse_json(text, rel)
    if problem is not None:
        return {}, {}, [problem]
    if not isinstance(data, dict):
        return {}, {}, [Finding(rel, 1, "", f"a sidecar must be a JSON object, not {type(data).__name__}")]
    shape = shape_problem(data)
    if shape is not None:
        return {}, {}, [Finding(rel, 1, "", f"sidecar {shape}", code="shape")]
    findings = [
        Finding(rel, key_line(text, key), f"/{key}", f"'{key}' cannot be set in a sidecar")
        for key in _FORBIDDEN
        if key in data
    ]
    fields = {k: v for k, v in data.items() if k not in _FORBIDDEN}
    return fields, {k: Location(rel, key_line(text, k)) for k in fields}, findings


def key_line(text: str, key: str) -> int | None:
    """The line of the first `"key":` in a JSON text (good enough to point a reader at it)."""
    match = re.search(rf'"{re.escape(key)}"\s*:', text)
    return text.count("\n", 0, match.start()) + 1 if match else None

"""Turning a seed file's bytes into text, or into a finding that says why not."""

from __future__ import annotations

import codecs

from ..model import Finding


def decode(raw: bytes, path: str) -> tuple[str | None, Finding | None]:
    """UTF-8 (with or without a BOM) or a finding naming the line and byte offset."""
    if b"\x00" in raw:
        offset = raw.index(b"\x00")
        return None, Finding(
            path, _line_at(raw, offset), "", f"binary file (NUL byte at offset {offset})", code="binary"
        )
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = _line_at(raw, exc.start)
        return None, Finding(
            path, line, "", f"not valid UTF-8: byte 0x{raw[exc.start]:02x} at offset {exc.start}", code="encoding"
        )
    if not text or text.isspace():  # not `strip`, which copies the text
        return None, Finding(path, None, "", "empty file" if not text else "file holds only whitespace", code="empty")
    return text, None


def _line_at(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1

"""User strings made safe to print: ids, paths and texts from seeds or manifests reach terminals
and CI logs, where an escape sequence would drive the terminal and a line break forge a line."""

from __future__ import annotations

import os
import re

# DEL and C1 controls, zero-width and bidirectional controls (every Bidi_Control character: the
# Arabic letter mark U+061C too), line and paragraph separators.
_INVISIBLE = r"\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
_UNSAFE_ANY = re.compile(rf"[\x00-\x1f{_INVISIBLE}]")
_UNSAFE_BUT_NEWLINE = re.compile(rf"[\x00-\x09\x0b-\x1f{_INVISIBLE}]")
_INVISIBLE_ONLY = re.compile(rf"[{_INVISIBLE}]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str, limit: int | None = None) -> str:
    """`text` with every control, invisible or direction-changing character (line breaks too)
    written as a `\\xNN`/`\\uNNNN` escape; cut to `limit` characters, saying how long it was."""
    if limit is not None and len(text) > limit:
        text = f"{text[:limit]}... ({len(text)} characters)"
    return _UNSAFE_ANY.sub(_escape, text)


def printable_lines(text: str) -> str:
    """`printable` for text whose line breaks are its own (a message listing problems)."""
    return _UNSAFE_BUT_NEWLINE.sub(_escape, text)


def json_safe(text: str) -> str:
    """A JSON document with the unsafe characters its encoder leaves raw (C1 controls, bidi and
    zero-width marks) written as `\\uNNNN`: still valid JSON, decoding to the same strings."""
    return _INVISIBLE_ONLY.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def printable_path(path: os.PathLike[str] | str) -> str:
    """A file name made printable: bytes that are not UTF-8 (a name from a foreign disk) as `\\xNN`
    escapes, then `printable` (a `str` holding them cannot be written to stdout at all)."""
    return printable(os.fsencode(path).decode("utf-8", "backslashreplace"))

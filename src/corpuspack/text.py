"""Text normalisation and paragraph splitting shared by every reader.

Two normalisations, both versioned because both change the published bytes:

* display normalisation (`clean`): Unicode NFC, any line ending, whitespace trimmed and collapsed to
  single spaces. The published text is this.
* key normalisation (see `dedup.keys`): what two paragraphs must share to count as the same.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

DISPLAY_NORMALISATION = "nfc-ws1"

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def clean(text: str) -> str:
    """NFC, whitespace (including line breaks) collapsed to single spaces, trimmed."""
    if not text.isascii() and not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return " ".join(text.split())


def lines(text: str) -> list[str]:
    """Split on LF, CRLF or CR only (str.splitlines also splits on form feeds and U+2028)."""
    if "\r" in text:
        return _LINE_BREAK.split(text)
    return text.split("\n")


# A block: a run of lines each holding something other than whitespace.
_BLOCK = re.compile(r"[^\S\n]*\S[^\n]*(?:\n[^\S\n]*\S[^\n]*)*")


def text_blocks(text: str, first_line: int = 1) -> Iterator[tuple[int, str]]:
    """Yield (1-based line number, cleaned text) for each blank-line-separated block (any line ending)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if is_tidy(text):
        yield from _tidy_blocks(text, first_line)
        return
    line, last = first_line, 0
    for match in _BLOCK.finditer(text):
        line += text.count("\n", last, match.start())
        last = match.start()
        block = match.group()
        yield line, clean(block)


def _tidy_blocks(text: str, first_line: int) -> Iterator[tuple[int, str]]:
    """`text_blocks` of tidy text: a line is blank only when empty, so blocks are what lies
    between runs of two line breaks or more (one C split, no regex)."""
    line = first_line
    for part in text.split("\n\n"):
        block = part.strip("\n")
        if block:
            lead = len(part) - len(part.lstrip("\n"))  # line breaks before the block
            yield line + lead, block if "\n" not in block else clean(block)
        line += part.count("\n") + 2


_UNTIDY = ("  ", "\n ", " \n", "\t", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x1f")


def is_tidy(text: str) -> bool:
    """Text whose one-line blocks `clean` would leave as they are: NFC, no whitespace but single
    spaces inside lines and line breaks (most seed files; checked once per file, not per block).
    A block of NFC text is NFC: it lies between line breaks, which compose with nothing."""
    if text.isascii():
        return text[:1] != " " and text[-1:] != " " and not any(u in text for u in _UNTIDY)
    # Every whitespace character but the space is unprintable (a few other characters are too,
    # such as a soft hyphen: those files take the slower way).
    return (
        text[:1] != " "
        and text[-1:] != " "
        and not any(u in text for u in _UNTIDY[:3])
        and text.replace("\n", "").isprintable()
        and unicodedata.is_normalized("NFC", text)
    )


def paragraphs(text: str) -> list[str]:
    """The cleaned blank-line-separated blocks of `text`."""
    return [block for _, block in text_blocks(text)]

"""Text normalisation and paragraph splitting shared by every reader.

Two normalisations, both versioned because both change the published bytes:

* display normalisation (`clean`): Unicode NFC, any line ending, whitespace trimmed and collapsed to
  single spaces. The published text is this.
* key normalisation (see `dedup.keys`): what two paragraphs must share to count as the same.
"""

from __future__ import annotations

import itertools
import operator
import re
import unicodedata
from collections.abc import Iterator, Sequence

import numpy as np

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
    return zip(*split_blocks(text, first_line), strict=True)


def split_blocks(text: str, first_line: int = 1) -> tuple[Sequence[int], list[str]]:
    """`text_blocks` as two lists of the same length: the blocks' first lines and their cleaned texts
    (no tuple per block: most readers want the texts alone, and the line of a few)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    fast = _tidy_split(text, first_line)
    if fast is not None:
        return fast
    if is_tidy(text):
        return _tidy_blocks(text, first_line)
    numbers, blocks = [], []
    line, last = first_line, 0
    for match in _BLOCK.finditer(text):
        line += text.count("\n", last, match.start())
        last = match.start()
        numbers.append(line)
        blocks.append(clean(match.group()))
    return numbers, blocks


def _tidy_split(text: str, first_line: int) -> tuple[Sequence[int], list[str]] | None:
    """`split_blocks` of most seed files, in a few passes in C and no Python work per block: tidy
    text (`is_tidy`) whose blank lines are all empty and single, so that the blocks are the pieces
    between two line breaks, and each cleaned is its lines joined by spaces; None for other text.
    No-break spaces (French typography puts them before : ; ! ? and inside « ») are whitespace to
    `clean`, which makes them spaces: they are made spaces first, and the text then checked."""
    if "\xa0" in text or "\u202f" in text:
        text = text.replace("\xa0", " ").replace("\u202f", " ")
    body = text.strip("\n")
    parts = body.split("\n\n")
    blocks = list(map(str.replace, parts, _NEWLINE, _SPACE))
    # A part that is empty or starts with a line break (three line breaks or more in a row) is empty
    # or starts with a space here.
    if "" in blocks or any(map(str.startswith, blocks, _SPACE)) or body[-1:] == " ":
        return None
    if body.isascii():
        if "\t" in body or "\x0b" in body or "\x0c" in body or "\x1c" in body or "\x1d" in body:
            return None
        if "\x1e" in body or "\x1f" in body or _loose_spaces(body.encode("ascii")):
            return None
    elif (latin := _latin1(body)) is not None:
        # Every character under U+0100: NFC, and printable unless a control, U+00A0 or U+00AD,
        # so its bytes are checked as ASCII's are (no Python per block or per character).
        if latin.translate(None, _LATIN1_PRINTABLE) or _loose_spaces(latin):  # what is left is unprintable
            return None
    elif any(map(str.endswith, blocks, _SPACE)) or any(map(str.__contains__, blocks, _TWO_SPACES)):
        return None  # a space at the end of a block, beside a line break or beside another
    elif not all(map(str.isprintable, blocks)) or not unicodedata.is_normalized("NFC", body):
        return None
    return _Lines(parts, first_line + len(text) - len(text.lstrip("\n"))), blocks


def _latin1(body: str) -> bytes | None:
    """`body`'s Latin-1 bytes (one per character: a copy when Python holds it so), or None when a
    character is from U+0100 on."""
    try:
        return body.encode("latin-1")
    except UnicodeEncodeError:
        return None


# Latin-1 bytes of printable characters, and the line break (blocks are split at it).
_LATIN1_PRINTABLE = bytes(c for c in range(256) if chr(c).isprintable() or c == 10)


def _loose_spaces(body: bytes) -> bool:
    """Whether `body` (ASCII or Latin-1 bytes) holds a space beside another or beside a line break
    (with numpy: searching a text for two spaces costs twice as much, spaces being everywhere)."""
    codes = np.frombuffer(body, np.uint8)
    space = codes == 32
    gap = codes == 10
    gap |= space
    return bool((space[1:] & gap[:-1]).any() or (gap[1:] & space[:-1]).any())


class _Lines(Sequence[int]):
    """The first line of each block of `_tidy_split`, counted only as far as asked: a reader wants
    those of the first few blocks, and counting the line breaks of all was a fifth of the split."""

    __slots__ = ("_known", "_parts")

    def __init__(self, parts: list[str], start: int) -> None:
        self._parts, self._known = parts, [start]

    def __len__(self) -> int:
        return len(self._parts)

    def __getitem__(self, index: int) -> int:  # type: ignore[override]  # no slices
        if not -len(self._parts) <= index < len(self._parts):
            raise IndexError(index)
        self._count(index % len(self._parts) + 1)
        return self._known[index % len(self._parts)]

    def __iter__(self) -> Iterator[int]:
        self._count(len(self._parts))
        return iter(self._known[: len(self._parts)])

    def _count(self, n: int) -> None:
        """Know the first `n` lines: block i starts 2 lines after block i - 1 ends (its own line
        breaks, then the blank line)."""
        known = self._known
        if len(known) < n:
            steps = map(operator.add, map(str.count, self._parts[len(known) - 1 : n - 1], _NEWLINE), _TWO)
            lines = itertools.accumulate(steps, initial=known[-1])
            next(lines)  # the last known
            known.extend(lines)


def _tidy_blocks(text: str, first_line: int) -> tuple[list[int], list[str]]:
    """`split_blocks` of tidy text: a line is blank only when empty, so blocks are what lies
    between runs of two line breaks or more (one C split, no regex)."""
    numbers, blocks = [], []
    line = first_line
    for part in text.split("\n\n"):
        block = part.strip("\n")
        if block:
            numbers.append(line + len(part) - len(part.lstrip("\n")))  # line breaks before the block
            blocks.append(block if "\n" not in block else clean(block))
        line += part.count("\n") + 2
    return numbers, blocks


# Endless arguments for `map`, so that a call per block runs in C.
_SPACE, _NEWLINE, _TWO_SPACES, _TWO = (itertools.repeat(v) for v in (" ", "\n", "  ", 2))


def is_tidy(text: str) -> bool:
    """Text whose one-line blocks `clean` would leave as they are: NFC, no whitespace but single
    spaces inside lines and line breaks (most seed files; checked once per file, not per block).
    A block of NFC text is NFC: it lies between line breaks, which compose with nothing."""
    if text[:1] == " " or text[-1:] == " " or "  " in text or "\n " in text or " \n" in text:
        return False
    if text.isascii():
        return not ("\t" in text or "\x0b" in text or "\x0c" in text or "\x1c" in text or "\x1d" in text) and not (
            "\x1e" in text or "\x1f" in text
        )
    # Every whitespace character but the space is unprintable (a few other characters are too,
    # such as a soft hyphen: those files take the slower way).
    return text.replace("\n", "").isprintable() and unicodedata.is_normalized("NFC", text)


def paragraphs(text: str) -> list[str]:
    """The cleaned blank-line-separated blocks of `text`."""
    return split_blocks(text)[1]

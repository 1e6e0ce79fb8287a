"""Rules-2 key texts of accented Latin paragraphs byte by byte, as the ASCII ones are.

A letter from U+00C0 to U+017F whose key-text fold is one ASCII letter (é, Ç, ñ, ő, š: NFKD gives
the letter and marks the rules remove) is two UTF-8 bytes, the first C3, C4 or C5. A paragraph
whose every non-ASCII character is such a letter folds to ASCII, so its key text is the translate
table's output (`keys.key_text`'s first branch) once each letter is replaced by its ASCII letter:
a numpy pass over the batch's bytes, no Python per paragraph or per word. Any other character in
a paragraph (a mark, ß, æ, ł, another script) sends it the general way (`wordwise`).

When the batch's Python strings are at hand and every character is under U+0100 (Latin-1: one
byte per character), the same letters fold by one `bytes.translate` of the batch's Latin-1 bytes,
no lead byte to find or delete (`latin1_keys`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_FIRST_LEAD = 0xC3


def fold_table(diacritics: re.Pattern[str]) -> np.ndarray:
    """The ASCII letter of each two-byte sequence C3 80 .. C5 BF (index: (lead - C3) * 64 + the
    second byte's low six bits), 0 where the character does not fold to one ASCII letter or digit;
    decided by the rules' own steps (NFKD, `diacritics` removed, lower case)."""
    table = np.zeros(3 * 64, dtype=np.uint8)
    for code in range(0xC0, 0x180):
        folded = diacritics.sub("", unicodedata.normalize("NFKD", chr(code))).lower()
        if len(folded) == 1 and folded.isascii() and folded.isalnum():
            lead, second = chr(code).encode("utf-8")
            table[(lead - _FIRST_LEAD) * 64 + (second & 0x3F)] = ord(folded)
    return table


def fold_latin(
    texts: pa.Array, fold: np.ndarray, ascii_table: bytes, least: float = 0.0
) -> tuple[np.ndarray, pa.Array] | None:
    """(which paragraphs are ASCII and foldable letters only, the key text of every paragraph):
    the key texts of the others are wrong, for the caller to replace. None when fewer than a
    `least` share of the batch's non-ASCII bytes belong to foldable letters (not worth it)."""
    _, offsets, data = texts.buffers()
    ends = np.frombuffer(offsets, dtype=np.int64)[texts.offset : texts.offset + len(texts) + 1]
    buffer = bytearray(data.to_pybytes()[ends[0] : ends[-1]]) if data is not None else bytearray()
    raw = np.frombuffer(buffer, dtype=np.uint8)  # a view: written in place below
    ends = ends - ends[0]
    non_ascii = int(np.count_nonzero(raw >= 0x80))
    leads = np.flatnonzero((raw[:-1] - np.uint8(_FIRST_LEAD)) < 3)  # C3, C4, C5: never continuation bytes
    letters = fold[(raw[leads].astype(np.int64) - _FIRST_LEAD) * 64 + (raw[leads + 1] & 0x3F)]
    foldable = letters != 0
    good, bad = leads[foldable], leads[~foldable]
    if 2 * len(good) < least * non_ascii:
        return None
    eligible = np.ones(len(texts), dtype=bool)
    if 2 * len(good) < non_ascii:  # other characters somewhere: which paragraphs hold them
        high = np.flatnonzero(raw >= 0x80)
        covered = np.zeros(len(high), dtype=bool)
        at = np.searchsorted(high, good)
        covered[at] = covered[at + 1] = True  # a lead's continuation byte is the next non-ASCII byte
        eligible[np.searchsorted(ends, high[~covered], side="right") - 1] = False
    raw[good + 1] = letters[foldable]
    raw[bad] = ord(" ")  # their paragraphs are not eligible; only the foldable letters' leads go
    translated = buffer.translate(ascii_table, b"\xc3\xc4\xc5")  # ASCII only: the rest became spaces
    folded_ends = ends - np.searchsorted(good, ends)  # each paragraph loses one byte per letter
    keys = pa.LargeStringArray.from_buffers(len(texts), pa.py_buffer(folded_ends), pa.py_buffer(translated))
    return eligible, pc.utf8_trim(keys, " ")


def latin1_table(fold: np.ndarray, ascii_table: bytes) -> tuple[bytes, bytes]:
    """(the key-text byte of each Latin-1 byte: `ascii_table`'s for ASCII, a foldable letter's ASCII
    letter (`fold`, from U+00C0), a space for any other; the bytes of ASCII and foldable letters)."""
    table, ok = bytearray(ascii_table), bytearray(range(128))
    for code in range(0x80, 0x100):
        lead, second = chr(code).encode("utf-8")
        letter = int(fold[(lead - _FIRST_LEAD) * 64 + (second & 0x3F)]) if lead >= _FIRST_LEAD else 0
        table[code] = letter or ord(" ")
        if letter:
            ok.append(code)
    return bytes(table), bytes(ok)


def latin1_only(texts: pa.Array) -> bool:
    """Whether every character of (large_string) `texts` is under U+0100: no UTF-8 byte from C4 on
    (one pass over the bytes, where a failed Latin-1 encoding would first join every string)."""
    _, offsets, data = texts.buffers()
    ends = np.frombuffer(offsets, dtype=np.int64)[texts.offset : texts.offset + len(texts) + 1]
    raw = np.frombuffer(data, dtype=np.uint8)[ends[0] : ends[-1]] if data is not None else np.zeros(0, np.uint8)
    return int(raw.max(initial=0)) < 0xC4


def latin1_keys(strings: Sequence[str], table: bytes, ok: bytes) -> tuple[np.ndarray, pa.Array] | None:
    """`fold_latin`'s (eligible, key texts) of `strings` (`latin1_table`'s `table` and `ok`), or None
    when a character is from U+0100 on. Taken whole, a batch of Latin-1 strings is one copy."""
    try:
        latin = "".join(strings).encode("latin-1")
    except UnicodeEncodeError:
        return None
    ends = np.zeros(len(strings) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, strings), dtype=np.int64, count=len(strings)), out=ends[1:])
    eligible = np.ones(len(strings), dtype=bool)
    if latin.translate(None, ok):  # a character that is not ASCII nor a foldable letter: where
        other = np.ones(256, dtype=bool)
        other[np.frombuffer(ok, np.uint8)] = False
        others = np.flatnonzero(other[np.frombuffer(latin, np.uint8)])
        eligible[np.searchsorted(ends, others, side="right") - 1] = False
    keys = pa.LargeStringArray.from_buffers(len(strings), pa.py_buffer(ends), pa.py_buffer(latin.translate(table)))
    return eligible, pc.utf8_trim(keys, " ")

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

Real French, German or Spanish text also holds typographic quotes, dashes, the ellipsis, « » and €:
characters that only separate words (`separator_table`). When only the words are wanted (dedup's
word hashes), those become spaces and their paragraphs stay on the byte path too.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence

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


def separator_table(diacritics: re.Pattern[str], in_word: Callable[[str], bool]) -> np.ndarray:
    """Whether each code point under `SEPARATORS_END` only separates words under rules 2 (decided by
    the rules' own steps: NFKD, `diacritics` removed, lower case, then `in_word` of each character
    left): its fold is not empty, starts with a character of combining class 0 (so NFKD moves no
    mark across it) and holds no word character, as typographic quotes, dashes, the ellipsis, « »,
    € and the no-break space. Only the Latin-1 ones and those from U+2000 (General Punctuation,
    super- and subscripts, currency signs) are looked at."""
    table = np.zeros(SEPARATORS_END, dtype=bool)
    for code in [*range(0x80, 0x100), *range(0x2000, SEPARATORS_END)]:
        decomposed = unicodedata.normalize("NFKD", chr(code))
        folded = diacritics.sub("", decomposed).lower().replace("_", " ")
        table[code] = bool(folded) and not unicodedata.combining(decomposed[0]) and not any(map(in_word, folded))
    return table


SEPARATORS_END = 0x20C0  # UTF-8 E2 80 80 to E2 82 BF


def fold_latin(
    texts: pa.Array, fold: np.ndarray, ascii_table: bytes, least: float = 0.0, separators: np.ndarray | None = None
) -> tuple[np.ndarray, pa.Array] | None:
    """(which paragraphs are ASCII and foldable letters only, the key text of every paragraph):
    the key texts of the others are wrong, for the caller to replace. None when fewer than a
    `least` share of the batch's non-ASCII bytes belong to foldable letters (not worth it).
    `separators` (`separator_table`): characters that only separate words are taken too, as
    spaces; the words of such a paragraph's key text are `key_text`'s, but not its spacing (that
    of text whose fold is not ASCII is one space between words), so only for words."""
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
    # Each character taken: its first byte and its width (every byte of it becomes a space or a letter).
    taken = [(good, 2), *(_separators(raw, bad, separators) if separators is not None else [])]
    covered_bytes = sum(len(starts) * width for starts, width in taken)
    if covered_bytes < least * non_ascii:
        return None
    eligible = np.ones(len(texts), dtype=bool)
    if covered_bytes < non_ascii:  # other characters somewhere: which paragraphs hold them
        high = np.flatnonzero(raw >= 0x80)
        covered = np.zeros(len(high), dtype=bool)
        for starts, width in taken:
            at = np.searchsorted(high, starts)
            for k in range(width):  # a character's continuation bytes are the next non-ASCII bytes
                covered[at + k] = True
        eligible[np.searchsorted(ends, high[~covered], side="right") - 1] = False
    raw[good + 1] = letters[foldable]
    raw[bad] = ord(" ")  # their paragraphs are not eligible; only the foldable letters' leads go
    translated = buffer.translate(ascii_table, b"\xc3\xc4\xc5")  # ASCII only: the rest became spaces
    folded_ends = ends - np.searchsorted(good, ends)  # each paragraph loses one byte per letter
    keys = pa.LargeStringArray.from_buffers(len(texts), pa.py_buffer(folded_ends), pa.py_buffer(translated))
    return eligible, pc.utf8_trim(keys, " ")


def _separators(raw: np.ndarray, bad: np.ndarray, separators: np.ndarray) -> list[tuple[np.ndarray, int]]:
    """The first bytes of the characters of `raw` that only separate words, with their widths: two
    bytes (lead C2, or C3 among `bad`, the leads that fold to no letter), three (E2 80 to E2 82)."""
    two = np.concatenate([np.flatnonzero(raw[:-1] == 0xC2), bad[raw[bad] == 0xC3]])
    codes = ((raw[two].astype(np.int64) & 0x1F) << 6) | (raw[two + 1] & 0x3F)
    three = np.flatnonzero(raw[:-2] == 0xE2)
    three = three[(raw[three + 1] - np.uint8(0x80)) < 3]  # U+2000-U+20BF
    codes3 = 0x2000 + (((raw[three + 1].astype(np.int64) & 0x3F) << 6) | (raw[three + 2] & 0x3F))
    return [(two[separators[codes]], 2), (three[separators[codes3]], 3)]


def latin1_table(fold: np.ndarray, ascii_table: bytes, separators: np.ndarray | None = None) -> tuple[bytes, bytes]:
    """(the key-text byte of each Latin-1 byte: `ascii_table`'s for ASCII, a foldable letter's ASCII
    letter (`fold`, from U+00C0), a space for any other; the bytes of ASCII and foldable letters,
    and of `separators` (`fold_latin`: for words only))."""
    table, ok = bytearray(ascii_table), bytearray(range(128))
    for code in range(0x80, 0x100):
        lead, second = chr(code).encode("utf-8")
        letter = int(fold[(lead - _FIRST_LEAD) * 64 + (second & 0x3F)]) if lead >= _FIRST_LEAD else 0
        table[code] = letter or ord(" ")
        if letter or (separators is not None and separators[code]):
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

"""Key texts of non-ASCII paragraphs, a batch at a time: Python runs once per distinct word, not per paragraph.

Every step of a key text (NFKD, removing diacritics, lowering case, turning what is not a letter,
digit or mark into a space, cutting unspaced scripts into characters) acts on each piece of text
between two ASCII spaces on its own: NFKD reorders marks only between two characters of combining
class 0 (the space is one), and the one rule of `str.lower` that looks at neighbours (a final
sigma) stops at a character that is neither cased nor case-ignorable (the space is neither). So a
batch is split at its spaces (Arrow), the distinct non-ASCII tokens are folded in Python (a corpus
repeats its words: a few thousand distinct ones per chunk), ASCII tokens take one
`bytes.translate` of the whole token buffer, and each paragraph is joined again (Arrow). The result
is `keys.key_text` of each paragraph, byte for byte (tests/dedup/test_wordwise.py compares them on
random Unicode text under both rules).
"""

from __future__ import annotations

import functools
import re
import unicodedata

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# How the rules-2 word boundaries see one character (as `keys._rules2_patterns` does): dropped
# (neither `\w` nor a mark below U+30000), a word character, a mark, a character of an unspaced
# script, or both of the last two (Thai vowel signs).
_DROP, _WORD, _MARK, _UNSPACED, _UNSPACED_MARK = range(5)


def _separating_table() -> bytes:
    """ASCII upper case to lower, and every ASCII byte that is neither a letter, a digit nor
    case-ignorable (`'.:^` and the backquote, which `str.lower` looks through to choose a final
    sigma) to a space; other bytes as they are. Key texts treat these bytes as the table makes
    them, so a paragraph and its image have the same key text, and the image has more spaces to
    split at (fewer distinct tokens)."""
    table = bytearray(range(256))
    for c in range(128):
        if chr(c).isupper():
            table[c] = c + 32
        elif not (chr(c).isalnum() or chr(c) in "'.:^`"):
            table[c] = ord(" ")
    return bytes(table)


_SEPARATING = _separating_table()


def key_texts_wordwise(
    texts: pa.Array, rules: int, ascii_table: bytes, diacritics: re.Pattern[str], unspaced: re.Pattern[str]
) -> pa.Array:
    """`keys.key_text` of every (large_string) paragraph; `ascii_table` the rules' byte table,
    `diacritics` the rules-2 diacritics, `unspaced` matches a character of a script without spaces."""
    tokens = pc.split_pattern(_translated(texts, _SEPARATING), " ")
    bounds = np.asarray(tokens.offsets, dtype=np.int64)
    bounds = bounds - bounds[0]
    flat = tokens.flatten()
    ascii_tokens = np.asarray(pc.string_is_ascii(flat), dtype=bool)
    forms = _translated(flat, ascii_table)
    unfolded = np.zeros(len(texts), dtype=bool)  # paragraphs whose folded text is not ASCII (rules 2)
    others = np.flatnonzero(~ascii_tokens)
    if len(others):
        encoded = pc.dictionary_encode(flat.take(pa.array(others)))
        distinct = encoded.dictionary.to_pylist()
        if rules == 2:
            folded, ok = _fold_rules2(distinct, ascii_table, diacritics, unspaced)
        else:
            folded, ok = pa.array([_fold_rules1(t) for t in distinct], pa.large_string()), np.zeros(len(distinct), bool)
        indices = np.asarray(encoded.indices)
        forms = _scatter(forms, others, folded.take(pa.array(indices)))
        owners = np.searchsorted(bounds, others[~ok[indices]], side="right") - 1
        unfolded[owners] = True
    joined = pc.binary_join(pa.LargeListArray.from_arrays(pa.array(bounds), forms), pa.scalar(" ", pa.large_string()))
    if rules == 1:  # a rules-1 key text of non-ASCII text has single spaces between its words
        unfolded[:] = True
    if unfolded.any():
        where = np.flatnonzero(unfolded)
        collapsed = pc.replace_substring_regex(joined.take(pa.array(where)), "  +", " ")
        joined = collapsed if len(where) == len(joined) else _scatter(joined, where, collapsed)
    return pc.utf8_trim(joined, " ")


def _translated(strings: pa.Array, table: bytes) -> pa.Array:
    """Each string's bytes through `table`, one call for the whole buffer (right for ASCII
    strings; the table must leave bytes from 0x80 alone for the others to stay UTF-8)."""
    _, offsets, data = strings.buffers()
    translated = pa.py_buffer(data.to_pybytes().translate(table) if data is not None else b"")
    return pa.LargeStringArray.from_buffers(len(strings), offsets, translated, offset=strings.offset)


def _scatter(base: pa.Array, where: np.ndarray, values: pa.Array) -> pa.Array:
    """`base` with `values` at positions `where`."""
    index = np.arange(len(base), dtype=np.int64)
    index[where] = len(base) + np.arange(len(where), dtype=np.int64)
    return pa.concat_arrays([base, values.cast(base.type)]).take(pa.array(index))


def _fold_rules2(
    tokens: list[str], table: bytes, diacritics: re.Pattern[str], unspaced: re.Pattern[str]
) -> tuple[pa.Array, np.ndarray]:
    """(each token's part of the key text, whether it folded to ASCII). Folded to ASCII, it is the
    translate table's output with its spaces as they are; otherwise its words, one space apart.

    The tokens are folded together, joined by newlines: a token holds none (the separating table
    made them spaces), NFKD makes none, and a newline, neither cased nor case-ignorable, ends a
    final-sigma context as the space between two tokens does."""
    folded = diacritics.sub("", unicodedata.normalize("NFKD", "\n".join(tokens))).lower().split("\n")
    if len(folded) != len(tokens):  # cannot happen (see above); kept exact should it ever
        folded = [diacritics.sub("", unicodedata.normalize("NFKD", t)).lower() for t in tokens]
    array = pa.array(folded, pa.large_string())
    ok = np.asarray(pc.string_is_ascii(array), dtype=bool)
    if ok.all():
        return _translated(array, table), ok
    rest = np.flatnonzero(~ok)
    words = []
    for i in rest.tolist():
        f = folded[i]
        simple = f.isalnum() and unspaced.search(f) is None  # one word (no mark: marks are not alnum)
        words.append(f if simple else " ".join(_rules2_words(f, unspaced)))
    return _scatter(_translated(array, table), rest, pa.array(words, pa.large_string())), ok


def _rules2_words(folded: str, unspaced: re.Pattern[str]) -> list[str]:
    """What `keys.unicode_key_text` makes of folded text: runs of word characters and marks, and
    in scripts without spaces each character with the marks after it."""
    words: list[str] = []
    current: list[str] = []
    in_unit = False  # `current` is an unspaced character and its marks
    for c in folded:
        kind = _kind(c, unspaced)
        if kind == _DROP:
            in_unit = False
        elif kind == _MARK or (kind == _UNSPACED_MARK and in_unit) or (kind == _WORD and not in_unit):
            current.append(c)
            continue
        if current:
            words.append("".join(current))
            current = []
        if kind == _WORD:
            in_unit = False
            current.append(c)
        elif kind in (_UNSPACED, _UNSPACED_MARK):
            in_unit = True
            current.append(c)
    if current:
        words.append("".join(current))
    return words


@functools.lru_cache(maxsize=1 << 16)
def _kind(c: str, unspaced: re.Pattern[str]) -> int:
    mark = unicodedata.category(c)[0] == "M" and ord(c) < 0x30000
    if c == "_" or not (c.isalnum() or mark):
        return _DROP
    if unspaced.match(c):
        return _UNSPACED_MARK if mark else _UNSPACED
    return _MARK if mark else _WORD


_NOT_ALNUM = re.compile(r"[\W_]+")
_DIGIT = re.compile(r"\d")


def _fold_rules1(token: str) -> str:
    """Rules 1: every combining mark removed, digits folded to 0, words one space apart."""
    decomposed = unicodedata.normalize("NFKD", token)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return " ".join(_NOT_ALNUM.sub(" ", _DIGIT.sub("0", stripped)).split())

"""Key texts of non-ASCII paragraphs, a batch at a time: Python runs once per distinct token, not per paragraph.

Every step of a key text (NFKD, removing diacritics, lowering case, turning what is not a letter,
digit or mark into a space, cutting unspaced scripts into characters) acts on each piece of text
between two ASCII spaces on its own: NFKD reorders marks only between two characters of combining
class 0 (the space is one), and the one rule of `str.lower` that looks at neighbours (a final
sigma) stops at a character that is neither cased nor case-ignorable (the space is neither). So a
batch is split at its spaces (Arrow; ASCII punctuation counts as space, see `_SEPARATING_SIGMA`),
the distinct tokens are dictionary-encoded, the non-ASCII ones folded in Python all at once (a
corpus repeats its words: a few thousand distinct ones per chunk), the ASCII ones take one
`bytes.translate`, and each paragraph is joined again (Arrow) or its words laid out (numpy). The
result is `keys.key_text` of each paragraph, byte for byte, and its words (tests/dedup/
test_wordwise.py compares them on random Unicode text under both rules).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# (not a word character nor a line break, a word of spaced text, any unspaced character):
# `keys._batch_patterns`, compiled when first needed.
Patterns = Callable[[], tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]]


def _separating_table(keep: str) -> bytes:
    """ASCII upper case to lower, and every ASCII byte that is neither a letter, a digit nor in
    `keep` to a space; other bytes as they are. Key texts treat these bytes as the table makes
    them, so a paragraph and its image have the same key text, and the image has more spaces to
    split at (fewer distinct tokens)."""
    table = bytearray(range(256))
    for c in range(128):
        if chr(c).isupper():
            table[c] = c + 32
        elif not (chr(c).isalnum() or chr(c) in keep):
            table[c] = ord(" ")
    return bytes(table)


# `str.lower` looks through case-ignorable characters (`'.:^` and the backquote among ASCII) to
# choose a final sigma: they stay in batches that may hold a capital sigma once decomposed (any
# character from U+0340 on: UTF-8 lead bytes from 0xCD); elsewhere they split too.
_SEPARATING = _separating_table("")
_SEPARATING_SIGMA = _separating_table("'.:^`")
_GREEK_AND_BEYOND = 0xCD


@dataclass(frozen=True)
class Tokens:
    """A batch of paragraphs cut at its spaces: token `i` of the batch is distinct token
    `indices[i]`; paragraph `p` holds tokens `bounds[p]:bounds[p + 1]`. `forms` is each distinct
    token's part of the key text, `folds` whether its folded text is ASCII (rules 1: whether the
    token is)."""

    bounds: np.ndarray
    indices: np.ndarray
    forms: pa.Array
    folds: np.ndarray


def tokens_of(
    texts: pa.Array,
    rules: int,
    ascii_table: bytes,
    diacritics: re.Pattern[str],
    patterns: Patterns,
    spaces: bool = True,
) -> Tokens:
    """The tokens of (large_string) `texts` and their forms; `ascii_table` the rules' byte table,
    `diacritics` the rules-2 diacritics, `patterns` the rules-2 word patterns.
    `spaces`: an empty token between every two spaces in a row (the key texts keep runs of
    spaces); without, runs of spaces cut once (enough for the words, and fewer tokens)."""
    separated = _separated(texts)
    tokens = pc.split_pattern(separated, " ") if spaces else pc.ascii_split_whitespace(separated)
    bounds = np.asarray(tokens.offsets, dtype=np.int64)
    encoded = pc.dictionary_encode(tokens.flatten())
    distinct = encoded.dictionary
    forms = _translated(distinct, ascii_table)  # right for ASCII tokens
    folds = np.asarray(pc.string_is_ascii(distinct), dtype=bool)
    others = np.flatnonzero(~folds)
    if len(others):
        words = distinct.take(pa.array(others)).to_pylist()
        if rules == 2:
            folded, folds[others] = _fold_rules2(words, ascii_table, diacritics, patterns)
        else:
            folded, folds[others] = pa.array([_fold_rules1(t) for t in words], pa.large_string()), False
        forms = scatter(forms, others, folded)
    return Tokens(bounds - bounds[0], np.asarray(encoded.indices, dtype=np.int64), forms, folds)


def key_texts_of(tokens: Tokens) -> pa.Array:
    """`keys.key_text` of every paragraph of `tokens`, byte for byte."""
    bounds, indices = tokens.bounds, tokens.indices
    joined = pc.binary_join(
        pa.LargeListArray.from_arrays(pa.array(bounds), tokens.forms.take(pa.array(indices))),
        pa.scalar(" ", pa.large_string()),
    )
    # Paragraphs whose folded text is not ASCII (rules 1: that are not ASCII) have single spaces
    # between their words; the others keep the translate table's spaces.
    unfolded = np.zeros(len(bounds) - 1, dtype=bool)
    unfolded[np.searchsorted(bounds, np.flatnonzero(~tokens.folds[indices]), side="right") - 1] = True
    if unfolded.any():
        where = np.flatnonzero(unfolded)
        collapsed = pc.replace_substring_regex(joined.take(pa.array(where)), "  +", " ")
        joined = collapsed if len(where) == len(joined) else scatter(joined, where, collapsed)
    return pc.utf8_trim(joined, " ")


def words_of(tokens: Tokens, hash_strings: Callable[[pa.Array], np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(hash of every word of the key texts in order, word offsets per paragraph), as
    `keys.word_hashes` of `key_texts_of(tokens)` gives them: each distinct token's words hashed
    once, then laid out token by token."""
    split = pc.ascii_split_whitespace(tokens.forms)  # a form's only whitespace is the space
    flat = split.flatten()
    starts = np.asarray(split.offsets, dtype=np.int64)
    starts = starts - starts[0]
    keep = np.asarray(pc.greater(pc.binary_length(flat), 0), dtype=bool)  # "" splits into one empty word
    kept = np.concatenate([[0], np.cumsum(keep, dtype=np.int64)])
    counts = kept[starts[1:]] - kept[starts[:-1]]  # words of each distinct token
    flat = flat.filter(pa.array(keep))
    encoded = pc.dictionary_encode(flat)
    hashes = hash_strings(encoded.dictionary)[np.asarray(encoded.indices)] if len(flat) else np.zeros(0, np.uint64)
    per_token = counts[tokens.indices]
    if counts.max(initial=0) <= 1:  # each token one word or none (most batches): no layout needed
        words = per_token.astype(bool)
        paragraph = np.concatenate([[0], np.cumsum(per_token)])[tokens.bounds]
        by_token = np.zeros(len(counts), dtype=np.uint64)
        by_token[counts == 1] = hashes
        return by_token[tokens.indices[words]], paragraph
    first = np.concatenate([[0], np.cumsum(counts)])  # each distinct token's first word in `hashes`
    total = int(per_token.sum())
    paragraph = np.concatenate([[0], np.cumsum(per_token)])[tokens.bounds]
    if total == 0:
        return np.zeros(0, dtype=np.uint64), paragraph
    at = np.concatenate([[0], np.cumsum(per_token)[:-1]])
    where = np.repeat(first[tokens.indices] - at, per_token) + np.arange(total, dtype=np.int64)
    return hashes[where], paragraph


def _separated(texts: pa.Array) -> pa.Array:
    """`texts` through the separating table that suits them (see `_SEPARATING_SIGMA`)."""
    _, offsets, data = texts.buffers()
    ends = np.frombuffer(offsets, dtype=np.int64)[texts.offset : texts.offset + len(texts) + 1]
    raw = np.frombuffer(data, dtype=np.uint8)[ends[0] : ends[-1]] if data is not None else np.zeros(0, np.uint8)
    sigma = bool((raw >= _GREEK_AND_BEYOND).any())
    return _translated(texts, _SEPARATING_SIGMA if sigma else _SEPARATING)


def _translated(strings: pa.Array, table: bytes) -> pa.Array:
    """Each string's bytes through `table`, one call for the whole buffer (right for ASCII
    strings; the table must leave bytes from 0x80 alone for the others to stay UTF-8)."""
    _, offsets, data = strings.buffers()
    translated = pa.py_buffer(data.to_pybytes().translate(table) if data is not None else b"")
    return pa.LargeStringArray.from_buffers(len(strings), offsets, translated, offset=strings.offset)


def scatter(base: pa.Array, where: np.ndarray, values: pa.Array) -> pa.Array:
    """`base` with `values` at positions `where`."""
    index = np.arange(len(base), dtype=np.int64)
    index[where] = len(base) + np.arange(len(where), dtype=np.int64)
    return pa.concat_arrays([base, values.cast(base.type)]).take(pa.array(index))


def _fold_rules2(
    tokens: list[str], table: bytes, diacritics: re.Pattern[str], patterns: Patterns
) -> tuple[pa.Array, np.ndarray]:
    """(each token's part of the key text, whether it folded to ASCII). Folded to ASCII, it is the
    translate table's output with its spaces as they are; otherwise its words, one space apart,
    cut as `keys.unicode_key_text` cuts them.

    The tokens are folded together, joined by line breaks: a token holds none (the separating
    table made them spaces), NFKD makes none, a line break, neither cased nor case-ignorable, ends a
    final-sigma context as the space between two tokens does, and the word patterns leave it be."""
    folded = diacritics.sub("", unicodedata.normalize("NFKD", "\n".join(tokens))).lower().split("\n")
    if len(folded) != len(tokens):  # cannot happen (see above); kept exact should it ever
        folded = [diacritics.sub("", unicodedata.normalize("NFKD", t)).lower() for t in tokens]
    array = pa.array(folded, pa.large_string())
    ok = np.asarray(pc.string_is_ascii(array), dtype=bool)
    forms = _translated(array, table)
    rest = np.flatnonzero(~ok)
    if len(rest) == 0:
        return forms, ok
    not_word, cut, any_unspaced = patterns()
    spaced = not_word.sub(" ", "\n".join([folded[i] for i in rest.tolist()]).replace("_", " "))
    if any_unspaced.search(spaced) is None:
        words = [" ".join(part.split()) for part in spaced.split("\n")]
    else:  # each unspaced character (with its marks) a word
        words = [" ".join(cut.findall(part)) for part in spaced.split("\n")]
    return scatter(forms, rest, pa.array(words, pa.large_string())), ok


_NOT_ALNUM = re.compile(r"[\W_]+")
_DIGIT = re.compile(r"\d")


def _fold_rules1(token: str) -> str:
    """Rules 1: every combining mark removed, digits folded to 0, words one space apart."""
    decomposed = unicodedata.normalize("NFKD", token)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return " ".join(_NOT_ALNUM.sub(" ", _DIGIT.sub("0", stripped)).split())

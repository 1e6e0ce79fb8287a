"""Key normalisation: what two paragraphs must share to count as the same, and the hashes derived from it.

Rules 2 (the default): the key text is the display text with Unicode compatibility forms
decomposed (NFKD), the diacritics of Latin, Greek and Cyrillic (and the optional vowel points of
Arabic and Hebrew) removed, case folded to lower, and every run of characters that are neither
letters, digits nor marks (punctuation, symbols, whitespace) turned into one space. So
"Co-opting, café" and "co opting cafe" share a key, while numbers stay facts ("14 degrees" is not
"23 degrees") and the vowel signs of Devanagari, Bengali, Tamil, Thai ... stay part of their words.
Scripts written without spaces (Han, Hiragana, Katakana, Thai, Lao, Khmer, Myanmar) have each
character (with its marks) as a word, so their shingles are character n-grams.

Rules 1 (the first releases'): every combining mark removed and every digit folded to 0.

Words are the space-separated tokens of the key text, so near-duplicate similarity is about
words, not the punctuation around them.

ASCII paragraphs (most of an English corpus) take one `bytes.translate`; others go word by word
through `unicodedata`, once per distinct word of a batch (`wordwise`). Word hashing runs once per
distinct word of a batch (xxh3-64), not once per word.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import xxhash

from .latinfold import fold_latin, fold_table, latin1_keys, latin1_only, latin1_table, separator_table
from .minhash import fmix64
from .wordwise import Tokens, key_texts_of, scatter, tokens_of, words_of

RULES = 2  # the latest dedup rules; a version built under other rules records them
KEY_NORMALISATION = {
    1: "nfkd-nomarks-lower-digits0-alnum-words-v1",
    2: "nfkd-diacritics-lower-alnum-marks-words-unspaced-chars-v2",
}


def _ascii_table(fold_digits: bool) -> bytes:
    table = bytearray(b" " * 256)
    for c in b"abcdefghijklmnopqrstuvwxyz":
        table[c] = table[c - 32] = c
    for c in b"0123456789":
        table[c] = ord("0") if fold_digits else c
    return bytes(table)


_ASCII_TABLES = {1: _ascii_table(True), 2: _ascii_table(False)}
_NOT_ALNUM = re.compile(r"[\W_]+")
_DIGIT = re.compile(r"\d")
# Diacritics that do not change which word it is: the combining blocks Latin, Greek and Cyrillic
# letters decompose into, and the optional vowel points of Hebrew and Arabic.
_DIACRITICS = re.compile(
    "[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f\u0591-\u05c7\u064b-\u065f\u0670\u06d6-\u06ed]"
)
# Scripts written without spaces between words.
_UNSPACED = (
    "\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u19e0-\u19ff\u2e80-\u2fdf\u3005-\u3007\u3021-\u3029"
    "\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\ua9e0-\ua9ff\uaa60-\uaa7f\uf900-\ufaff"
    "\U00020000-\U0003134f"
)

_ANY_UNSPACED = re.compile(f"[{_UNSPACED}]")


@functools.cache
def _rules2_patterns(newline: bool = False) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(not a word character, one character of an unspaced script with its marks), built once per
    process from the Unicode database: `\\w` does not count marks (a Devanagari vowel sign) as word
    characters, but they are part of their words. `newline`: the first leaves line breaks alone
    (for many texts folded at once, one a line)."""
    marks, start = [], None
    for code in range(0x30000):
        is_mark = unicodedata.category(chr(code))[0] == "M"
        if is_mark and start is None:
            start = code
        elif not is_mark and start is not None:
            marks.append(f"{_escape(start)}-{_escape(code - 1)}")
            start = None
    mark_class = "".join(marks)
    # `_` is a word character to `\\w`; callers turn it into a space first (an alternation here
    # would cost three times the whole match).
    not_word = rf"[^\w{mark_class}\n]+" if newline else rf"[^\w{mark_class}]+"
    return re.compile(not_word), re.compile(rf"[{_UNSPACED}][{mark_class}]*")


@functools.cache
def _batch_patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """(not a word character nor a line break, the words of spaced text: an unspaced character and
    its marks or a run of other characters but the space, any unspaced character): what `wordwise`
    folds many tokens with at once. The second finds the words `unicode_key_text` makes by putting
    spaces around each unspaced character and its marks, without a template expanded per match."""
    not_word, unit = _rules2_patterns(newline=True)
    cut = re.compile(rf"{unit.pattern}|(?:(?![{_UNSPACED}])[^ ])+")
    return not_word, cut, _ANY_UNSPACED


def _escape(code: int) -> str:
    return f"\\U{code:08x}"


def key_text(text: str, rules: int = RULES) -> bytes:
    """The key text of one paragraph, UTF-8 encoded: words separated by runs of spaces."""
    if text.isascii():
        return text.encode("ascii").translate(_ASCII_TABLES[rules]).strip()
    return unicode_key_text(text, rules)


def unicode_key_text(text: str, rules: int = RULES) -> bytes:
    """The general path of `key_text`; for ASCII text it gives the same words as the fast path."""
    decomposed = unicodedata.normalize("NFKD", text)
    if rules == 1:
        stripped = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
        return _NOT_ALNUM.sub(" ", _DIGIT.sub("0", stripped)).strip().encode("utf-8")
    folded = _DIACRITICS.sub("", decomposed).lower()
    if folded.isascii():  # accented Latin, once folded: the fast path's table
        return folded.encode("ascii").translate(_ASCII_TABLES[rules]).strip()
    not_word, unspaced = _rules2_patterns()
    spaced = not_word.sub(" ", folded.replace("_", " ")).strip()
    if _ANY_UNSPACED.search(spaced) is None:
        return spaced.encode("utf-8")
    return " ".join(unspaced.sub(r" \g<0> ", spaced).split()).encode("utf-8")


def key_texts(texts: pa.Array | Sequence[str], rules: int = RULES) -> pa.Array:
    """`key_text` of every paragraph, as a large_string array.

    ASCII paragraphs take one `bytes.translate` of the array's whole data buffer (the offsets stay
    the same), then one vectorised trim; a batch with others goes token by token (`wordwise`):
    Python folds each distinct non-ASCII token once.
    """
    if not isinstance(texts, pa.Array):
        texts = pa.array(texts, pa.large_string())
    elif texts.type != pa.large_string():
        texts = texts.cast(pa.large_string())
    if len(texts) == 0:
        return pa.array([], pa.large_string())
    if not pc.all(pc.string_is_ascii(texts)).as_py():
        return _latin_or_tokens(texts) if rules == 2 else key_texts_of(_tokens(texts, rules))
    _, offsets, data = texts.buffers()
    translated = pa.py_buffer(data.to_pybytes().translate(_ASCII_TABLES[rules]) if data is not None else b"")
    keys = pa.LargeStringArray.from_buffers(len(texts), offsets, translated, offset=texts.offset)
    return pc.utf8_trim(keys, " ")


def key_words(
    texts: pa.Array | Sequence[str], rules: int = RULES, strings: Sequence[str] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """`word_hashes(key_texts(texts, rules))`; a batch with text that is not ASCII is cut into
    tokens once for both (`wordwise`). `strings`: the same paragraphs as Python strings, when at
    hand (Latin-1 text folds faster from them)."""
    if not isinstance(texts, pa.Array):
        texts = pa.array(texts, pa.large_string())
    elif texts.type != pa.large_string():
        texts = texts.cast(pa.large_string())
    if len(texts) == 0 or pc.all(pc.string_is_ascii(texts)).as_py():
        return word_hashes(key_texts(texts, rules))
    if rules == 2:
        keys = _latin_or_tokens(texts, words=True, strings=strings)
        if keys is not None:
            return word_hashes(keys)
    return words_of(_tokens(texts, rules, spaces=False), hash_strings)


def _latin_or_tokens(texts: pa.Array, words: bool = False, strings: Sequence[str] | None = None) -> pa.Array | None:
    """Rules-2 key texts: accented Latin byte by byte (`latinfold`), the other paragraphs token by
    token. `words`: only the key texts' words are wanted (`key_words`), so characters that only
    separate words (typographic quotes, dashes, « ») keep a paragraph on the byte path; None unless
    most of the batch is accented Latin."""
    folded = latin1_keys(strings, *_latin1_tables(words)) if strings is not None and latin1_only(texts) else None
    if folded is None:
        separators = _separator_table() if words else None
        folded = fold_latin(texts, _latin_fold_table(), _ASCII_TABLES[2], 0.5 if words else 0.0, separators)
    if folded is None:
        return None
    foldable, keys = folded
    if foldable.all():
        return keys
    if words and foldable.sum() * 2 < len(texts):
        return None
    rest = np.flatnonzero(~foldable)
    return scatter(keys, rest, key_texts_of(_tokens(texts.take(pa.array(rest)), 2)))


@functools.cache
def _latin_fold_table() -> np.ndarray:
    return fold_table(_DIACRITICS)


@functools.cache
def _separator_table() -> np.ndarray:
    return separator_table(_DIACRITICS, _in_word)


def _in_word(character: str) -> bool:
    """Whether rules 2 keep `character` (under U+30000) in a word: what the first of
    `_rules2_patterns` does not match (`\\w`: a letter, a digit or `_`; or a mark). The separator
    table asks it of a few hundred characters, so a process that folds only Latin text does not
    build that pattern, which reads the Unicode database for 196,608 code points."""
    return character.isalnum() or character == "_" or unicodedata.category(character)[0] == "M"


@functools.cache
def _latin1_tables(words: bool = False) -> tuple[bytes, bytes]:
    return latin1_table(_latin_fold_table(), _ASCII_TABLES[2], _separator_table() if words else None)


def _tokens(texts: pa.Array, rules: int, spaces: bool = True) -> Tokens:
    return tokens_of(texts, rules, _ASCII_TABLES[rules], _DIACRITICS, _batch_patterns, spaces)


def hash_strings(values: pa.Array) -> np.ndarray:
    """xxh3-64 of each string's UTF-8 bytes (seed 0), as uint64."""
    digest = xxhash.xxh3_64_intdigest
    binary = pa.large_binary() if pa.types.is_large_string(values.type) else pa.binary()
    return np.fromiter(map(digest, values.cast(binary).to_pylist()), dtype=np.uint64, count=len(values))


def word_hashes(keys: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(hash of every word in order, word offsets per paragraph)."""
    # A key text's only whitespace is the ASCII space, so the ASCII splitter (2x faster) is exact.
    words = pc.ascii_split_whitespace(keys)
    offsets = np.asarray(words.offsets, dtype=np.int64)
    offsets = offsets - offsets[0]
    flat = words.flatten()
    if len(flat) == 0:
        return np.zeros(0, dtype=np.uint64), offsets
    encoded = pc.dictionary_encode(flat)
    hashes = hash_strings(encoded.dictionary)[np.asarray(encoded.indices)]
    empty = np.asarray(pc.equal(pc.binary_length(keys), 0))
    if not empty.any():
        return hashes, offsets
    # An empty key text splits into one empty word; a paragraph of punctuation has no words.
    keep = np.ones(len(hashes), dtype=bool)
    keep[offsets[:-1][empty]] = False
    return hashes[keep], np.concatenate([[0], np.cumsum(np.diff(offsets) - empty)])


def exact_keys(words: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """A 64-bit key per paragraph from its word sequence (order matters; equal key texts, equal keys)."""
    counts = np.diff(offsets)
    position = np.arange(len(words), dtype=np.int64) - np.repeat(offsets[:-1], counts)
    with np.errstate(over="ignore"):
        # One mix per position a paragraph can have, looked up, rather than one per word.
        by_position = fmix64(np.arange(int(counts.max(initial=0)), dtype=np.uint64) + np.uint64(0x2545F4914F6CDD1D))
        mixed = fmix64(words ^ by_position[position])
        sums = np.zeros(len(counts), dtype=np.uint64)
        nonempty = counts > 0
        if nonempty.any():
            sums[nonempty] = np.add.reduceat(mixed, offsets[:-1][nonempty])
        return fmix64(sums ^ fmix64(counts.astype(np.uint64) + np.uint64(1)))

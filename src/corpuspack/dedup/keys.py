"""Key normalisation: what two paragraphs must share to count as the same, and the hashes derived from it.

Following CCNet and datatrove, the key text is the display text with Unicode compatibility forms
decomposed (NFKD), accents and other combining marks removed, case folded to lower, every decimal
digit folded to 0, and every run of characters that are not letters or numbers (punctuation,
symbols, whitespace) turned into one space. So "Co-opting, 2023" and "co opting 2024" share a key:
re-scrapes that differ in quoting, dashes, accents or a year are one paragraph; a changed word is
not. Words are the space-separated tokens of the key text, so near-duplicate similarity is about
words, not the punctuation around them.

ASCII paragraphs (most of an English corpus) take one `bytes.translate`; others go through
`unicodedata`. Word hashing runs once per distinct word of a batch (xxh3-64), not once per word.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import xxhash

from .minhash import fmix64

KEY_NORMALISATION = "nfkd-nomarks-lower-digits0-alnum-words-v1"

_ASCII = bytearray(b" " * 256)
for _c in b"abcdefghijklmnopqrstuvwxyz":
    _ASCII[_c] = _c
    _ASCII[_c - 32] = _c
for _c in b"0123456789":
    _ASCII[_c] = ord("0")
_ASCII_TABLE = bytes(_ASCII)
_NOT_ALNUM = re.compile(r"[\W_]+")
_DIGIT = re.compile(r"\d")


def key_text(text: str) -> bytes:
    """The key text of one paragraph, UTF-8 encoded: words separated by runs of spaces."""
    if text.isascii():
        return text.encode("ascii").translate(_ASCII_TABLE).strip()
    return unicode_key_text(text)


def unicode_key_text(text: str) -> bytes:
    """The general path of `key_text`; for ASCII text it gives the same words as the fast path."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return _NOT_ALNUM.sub(" ", _DIGIT.sub("0", stripped)).strip().encode("utf-8")


def key_texts(texts: pa.Array | Sequence[str]) -> pa.Array:
    """`key_text` of every paragraph, as a large_string array.

    ASCII paragraphs take one `bytes.translate` of the array's whole data buffer (the offsets stay
    the same), then one vectorised trim; only the others go through `unicode_key_text` one by one.
    """
    if not isinstance(texts, pa.Array):
        texts = pa.array(texts, pa.large_string())
    elif texts.type != pa.large_string():
        texts = texts.cast(pa.large_string())
    if len(texts) == 0:
        return pa.array([], pa.large_string())
    _, offsets, data = texts.buffers()
    translated = pa.py_buffer(data.to_pybytes().translate(_ASCII_TABLE) if data is not None else b"")
    keys = pa.LargeStringArray.from_buffers(len(texts), offsets, translated, offset=texts.offset)
    keys = pc.utf8_trim(keys, " ")
    ascii = pc.string_is_ascii(texts)
    if pc.all(ascii).as_py():
        return keys
    others: list[bytes | None] = [None] * len(texts)
    slow = np.flatnonzero(~np.asarray(ascii))
    for i, text in zip(slow.tolist(), texts.take(pa.array(slow)).to_pylist(), strict=True):
        others[i] = unicode_key_text(text)
    return pc.if_else(ascii, keys, pa.array(others, pa.large_binary()).cast(pa.large_string()))


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

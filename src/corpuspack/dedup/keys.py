"""Key normalisation: what two paragraphs must share to count as the same, and the hashes derived from it.

Following CCNet and datatrove, the key text is the display text with Unicode compatibility forms
decomposed (NFKD), accents and other combining marks removed, case folded to lower, every decimal
digit folded to 0, and every run of punctuation, symbols and whitespace collapsed to one space. So
"Co-opting, 2023" and "co opting 2024" share a key: re-scrapes that differ in quoting, dashes,
accents or a year are one paragraph; a changed word is not. Words are the space-separated tokens
of the key text (punctuation dropped, unlike whitespace tokens), so near-duplicate similarity is
about words, not the punctuation around them.

Everything is vectorised with pyarrow compute; Python runs once per distinct word, not per word.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import xxhash

KEY_NORMALISATION = "nfkd-nomarks-lower-digits0-punct-v1"


def key_texts(texts: pa.Array) -> pa.Array:
    """The normalised key text of each paragraph."""
    t = pc.utf8_normalize(texts, "NFKD")
    t = pc.replace_substring_regex(t, r"\p{Mn}+", "")
    t = pc.utf8_lower(t)
    t = pc.replace_substring_regex(t, r"\p{Nd}", "0")
    t = pc.replace_substring_regex(t, r"[\p{P}\p{S}\p{Z}\s]+", " ")
    return pc.utf8_trim(t, " ")


def hash_strings(values: pa.Array) -> np.ndarray:
    """xxh3-64 of each string's UTF-8 bytes (seed 0), as uint64."""
    digest = xxhash.xxh3_64_intdigest
    binary = pa.large_binary() if pa.types.is_large_string(values.type) else pa.binary()
    return np.fromiter(map(digest, values.cast(binary).to_pylist()), dtype=np.uint64, count=len(values))


def word_hashes(keys: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(hash of every word in order, word offsets per paragraph): one xxh3 call per distinct word."""
    words = pc.split_pattern(keys, " ")
    offsets = np.asarray(words.offsets, dtype=np.int64)
    flat = words.flatten()
    if len(flat) == 0:
        return np.zeros(0, dtype=np.uint64), offsets - offsets[0]
    encoded = pc.dictionary_encode(flat)
    hashes = hash_strings(encoded.dictionary)[np.asarray(encoded.indices)]
    # Empty key texts split into one empty word: drop those so a paragraph of punctuation has no words.
    empty = np.asarray(pc.equal(pc.utf8_length(keys), 0).fill_null(True))
    if empty.any():
        keep = np.ones(len(flat), dtype=bool)
        keep[offsets[:-1][empty] - offsets[0]] = False
        counts = np.diff(offsets) - empty
        return hashes[keep], np.concatenate([[0], np.cumsum(counts)])
    return hashes, offsets - offsets[0]

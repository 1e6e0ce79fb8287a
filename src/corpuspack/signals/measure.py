"""The per-document quality signals of a chunk, computed column-wise over all its paragraphs at once.

Definitions follow Dolma's `gopher_v1` tagger (the Gopher paper's statistics as Dolma computes them),
with three differences said where they are: a document's lines are its paragraphs (a reader joins
the lines of a block); characters are counted in the document's text (`Document.text`: paragraphs
joined by one blank line); duplicate 5-grams are counted, not weighed by their characters, over the
words dedup already hashed (key text: case, accents and punctuation folded), so they cost no second
split of the text. Paragraphs are whitespace-collapsed (`text.clean`), so a paragraph's words are
its spaces plus one, counted on the bytes.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..dedup.keys import key_texts, word_hashes
from ..dedup.minhash import fmix64

NGRAM = 5  # the shortest of Gopher's duplicate n-grams (5 to 10), the one that counts most repetition
# A line (paragraph) "ends in punctuation" when its last character, closing quotes and brackets
# aside, ends a sentence (Latin, CJK full-width, Arabic, Devanagari).
PUNCTUATION_END = r"[.!?…。！？؟।][\"'”’»)\]」』]*$"
REDACTION = "**"  # where the seed's text was removed
MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # odd: a polynomial of word hashes mod 2^64, then mixed
HASH_BITS = 40  # of an n-gram's hash kept beside its document's number when sorting


def _per_document(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Sums of `values` over runs beginning at `starts` (one per document; empty runs give 0)."""
    if len(values) == 0:
        return np.zeros(len(starts), dtype=values.dtype)
    sums = np.add.reduceat(np.append(values, 0), np.minimum(starts, len(values)))
    ends = np.append(starts[1:], len(values))
    return np.where(ends > starts, sums, 0)


def _share(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    return np.round(np.divide(part, whole, out=np.zeros(len(whole)), where=whole > 0), 4)


def text_signals(
    texts: pa.Array, counts: np.ndarray, words: np.ndarray | None = None, offsets: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """Signals of each document from its paragraphs: `texts` holds every paragraph of the chunk in
    order, `counts` how many belong to each document; `words` and `offsets` are dedup's word hashes
    of those paragraphs and where each paragraph's begin (`dedup.keys.word_hashes`; computed here
    when not given)."""
    counts = np.asarray(counts, dtype=np.int64)
    starts = np.cumsum(counts) - counts
    texts = texts.cast(pa.large_string()) if texts.type != pa.large_string() else texts
    if words is None or offsets is None:
        words, offsets = word_hashes(key_texts(texts))
    para_chars = np.asarray(pc.utf8_length(texts), dtype=np.int64)
    spaces, letters, stars = _byte_counts(texts)
    para_words = np.where(para_chars > 0, spaces + 1, 0)
    n_words = _per_document(para_words, starts)
    visible = _per_document(para_chars - spaces, starts)
    ends = np.asarray(pc.match_substring_regex(texts, PUNCTUATION_END), dtype=np.int64)
    marks = np.zeros(len(texts), dtype=np.int64)
    starred = stars >= len(REDACTION)  # counted where there can be one (a scan of all text costs more)
    if starred.any():
        marks[starred] = np.asarray(pc.count_substring(texts.filter(pa.array(starred)), REDACTION), dtype=np.int64)
    doc_of_para = np.repeat(np.arange(len(counts)), counts)
    return {
        "n_words": n_words,
        "n_chars": _per_document(para_chars, starts) + 2 * np.maximum(counts - 1, 0),
        "mean_word_length": _share(visible, n_words),
        "alpha_share": _share(_per_document(letters, starts), visible),
        "punct_line_share": _share(_per_document(ends, starts), counts),
        "dup_line_share": _share(_per_document(_repeated(texts, doc_of_para), starts), counts),
        f"dup_{NGRAM}gram_share": _duplicate_ngram_share(words, offsets, starts, counts, NGRAM),
        "redaction_marks": _per_document(marks, starts),
    }


def _byte_counts(texts: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(spaces, letters, asterisks) of each paragraph: spaces and asterisks by Arrow's substring
    count; ASCII letters from one running count over the UTF-8 bytes; the letters of paragraphs that
    are not ASCII by removing runs of non-letters (matching every letter is four times slower)."""
    n = len(texts)
    spaces = np.asarray(pc.count_substring(texts, " "), dtype=np.int64)
    stars = np.asarray(pc.count_substring(texts, "*"), dtype=np.int64)
    _, offsets_buffer, data_buffer = texts.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64)[texts.offset : texts.offset + n + 1]
    if data_buffer is None or n == 0 or offsets[-1] == offsets[0]:
        return spaces, np.zeros(n, dtype=np.int64), stars
    data = np.frombuffer(data_buffer, dtype=np.uint8)[offsets[0] : offsets[-1]]
    running = np.zeros(len(data) + 1, dtype=np.int64)
    np.cumsum(((data | 0x20) - np.uint8(ord("a"))) < 26, out=running[1:])
    at = offsets - offsets[0]
    letters = running[at[1:]] - running[at[:-1]]
    other = ~np.asarray(pc.string_is_ascii(texts), dtype=bool)
    if other.any():
        rest = texts.filter(pa.array(other))
        letters[other] = np.asarray(pc.utf8_length(pc.replace_substring_regex(rest, r"\PL+", "")), dtype=np.int64)
    return spaces, letters, stars


def _repeated(texts: pa.Array, doc: np.ndarray) -> np.ndarray:
    """1 for each paragraph whose exact text occurs more than once in its document (every copy
    counts, the first included, as Dolma's `fraction_of_duplicate_lines`)."""
    if len(texts) == 0:
        return np.zeros(0, dtype=np.int64)
    ids = np.asarray(pc.dictionary_encode(texts).indices, dtype=np.uint64)
    keys = (doc.astype(np.uint64) << np.uint64(32)) | ids
    ordered = np.sort(keys)
    repeated = np.unique(ordered[1:][ordered[1:] == ordered[:-1]])
    return np.isin(keys, repeated).astype(np.int64)


def _duplicate_ngram_share(
    words: np.ndarray, offsets: np.ndarray, starts: np.ndarray, counts: np.ndarray, n: int
) -> np.ndarray:
    """Over every word n-gram of a document (across its paragraphs, as Dolma's `text.split()`), the
    share of those occurring more than once in it (every copy counted)."""
    n_docs = len(counts)
    doc_word_start = offsets[np.minimum(starts, len(offsets) - 1)]
    doc_words = offsets[np.minimum(starts + counts, len(offsets) - 1)] - doc_word_start
    grams = np.maximum(doc_words - n + 1, 0)
    if grams.sum() == 0:
        return np.zeros(n_docs)
    m = len(words) - n + 1
    doc = np.repeat(np.arange(n_docs, dtype=np.uint64), doc_words)
    with np.errstate(over="ignore"):
        h = words[:m].copy()
        for k in range(1, n):
            h = h * MULTIPLIER + words[k : k + m]
    at = np.flatnonzero(doc[:m] == doc[n - 1 :])  # n-grams that end in the document they start in
    # (document, 40 bits of the hash): a false match inside a document of 10,000 words is a
    # 1-in-20,000 event, and the sort groups each document's n-grams.
    keys = (doc[at] << np.uint64(HASH_BITS)) | (fmix64(h[at]) >> np.uint64(64 - HASH_BITS))
    return _share(_twice_per_document(keys, n_docs), grams)


def _twice_per_document(keys: np.ndarray, n_docs: int) -> np.ndarray:
    """How many of each document's keys (document number in the top bits) occur more than once.
    A count per bucket of the low bits rules most keys out in one pass; only the others are sorted."""
    bits = max(10, int(len(keys) * 2).bit_length())
    bucket = (keys & np.uint64((1 << bits) - 1)).astype(np.int64)
    candidates = np.sort(keys[np.bincount(bucket, minlength=1 << bits)[bucket] > 1])
    same = candidates[1:] == candidates[:-1]
    twice = np.zeros(len(candidates), dtype=bool)
    twice[1:] |= same
    twice[:-1] |= same
    doc = (candidates[twice] >> np.uint64(HASH_BITS)).astype(np.int64)
    return np.bincount(doc, minlength=n_docs)

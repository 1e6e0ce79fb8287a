"""The per-document quality signals of a chunk, computed column-wise over all its paragraphs at once.

Definitions follow Dolma's `gopher_v1` tagger (the Gopher paper's statistics as Dolma computes them),
with two differences said where they are: a document's lines are its paragraphs (a reader joins the
lines of a block), and characters are counted in the document's text (`Document.text`: paragraphs
joined by one blank line).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..dedup.minhash import fmix64

NGRAM = 5  # the shortest of Gopher's duplicate n-grams (5 to 10), the one that counts most repetition
# A line (paragraph) "ends in punctuation" when its last character, closing quotes and brackets
# aside, ends a sentence (Latin, CJK full-width, Arabic, Devanagari).
PUNCTUATION_END = r"[.!?…。！？؟।][\"'”’»)\]」』]*$"
REDACTION = "**"  # where the seed's text was removed


def _per_document(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Sums of `values` over runs beginning at `starts` (one per document; empty runs give 0)."""
    if len(values) == 0:
        return np.zeros(len(starts), dtype=values.dtype)
    sums = np.add.reduceat(np.append(values, 0), np.minimum(starts, len(values)))
    ends = np.append(starts[1:], len(values))
    return np.where(ends > starts, sums, 0)


def _share(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    return np.round(np.divide(part, whole, out=np.zeros(len(whole)), where=whole > 0), 4)


def text_signals(texts: pa.Array, counts: np.ndarray) -> dict[str, np.ndarray]:
    """Signals of each document from its paragraphs: `texts` holds every paragraph of the chunk in
    order, `counts` how many belong to each document."""
    counts = np.asarray(counts, dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    doc_of_para = np.repeat(np.arange(len(counts)), counts)
    para_chars = np.asarray(pc.utf8_length(texts), dtype=np.int64)
    n_chars = _per_document(para_chars, starts) + 2 * np.maximum(counts - 1, 0)
    words = pc.utf8_split_whitespace(texts)
    words_per_para = np.asarray(pc.list_value_length(words), dtype=np.int64)
    flat = pc.list_flatten(words)
    word_chars = np.asarray(pc.utf8_length(flat), dtype=np.int64)
    n_words = _per_document(words_per_para, starts)
    # Paragraphs are whitespace-collapsed, so the visible characters are the words'.
    visible = _per_document(word_chars, np.concatenate([[0], np.cumsum(n_words)[:-1]]).astype(np.int64))
    letters = _letters(texts)
    ends = np.asarray(pc.match_substring_regex(texts, PUNCTUATION_END), dtype=np.int64)
    marks = np.asarray(pc.count_substring(texts, REDACTION), dtype=np.int64)
    return {
        "n_words": n_words,
        "n_chars": n_chars,
        "mean_word_length": _share(visible, n_words),
        "alpha_share": _share(_per_document(letters, starts), visible),
        "punct_line_share": _share(_per_document(ends, starts), counts),
        "dup_line_share": _share(_per_document(_repeated(texts, doc_of_para), starts), counts),
        f"dup_{NGRAM}gram_char_share": _duplicate_ngram_share(flat, word_chars, n_words, NGRAM),
        "redaction_marks": _per_document(marks, starts),
    }


def _letters(texts: pa.Array) -> np.ndarray:
    """Letters (Unicode category L) in each paragraph: ASCII paragraphs counted on their bytes,
    the others by removing runs of non-letters (a regex over every letter is four times slower)."""
    ascii_ = np.asarray(pc.string_is_ascii(texts).fill_null(True), dtype=bool)
    out = np.zeros(len(texts), dtype=np.int64)
    if ascii_.any():
        plain = texts.filter(pa.array(ascii_))
        offsets = np.frombuffer(plain.buffers()[1], dtype=np.int64)[plain.offset : plain.offset + len(plain) + 1]
        data = np.frombuffer(plain.buffers()[2], dtype=np.uint8) if plain.buffers()[2] else np.zeros(0, np.uint8)
        letter = ((data | 0x20) - ord("a")).astype(np.uint8) < 26
        counted = np.concatenate([[0], np.cumsum(letter, dtype=np.int64)])
        out[ascii_] = counted[offsets[1:]] - counted[offsets[:-1]]
    if not ascii_.all():
        other = texts.filter(pa.array(~ascii_))
        out[~ascii_] = np.asarray(pc.utf8_length(pc.replace_substring_regex(other, r"\PL+", "")), dtype=np.int64)
    return out


def _repeated(texts: pa.Array, doc: np.ndarray) -> np.ndarray:
    """1 for each paragraph whose exact text occurs more than once in its document (every copy
    counts, the first included, as Dolma's `fraction_of_duplicate_lines`)."""
    if len(texts) == 0:
        return np.zeros(0, dtype=np.int64)
    ids = np.asarray(pc.dictionary_encode(texts).indices, dtype=np.int64)
    return _occurs_twice((doc.astype(np.uint64) << np.uint64(32)) | ids.astype(np.uint64))


def _occurs_twice(keys: np.ndarray) -> np.ndarray:
    """1 where the key occurs more than once (a sort: four times faster than Arrow's hash table here)."""
    order = np.argsort(keys)
    ordered = keys[order]
    same = ordered[1:] == ordered[:-1]
    mark = np.zeros(len(keys), dtype=np.int64)
    mark[order[1:][same]] = 1
    mark[order[:-1][same]] = 1
    return mark


def _duplicate_ngram_share(flat: pa.Array, word_chars: np.ndarray, n_words: np.ndarray, n: int) -> np.ndarray:
    """Dolma's `fraction_of_characters_in_duplicate_{n}grams`: over every word n-gram of the document
    (whitespace words), the characters of those occurring more than once, over the characters of all
    (each n-gram counted with its words' characters). N-grams never cross documents."""
    total = len(word_chars)
    out = np.zeros(len(n_words))
    if total < n:
        return out
    ids = np.asarray(pc.dictionary_encode(flat).indices, dtype=np.uint64)
    doc = np.repeat(np.arange(len(n_words), dtype=np.uint64), n_words)
    m = total - n + 1
    h = fmix64(doc[:m] + np.uint64(0x9E3779B97F4A7C15))
    chars = np.zeros(m, dtype=np.int64)
    with np.errstate(over="ignore"):
        for k in range(n):
            h = fmix64(h ^ ids[k : k + m])
            chars += word_chars[k : k + m]
    whole = doc[:m] == doc[n - 1 :]  # the n-gram starting here ends in the same document
    at = np.flatnonzero(whole)
    dup = _occurs_twice(h[at])
    doc_at = doc[at].astype(np.int64)
    all_chars = np.bincount(doc_at, weights=chars[at], minlength=len(n_words))
    dup_chars = np.bincount(doc_at, weights=chars[at] * dup, minlength=len(n_words))
    return _share(dup_chars, all_chars)

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

NGRAM = 5  # the shortest of Gopher's duplicate n-grams (5 to 10), the one that counts most repetition
# A line (paragraph) "ends in punctuation" when its last character, closing quotes and brackets
# aside, ends a sentence (Latin, CJK full-width, Arabic, Devanagari).
PUNCTUATION_END = r"[.!?…。！？؟।][\"'”’»)\]」』]*$"
REDACTION = "**"  # where the seed's text was removed
MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)  # odd: an n-gram's hash is a polynomial of its words' mod 2^64


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
    """(spaces, letters, asterisks) of each paragraph, from the UTF-8 bytes: ASCII and Latin-1 letters
    by their bytes, other letters by decoding each multi-byte character's code point and looking it
    up in a table of RE2's `\\pL` (Arrow's regex engine, as the filter it replaces used)."""
    n = len(texts)
    _, offsets_buffer, data_buffer = texts.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64)[texts.offset : texts.offset + n + 1]
    if data_buffer is None or n == 0 or offsets[-1] == offsets[0]:
        return np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    data = np.frombuffer(data_buffer, dtype=np.uint8)[offsets[0] : offsets[-1]]
    at = offsets - offsets[0]
    letters = (((data | 0x20) - np.uint8(ord("a"))) < 26).view(np.uint8)  # never true for a byte >= 0x80
    # Latin-1's letters from U+00C0 (lead byte C3: most accented letters of Latin text) by comparisons
    # alone, the two that are not letters taken back; only the other characters are decoded.
    latin = data == LATIN1_LEAD
    letters |= latin.view(np.uint8)
    signs = np.flatnonzero((data[1:] | 0x20) == LATIN1_SIGNS)  # the bytes after them: 97 and B7
    letters[signs[latin[signs]]] = 0
    latin |= data < 0xC0
    lead = np.flatnonzero(~latin)  # the first byte of every other character that is not ASCII
    if len(lead):
        codepoints = _codepoints(data, lead)
        letters[lead] = _letter_table(codepoints)[codepoints]
    return _sums(data == 32, at), _sums(letters, at), _sums(data == 42, at)


# Of U+00C0-U+00FF (UTF-8 C3 80 to C3 BF), all letters but the multiplication and division signs,
# C3 97 and C3 B7: the bytes after them are the two whose value with bit 0x20 set is B7.
LATIN1_LEAD, LATIN1_SIGNS = 0xC3, 0xB7


def _sums(flags: np.ndarray, at: np.ndarray) -> np.ndarray:
    """How many of `flags` (one per byte) are set in each run `at[i]:at[i + 1]`: the flags packed
    64 to a word and counted with the CPU's popcount, a running count taken once per word (numpy's
    reductions over the bytes themselves cost tens of times more)."""
    packed = np.packbits(flags.view(bool), bitorder="little")
    words = np.concatenate([packed, np.zeros(8 + (-len(packed)) % 8, dtype=np.uint8)]).view(np.uint64)
    running = np.zeros(len(words) + 1, dtype=np.int64)
    np.cumsum(np.bitwise_count(words), out=running[1:])
    word, bit = at >> 6, (at & 63).astype(np.uint64)
    before = running[word] + np.bitwise_count(words[word] & ((np.uint64(1) << bit) - np.uint64(1)))
    return np.diff(before)


def _codepoints(data: np.ndarray, lead: np.ndarray) -> np.ndarray:
    """The code point of the UTF-8 character starting at each of `lead` (Arrow strings are valid
    UTF-8; a byte past the end reads as the last, so a malformed buffer cannot index out of it)."""
    last = len(data) - 1
    b0 = data[lead]
    b1 = data[np.minimum(lead + 1, last)] & np.uint8(0x3F)
    if b0.max() < 0xE0:  # two-byte characters only (Latin, Greek, Cyrillic, Hebrew, Arabic ...)
        return ((b0.astype(np.uint16) & 0x1F) << 6) | b1
    b0, b1 = b0.astype(np.uint32), b1.astype(np.uint32)
    b2, b3 = (data[np.minimum(lead + k, last)].astype(np.uint32) & 0x3F for k in (2, 3))
    two = ((b0 & 0x1F) << 6) | b1
    three = ((b0 & 0x0F) << 12) | (b1 << 6) | b2
    four = ((b0 & 0x07) << 18) | (b1 << 12) | (b2 << 6) | b3
    return np.where(b0 < 0xE0, two, np.where(b0 < 0xF0, three, four))


BLOCK_BITS = 12  # the letter table is filled 4,096 code points at a time, for the blocks a text uses
_LETTER = np.zeros(0x110000, dtype=np.uint8)
_KNOWN = np.zeros(0x110000 >> BLOCK_BITS, dtype=bool)


def _letter_table(codepoints: np.ndarray) -> np.ndarray:
    """1 for each code point RE2 calls a letter (`\\pL`), filled for the blocks `codepoints` touch."""
    lo, hi = int(codepoints.min()) >> BLOCK_BITS, int(codepoints.max()) >> BLOCK_BITS
    if _KNOWN[lo : hi + 1].all():  # usually: the blocks of a script are filled once
        return _LETTER
    blocks = codepoints >> BLOCK_BITS
    missing = blocks[~_KNOWN[blocks]]
    for block in np.unique(missing).tolist():
        lo = block << BLOCK_BITS
        chars = [chr(c) if not 0xD800 <= c < 0xE000 else "0" for c in range(lo, lo + (1 << BLOCK_BITS))]
        _LETTER[lo : lo + len(chars)] = np.asarray(pc.match_substring_regex(pa.array(chars), r"^\pL$"))
        _KNOWN[block] = True
    return _LETTER


def _repeated(texts: pa.Array, doc: np.ndarray) -> np.ndarray:
    """1 for each paragraph whose exact text occurs more than once in its document (every copy
    counts, the first included, as Dolma's `fraction_of_duplicate_lines`). Only paragraphs of a
    size another of their document has are compared (their texts hashed), the rest cannot repeat."""
    out = np.zeros(len(texts), dtype=np.int64)
    if len(texts) == 0:
        return out
    sizes = np.asarray(pc.binary_length(texts), dtype=np.uint64)
    same_size = _in_runs((doc.astype(np.uint64) << np.uint64(32)) | sizes)
    if not same_size.any():
        return out
    ids = np.asarray(pc.dictionary_encode(texts.filter(pa.array(same_size))).indices, dtype=np.uint64)
    out[same_size] = _in_runs((doc[same_size].astype(np.uint64) << np.uint64(32)) | ids)
    return out


def _in_runs(keys: np.ndarray) -> np.ndarray:
    """Whether each key occurs more than once."""
    ordered = np.sort(keys)
    repeated = np.unique(ordered[1:][ordered[1:] == ordered[:-1]])
    return np.isin(keys, repeated)


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
    h = words[:m].copy()
    for k in range(1, n):  # in place: no temporary arrays the size of the chunk's words
        np.multiply(h, MULTIPLIER, out=h)
        np.add(h, words[k : k + m], out=h)
    # The top 32 bits (a polynomial of random 64-bit word hashes with an odd multiplier is uniform
    # there without a final mix), sorted document by document: a document's n-grams fit in the
    # CPU's cache, and 32-bit keys sort twice as fast. A false match inside a document of 10,000
    # words is a 1-in-90 event, moving its share by 2 in 10,000.
    top = (h >> np.uint64(32)).astype(np.uint32)
    # Each document's n-grams sorted in place, then every copy of a repeated value counted for all
    # documents at once: a position is in a run when it equals a neighbour of its own document.
    owner = np.full(m, -1, dtype=np.int64)  # the document of each n-gram; -1 across a boundary
    for d, (start, count) in enumerate(zip(doc_word_start.tolist(), grams.tolist(), strict=True)):
        if count:
            owner[start : start + count] = d
            if count > 1:
                top[start : start + count].sort()
    same = (top[1:] == top[:-1]) & (owner[1:] == owner[:-1]) & (owner[1:] >= 0)
    repeated = np.zeros(m, dtype=bool)
    repeated[1:] |= same
    repeated[:-1] |= same
    twice = np.bincount(owner[repeated], minlength=n_docs)
    return _share(twice, grams)

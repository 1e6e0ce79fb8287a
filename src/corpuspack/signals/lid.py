"""lid.176's predictions for a batch of texts in numpy: each text's input rows averaged and the
hierarchical softmax walked with the same float32 operations, in the same order, as fastText's C++
(`Dictionary::getLine`, `Model::computeHidden`, `HierarchicalSoftmaxLoss::dfs`); the model file is
read by `lidfile`. fastText takes a call per text and spends most of it hashing each word's
character n-grams; here a word's rows are found once per process, and the arithmetic is done for a
chunk's texts at once.

The exponential and logarithm are numpy's, not the C library's, so a result may differ from
fastText's in its last bit: `predict` says which texts are near enough a tie between labels or a
rounding boundary of the reported confidence for that to matter, and the caller asks fastText for
those (and for any text whose tokens this reading does not cover).
"""

from __future__ import annotations

import re
from itertools import filterfalse

import numpy as np

from .lidfile import Model, Unsupported, load

__all__ = ["Model", "Predictor", "Unsupported", "load", "ngram_ids"]

EOS, BOW, EOW, LABEL = "</s>", "<", ">", "__label__"
# Longer texts go to fastText: a group's padded block holds rows for its longest text (a sample is
# 200 characters).
MAX_CHARS = 2000
MAX_CACHED_WORDS = 1 << 16  # a process's words with their rows found; forgotten all at once past this
LOG_FLOOR = np.float32(np.log(1e-5))  # std_log(0): dfs drops a branch whose score falls below it
FNV_OFFSET, FNV_PRIME = np.uint32(2166136261), np.uint32(16777619)


def ngram_ids(model: Model, tokens: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(ids, lengths): the input rows of each token as `Dictionary::getLine` adds them, back to back: a
    vocabulary word's own row, then its character n-grams' (`computeSubwords` on `<token>`: by start,
    shortest first; FNV-1a of the bytes, each sign-extended; buckets a pruned model kept)."""
    wrapped = "".join(f"{BOW}{t}{EOW} " for t in tokens).encode("utf-8")  # a space ends each token
    buf = np.frombuffer(wrapped, dtype=np.uint8)
    starts = np.append(np.flatnonzero((buf & 0xC0) != 0x80), len(buf))  # every character's first byte
    nchar = len(starts) - 1
    is_sep = buf[starts[:-1]] == 32
    token_of = np.cumsum(is_sep) - is_sep  # the token a character belongs to (a separator: the one it ends)
    room = np.flatnonzero(is_sep)[token_of] - np.arange(nchar)  # characters from here to the token's end
    signed = buf.view(np.int8).astype(np.uint32)  # uint32_t(int8_t(c)): bytes over 0x7F sign-extended
    widths = np.diff(starts)
    h = np.full(nchar, FNV_OFFSET, dtype=np.uint32)
    hashes = []
    for size in range(1, model.maxn + 1):  # the n-gram of `size` characters from each character on
        q = np.minimum(np.arange(nchar) + size - 1, nchar - 1)
        first, width = starts[q], widths[q]
        for b in range(int(width.max(initial=0))):
            step = (h ^ signed[np.minimum(first + b, len(buf) - 1)]) * FNV_PRIME
            h = step if b == 0 else np.where(b < width, step, h)
        if size >= model.minn:
            hashes.append(h)
    sizes = np.arange(model.minn, model.maxn + 1)
    valid = room[:, None] >= sizes[None, :]  # (character, size): that n-gram lies inside the token
    bucket = (np.stack(hashes, axis=1)[valid] % np.uint32(model.bucket)).astype(np.int64)  # by start, then size
    rows = bucket if model.prune is None else model.prune[bucket].astype(np.int64)
    keep = rows >= 0
    token = np.nonzero(valid)[0]
    token = token_of[token[keep]]
    grams = model.nwords + rows[keep]
    word_ids = np.array([model.words.get(t, -1) for t in tokens], dtype=np.int64)
    own = word_ids >= 0  # a vocabulary word's row comes before its n-grams'
    owned = np.cumsum(own)
    out = np.empty(len(grams) + int(owned[-1] if len(owned) else 0), dtype=np.int64)
    out[np.arange(len(grams)) + owned[token]] = grams
    lengths = np.bincount(token, minlength=len(tokens)) + own
    out[(np.cumsum(lengths) - lengths)[own]] = word_ids[own]
    return out, lengths


GROUP = 64  # texts whose rows are summed together: their padded (texts, rows, dim) block stays in cache
TIE = 1e-3  # fastText's walk can skip a leaf this near the best (a branch scores up to 1e-5 a level more)
# A probability this near (relative) a boundary of `digits` places may round the other way: the C
# library's exp and log against numpy's moved the generated corpora's by 3e-7 of it at most.
ROUNDING = 2e-6


class Predictor:
    """A model and the input rows of the words it has met (`ngram_ids`, found once per word)."""

    def __init__(self, model: Model) -> None:
        self.model = model
        eos = model.words.get(EOS)
        self.eos = np.asarray([] if eos is None else [eos], dtype=np.int32)  # fastText's end of line
        self._forget()

    def _forget(self) -> None:
        self.known: dict[str, int] = {}  # word -> its place in `starts` and `lengths`
        self.ids = np.zeros(1 << 16, dtype=np.int32)  # the rows of the words, back to back; room past `used`
        self.ids[: len(self.eos)] = self.eos  # the end of line's first: its rows start at 0
        self.used = len(self.eos)
        self.starts = np.zeros(0, dtype=np.int64)
        self.lengths = np.zeros(0, dtype=np.int64)

    def _learn(self, words: list[str]) -> None:
        ids, lengths = ngram_ids(self.model, words)
        if self.used + len(ids) > len(self.ids):
            grown = np.zeros(max(2 * len(self.ids), self.used + len(ids)), dtype=np.int32)
            grown[: self.used] = self.ids[: self.used]
            self.ids = grown
        self.ids[self.used : self.used + len(ids)] = ids
        self.known.update(zip(words, range(len(self.known), len(self.known) + len(words)), strict=True))
        self.starts = np.concatenate([self.starts, self.used + np.cumsum(lengths) - lengths])
        self.lengths = np.concatenate([self.lengths, lengths])
        self.used += len(ids)

    def predict(self, texts: list[str], digits: int = 4) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(label index, probability as float32, sure) of each text's most likely label; where `sure`
        is False the text is to go to fastText (its tokens or margins are outside what this covers)."""
        n = len(texts)
        sure = np.ones(n, dtype=bool)
        words: list[str] = []
        per_text = np.zeros(n, dtype=np.int64)
        for i, text in enumerate(texts):
            if len(text) > MAX_CHARS or _SPECIAL.search(text):
                sure[i] = False
                continue
            split = text.split(" ")
            if "" in split:
                split = [w for w in split if w]
            words.extend(split)
            per_text[i] = len(split)
        distinct = dict.fromkeys(words)
        new = list(filterfalse(self.known.__contains__, distinct))
        if len(self.known) + len(new) > MAX_CACHED_WORDS:  # forget all, then learn every word of these texts
            self._forget()
            new = list(distinct)
        if new:
            try:
                self._learn(new)
            except UnicodeEncodeError:  # a lone surrogate: fastText's binding refuses it, as before
                return np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.float32), np.zeros(n, dtype=bool)
        token = np.fromiter(map(self.known.__getitem__, words), dtype=np.int64, count=len(words))
        # Every text's words, then its end of line (its rows at 0).
        at = np.arange(len(words)) + np.repeat(np.arange(n), per_text)
        starts = np.zeros(len(words) + n, dtype=np.int64)
        sizes = np.full(len(words) + n, len(self.eos), dtype=np.int64)
        starts[at], sizes[at] = self.starts[token], self.lengths[token]
        flat = self.ids[np.repeat(starts - (np.cumsum(sizes) - sizes), sizes) + np.arange(int(sizes.sum()))]
        count = np.add.reduceat(sizes, np.cumsum(per_text + 1) - (per_text + 1)) if n else per_text
        label, prob, clear = _walk(self.model, _hidden(self.model, flat, count), digits)
        return label, prob, sure & clear & (count > 0)


# Texts outside this reading: fastText's other separators, its end-of-line word, its label prefix.
_SPECIAL = re.compile("[\t\v\f\r\0\n]|</s>|__label__")


def _hidden(model: Model, flat: np.ndarray, count: np.ndarray) -> np.ndarray:
    """`Model::computeHidden`: each text's rows added one after the other in float32, then scaled
    by 1/count (rounded to float32). Texts of similar counts are summed together, padded with the
    zero row: numpy reduces a middle axis row after row, in order (the inner axis is `dim`)."""
    n, dim = len(count), model.rows.shape[1]
    zero = len(model.rows) - 1
    hidden = np.zeros((n, dim), dtype=np.float32)
    begin = np.cumsum(count) - count
    order = np.argsort(count, kind="stable")
    padded = np.append(flat, zero)
    for lo in range(0, n, GROUP):
        group = order[lo : lo + GROUP]
        counts = count[group]
        at = np.arange(int(counts.max(initial=0)))
        idx = np.where(at[None, :] < counts[:, None], begin[group][:, None] + at[None, :], len(flat))
        hidden[group] = np.add.reduce(model.rows[padded[idx]], axis=1)
    scale = (1.0 / np.maximum(count, 1)).astype(np.float32)
    return hidden * scale[:, None]


def _walk(model: Model, hidden: np.ndarray, digits: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`HierarchicalSoftmaxLoss::dfs` with k = 1 for every text at once: each inner node's sigmoid
    and both branches' `std_log` as fastText rounds them, every leaf's score summed from the root.
    (best leaf, exp of its score, whether no near tie or rounding boundary makes that uncertain)."""
    n, labels = len(hidden), len(model.labels)
    out = model.output[: labels - 1]
    dot = np.zeros((labels - 1, n), dtype=np.float32)  # (inner node, text)
    for j in range(hidden.shape[1]):  # DenseMatrix::dotRow: products added in order, in float32
        dot += out[:, j, None] * hidden[None, :, j]
    e = np.exp(-dot.astype(np.float64)).astype(np.float32)  # std::exp of a float
    # 1. / (1 + e): a float sum divided in double, rounded to a float (as float32 division rounds)
    f = np.float32(1) / (np.float32(1) + e)
    wide = np.float64
    left = np.log((1.0 - f.astype(wide)).astype(np.float32).astype(wide) + 1e-5).astype(np.float32)
    right = np.log(f.astype(wide) + 1e-5).astype(np.float32)  # std_log(x): log(x + 1e-5) in double, x a float
    score = np.zeros((2 * labels - 1, n), dtype=np.float32)
    for node in range(2 * labels - 2, labels - 1, -1):  # a parent is numbered after its children
        i = node - labels
        np.add(score[node], left[i], out=score[model.left[i]])
        np.add(score[node], right[i], out=score[model.right[i]])
    leaves = score[:labels]
    best = np.argmax(leaves, axis=0)
    top = leaves[best, np.arange(n)]
    runner = np.partition(leaves, labels - 2, axis=0)[labels - 2]
    prob = np.exp(top.astype(np.float64)).astype(np.float32)
    scaled = np.minimum(prob.astype(np.float64), 1.0) * 10.0**digits
    boundary = np.abs(scaled - np.floor(scaled) - 0.5) < ROUNDING * scaled
    clear = (top.astype(np.float64) - runner > TIE) & ~boundary & (top > LOG_FLOOR + 1)
    return best, prob, clear

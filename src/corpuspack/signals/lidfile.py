"""fastText 0.9's model file (`.bin`, `.ftz`) read into numpy, for `lid`: the dictionary, the input
rows (a quantized file's rows decoded as fastText adds them), the output rows and the labels' tree.
The file is parsed field by field (nothing is unpickled), and every size and index checked against
what was read before it is used.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

MAGIC, VERSION = 793712314, 12
MAX_BUCKETS = 1 << 24  # a pruned model's bucket -> row table is made whole (lid.176: 2,000,000)


class Unsupported(ValueError):
    """A model file this reading does not cover (fastText then predicts every text)."""


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def take(self, fmt: str) -> tuple:
        size = struct.calcsize(fmt)
        if self.at + size > len(self.data):
            raise Unsupported("model file cut short")
        out = struct.unpack_from(fmt, self.data, self.at)
        self.at += size
        return out

    def array(self, dtype: type, count: int) -> np.ndarray:
        size = np.dtype(dtype).itemsize * count
        if count < 0 or self.at + size > len(self.data):
            raise Unsupported("model file cut short")
        out = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.at)
        self.at += size
        return out

    def word(self) -> bytes:
        end = self.data.find(b"\0", self.at)
        if end < 0:
            raise Unsupported("model file cut short")
        out, self.at = self.data[self.at : end], end + 1
        return out


@dataclass
class Model:
    words: dict[str, int]  # vocabulary word -> its id (labels excluded)
    nwords: int
    minn: int
    maxn: int
    bucket: int
    prune: np.ndarray | None  # n-gram bucket -> its row past the words, -1 for none; None: every bucket has one
    rows: np.ndarray  # input rows, float32 (quantized rows decoded), and a last row of zeros
    output: np.ndarray  # one row per inner node of the tree, float32
    labels: list[str]
    left: np.ndarray  # the tree: children of inner node i at index i - nlabels
    right: np.ndarray


def load(data: bytes) -> Model:
    """A supervised, hierarchical-softmax model from a `.bin`/`.ftz` file's bytes."""
    r = _Reader(data)
    if r.take("<ii") != (MAGIC, VERSION):
        raise Unsupported("not a fastText 0.9 model file")
    dim, _ws, _epoch, _mincount, _neg, word_ngrams, loss, model, bucket, minn, maxn, _lr = r.take("<12i")
    r.take("<d")
    # dim 2 at least: `lid` sums rows over a middle axis, which numpy adds in order only then
    if loss != 1 or model != 3 or word_ngrams != 1 or not 1 <= minn <= maxn <= 16 or bucket <= 0 or dim < 2:
        raise Unsupported("not a supervised hierarchical-softmax model of character n-grams only")
    size, nwords, nlabels, _ntokens, prune_size = r.take("<iiiqq")  # (loss 1: hs, model 3: supervised)
    if not 0 <= nwords <= size or nlabels < 2:
        raise Unsupported("dictionary of no words or fewer than two labels")
    words, labels, counts = _entries(r, size, nwords)
    pairs = r.array(np.int32, 2 * max(prune_size, 0)).reshape(-1, 2)
    if prune_size >= 0 and (bucket > MAX_BUCKETS or (len(pairs) and (pairs.min() < 0 or pairs[:, 0].max() >= bucket))):
        raise Unsupported("pruned buckets out of range")
    prune = None
    if prune_size >= 0:
        prune = np.full(bucket, -1, dtype=np.int32)
        prune[pairs[:, 0]] = pairs[:, 1]
    (quant,) = r.take("<?")
    rows = _quantized(r, dim) if quant else _dense(r, dim)
    (qout,) = r.take("<?")
    if qout:
        raise Unsupported("quantized output matrix")
    output = _dense(r, dim)
    rows = np.vstack([rows, np.zeros((1, dim), dtype=np.float32)])
    top = nwords + (bucket if prune is None else int(pairs[:, 1].max(initial=-1)) + 1)
    if top > len(rows) - 1:
        raise Unsupported("more words and buckets than input rows")
    if len(counts) != nlabels or len(labels) != nlabels or output.shape[0] < nlabels - 1:
        raise Unsupported("labels and output rows disagree")
    left, right = _tree(counts)
    return Model(words, nwords, minn, maxn, bucket, prune, rows, output, labels, left, right)


def _entries(r: _Reader, size: int, nwords: int) -> tuple[dict[str, int], list[str], list[int]]:
    """The dictionary's entries (each its word, a NUL, an int64 count and an int8 type): the words
    and their ids, and the labels and their counts in order."""
    data, at = r.data, r.at
    words: dict[str, int] = {}
    labels, counts = [], []
    entry = struct.Struct("<qb")
    for i in range(size):
        end = data.find(b"\0", at)
        if end < 0 or end + 1 + entry.size > len(data):
            raise Unsupported("model file cut short")
        count, kind = entry.unpack_from(data, end + 1)
        if kind == 0 and i < nwords:
            words[data[at:end].decode("utf-8", "surrogateescape")] = i
        elif kind == 1 and i >= nwords:
            labels.append(data[at:end].decode("utf-8", "surrogateescape"))
            counts.append(count)
        at = end + 1 + entry.size
    r.at = at
    return words, labels, counts


def _dense(r: _Reader, dim: int) -> np.ndarray:
    m, n = r.take("<qq")
    if n != dim or m < 0:
        raise Unsupported("matrix of another width")
    return r.array(np.float32, m * n).reshape(m, n)


def _quantized(r: _Reader, dim: int) -> np.ndarray:
    """The rows a product quantizer's codes stand for: `QuantMatrix::addRowToVector` on zeros, each
    subvector its centroid times the row's norm (itself quantized, when `qnorm`)."""
    qnorm, m, n, codesize = r.take("<?qqi")
    if n != dim or m < 0:
        raise Unsupported("matrix of another width")
    codes = r.array(np.uint8, codesize)
    centroids, nsubq = _centroids(r, dim)
    if codesize != m * nsubq:
        raise Unsupported("codes of another size")
    rows = centroids[np.arange(nsubq), codes.reshape(m, nsubq)].reshape(m, dim)
    if not qnorm:
        return rows
    norm_codes = r.array(np.uint8, m)
    norms, _ = _centroids(r, 1)
    return (norms.reshape(-1)[norm_codes][:, None] * rows).astype(np.float32)


def _centroids(r: _Reader, dim: int) -> tuple[np.ndarray, int]:
    """A product quantizer's centroids, (subquantizer, code, subvector), and its count of subquantizers."""
    pq_dim, nsubq, dsub, lastdsub = r.take("<iiii")
    if pq_dim != dim or dsub <= 0 or lastdsub != dsub or nsubq * dsub != dim:
        raise Unsupported("product quantizer of another shape")
    return r.array(np.float32, dim * 256).reshape(nsubq, 256, dsub), nsubq


def _tree(counts: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """`HierarchicalSoftmaxLoss::buildTree`: the Huffman tree of the labels' counts (sorted, largest first)."""
    n = len(counts)
    count = [*counts, *[10**15] * (n - 1)]
    left, right = np.zeros(max(n - 1, 0), dtype=np.int64), np.zeros(max(n - 1, 0), dtype=np.int64)
    leaf, node = n - 1, n
    for i in range(n, 2 * n - 1):
        mini = []
        for _ in range(2):
            if leaf >= 0 and count[leaf] < count[node]:
                mini.append(leaf)
                leaf -= 1
            else:
                mini.append(node)
                node += 1
        left[i - n], right[i - n] = mini
        count[i] = count[mini[0]] + count[mini[1]]
    return left, right

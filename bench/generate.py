"""Deterministic corpus generator in the seed's article layout, with planted duplicates and ground truth.

    python bench/generate.py --docs 10000 --out /tmp/corpus10k

Writes `<out>/seeds/*.txt`, `<out>/pyproject.toml` (so corpuspack can run there) and
`<out>/truth.parquet`: one row per paragraph with its planted class and, for near duplicates, the
paragraph it was made from and their true word 5-gram Jaccard. Planted: boilerplate (a pool of
notices each in hundreds of documents), syndicated paragraphs (copied into 2-5 later documents),
repeats inside a document, duplicate documents (some re-wrapped or CRLF), and near duplicates
(a few words changed, a span replaced, a clause added). Some files use CRLF; some paragraphs are
hard-wrapped at 72 columns.

`--accented latin` writes the same corpus with accented Latin letters in every paragraph (a word's
vowels accented, decided by the word, so duplicates stay duplicates and near duplicates keep their
Jaccard once accents are folded); `--accented mixed` also writes one word in three in Cyrillic or
Greek letters (text no key folds back to ASCII); `--accented french` instead sets one word in five
beside French typography (’ « » “ ” „ — – … €, no-break spaces before : ; ! and inside « »), which
only separates words. The planted structure and truth are the English one's.
"""

from __future__ import annotations

import argparse
import re
import textwrap
import zlib
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

SYLLABLES = [a + b for a in "bcdfghjklmnprstvwz" for b in ("a", "e", "i", "o", "u", "ar", "en", "is", "on", "ut")]
BOILERPLATE = [
    "Disclaimer: the views expressed here are the author's own and do not reflect the position of this site.",
    "Subscribe to our newsletter to receive the latest stories every morning in your inbox.",
    "Related Pages",
    "All rights reserved. Reproduction without written permission is prohibited.",
    "Follow us on social media for more updates and behind the scenes coverage.",
]
PROJECT = """[tool.corpuspack]
language = "en"
license = "CC-BY-4.0"
"""


ACCENTS = [str.maketrans("aeiouc", "áéíóüç"), str.maketrans("aeioun", "àèîôûñ"), str.maketrans("aeiou", "âëïöå")]
CYRILLIC = str.maketrans("abvgdezijklmnoprstufhc", "абвгдезийклмнопрстуфхц")
GREEK = str.maketrans("abgdezhiklmnoprstufx", "αβγδεζηικλμνοπρστυφχ")


# French typography around a word: marks after it, then before it (no-break spaces as French sets them).
FRENCH = ["’", "\xa0»", " —", "…", "”", " –", "\xa0€", "\xa0:", "\u202f;", "\xa0!", "«\xa0", "“", "„"]
FRENCH_BEFORE = 3


def accent_word(word: str, mixed: bool, french: bool = False) -> str:
    """The word with accents (or in another script, or French typography), chosen by its letters only."""
    roll = zlib.crc32(word.lower().encode())
    if mixed and roll % 3 == 0:
        return word.translate(CYRILLIC if roll % 2 else GREEK)
    out = word.translate(ACCENTS[roll % 3]) if roll % 2 else word
    if french and roll % 5 == 0:
        mark = (roll >> 8) % len(FRENCH)
        out = FRENCH[mark] + out if mark >= len(FRENCH) - FRENCH_BEFORE else out + FRENCH[mark]
    return out


def accent(text: str, mixed: bool = False, french: bool = False) -> str:
    """`text` with accented (or, mixed, Cyrillic and Greek) letters, and French typography when
    `french`; never left ASCII."""
    out = " ".join(accent_word(w, mixed, french) for w in text.split(" "))
    if out.isascii():  # no word was changed: its first letter that can take an accent takes one
        out = re.sub("[aeiou]", lambda m: m.group().translate(ACCENTS[0]), out, count=1)
    return out if not out.isascii() else out + " ñ"


def words_of(text: str) -> list[str]:
    """The oracle tokeniser: lower-case alphanumeric runs (what corpuspack's key text splits into)."""
    return re.findall(r"[a-z0-9]+", text.lower())


def jaccard(a: str, b: str, k: int = 5) -> float:
    wa, wb = words_of(a), words_of(b)
    sa = {tuple(wa[i : i + k]) for i in range(len(wa) - k + 1)}
    sb = {tuple(wb[i : i + k]) for i in range(len(wb) - k + 1)}
    return len(sa & sb) / len(sa | sb) if sa | sb else 0.0


class Generator:
    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        rng = np.random.default_rng(seed + 1)
        vocab = set()
        while len(vocab) < 30000:
            n = int(rng.integers(1, 4))
            vocab.add("".join(SYLLABLES[i] for i in rng.integers(0, len(SYLLABLES), n)))
        self.vocab = np.array(sorted(vocab), dtype=object)
        weights = 1.0 / (np.arange(len(self.vocab)) + 20.0)
        self.cdf = np.cumsum(weights / weights.sum())

    def words(self, n: int) -> list[str]:
        return list(self.vocab[np.searchsorted(self.cdf, self.rng.random(n))])

    def sentence_text(self, words: list[str]) -> str:
        """Words with sentence punctuation: a full stop after about one word in 14, some commas."""
        roll = self.rng.random(len(words))
        roll[-1] = 0.0
        out = []
        start = True
        for w, r in zip(words, roll.tolist(), strict=True):
            w = w.capitalize() if start else w
            start = r < 0.07
            out.append(w + "." if start else w + "," if r > 0.95 else w)
        return " ".join(out)

    def paragraph(self) -> str:
        return self.sentence_text(self.words(int(self.rng.integers(45, 120))))

    def near(self, text: str) -> str:
        words = text.split(" ")
        kind = self.rng.integers(0, 3)
        if kind == 0:  # a few words changed
            for _ in range(int(self.rng.integers(1, 4))):
                words[int(self.rng.integers(0, len(words)))] = self.words(1)[0]
        elif kind == 1:  # a span replaced
            span = int(self.rng.integers(3, 9))
            at = int(self.rng.integers(0, max(1, len(words) - span)))
            words[at : at + span] = self.words(span)
        else:  # a clause added
            at = int(self.rng.integers(0, len(words)))
            words[at:at] = self.words(int(self.rng.integers(4, 12)))
        return " ".join(words)


def generate(docs: int, out: Path, seed: int = 7, first: int = 0, accented: str | None = None) -> dict[str, int]:
    """`docs` documents numbered from `first` (parts made with other seeds and `first` can share a
    seeds folder: run several at once to make a large corpus on every core); `accented`: None,
    "latin", "mixed" or "french" (see the module's docstring)."""
    gen = Generator(seed)
    rng = gen.rng
    seeds = out / "seeds"
    seeds.mkdir(parents=True, exist_ok=True)
    (out / "pyproject.toml").write_text(PROJECT, encoding="utf-8")
    corpus: list[list[str]] = []  # paragraphs of each document, in id order
    truth = {"doc_id": [], "paragraph_index": [], "planted": [], "source_doc": [], "source_index": [], "jaccard": []}
    ids = [f"{first + i:07d}_{rng.integers(0, 1 << 32):08x}" for i in range(docs)]

    def record(doc: int, index: int, planted: str, source: tuple[int, int] | None = None, j: float = float("nan")):
        truth["doc_id"].append(ids[doc])
        truth["paragraph_index"].append(index)
        truth["planted"].append(planted)
        truth["source_doc"].append(ids[source[0]] if source else None)
        truth["source_index"].append(source[1] if source else None)
        truth["jaccard"].append(j)

    for d in range(docs):
        if d > 10 and rng.random() < 0.03:  # a duplicate document
            src = int(rng.integers(0, d))
            paras = list(corpus[src])
            for i in range(len(paras)):
                record(d, i, "duplicate_document", (src, i), 1.0)
            corpus.append(paras)
            _write(seeds, ids[d], paras, rng, accented)
            continue
        paras: list[str] = []
        labels: list[tuple] = []
        for _ in range(int(rng.integers(9, 15))):
            roll = rng.random()
            if d > 10 and roll < 0.06:  # syndicated: copied from an earlier document
                src = int(rng.integers(0, d))
                i = int(rng.integers(0, len(corpus[src])))
                paras.append(corpus[src][i])
                labels.append(("syndicated", (src, i), 1.0))
            elif d > 10 and roll < 0.14:  # near duplicate of an earlier document's paragraph
                src = int(rng.integers(0, d))
                i = int(rng.integers(0, len(corpus[src])))
                variant = gen.near(corpus[src][i])
                paras.append(variant)
                labels.append(("near", (src, i), jaccard(variant, corpus[src][i])))
            elif paras and roll < 0.16:  # repeated inside the document
                i = int(rng.integers(0, len(paras)))
                paras.append(paras[i])
                labels.append(("within", (d, i), 1.0))
            else:
                paras.append(gen.paragraph())
                labels.append(("unique", None, float("nan")))
        if rng.random() < 0.3:
            paras.append(BOILERPLATE[int(rng.integers(0, len(BOILERPLATE)))])
            labels.append(("boilerplate", None, float("nan")))
        for i, (planted, source, j) in enumerate(labels):
            record(d, i, planted, source, j)
        corpus.append(paras)
        _write(seeds, ids[d], paras, rng, accented)
    pq.write_table(pa.table(truth), out / ("truth.parquet" if first == 0 else f"truth-{first:07d}.parquet"))
    return {"documents": docs, "paragraphs": len(truth["doc_id"])}


def _write(folder: Path, doc_id: str, paras: list[str], rng: np.random.Generator, accented: str | None) -> None:
    if accented:
        paras = [accent(p, accented == "mixed", accented == "french") for p in paras]
    title = " ".join(paras[0].split()[:8]).rstrip(".,")
    date = f"20{rng.integers(10, 25):02d}-{rng.integers(1, 13):02d}-{rng.integers(1, 29):02d}"
    body = []
    for p in paras:
        body.append(textwrap.fill(p, 72) if rng.random() < 0.15 else p)
    text = f"{title}\n\nGenerated Wire Updated on {date}\n\n" + "\n\n".join(body) + "\n"
    if rng.random() < 0.1:
        text = text.replace("\n", "\r\n")
    (folder / f"{doc_id}.txt").write_bytes(text.encode("utf-8"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=10000)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--first", type=int, default=0, help="number of the first document")
    parser.add_argument("--accented", choices=["latin", "mixed", "french"], help="accented letters in every paragraph")
    args = parser.parse_args()
    print(generate(args.docs, args.out, args.seed, args.first, args.accented))


if __name__ == "__main__":
    main()

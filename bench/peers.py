"""Peer near-duplicate tools on the same paragraphs, for side-by-side timing.

    python bench/peers.py datasketch PARAGRAPHS_PARQUET_DIR

Reads the paragraphs table of a corpuspack build (outside the timed part), then times datasketch's
MinHash (128 permutations) and MinHashLSH (threshold 0.8): one signature per paragraph of at least
8 words over the same word 5-grams, inserted and queried. Prints JSON.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
from corpuspack.dedup.keys import key_text


def shingled(folder: Path) -> list[list[bytes]]:
    texts = pq.read_table(folder, columns=["text"]).column("text").to_pylist()
    out = []
    for t in texts:
        w = key_text(t).split()
        if len(w) >= 8:
            out.append([b" ".join(w[i : i + 5]) for i in range(len(w) - 4)])
    return out


def run_datasketch(docs: list[list[bytes]]) -> dict:
    from datasketch import MinHash, MinHashLSH

    start = time.perf_counter()
    lsh = MinHashLSH(threshold=0.8, num_perm=128)
    flagged = 0
    for i, shingles in enumerate(docs):
        m = MinHash(num_perm=128)
        m.update_batch(shingles)
        if lsh.query(m):
            flagged += 1
        lsh.insert(str(i), m)
    return {
        "tool": "datasketch",
        "seconds": round(time.perf_counter() - start, 3),
        "paragraphs": len(docs),
        "flagged": flagged,
    }


if __name__ == "__main__":
    tool, folder = sys.argv[1], Path(sys.argv[2])
    docs = shingled(folder)
    print(json.dumps({"datasketch": run_datasketch}[tool](docs)))

"""Peer near-duplicate tools on the same paragraphs, for side-by-side timing.

    python bench/peers.py datasketch|datatrove PARAGRAPHS_PARQUET_DIR

Reads the paragraphs table of a corpuspack build (outside the timed part), then times a peer on the
paragraphs of at least 8 words. Prints JSON (`timed_seconds`: the timed part alone).

- datasketch: MinHash (128 permutations) and MinHashLSH (threshold 0.8) over the same word
  5-grams, each paragraph inserted and queried.
- datatrove: its four-stage MinHash dedup (signatures, buckets, clusters, filter; its defaults:
  5-grams, 14 buckets x 8 hashes, its English word tokenizer) with a LocalPipelineExecutor on every
  core, one paragraph per document, reading Parquet and writing the kept paragraphs as JSONL.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq

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
        "timed_seconds": round(time.perf_counter() - start, 3),
        "paragraphs": len(docs),
        "flagged": flagged,
    }


def _xxhash_takes_str() -> None:
    """datatrove 0.8 (what resolves beside our pins) hashes str, which xxhash 4 refuses; encode it
    as UTF-8 the way xxhash 3 did. Workers are forked, so they inherit this."""
    import datatrove.utils.hashes.xxhash as hashes
    import xxhash

    def utf8(data: str | bytes) -> bytes:
        return data.encode() if isinstance(data, str) else data

    hashes.xxhash32 = lambda data: xxhash.xxh32_intdigest(utf8(data))
    hashes.xxhash64 = lambda data: xxhash.xxh64_intdigest(utf8(data))


def run_datatrove(folder: Path) -> dict:
    import os
    import tempfile

    import pyarrow as pa
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup import (
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupFilter,
        MinhashDedupSignature,
    )
    from datatrove.pipeline.dedup.minhash import MinhashConfig
    from datatrove.pipeline.readers import ParquetReader
    from datatrove.pipeline.writers import JsonlWriter

    _xxhash_takes_str()
    texts = [t for t in pq.read_table(folder, columns=["text"]).column("text").to_pylist() if len(t.split()) >= 8]
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="datatrove-bench-") as tmp:
        base = Path(tmp)
        (base / "input").mkdir()
        ids = [str(i) for i in range(len(texts))]
        table = pa.table({"id": ids, "text": texts})
        step = -(-len(texts) // cores)
        for i in range(cores):  # one file per task, so that every core has work
            pq.write_table(table.slice(i * step, step), base / "input" / f"paragraphs-{i}.parquet")
        config = MinhashConfig()
        start = time.perf_counter()
        # datatrove logs into ./logs unless told otherwise: keep it in the temporary folder.
        common = {"workers": cores, "logging_dir": str(base / "logs"), "skip_completed": False}
        signatures = LocalPipelineExecutor(
            pipeline=[
                ParquetReader(str(base / "input")),
                MinhashDedupSignature(output_folder=str(base / "signatures"), config=config),
            ],
            tasks=cores,
            **common,
        )
        buckets = LocalPipelineExecutor(
            pipeline=[
                MinhashDedupBuckets(
                    input_folder=str(base / "signatures"), output_folder=str(base / "buckets"), config=config
                )
            ],
            tasks=config.num_buckets,
            depends=signatures,
            **common,
        )
        clusters = LocalPipelineExecutor(
            pipeline=[
                MinhashDedupCluster(
                    input_folder=str(base / "buckets"), output_folder=str(base / "remove_ids"), config=config
                )
            ],
            tasks=1,
            depends=buckets,
            **common,
        )
        kept = LocalPipelineExecutor(
            pipeline=[
                ParquetReader(str(base / "input")),
                MinhashDedupFilter(input_folder=str(base / "remove_ids")),
                JsonlWriter(str(base / "output")),
            ],
            tasks=cores,
            depends=clusters,
            **common,
        )
        kept.run()
        seconds = time.perf_counter() - start
        removed = sum(1 for _ in (base / "remove_ids").rglob("*.remove"))
    return {"tool": "datatrove", "timed_seconds": round(seconds, 3), "paragraphs": len(texts), "remove_files": removed}


if __name__ == "__main__":
    tool, folder = sys.argv[1], Path(sys.argv[2])
    if tool == "datatrove":
        print(json.dumps(run_datatrove(folder)))
    else:
        print(json.dumps(run_datasketch(shingled(folder))))

"""The floor: the least any paragraph pipeline does. Read every file, split paragraphs on blank
lines, normalise whitespace, hash each paragraph with xxh3, write one zstd Parquet file.

    python bench/floor.py SEEDS_DIR OUT.parquet
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import xxhash

BLANK = re.compile(r"\n[ \t\r]*\n")


def floor(seeds: Path, out: Path) -> int:
    docs, indexes, texts, hashes = [], [], [], []
    digest = xxhash.xxh3_64_intdigest
    for path in sorted(seeds.iterdir()):
        text = path.read_bytes().decode("utf-8")
        for i, block in enumerate(BLANK.split(text.replace("\r\n", "\n"))):
            para = " ".join(block.split())
            if para:
                docs.append(path.stem)
                indexes.append(i)
                texts.append(para)
                hashes.append(digest(para.encode()))
    table = pa.table({"doc": docs, "index": indexes, "text": texts, "xxh3": pa.array(hashes, pa.uint64())})
    pq.write_table(table, out, compression="zstd")
    return table.num_rows


if __name__ == "__main__":
    print(floor(Path(sys.argv[1]), Path(sys.argv[2])), "paragraphs")

"""Time `corpuspack report` on a large version made from a built one: its Parquet shards copied
COPIES times into a new folder (so 100,000 generated documents give about a million), then the
report made with the files in the page cache (warm) and, after asking the kernel to drop these
files' pages (posix_fadvise DONTNEED; nothing else is evicted), from disk (cold).

    python bench/generate.py --docs 100000 --out /tmp/c100k
    (cd /tmp/c100k && corpuspack build --out /tmp/c100k-built)
    python bench/report_time.py /tmp/c100k-built /tmp/c1m --copies 10

Prints the rows, the seconds and peak memory of each run, and the bytes read from disk cold.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq


def replicate(built: Path, out: Path, copies: int) -> None:
    for table in ("documents", "paragraphs"):
        (out / table).mkdir(parents=True, exist_ok=True)
        for k in range(copies):
            for shard in sorted((built / table).glob("*.parquet")):
                target = out / table / f"c{k:03d}-{shard.name}"
                if not target.exists():
                    shutil.copyfile(shard, target)
    shutil.copyfile(built / "manifest.json", out / "manifest.json")


def evict(folder: Path) -> None:
    for path in folder.rglob("*.parquet"):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def timed(folder: Path, into: Path) -> dict[str, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "corpuspack", "report", "--out", str(folder), "--to", str(into)],
        check=True, capture_output=True,
    )  # fmt: skip
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "seconds": round(time.perf_counter() - started, 1),
        "peak_mb": round(after.ru_maxrss / 1024),
        "read_gb": round((after.ru_inblock - before.ru_inblock) * 512 / 1e9, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("built", type=Path, help="a folder `corpuspack build --out` wrote")
    parser.add_argument("out", type=Path, help="where to put the replicated version (new or an earlier one)")
    parser.add_argument("--copies", type=int, default=10)
    args = parser.parse_args()
    replicate(args.built, args.out, args.copies)
    rows = {t: sum(pq.ParquetFile(p).metadata.num_rows for p in (args.out / t).glob("*.parquet"))
            for t in ("documents", "paragraphs")}  # fmt: skip
    size = sum(p.stat().st_size for p in args.out.rglob("*.parquet"))
    into = args.out.with_name(args.out.name + "-report")
    timed(args.out, into)  # fills the page cache
    warm = timed(args.out, into)
    evict(args.out)
    cold = timed(args.out, into)
    print(json.dumps({"rows": rows, "parquet_gb": round(size / 1e9, 2), "warm": warm, "cold": cold}))


if __name__ == "__main__":
    main()

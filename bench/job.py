"""The workloads the runner times, one per process; each prints one JSON line.

    python bench/job.py floor SEEDS OUT.parquet
    python bench/job.py build CORPUS OUT [--work DIR] [--engine local|ray] [--workers N] [--exact-only] [--cprofile N]
    python bench/job.py validate CORPUS [--cprofile N]

`build` calls the public `corpuspack.build` and reports what its `BuildResult` says (seconds per
stage, peak memory of the main process and of the largest worker, megabytes and counts) and the
monotonic time it returned at, which lets the runner place the stages on its own clock. `validate`
reports the CPU time of a second, warm `corpuspack.validate` (imports and page cache out of it).
With `--cprofile N`, the call runs under cProfile and the N functions with the most time of their
own and the N with the most cumulative time are reported (this process only: the local engine's
read stage runs in forked workers, which cProfile does not see).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BLANK = re.compile(r"\n[ \t\r]*\n")


def floor(seeds: Path, out: Path) -> dict:
    """The least any paragraph pipeline does: read every file, split paragraphs on blank lines,
    normalise whitespace, hash each paragraph with xxh3, write one zstd Parquet file."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    import xxhash

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
    return {"paragraphs": table.num_rows}


def build(args: argparse.Namespace) -> dict:
    from corpuspack import build, load_config

    overrides: dict[str, Any] = {"engine": args.engine, "workers": args.workers}
    if args.exact_only:
        overrides["near"] = False
    config = load_config(args.corpus, **{k: v for k, v in overrides.items() if v is not None})
    result, profile = _profiled(lambda: build(out=args.out, work=args.work, config=config), args.cprofile)
    return {
        "seconds": result.seconds,
        "peak_memory_mb": result.peak_memory_mb,
        "bytes_moved": getattr(result, "bytes_moved", {}),  # code from before it was counted has none
        "megabytes": result.megabytes,
        "counts": result.counts,
        "reused_chunks": result.reused_chunks,
        "ended": time.perf_counter(),
        **profile,
    }


def validate(args: argparse.Namespace) -> dict:
    from corpuspack import load_config, validate

    config = load_config(args.corpus)
    validate(config=config)  # warm: imports and page cache
    cpu, wall = time.process_time(), time.perf_counter()
    report, profile = _profiled(lambda: validate(config=config), args.cprofile)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    n = report.summary["documents"]
    return {"documents": n, "cpu": round(cpu, 3), "wall": round(wall, 3), "valid": report.ok, **profile}


def _profiled(call: Callable[[], Any], top: int) -> tuple[Any, dict]:
    if not top:
        return call(), {}
    profiler = cProfile.Profile()
    result = profiler.runcall(call)
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    rows = [
        {
            "function": f"{_short(file)}:{line}({name})",
            "calls": calls,
            "own": round(own, 3),
            "cumulative": round(cum, 3),
        }
        for (file, line, name), (_, calls, own, cum, _) in stats.items()
    ]
    by = {key: sorted(rows, key=lambda r: -r[key])[:top] for key in ("own", "cumulative")}
    return result, {"cprofile": by}


def _short(file: str) -> str:
    """A file name from the package or library onwards (site-packages/... or corpuspack/...)."""
    parts = Path(file).parts
    for anchor in ("site-packages", "src"):
        if anchor in parts:
            return "/".join(parts[parts.index(anchor) + 1 :])
    return file


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="job", required=True)
    f = sub.add_parser("floor")
    f.add_argument("seeds", type=Path)
    f.add_argument("out", type=Path)
    b = sub.add_parser("build")
    b.add_argument("corpus", type=Path)
    b.add_argument("out", type=Path)
    b.add_argument("--work", type=Path)
    b.add_argument("--engine")
    b.add_argument("--workers", type=int)
    b.add_argument("--exact-only", action="store_true")
    v = sub.add_parser("validate")
    v.add_argument("corpus", type=Path)
    for p in (b, v):
        p.add_argument("--cprofile", type=int, default=0, metavar="N")
    args = parser.parse_args()
    jobs = {"build": build, "validate": validate, "floor": lambda a: floor(a.seeds, a.out)}
    print(json.dumps(jobs[args.job](args)))


if __name__ == "__main__":
    main()

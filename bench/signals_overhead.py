"""What the quality signals and language id cost a full build: builds of one corpus in output format
3 (signals) and 2 (none), in interleaved pairs (the order alternating), so a busy machine weighs on
both alike; prints each pair's wall seconds, CPU seconds (this process and its workers: less moved
by other sessions on a shared machine than the wall clock) and ratios, and the median ratios.

    python bench/signals_overhead.py --corpus /tmp/c10k [--pairs 5] [--workers 2]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from corpuspack import build, load_config


def cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(corpus: Path, output_format: int, workers: int) -> tuple[float, float, dict[str, float]]:
    """(wall seconds, CPU seconds, seconds by stage) of one build."""
    config = load_config(corpus).replace(output_format=output_format)
    with tempfile.TemporaryDirectory(prefix="signals-overhead-") as tmp:
        t0, c0 = time.perf_counter(), cpu()
        result = build(out=Path(tmp) / "out", config=config, workers=workers)
        seconds, cpu_seconds = time.perf_counter() - t0, cpu() - c0
        shutil.rmtree(Path(tmp) / "out")
    return seconds, cpu_seconds, result.seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    timed(args.corpus, 3, args.workers)  # warm-up: page cache, imports, the model file
    walls, cpus = [], []
    print("| pair | wall without s | wall with s | wall ratio | CPU without s | CPU with s | CPU ratio |", flush=True)
    print("|---|---|---|---|---|---|---|", flush=True)
    for pair in range(args.pairs):
        order = (2, 3) if pair % 2 == 0 else (3, 2)
        got = {fmt: timed(args.corpus, fmt, args.workers) for fmt in order}
        walls.append(got[3][0] / got[2][0])
        cpus.append(got[3][1] / got[2][1])
        print(
            f"| {pair + 1} | {got[2][0]:.2f} | {got[3][0]:.2f} | {walls[-1]:.3f} | {got[2][1]:.2f} | {got[3][1]:.2f} "
            f"| {cpus[-1]:.3f} |",
            flush=True,
        )
    for name, ratios in (("wall", walls), ("CPU", cpus)):
        print(f"median {name} ratio {statistics.median(ratios):.3f} (min {min(ratios):.3f}, max {max(ratios):.3f})")


if __name__ == "__main__":
    main()

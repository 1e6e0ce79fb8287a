"""CPU time per document of `corpuspack validate` on a generated corpus.

    python bench/validate_bench.py [--docs 10000] [--corpus DIR]

Generates the corpus if DIR has no seeds, then validates it in this process and reports CPU seconds
per document (process time, so the figure does not depend on other load on the machine).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from generate import generate

from corpuspack import load_config, validate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=10000)
    parser.add_argument("--corpus", type=Path, default=Path("/tmp/corpuspack-bench-10k"))
    args = parser.parse_args()
    if not (args.corpus / "seeds").is_dir():
        generate(args.docs, args.corpus)
    config = load_config(args.corpus)
    validate(config=config)  # warm: imports and page cache
    cpu, wall = time.process_time(), time.perf_counter()
    report = validate(config=config)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    n = report.summary["documents"]
    print(
        json.dumps(
            {
                "documents": n,
                "cpu_seconds": round(cpu, 3),
                "wall_seconds": round(wall, 3),
                "cpu_ms_per_document": round(1000 * cpu / n, 4),
                "valid": report.ok,
            }
        )
    )


if __name__ == "__main__":
    main()

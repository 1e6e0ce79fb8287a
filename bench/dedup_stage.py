"""The dedup stage alone on a kept work folder: seconds per step and the process tree's peak PSS.

    python bench/dedup_stage.py CORPUS WORK

WORK is the `--work` folder of an earlier build of CORPUS (every chunk spilled). Only the dedup
stage runs (with its forked helpers), so versions can be compared on the same spill in about a
minute and a half at a million documents. The tree's PSS is sampled every 0.5 s.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

import psutil

from corpuspack import load_config
from corpuspack.dedup import near
from corpuspack.engines import local, open_engine
from corpuspack.pipeline.order import global_order
from corpuspack.pipeline.spill import Spill
from corpuspack.progress import quiet
from corpuspack.stages import dedup as stage
from corpuspack.stages.read import Read
from corpuspack.tuning import Tuning

seconds: dict[str, float] = {}
peak = {"tree PSS MB": 0.0, "main RSS MB": 0.0}


def timed(owner: object, name: str) -> None:
    original = getattr(owner, name)

    def run(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            seconds[name] = seconds.get(name, 0) + time.perf_counter() - start

    setattr(owner, name, run)


def sample() -> None:
    me = psutil.Process()
    while True:
        try:
            pss = sum(p.memory_full_info().pss for p in [me, *me.children(recursive=True)])
            peak["tree PSS MB"] = max(peak["tree PSS MB"], pss / 2**20)
            peak["main RSS MB"] = max(peak["main RSS MB"], me.memory_info().rss / 2**20)
        except psutil.Error:
            pass
        time.sleep(0.5)


def main() -> None:
    corpus, work = Path(sys.argv[1]), Path(sys.argv[2])
    for owner, name in (
        (local, "exact_groups"),
        (local.LocalDedup, "candidate_pairs"),
        (local.LocalDedup, "jaccard"),
        (near, "assign"),
        (near, "components"),
        (stage, "most_repeated"),
    ):
        timed(owner, name)
    threading.Thread(target=sample, daemon=True).start()
    config = load_config(corpus)
    # Chunk order only numbers the spill's rows; decisions are made by global position.
    keys = sorted(p.name[len("docs-") : -len(".arrow")] for p in work.glob("docs-*.arrow"))
    start = time.perf_counter()
    spill = Spill(work, keys)
    global_order(spill)
    ordered = time.perf_counter()
    ledger = stage.dedup(Read(spill, work, 0, 0), open_engine(config, Tuning()), config, quiet).ledger
    done = time.perf_counter()
    print(
        json.dumps(
            {
                "spill and order s": round(ordered - start, 1),
                "dedup s": round(done - ordered, 1),
                "steps s": {k: round(v, 1) for k, v in seconds.items()},
                **{k: round(v) for k, v in peak.items()},
                "kept": int(ledger.kept.sum()),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()

"""Peak RSS and seconds of the main process in each step of a build (finer than stage_memory.py).

    python bench/step_memory.py CORPUS WORK

WORK is kept between runs (`build --work`): a second run reuses every chunk, so it measures the
steps after reading (spill, order, exact groups, candidate pairs, Jaccard, regrouping, writing,
manifest) in a minute at 100,000 documents. RSS is sampled every 5 ms; a step's label stays on
the samples taken after it ends (with a "+"), until the next step starts.
"""

from __future__ import annotations

import json
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

import corpuspack.builder as builder
from corpuspack import load_config
from corpuspack.dedup import near
from corpuspack.engines import local
from corpuspack.pipeline import ordered
from corpuspack.stages import dedup as dedup_stage
from corpuspack.stages import finish
from corpuspack.stages import read as read_stage

label = ["start"]
peaks: dict[str, float] = {}
seconds: dict[str, float] = {}


def wrap(owner: object, name: str, tag: str) -> None:
    original = getattr(owner, name)

    def timed(*args, **kwargs):
        label[0] = tag
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            seconds[tag] = seconds.get(tag, 0) + time.perf_counter() - start
            label[0] = tag + "+"

    setattr(owner, name, timed)


def sample() -> None:
    me = psutil.Process()
    while True:
        rss = me.memory_info().rss / 2**20
        peaks[label[0]] = max(peaks.get(label[0], 0), rss)
        time.sleep(0.005)


def main() -> None:
    corpus, work = Path(sys.argv[1]), Path(sys.argv[2])
    for owner, name, tag in (
        (read_stage, "Spill", "spill"),
        (dedup_stage, "global_order", "order"),
        (local, "exact_groups", "exact groups"),
        (local.LocalDedup, "candidate_pairs", "candidate pairs"),
        (local.LocalDedup, "jaccard", "jaccard"),
        (near, "assign", "assign"),
        (near, "components", "components"),
        (ordered, "_regroup", "regroup texts"),
        (local, "write_table", "write table"),
        (finish.manifest, "compose", "manifest"),
        (finish.croissant, "write", "croissant"),
        (finish.manifest, "write", "manifest write"),
    ):
        wrap(owner, name, tag)
    threading.Thread(target=sample, daemon=True).start()
    with tempfile.TemporaryDirectory() as tmp:
        result = builder.build(out=Path(tmp) / "out", work=work, config=load_config(corpus))
    print(
        json.dumps(
            {
                "stages": result.seconds,
                "peak RSS MB": {k: round(v) for k, v in peaks.items()},
                "seconds": {k: round(v, 2) for k, v in seconds.items()},
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()

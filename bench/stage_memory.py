"""Peak memory of the main process in each stage of a build (the dedup stage's figure), and of the
whole process tree.

    python bench/stage_memory.py [--corpus DIR] [--workers 2]

Samples RSS and PSS of this process (and the PSS of its workers) every 10 ms while `build` runs.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from pathlib import Path

import psutil

import corpuspack.builder as builder
from corpuspack import load_config
from corpuspack.engines.local import LocalEngine


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", type=Path, default=Path("/tmp/corpuspack-bench-10k"))
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    me = psutil.Process()
    stage = {"name": "read"}
    peaks: dict[str, float] = {}

    def sample() -> None:
        while True:
            try:
                info = me.memory_full_info()
                kids = sum(c.memory_full_info().pss for c in me.children(recursive=True))
            except psutil.Error:
                continue
            name = stage["name"]
            peaks[f"{name}: main RSS"] = max(peaks.get(f"{name}: main RSS", 0), info.rss / 2**20)
            peaks["tree PSS"] = max(peaks.get("tree PSS", 0), (info.pss + kids) / 2**20)
            peaks[f"{name}: tree PSS"] = max(peaks.get(f"{name}: tree PSS", 0), (info.pss + kids) / 2**20)
            time.sleep(0.01)

    for owner, name, label in ((builder, "_dedup", "dedup"), (LocalEngine, "write", "write")):
        original = getattr(owner, name)

        def staged(*a, _original=original, _name=label, **k):
            stage["name"] = _name
            try:
                return _original(*a, **k)
            finally:
                stage["name"] = "manifest"

        setattr(owner, name, staged)
    threading.Thread(target=sample, daemon=True).start()
    with tempfile.TemporaryDirectory() as tmp:
        builder.build(out=Path(tmp) / "out", config=load_config(args.corpus), workers=args.workers)
    print(json.dumps({k: round(v, 1) for k, v in sorted(peaks.items())}, indent=2))


if __name__ == "__main__":
    main()

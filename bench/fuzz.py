"""The property-based tests of tests/test_properties.py, run for as many examples as asked.

    python bench/fuzz.py --examples 10000 [--seed 1] [--batch 500] [--only seeds,config] [--keep DIR]

The examples are shared among the properties as in the test suite (seeds of every format, random
configurations, damaged manifests, random command lines, and a few through `python -m corpuspack`),
drawn at random (seeded: the same --seed draws the same examples) in batches of --batch examples,
each batch with its own seed, so that a failure stops one batch, not the run. For every failure
the minimal failing example Hypothesis shrank it to is printed, with the traceback.

Prints, per property: examples run, failures, seconds and the slowest example; then the totals.
Exits 1 when any property failed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

import test_properties as props  # noqa: E402
from hypothesis import HealthCheck, given, seed, settings  # noqa: E402


def run_property(name: str, count: int, batch: int, base_seed: int, work: Path, template: Path) -> dict:
    """`count` examples of one property in batches; the failures' reports and the timings."""
    strategy, check = props.PROPERTIES[name]
    failures: list[str] = []
    slowest = (0.0, "")
    started = time.perf_counter()
    done = 0
    number = 0
    while done < count:
        size = min(batch, count - done)
        number += 1

        def example(case) -> None:
            nonlocal slowest
            props.COUNTS[name] += 1
            folder = Path(tempfile.mkdtemp(dir=work))
            begun = time.perf_counter()
            try:
                check(folder, case, template)
            finally:
                took = time.perf_counter() - begun
                if took > slowest[0]:
                    slowest = (took, repr(case)[:600])
                shutil.rmtree(folder, ignore_errors=True)

        test = settings(
            max_examples=size,
            derandomize=False,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            report_multiple_bugs=True,
            print_blob=True,
        )(given(case=strategy)(example))
        try:
            seed(base_seed * 1_000_003 + hash(name) % 1000 * 1000 + number)(test)()
        except BaseException as exc:  # every failure is reported, and the run goes on
            if isinstance(exc, KeyboardInterrupt):
                raise
            found = list(exc.exceptions) if isinstance(exc, BaseExceptionGroup) else [exc]
            for one in found:
                report = "".join(traceback.format_exception(one))
                failures.append(report)
                print(f"\n=== {name}: failure {len(failures)} (batch {number})\n{report}", flush=True)
        done += size
        print(
            f"{name}: {done}/{count} examples, {len(failures)} failures, {time.perf_counter() - started:.0f} s",
            file=sys.stderr,
            flush=True,
        )
    return {"failures": failures, "seconds": time.perf_counter() - started, "slowest": slowest}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=1000, help="examples in all, shared among the properties")
    parser.add_argument("--seed", type=int, default=1, help="seed of the random draws")
    parser.add_argument("--batch", type=int, default=500, help="examples per batch (a failure ends its batch)")
    parser.add_argument("--only", default=None, help="comma-separated properties: " + ", ".join(props.SHARES))
    parser.add_argument("--keep", type=Path, default=None, help="work in this folder and keep it")
    args = parser.parse_args()
    names = args.only.split(",") if args.only else list(props.SHARES)
    unknown = set(names) - set(props.SHARES)
    if unknown:
        parser.error(f"unknown properties: {', '.join(sorted(unknown))}")
    total = sum(props.SHARES[n] for n in names)
    counts = {n: max(1, args.examples * props.SHARES[n] // total) for n in names}
    counts[names[0]] += args.examples - sum(counts.values()) if args.examples > len(names) else 0

    work = Path(tempfile.mkdtemp(prefix="corpuspack-fuzz-")) if args.keep is None else args.keep
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    try:
        template = props.make_released(work / "released" / "project") if "manifest" in names else work
        results = {n: run_property(n, counts[n], args.batch, args.seed, work, template) for n in names}
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    seconds = time.perf_counter() - started

    print("\n| property | examples run | failures | seconds | slowest example (s) |")
    print("|---|---|---|---|---|")
    for n, r in results.items():
        print(f"| {n} | {props.COUNTS[n]} | {len(r['failures'])} | {r['seconds']:.0f} | {r['slowest'][0]:.2f} |")
    failures = sum(len(r["failures"]) for r in results.values())
    ran = sum(props.COUNTS[n] for n in names)
    print(f"\n{ran} examples run (asked: {args.examples}; shrinking counts too), {failures} failures, {seconds:.0f} s")
    for n, r in results.items():
        print(f"slowest {n} example ({r['slowest'][0]:.2f} s): {r['slowest'][1]}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

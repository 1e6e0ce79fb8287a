"""Every measurement side by side in one run, on one generated corpus.

    python bench/run.py [--docs 10000] [--corpus DIR] [--out bench/out]

Runs, each as its own process on the same corpus: the floor (read, split, xxh3, one Parquet file),
exact + near dedup alone (dedup_only.py, its like-for-like counterpart), `corpuspack validate`,
`corpuspack build --exact-only`, `corpuspack build` (exact + near, both tables, Hugging Face
artifacts), datasketch's MinHashLSH and (when it is installed) datatrove's MinHash dedup on the
same paragraphs. Reports wall time, MB/s of seed text and peak memory of each process tree (PSS,
sampled every 20 ms in one more run than the timed ones), the ratios to the floor, and the dedup
quality of the full build against the oracle in evaluate.py. Writes `results.md` and `results.json` into --out.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from evaluate import evaluate
from generate import generate

HERE = Path(__file__).resolve().parent


def measure(name: str, argv: list[str], cwd: Path, ok: tuple[int, ...] = (0,), sample: bool = True) -> dict:
    """Wall seconds and, with `sample`, peak memory (MB, proportional set size) of a command and all
    its children; an exit code not in `ok` stops the run."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    root = psutil.Process(proc.pid)
    peak = 0
    while sample and proc.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
            # PSS, not RSS: forked workers share the parent's pages, which RSS would count twice.
            peak = max(peak, sum(p.memory_full_info().pss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.02)
    out, err = proc.communicate()
    seconds = time.perf_counter() - start
    if proc.returncode not in ok:
        raise SystemExit(f"{name} failed ({proc.returncode}):\n{err[-2000:]}")
    return {
        "name": name,
        "seconds": round(seconds, 3),
        "peak_rss_mb": round(peak / 2**20, 1),
        "stdout": out.strip()[-500:],
        "stderr": err.strip()[-500:],
    }


def median_of(
    repeat: int, name: str, argv: list[str], cwd: Path, clean: Path | None = None, ok: tuple[int, ...] = (0,)
) -> dict:
    """The median wall time of `repeat` runs (the machine is shared and noisy), and the peak memory
    of one more run. Timed runs are not sampled: reading every process's smaps every 20 ms takes
    CPU from a command that uses both cores, and not from the single-process floor."""
    runs = []
    for _ in range(repeat + 1):
        if clean is not None:
            shutil.rmtree(clean, ignore_errors=True)
        runs.append(measure(name, argv, cwd, ok, sample=len(runs) == repeat))
    sampled = runs.pop()
    runs.sort(key=lambda r: r["seconds"])
    chosen = runs[len(runs) // 2]
    chosen["all_seconds"] = [r["seconds"] for r in runs]
    chosen["peak_rss_mb"] = sampled["peak_rss_mb"]
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=10000)
    parser.add_argument("--corpus", type=Path, default=Path("/tmp/corpuspack-bench-10k"))
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each corpuspack command and the floor")
    args = parser.parse_args()
    if not (args.corpus / "seeds").is_dir():
        generate(args.docs, args.corpus)
    mb = sum(p.stat().st_size for p in (args.corpus / "seeds").iterdir()) / 1e6
    py = sys.executable
    cli = [py, "-m", "corpuspack", "--root", str(args.corpus)]
    work = Path(tempfile.mkdtemp(prefix="corpuspack-bench-"))
    try:
        n = args.repeat
        floor_argv = [py, str(HERE / "floor.py"), str(args.corpus / "seeds"), str(work / "floor.parquet")]
        exact_argv = [*cli, "build", "-q", "--exact-only", "--out", str(work / "exact")]
        full_argv = [*cli, "build", "-q", "--out", str(work / "full")]
        dedup_argv = [py, str(HERE / "dedup_only.py"), str(args.corpus), str(work / "ledger.parquet")]
        rows = [
            median_of(n, "floor", floor_argv, work),
            median_of(n, "dedup only (read, validate, exact + near, ledger Parquet)", dedup_argv, work),
            median_of(n, "corpuspack validate", [*cli, "validate", "-q"], work, ok=(0, 1)),  # 1: invalid seeds found
            median_of(n, "corpuspack build --exact-only", exact_argv, work, clean=work / "exact"),
            median_of(n, "corpuspack build (full)", full_argv, work, clean=work / "full"),
        ]
        peer = measure(
            "datasketch MinHashLSH", [py, str(HERE / "peers.py"), "datasketch", str(work / "full" / "paragraphs")], work
        )
        timed = json.loads(peer["stdout"].splitlines()[-1])
        peer["lsh_seconds"] = timed["seconds"]
        rows.append(peer)
        if importlib.util.find_spec("datatrove") is not None:
            paragraphs = str(work / "full" / "paragraphs")
            trove = measure("datatrove MinHash dedup", [py, str(HERE / "peers.py"), "datatrove", paragraphs], work)
            trove["lsh_seconds"] = json.loads(trove["stdout"].splitlines()[-1])["seconds"]
            rows.append(trove)
        quality = evaluate(args.corpus, work / "full")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    floor = rows[0]["seconds"]
    for row in rows:
        row["mb_per_s"] = round(mb / row["seconds"], 1)
        row["x_floor"] = round(row["seconds"] / floor, 2)
    full = rows[4]["seconds"]
    result = {
        "corpus": {"documents": args.docs, "megabytes": round(mb, 1), "path": str(args.corpus)},
        "machine": {"cores": psutil.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 2**30, 1)},
        "runs": [{k: v for k, v in r.items() if k not in ("stdout", "stderr")} for r in rows],
        "ratios": {
            "full_build_over_floor": round(full / floor, 2),
            "dedup_only_over_floor": round(rows[1]["seconds"] / floor, 2),
            "exact_only_build_over_floor": round(rows[3]["seconds"] / floor, 2),
            "datasketch_lsh_alone_over_full_build": round(peer["lsh_seconds"] / full, 2),
            **(
                {"datatrove_minhash_alone_over_full_build": round(rows[6]["lsh_seconds"] / full, 2)}
                if len(rows) > 6
                else {}
            ),
        },
        "quality": quality,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(result, indent=2) + "\n")
    table = ["| run | seconds (median) | all runs | MB/s | x floor | peak PSS MB |", "|---|---|---|---|---|---|"]
    table += [
        f"| {r['name']} | {r['seconds']} | {r.get('all_seconds', [r['seconds']])} | {r['mb_per_s']} | {r['x_floor']} "
        f"| {r['peak_rss_mb']} |"
        for r in rows
    ]
    text = (
        f"Corpus: {args.docs} documents, {mb:.1f} MB; machine: {result['machine']['cores']} cores.\n\n"
        + "\n".join(table)
        + f"\n\ndatasketch MinHash+LSH alone (excluding reading): {peer['lsh_seconds']} s.\n\n"
        + f"Ratios: {json.dumps(result['ratios'])}\n\nQuality: {json.dumps(quality)}\n"
    )
    (args.out / "results.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()

"""The local engine and the Ray engine side by side, with 1 and 2 CPUs, and their files compared.

    python bench/engines.py --corpus /tmp/c10k [--repeat 1] [--out bench/out]

Each run is `corpuspack build --engine E --workers N` in its own process (Ray: a local Ray started
and stopped by the build, limited to N CPUs). Reports wall seconds, the build's own stage seconds,
peak PSS of the process tree (Ray's processes included), and whether every file has the sha256 of
the local 2-worker build. Writes `engines.md` and `engines.json` into --out.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import tempfile
from pathlib import Path

from run import HERE, median_of

RUNS = [("local", 1), ("local", 2), ("ray", 1), ("ray", 2)]


def digests(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--out", type=Path, default=HERE / "out")
    args = parser.parse_args()
    exe = [sys.executable, "-m", "corpuspack", "build", "-q"]
    rows, reference = [], None
    with tempfile.TemporaryDirectory(prefix="corpuspack-engines-") as tmp:
        for engine, workers in RUNS:
            out = Path(tmp) / f"{engine}-{workers}"
            argv = [*exe, "--engine", engine, "--workers", str(workers), "--out", str(out)]
            run = median_of(args.repeat, f"{engine} x{workers}", argv, args.corpus, clean=out)
            files = digests(out)
            reference = reference or (files if (engine, workers) == ("local", 2) else None)
            stages = dict(re.findall(r"(\w+) ([\d.]+)", run["stderr"].split("seconds:")[1].split("\n")[0]))
            rows.append({**run, "engine": engine, "workers": workers, "stages": stages, "files": files})
    for row in rows:
        row["identical"] = row.pop("files") == reference
    lines = [
        "| engine | CPUs | wall s | start | read | dedup | write | peak PSS MB (tree) | same sha256 as local |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        s = r["stages"]
        lines.append(
            f"| {r['engine']} | {r['workers']} | {r['seconds']:.1f} | {s.get('start', '-')} | {s['read']} | "
            f"{s['dedup']} | {s['write']} | {r['peak_rss_mb']:.0f} | {'yes' if r['identical'] else 'NO'} |"
        )
    table = "\n".join(lines)
    print(table)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "engines.md").write_text(table + "\n")
    (args.out / "engines.json").write_text(
        json.dumps([{k: v for k, v in r.items() if k not in ("stdout", "stderr")} for r in rows], indent=1)
    )
    if not all(r["identical"] for r in rows):
        raise SystemExit("engines disagree")


if __name__ == "__main__":
    main()

"""The bench runner: every timing of corpuspack, side by side on one generated corpus.

    python bench/run.py COMMAND [--corpus DIR] [--docs N] [--rounds N] [--against REV|DIR] [--out DIR]

build     the floor, `build --exact-only` and `build`: wall, CPU, peak RSS, stage seconds, x floor;
          with --accented latin|mixed|french also `build` of the same corpus with accented letters, paired
dedup     the stages after reading, chunks reused from a kept work folder (dedup, write, finish)
engines   local and Ray with 1 and 2 CPUs; every output file's sha256 compared with the first run's
incremental  a full build against one with a kept work folder after 1% of the seeds were added; same bytes
validate  CPU milliseconds per document of `validate` (warm)
peers     datasketch's MinHashLSH and datatrove's MinHash dedup on the build's paragraphs
profile   one build: seconds, main RSS and tree PSS per stage (from the build's own stage timings),
          with --cprofile N the top functions
all       every command above but incremental and driver in one run (the figures of bench/README.md)
driver    Ray builds of --corpus and of a corpus --grow times larger (--large): the driver's peak RSS
          and how much it grows (not in `all`: it builds the larger corpus)

Each run is its own process (bench/job.py, bench/peers.py) timed by bench/measure.py. --rounds N
runs every variant N times, the order rotated each round, and reports medians. --against REV|DIR
adds the same corpuspack runs on other code (a git revision or a folder with src/corpuspack),
paired round by round: the ratios new/old are the figures that survive a loaded machine.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import measure
from measure import HERE, OUT, REPO, Run, Variant, median, paired_ratio, rounds, stage_medians, table

PY = sys.executable
STAGES = ("start", "read", "dedup", "write", "finish")
HEADER = ["run", "wall s", "range", "CPU s", "peak RSS MB", "x {base} (wall)", "x {base} (CPU)", *STAGES]
# Read by Ray when it is imported: listeners on 127.0.0.1, no usage report, no token in the home folder.
RAY_ENV = {"RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled", "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}


def job(*args: object) -> list[str]:
    return [PY, str(HERE / "job.py"), *map(str, args)]


def codes(args: argparse.Namespace) -> list[tuple[str, Path]]:
    """(suffix of the runs' names, corpuspack source folder) of this checkout and of --against."""
    return [("", REPO / "src"), *([(f" @{args.against}", args.against_src)] if args.against else [])]


def rows(runs: dict[str, list[Run]], base: str | None) -> list[list[object]]:
    out = []
    for name, done in runs.items():
        walls = [r.wall for r in done]
        stages = stage_medians(done)
        out.append(
            [
                name,
                median(walls),
                f"{min(walls):.2f}-{max(walls):.2f}",
                median([r.cpu for r in done]),
                median([r.peak_rss_mb for r in done]),
                paired_ratio(runs, name, base) if base else None,
                paired_ratio(runs, name, base, "cpu") if base else None,
                *(stages.get(s) for s in STAGES),
            ]
        )
    used = [i for i, s in enumerate(STAGES, 7) if any(row[i] is not None for row in out)]
    keep = [*range(5), *([5, 6] if base else []), *used]
    header = [HEADER[i].format(base=base) for i in keep]
    return [header, *[[row[i] for i in keep] for row in out]]


def against_lines(runs: dict[str, list[Run]], args: argparse.Namespace) -> str:
    """new / old for every variant that ran on both codes, paired by round."""
    if args.against is None:
        return ""
    lines = []
    for name in runs:
        old = f"{name} @{args.against}"
        if old in runs:
            ratio = {w: paired_ratio(runs, name, old, w) for w in ("wall", "cpu", "peak_rss_mb")}
            lines.append(
                f"- {name}: new / old wall {ratio['wall']:.3f}, CPU {ratio['cpu']:.3f}, "
                f"peak RSS {ratio['peak_rss_mb']:.3f}"
            )
    return f"\nThis code against {args.against}, median of {args.rounds} paired rounds:\n\n" + "\n".join(lines) + "\n"


def cmd_build(args: argparse.Namespace, tmp: Path) -> tuple[str, dict]:
    variants = [Variant("floor", job("floor", args.corpus / "seeds", OUT))]
    if args.accented:  # the floor on the same bytes: what the accents cost any paragraph pipeline
        variants.append(Variant(f"floor {args.accented}", job("floor", accented(args) / "seeds", OUT)))
    for suffix, src in codes(args):
        variants.append(Variant("build --exact-only" + suffix, job("build", args.corpus, OUT, "--exact-only"), src))
        variants.append(Variant("build" + suffix, job("build", args.corpus, OUT), src))
        if args.accented:
            variants.append(Variant(f"build {args.accented}" + suffix, job("build", accented(args), OUT), src))
    runs = rounds(variants, args.rounds, tmp)
    text, data = _result(runs, "floor", args, "Stage seconds are the build's own (`BuildResult.seconds`).")
    if args.accented:
        lines = []
        for new, old in [(f"build {args.accented}{suffix}", f"build{suffix}") for suffix, _ in codes(args)] + [
            (f"floor {args.accented}", "floor")
        ]:
            wall, cpu = paired_ratio(runs, new, old), paired_ratio(runs, new, old, "cpu")
            busy = median([r.cpu / r.wall for r in runs[new]])
            lines.append(f"- {new} / {old}: wall {wall:.3f}, CPU {cpu:.3f}; cores busy (CPU / wall) {busy:.2f}")
        text += (
            f"\nThe {args.accented} corpus ({accented(args)}: the same documents with accented letters in every "
            f"paragraph, {_megabytes(accented(args))} MB of seeds against {_megabytes(args.corpus)}) against the "
            f"English one, median of {args.rounds} paired rounds:\n\n" + "\n".join(lines) + "\n"
        )
    return text, data


def _megabytes(corpus: Path) -> str:
    return f"{sum(p.stat().st_size for p in (corpus / 'seeds').iterdir() if p.is_file()) / 1e6:.1f}"


def accented(args: argparse.Namespace) -> Path:
    """The accented variant of --corpus, next to it (generated with the same documents when missing)."""
    folder = args.corpus.parent / f"{args.corpus.name}-accented-{args.accented}"
    if not (folder / "seeds").is_dir():
        from generate import generate

        docs = sum(1 for p in (args.corpus / "seeds").iterdir() if p.suffix == ".txt")
        print(f"generating the {args.accented} variant of {docs} documents into {folder}", file=sys.stderr)
        generate(docs, folder, accented=args.accented)
    return folder


def cmd_dedup(args: argparse.Namespace, tmp: Path) -> tuple[str, dict]:
    variants = []
    for suffix, src in codes(args):
        work = tmp / f"work{len(variants)}"
        print(f"  spilling every chunk into {work}", file=sys.stderr)
        measure.run(job("build", args.corpus, tmp / f"fill{len(variants)}", "--work", work), src)
        variants.append(Variant("build, chunks reused" + suffix, job("build", args.corpus, OUT, "--work", work), src))
    runs = rounds(variants, args.rounds, tmp)
    note = "Every chunk is taken from a kept `--work` folder: `read` is only the check that each chunk is current."
    return _result(runs, None, args, note)


def cmd_incremental(args: argparse.Namespace, tmp: Path) -> tuple[str, dict]:
    """A full build of the corpus against a build with a work folder kept from the corpus without
    `--added` of its seed files (the last by path, like new articles with later names, or with
    `--spread` evenly among the others), paired round by round; the same bytes required. With
    `--against`, both on each code, each code's work folder filled by that code."""
    files = sorted(p for p in (args.corpus / "seeds").iterdir() if p.is_file())
    n = max(1, round(len(files) * args.added))
    new = set(files[:: max(1, len(files) // n)][:n] if args.spread else files[-n:])
    before, after = _linked(args.corpus, tmp / "before", files, new), _linked(args.corpus, tmp / "after", files, set())
    kept = tmp / "work"
    variants, snapshots = [], {}  # snapshots: the work folder each kept-folder variant starts from
    for suffix, src in codes(args):
        snapshot = tmp / f"work-before{len(snapshots)}"
        print(f"  filling a work folder from {len(files) - n} of {len(files)} seed files{suffix}", file=sys.stderr)
        measure.run(job("build", before, tmp / "fill", "--work", snapshot), src)
        shutil.rmtree(tmp / "fill")
        name = f"{len(new)} files added, kept work folder{suffix}"
        added = Variant(name, job("build", after, OUT, "--work", kept), src)
        variants += [Variant("full build" + suffix, job("build", after, OUT), src), added]
        snapshots[added.name] = snapshot
    full, added = variants[0].name, variants[1].name
    runs: dict[str, list[Run]] = {v.name: [] for v in variants}
    sums: dict[str, list[str]] = {v.name: [] for v in variants}
    for i in range(args.rounds):
        at = i % len(variants)
        for v in variants[at:] + variants[:at]:
            shutil.rmtree(kept, ignore_errors=True)
            if v.name in snapshots:  # the folder as the build before the new files left it
                shutil.copytree(snapshots[v.name], kept, symlinks=True)
            os.sync()  # on disk, as a folder kept since the last release is: not written back during the build
            out = tmp / f"run-{i}"
            runs[v.name].append(measure.run([a.replace(OUT, str(out)) for a in v.argv], v.src))
            files_out = {p.relative_to(out).as_posix(): _sha256(p) for p in sorted(out.rglob("*")) if p.is_file()}
            sums[v.name].append(_sha256(json.dumps(files_out).encode()))
            shutil.rmtree(out)
            print(f"  round {i + 1}/{args.rounds} {v.name}: {runs[v.name][-1].wall:.2f} s", file=sys.stderr)
    same = "yes" if len({s for done in sums.values() for s in done}) == 1 else "NO"
    note = (
        f"{len(new)} of {len(files)} seed files ({'spread among the others' if args.spread else 'the last by path'}) "
        "added to a corpus whose build kept its work folder; `read` of the kept-folder build includes the check "
        f"that each reused chunk is current. Same bytes as the full build in every round: {same}."
    )
    text, data = _result(runs, full, args, note)
    for name in snapshots:
        base = name.replace(added, full)
        reused = [r.report["reused_chunks"] for r in runs[name]]
        text += (
            f"\n{name}: chunks reused {reused}; / full build{base[len(full) :]} paired by round: "
            f"wall {paired_ratio(runs, name, base):.3f}, CPU {paired_ratio(runs, name, base, 'cpu'):.3f}.\n"
        )
    if same == "NO":
        print(text)
        raise SystemExit("the incremental build's output differs from the full build's")
    return text, {**data, "same_bytes": same, "ratio_wall": paired_ratio(runs, added, full)}


def _linked(corpus: Path, folder: Path, files: list[Path], leave: set[Path]) -> Path:
    """A copy of the project `corpus` in `folder`, its seed files hard links (same bytes, same mtime)."""
    (folder / "seeds").mkdir(parents=True)
    for p in corpus.iterdir():
        if p.is_file():
            shutil.copy2(p, folder / p.name)
    for p in files:
        if p not in leave:
            os.link(p, folder / "seeds" / p.name)
    return folder


def cmd_engines(args: argparse.Namespace, tmp: Path) -> tuple[str, dict]:
    variants = [
        Variant(f"{engine} x{cpus}{suffix}", job("build", args.corpus, OUT, "--engine", engine, "--workers", cpus), src)
        for suffix, src in codes(args)
        for engine in args.engines.split(",")
        for cpus in args.cpus.split(",")
    ]
    sums: dict[str, set[str]] = {v.name: set() for v in variants}

    def digest(v: Variant, out: Path) -> None:
        files = {p.relative_to(out).as_posix(): _sha256(p) for p in sorted(out.rglob("*")) if p.is_file()}
        sums[v.name].add(_sha256(json.dumps(files).encode()))

    runs = rounds(variants, args.rounds, tmp, after=digest)
    first = sums[variants[0].name]
    same = {name: "yes" if s == first and len(s) == 1 else "NO" for name, s in sums.items()}
    note = f"Same bytes: every output file's sha256 equal to {variants[0].name}'s, in every round."
    text, data = _result(runs, None, args, note)
    text += "\n" + table(["run", "same bytes"], list(same.items())) + "\n"
    if "NO" in same.values():
        print(text)
        raise SystemExit("the engines' outputs differ")
    return text, {**data, "same_bytes": same}


def cmd_validate(args: argparse.Namespace, tmp: Path) -> tuple[str, dict]:
    variants = [
        Variant("validate" + suffix, job("validate", args.corpus), src, ok=(0, 1)) for suffix, src in codes(args)
    ]
    runs = rounds(variants, args.rounds, tmp)
    text, data = _result(runs, None, args, "Whole processes, imports included; the job's own CPU per document below.")
    per = [
        [name, done[0].report["documents"], median([1000 * r.report["cpu"] / r.report["documents"] for r in done])]
        for name, done in runs.items()
    ]
    text += "\n" + table(["run", "documents", "CPU ms per document (warm)"], per) + "\n"
    return text, {**data, "cpu_ms_per_document": {p[0]: p[2] for p in per}}


def cmd_peers(args: argparse.Namespace, tmp: Path) -> tuple[str, dict]:
    paragraphs = tmp / "full" / "paragraphs"
    measure.run(job("build", args.corpus, tmp / "full"))
    variants = [Variant("build", job("build", args.corpus, OUT))]
    for tool in ("datasketch", "datatrove"):
        if importlib.util.find_spec(tool) is None:
            print(f"  {tool} is not installed (pip install -e '.[bench]'): skipped", file=sys.stderr)
        else:
            variants.append(Variant(tool, [PY, str(HERE / "peers.py"), tool, str(paragraphs)]))
    runs = rounds(variants, args.peer_rounds, tmp)
    build = median([r.wall for r in runs["build"]])
    timed = []
    for name, done in list(runs.items())[1:]:
        alone = median([r.report["timed_seconds"] for r in done])
        timed.append([name, alone, alone / build])
    text, data = _result(runs, "build", args, "Peers: whole scripts, reading the paragraphs table included.")
    text += "\n" + table(["peer", "timed part alone s", "x the whole build"], timed) + "\n"
    return text, {**data, "timed_parts": timed}


def cmd_profile(args: argparse.Namespace, tmp: Path) -> tuple[str, dict]:
    if args.work and args.against:
        raise SystemExit("profile: --work holds one code's chunks; give it without --against")
    texts, data = [], {}
    for suffix, src in codes(args):
        extra = [
            *(["--work", args.work] if args.work else []),
            *(["--engine", args.engine] if args.engine else []),
            *(["--workers", args.workers] if args.workers else []),
            "--cprofile",
            args.cprofile,
        ]
        done = measure.run(job("build", args.corpus, tmp / f"out{len(data)}", *extra), src, sample=args.every)
        stages = _by_stage(done)
        name = "build" + suffix
        texts.append(
            f"**{name}**: wall {done.wall:.2f} s, CPU {done.cpu:.2f} s, peak RSS of the largest process "
            f"{done.peak_rss_mb:.0f} MB (the build says: main {done.report['peak_memory_mb']['main']} MB, "
            f"largest worker {done.report['peak_memory_mb']['largest_worker']} MB)"
            + _moved(done.report.get("bytes_moved"))
            + "\n\n"
            + table(["stage", "seconds", "main RSS MB (max)", "tree PSS MB (max)", "samples"], stages)
        )
        for key, what in (("own", "own time"), ("cumulative", "cumulative time")):
            top = done.report.get("cprofile", {}).get(key, [])
            if top:
                texts.append(
                    f"Top functions by {what} (cProfile, main process only):\n\n"
                    + table(
                        ["function", "calls", "own s", "cumulative s"],
                        [[t["function"], t["calls"], t["own"], t["cumulative"]] for t in top],
                    )
                )
        data[name] = {
            "wall": done.wall,
            "cpu": done.cpu,
            "peak_rss_mb": done.peak_rss_mb,
            "stages": stages,
            **done.report,
        }
    note = f"Memory sampled every {args.every} s from outside; each sample is put in the stage the build's own timings place it in."  # noqa: E501
    return "\n\n".join([note, *texts]) + "\n", data


def _moved(moved: dict | None) -> str:
    """The build's own count of bytes read from and written to storage (older code has none)."""
    if not moved:
        return ""
    return f"; it read {moved['read'] / 1e6:.1f} MB from storage and wrote {moved['written'] / 1e6:.1f} MB"


def _by_stage(done: Run) -> list[list[object]]:
    """Each memory sample placed in a stage by the build's own timings: the stages ran one after the
    other and the last ended when the build returned (`ended`, on the same monotonic clock)."""
    seconds = done.report["seconds"]
    ends, t = {}, done.report["ended"]
    for stage in reversed(list(seconds)):
        ends[stage] = t
        t -= seconds[stage]
    order = [("setup", t), *((s, ends[s]) for s in seconds), ("exit", float("inf"))]
    peaks: dict[str, list[float]] = {name: [0.0, 0.0, 0] for name, _ in order}
    for when, rss, pss in done.samples:
        stage = next(name for name, end in order if when < end)
        peak = peaks[stage]
        peak[0], peak[1], peak[2] = max(peak[0], rss), max(peak[1], pss), peak[2] + 1
    return [
        [name, seconds.get(name), *((round(p[0]), round(p[1])) if p[2] else (None, None)), p[2]]
        for name, p in peaks.items()
    ]


def cmd_driver(args: argparse.Namespace, tmp: Path) -> tuple[str, dict]:
    """Ray builds (`--workers 2`) of --corpus and of --large, a corpus --grow times its documents
    (generated when missing): the driver's own peak RSS (`BuildResult.peak_memory_mb["main"]`; Ray's
    workers are not its children, so nothing else is counted in it) and large / small, paired by round."""
    small = len(list((args.corpus / "seeds").iterdir()))
    large = args.large or tmp / "large"
    if not (large / "seeds").is_dir():
        from generate import generate

        print(f"  generating {small * args.grow} documents into {large}", file=sys.stderr)
        generate(small * args.grow, large)
    variants = [
        Variant(f"ray x2, {name}{suffix}", job("build", corpus, OUT, "--engine", "ray", "--workers", 2), src)
        for suffix, src in codes(args)
        for name, corpus in (("corpus", args.corpus), ("larger", large.resolve()))
    ]
    runs = rounds(variants, args.rounds, tmp)
    lines, data = [], {}
    for suffix, _ in codes(args):
        peaks = {
            name: [r.report["peak_memory_mb"]["main"] for r in runs[f"ray x2, {name}{suffix}"]]
            for name in ("corpus", "larger")
        }
        ratios = [b / a for a, b in zip(peaks["corpus"], peaks["larger"], strict=True)]
        data["driver" + suffix] = {**peaks, "growth": ratios}
        lines.append([f"driver{suffix}", median(peaks["corpus"]), median(peaks["larger"]), round(median(ratios), 3)])
    note = f"The driver's peak RSS, MB, on --corpus and on a corpus {args.grow} times its documents ({large})."
    text, timings = _result(runs, None, args, note)
    text += "\n" + table(["process", "peak MB, corpus", f"peak MB, x{args.grow}", "growth"], lines) + "\n"
    return text, {**timings, **data}


def _result(runs: dict[str, list[Run]], base: str | None, args: argparse.Namespace, note: str) -> tuple[str, dict]:
    header, *body = rows(runs, base)
    text = f"{note}\n\n{table(header, body)}\n{against_lines(runs, args)}"
    data = {
        name: [{"wall": r.wall, "cpu": r.cpu, "peak_rss_mb": r.peak_rss_mb, **r.report} for r in done]
        for name, done in runs.items()
    }
    return text, data


def _sha256(data: Path | bytes) -> str:
    return hashlib.sha256(data.read_bytes() if isinstance(data, Path) else data).hexdigest()


COMMANDS: dict[str, Callable[[argparse.Namespace, Path], tuple[str, dict]]] = {
    "build": cmd_build,
    "dedup": cmd_dedup,
    "engines": cmd_engines,
    "incremental": cmd_incremental,
    "validate": cmd_validate,
    "profile": cmd_profile,
    "peers": cmd_peers,
}
ALONE = {"driver": cmd_driver}  # not in `all`


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=[*COMMANDS, *ALONE, "all"])
    parser.add_argument(
        "--corpus",
        type=Path,
        default=Path("/tmp/corpuspack-bench-10k"),
        help="a generated corpus (made by generate.py when DIR has no seeds)",
    )
    parser.add_argument("--docs", type=int, default=10000, help="documents to generate when --corpus has none")
    parser.add_argument("--rounds", type=int, default=3, help="runs of every variant (order rotated each round)")
    parser.add_argument("--peer-rounds", type=int, default=1, help="rounds of the peers (datatrove takes minutes)")
    parser.add_argument("--against", help="also run corpuspack from this git revision or folder, paired")
    parser.add_argument("--out", type=Path, help="write COMMAND.md and COMMAND.json here too")
    parser.add_argument(
        "--accented",
        choices=["latin", "mixed", "french"],
        help="build: also build the corpus's accented variant (generate.py --accented), paired with the English one",
    )
    parser.add_argument("--engines", default="local,ray", help="engines: local,ray")
    parser.add_argument("--cpus", default="1,2", help="engines: worker counts")
    parser.add_argument("--added", type=float, default=0.01, help="incremental: share of seed files added")
    parser.add_argument("--spread", action="store_true", help="incremental: added files spread among the others")
    parser.add_argument("--engine", help="profile: the engine")
    parser.add_argument("--workers", type=int, help="profile: workers")
    parser.add_argument("--work", type=Path, help="profile: a kept work folder (chunks reused on a second run)")
    parser.add_argument("--cprofile", type=int, default=0, metavar="N", help="profile: show the top N functions")
    parser.add_argument("--every", type=float, default=0.05, help="profile: seconds between memory samples")
    parser.add_argument("--grow", type=int, default=10, help="driver: the larger corpus's documents, x --corpus's")
    parser.add_argument("--large", type=Path, help="driver: the larger corpus (generated there when it has no seeds)")
    args = parser.parse_args()
    os.environ.update(RAY_ENV)
    if not (args.corpus / "seeds").is_dir():
        from generate import generate

        print(f"generating {args.docs} documents into {args.corpus}", file=sys.stderr)
        generate(args.docs, args.corpus)
    args.corpus = args.corpus.resolve()
    heading = f"Corpus {args.corpus}: {_size(args.corpus)}. Machine: {measure.machine()}."
    texts, data = [heading], {"machine": heading}
    with tempfile.TemporaryDirectory(prefix="corpuspack-bench-") as tmp:
        args.against_src = measure.checkout(args.against, Path(tmp)) if args.against else None
        for name in [c for c in COMMANDS if c != "incremental"] if args.command == "all" else [args.command]:
            print(f"{name}:", file=sys.stderr)
            scratch = Path(tmp) / name
            scratch.mkdir()
            text, data[name] = {**COMMANDS, **ALONE}[name](args, scratch)
            texts.append(f"### {name}\n\n{text}")
    texts.append(f"Ended: load average {' / '.join(f'{x:.2f}' for x in os.getloadavg())}.")
    text = "\n\n".join(texts)
    print(text)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / f"{args.command}.md").write_text(text + "\n")
        (args.out / f"{args.command}.json").write_text(json.dumps(data, indent=1) + "\n")


def _size(corpus: Path) -> str:
    files = list((corpus / "seeds").iterdir())
    return f"{len(files):,} seed files, {sum(p.stat().st_size for p in files) / 1e6:.1f} MB"


if __name__ == "__main__":
    main()

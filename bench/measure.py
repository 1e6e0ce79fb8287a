"""How the runner measures: one process per run, rounds that alternate the variants, medians, tables.

A run's wall time is the runner's clock; its CPU (user + system) and peak RSS come from the kernel's
accounting of the finished process (`wait4`: the process and every descendant waited for, by it or,
once orphaned, by the runner; the RSS is that of the largest single process, never a sum). A
process whose parent ignores SIGCHLD is reaped by the kernel and counted nowhere: some of Ray's
are, so the CPU time and peak RSS of a Ray build are lower bounds.
Tree PSS is sampled only when asked (the profile), because sampling takes CPU from the run.
"""

from __future__ import annotations

import ctypes
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

PR_SET_CHILD_SUBREAPER = 36  # linux/prctl.h
HERE = Path(__file__).resolve().parent
REPO = HERE.parent


@dataclass
class Run:
    wall: float
    cpu: float  # user + system seconds of the process tree
    peak_rss_mb: float  # the largest single process
    report: dict  # the last stdout line of the run when it is JSON (job.py and peers.py print one)
    samples: list[tuple[float, float, float]] = field(default_factory=list)  # (time, main RSS MB, tree PSS MB)


OUT = "{out}"  # in a variant's command line: a fresh output path for each run, removed after it


@dataclass
class Variant:
    """One thing to time: its command line and the corpuspack source folder it imports."""

    name: str
    argv: list[str]
    src: Path = REPO / "src"
    ok: tuple[int, ...] = (0,)


def run(argv: Sequence[str], src: Path = REPO / "src", ok: tuple[int, ...] = (0,), sample: float = 0) -> Run:
    """Run `argv` in its own process with `src` first on its import path; with `sample` (seconds),
    sample the main process's RSS and the whole tree's PSS that often."""
    _adopt_orphans()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), os.environ.get("PYTHONPATH", "")]).rstrip(":")}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(list(argv), stdout=out, stderr=err, env=env)
        samples = _sample(proc.pid, sample) if sample else []
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        cpu, rss = usage.ru_utime + usage.ru_stime, usage.ru_maxrss
        for orphan in _orphans():
            cpu, rss = cpu + orphan.ru_utime + orphan.ru_stime, max(rss, orphan.ru_maxrss)
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if proc.returncode not in ok:
        raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}):\n{stderr[-3000:]}")
    last = stdout.strip().splitlines()[-1:] or [""]
    try:
        report = json.loads(last[0])
    except ValueError:
        report = {}
    return Run(round(wall, 3), round(cpu, 3), round(rss / 1024, 1), report, samples)


def _adopt_orphans() -> None:
    """Become the reaper of descendants whose parent ended without waiting for them (Linux): the
    worker pools of datatrove and Ray's processes, whose CPU time would be lost otherwise."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def _orphans(patience: float = 60) -> Iterator[resource.struct_rusage]:
    """The resource usage of each adopted descendant, as it ends (none outlive a run for long)."""
    deadline = time.monotonic() + patience
    while True:
        try:
            pid, _, usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid:
            yield usage
        elif time.monotonic() > deadline:
            print("  processes of the run still running after it ended: not counted", file=sys.stderr)
            return
        else:
            time.sleep(0.05)


def _sample(pid: int, every: float) -> list[tuple[float, float, float]]:
    import psutil  # the `test` and `bench` extras; only the profile samples

    root, samples = psutil.Process(pid), []
    while True:
        try:
            if root.status() == psutil.STATUS_ZOMBIE:
                return samples
            tree = [root, *root.children(recursive=True)]
            # PSS, not RSS: forked workers share the parent's pages, which a sum of RSS counts twice.
            pss = sum(p.memory_full_info().pss for p in tree)
            samples.append((time.perf_counter(), root.memory_info().rss / 2**20, pss / 2**20))
        except psutil.NoSuchProcess:
            if not root.is_running() or root.status() == psutil.STATUS_ZOMBIE:
                return samples
        except psutil.Error:
            pass
        time.sleep(every)


def rounds(
    variants: Sequence[Variant],
    n: int,
    scratch: Path,
    after: Callable[[Variant, Path], None] | None = None,
) -> dict[str, list[Run]]:
    """`n` rounds of every variant, the order rotated each round, so that each variant runs as often
    first as last and a burst of load on the shared machine falls on all of them alike. Each run
    writes into a fresh path under `scratch` (OUT in its command line), seen by `after`, then removed."""
    runs: dict[str, list[Run]] = {v.name: [] for v in variants}
    for i in range(n):
        for v in variants[i % len(variants) :] + variants[: i % len(variants)]:
            out = scratch / f"run-{i}-{variants.index(v)}"
            done = run([a.replace(OUT, str(out)) for a in v.argv], v.src, v.ok)
            if after is not None:
                after(v, out)
            if out.is_dir():
                shutil.rmtree(out)
            out.unlink(missing_ok=True)
            runs[v.name].append(done)
            print(f"  round {i + 1}/{n} {v.name}: {done.wall:.2f} s", file=sys.stderr, flush=True)
    return runs


def median(values: Sequence[float]) -> float:
    return round(statistics.median(values), 3) if values else float("nan")


def stage_medians(runs: Sequence[Run]) -> dict[str, float]:
    """Median seconds of each stage the build reported (`BuildResult.seconds`)."""
    stages = [r.report.get("seconds", {}) for r in runs]
    names = dict.fromkeys(k for s in stages for k in s)
    return {k: median([s[k] for s in stages if k in s]) for k in names}


def paired_ratio(runs: dict[str, list[Run]], new: str, old: str, what: str = "wall") -> float:
    """The median over rounds of new / old: each round's pair ran side by side, under the same load."""
    return median([getattr(a, what) / getattr(b, what) for a, b in zip(runs[new], runs[old], strict=True)])


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.2f}" if value < 100 else f"{value:.0f}"
    return "-" if value is None else str(value)


def checkout(against: str, into: Path) -> Path:
    """The corpuspack source folder of `against`: a folder holding `src/corpuspack`, or a git
    revision of this repository exported into `into` (not a worktree: nothing is written into the
    repository)."""
    folder = Path(against)
    if (folder / "src" / "corpuspack").is_dir():
        return folder.resolve() / "src"
    archive = subprocess.run(["git", "-C", str(REPO), "archive", against, "src"], capture_output=True)
    if archive.returncode:
        problem = archive.stderr.decode(errors="replace").strip()
        raise SystemExit(f"--against {against}: neither a folder with src/corpuspack nor a git revision ({problem})")
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into / "src"


def machine() -> str:
    """Date, machine and load, for the heading of a result (the machine is shared: say how busy)."""
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.machine(),
    )
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    head = subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"], capture_output=True, text=True)
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {os.cpu_count()} cores ({model}), {memory:.0f} GiB; "
        f"code {head.stdout.strip() or '?'}; load average (1/5/15 min) {load}"
    )

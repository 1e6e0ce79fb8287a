"""Releases killed at random moments, each followed by a command that must report, finish or undo it.

    python bench/kill_loop.py [--releases 30] [--seed 1] [--measure 2] [--keep DIR]

Makes a temporary git project from this repository's project files (pyproject.toml, schema/,
seeds/), released as v1.0.0, then times `--measure` full releases to learn how long one takes.
Then, `--releases` times: adds a new seed article, starts

    python -m corpuspack release --bump patch --date 2026-12-02 --workers 1

as a subprocess, SIGKILLs it after a random delay (seeded; between 0 and the measured duration)
and runs the next command (verify, check --released, release in turn). A release killed before its
rename never happened; one killed after it (its version folder already in place) must be reported
by verify and check (exit 1, they never write) and finished by the next release. After each step: the versions
published before are byte for byte what they were, no `.staging-*` folder or stray file is left,
and every version folder has its `SHA256SUMS` line (the sha256 of its manifest) and its changelog
entry. At the end, one last release, then `corpuspack verify` and `corpuspack check` must exit 0.

Prints where the kills landed (before the rename, after it, or after the release had finished)
and the final versions; exits 1 on any failure.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATE = "2026-12-02"
RELEASE = ("release", "-q", "--bump", "patch", "--date", DATE, "--workers", "1")
NEXT = ("verify", "check", "release")  # the command run after each kill, in turn
CORPUS_FILES = {"SHA256SUMS", "CHANGELOG.md", "README.md", "reports"}
_VERSION = re.compile(r"^v(\d+)\.(\d+)\.(\d+)$")
_GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
WORDS = (  # words of the generated articles, one space apart
    "amber basalt cinder delta ember fjord gravel heron iris juniper kelp lichen mica nettle onyx "
    "prairie quartz reed slate tundra umber vale wren yarrow zephyr alder birch cedar dogwood elm"
)


@dataclass
class Summary:
    releases: int
    typical_seconds: float = 0.0
    before_rename: int = 0  # killed while building or before its folder was renamed into place: undone
    after_rename: int = 0  # killed with its folder in place, not yet finished: finished by the next command
    partly_finished: int = 0  # of those, killed once its SHA256SUMS line or changelog entry was written
    completed: int = 0  # the release had ended before the kill
    next_commands: dict[str, int] = field(default_factory=dict)
    versions: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def text(self) -> str:
        lines = [
            f"typical release: {self.typical_seconds:.2f} s; kills: {self.releases}",
            f"  landed before the rename (undone): {self.before_rename}",
            f"  landed after the rename (reported by verify/check, finished by release): {self.after_rename}"
            f" ({self.partly_finished} with its checksum or changelog entry already written)",
            f"  came after the release had ended: {self.completed}",
            "next commands: " + ", ".join(f"{k} {v}" for k, v in sorted(self.next_commands.items())),
            f"final versions ({len(self.versions)}): {', '.join(self.versions)}",
        ]
        lines += [f"FAILED: {f}" for f in self.failures] or ["ok: every check passed"]
        return "\n".join(lines)


def cli(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "corpuspack", *args], cwd=project, capture_output=True, text=True, timeout=600
    )


def make_project(root: Path) -> Path:
    """Like the tests' `git_project`: the repository's project files committed to a fresh git
    repository, released as v1.0.0."""
    root.mkdir(parents=True)
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    shutil.copytree(REPO / "schema", root / "schema")
    shutil.copytree(REPO / "seeds", root / "seeds")
    (root / "CHANGELOG.md").write_text("# Changelog\n\n## [Unreleased]\n", encoding="utf-8")
    env = {**os.environ, **_GIT_ENV}
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "seeds"]):
        subprocess.run(["git", *args], cwd=root, check=True, env=env, capture_output=True)
    done = cli(root, "release", "-q", "--version", "1.0.0", "--date", "2026-11-28", "--workers", "1")
    if done.returncode != 0:
        raise RuntimeError(f"the first release failed ({done.returncode}):\n{done.stderr}")
    return root


def add_article(project: Path, n: int) -> Path:
    """A new seed article whose paragraphs share nothing with another article's."""
    rng = random.Random(10_000 + n)
    words = WORDS.split()
    paragraphs = [" ".join(rng.choice(words) for _ in range(40)).capitalize() + "." for _ in range(2)]
    path = project / "seeds" / f"kill-{n:03d}.txt"
    path.write_text(
        f"Kill loop article {n}\n\nLoop Wire Updated on 2024-02-0{n % 9 + 1}\n\n" + "\n\n".join(paragraphs) + "\n",
        encoding="utf-8",
    )
    return path


def version_folders(corpus: Path) -> list[str]:
    found = [p.name for p in corpus.iterdir() if p.is_dir() and _VERSION.match(p.name)]
    return sorted(found, key=lambda name: tuple(int(g) for g in _VERSION.match(name).groups()))


def bump_patch(folder: str) -> str:
    major, minor, patch = _VERSION.match(folder).groups()
    return f"v{major}.{minor}.{int(patch) + 1}"


def digests(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def corpus_problems(corpus: Path, staging_allowed: bool = False) -> list[str]:
    """What a settled corpus folder must not show: leftovers of a release, a version folder without
    its checksum line or changelog entry, a checksum line without its folder or with a wrong sum.
    `staging_allowed`: the staging folder of a release that never happened may remain until the
    next release (verify and check never write)."""
    problems = [
        f"left behind: {p.name}"
        for p in corpus.iterdir()
        if not _VERSION.match(p.name)
        and p.name not in CORPUS_FILES
        and not (staging_allowed and p.name.startswith(".staging-"))
    ]
    if (corpus / "reports").is_dir():  # each version's report; a killed one's partial folder is settled too
        problems += [
            f"left behind: reports/{p.name}"
            for p in (corpus / "reports").iterdir()
            if not _VERSION.match(p.name) and not (staging_allowed and p.name.startswith("."))
        ]
    sums_path, log_path = corpus / "SHA256SUMS", corpus / "CHANGELOG.md"
    sums = {}
    if sums_path.is_file():
        for line in sums_path.read_text(encoding="utf-8").splitlines():
            digest, _, name = line.partition("  ")
            sums[name.removesuffix("/manifest.json")] = digest
    changelog = log_path.read_text(encoding="utf-8") if log_path.is_file() else ""
    folders = version_folders(corpus)
    for name in folders:
        manifest = corpus / name / "manifest.json"
        if name not in sums:
            problems.append(f"{name}: no line in SHA256SUMS")
        elif not manifest.is_file() or hashlib.sha256(manifest.read_bytes()).hexdigest() != sums[name]:
            problems.append(f"{name}: SHA256SUMS line does not match its manifest")
        if f"## [{name[1:]}] - " not in changelog:
            problems.append(f"{name}: no entry in CHANGELOG.md")
    problems += [f"{name}: in SHA256SUMS but no folder" for name in sorted(set(sums) - set(folders))]
    return problems


def measure(project: Path, runs: int, first_article: int) -> float:
    """Median seconds of `runs` complete releases (each after a new article), as the loop starts them."""
    seconds = []
    for i in range(runs):
        add_article(project, first_article + i)
        start = time.perf_counter()
        done = cli(project, *RELEASE)
        seconds.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise RuntimeError(f"a measured release failed ({done.returncode}):\n{done.stderr}")
    return statistics.median(seconds)


def kill_loop(
    project: Path,
    releases: int,
    *,
    seed: int = 1,
    measure_runs: int = 2,
    log: Callable[[str], None] = print,
) -> Summary:
    """The loop on an already released project (see the module's docstring); failures are collected
    in the summary, and the loop stops at the first step that shows one."""
    corpus = project / "corpus"
    rng = random.Random(seed)
    summary = Summary(releases)
    summary.typical_seconds = measure(project, max(measure_runs, 1), first_article=0)
    failures = summary.failures

    def expect(what: str, done: subprocess.CompletedProcess[str], code: int, needle: str = "") -> None:
        out = done.stdout + done.stderr
        if done.returncode != code or needle not in out or "Traceback" in done.stderr:
            failures.append(f"{what}: exit {done.returncode} (expected {code}, {needle!r}):\n{out[-1500:]}")

    for i in range(releases):
        add_article(project, 100 + i)
        before = version_folders(corpus)
        kept = {name: digests(corpus / name) for name in before}
        target = bump_patch(before[-1])
        delay = rng.uniform(0.0, summary.typical_seconds)
        proc = subprocess.Popen(
            [sys.executable, "-m", "corpuspack", *RELEASE],
            cwd=project,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        code = proc.wait()
        after = version_folders(corpus)
        if code == 0:
            landed, summary.completed = "release had ended", summary.completed + 1
        elif code == -signal.SIGKILL and target in after:
            landed, summary.after_rename = "after the rename", summary.after_rename + 1
            if not {f"{target}: no line in SHA256SUMS", f"{target}: no entry in CHANGELOG.md"} <= set(
                corpus_problems(corpus)
            ):
                landed, summary.partly_finished = "after the rename, partly finished", summary.partly_finished + 1
        elif code == -signal.SIGKILL:
            landed, summary.before_rename = "before the rename", summary.before_rename + 1
        else:
            failures.append(f"release {i}: exit {code} before it was killed")
            break
        if set(after) - set(before) - {target}:
            failures.append(f"release {i}: unexpected version folders {sorted(set(after) - set(before))}")
        if code == 0 and corpus_problems(corpus):
            failures.append(f"release {i} ended but left: {corpus_problems(corpus)}")

        command = NEXT[i % len(NEXT)]
        summary.next_commands[command] = summary.next_commands.get(command, 0) + 1
        released = target in after
        # verify and check never write: a release killed after its rename is reported (exit 1) and
        # the next release finishes it; one killed before it never happened.
        # killed after its rename and before its staging folder (holding the journal) was removed
        unfinished = released and code != 0 and any((p / "release.json").is_file() for p in corpus.glob(".staging-*"))
        if command == "verify":
            done = cli(project, "verify")
            if unfinished:
                expect(f"verify after kill {i}", done, 1, "its release was interrupted")
            else:
                expect(f"verify after kill {i}", done, 0, "versions checked: ok")
        elif command == "check":
            done = cli(project, "check", "--released")
            if unfinished:
                expect(f"check after kill {i}", done, 1, "its release was interrupted")
            elif released:
                expect(f"check after kill {i}", done, 0, "ok: dataset card up to date")
            else:  # the killed release was undone: the new article is not released yet
                expect(f"check after kill {i}", done, 1, "release a new version")
        if command == "release" or unfinished:
            if released:  # finished by this release, which then has nothing left to publish
                expect(f"release after kill {i}", cli(project, *RELEASE), 2, "nothing to release")
            else:
                expect(f"release after kill {i}", cli(project, *RELEASE), 0, "released v")
        now = version_folders(corpus)
        if any(digests(corpus / name) != files for name, files in kept.items()):
            failures.append(f"step {i}: a version published before the kill changed")
        expected = [*before, target] if released else list(before)
        if command == "release" and not released:
            expected.append(bump_patch(expected[-1]))
        if now != expected:
            failures.append(f"step {i}: versions {now[len(before) - 1 :]} after {command}, expected {expected[-2:]}")
        gate_only = command != "release" and not unfinished  # no release ran after the kill
        problems = corpus_problems(corpus, staging_allowed=gate_only)
        failures += [f"step {i} ({command} after a kill {landed}): {p}" for p in problems]
        log(f"{i + 1:3d}/{releases}: killed at {delay:.2f} s, {landed}; then {command}; latest {now[-1]}")
        if failures:
            break

    if not failures:
        add_article(project, 100 + releases)
        expect("last release", cli(project, *RELEASE), 0, "released v")
        failures += [f"after the last release: {p}" for p in corpus_problems(corpus)]
        expect("final verify", cli(project, "verify"), 0, "versions checked: ok")
        expect("final check", cli(project, "check"), 0, "ok: dataset card up to date")
    summary.versions = version_folders(corpus)
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--releases", type=int, default=30, help="killed releases (default 30)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the random delays (default 1)")
    parser.add_argument("--measure", type=int, default=2, help="complete releases timed first (default 2)")
    parser.add_argument("--keep", type=Path, default=None, help="make the project in this new folder and keep it")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="corpuspack-kill-loop-") as tmp:
        project = make_project(args.keep or Path(tmp) / "project")
        print(f"project: {project}", flush=True)
        summary = kill_loop(
            project, args.releases, seed=args.seed, measure_runs=args.measure, log=lambda s: print(s, flush=True)
        )
    print(summary.text())
    return 1 if summary.failures else 0


if __name__ == "__main__":
    sys.exit(main())

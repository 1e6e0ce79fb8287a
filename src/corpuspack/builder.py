"""`build`: seeds in, one complete version folder out (Parquet, Hugging Face artifacts, manifest, Croissant)."""

from __future__ import annotations

import resource
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.compute as pc

from .config import Config, load_config
from .containment import is_within
from .engines import open_engine
from .errors import UsageError
from .pipeline import workdir
from .progress import Progress, quiet
from .schema import Schema, load_schema
from .stages.dedup import dedup
from .stages.finish import Release, finish
from .stages.read import read
from .stages.write import write
from .staging import staged
from .storage import check_empty, is_url, local_path, upload
from .tuning import Tuning


@dataclass
class BuildResult:
    """A built version folder and what went into it."""

    out: Path | str  # a folder, or the URL it was uploaded to
    manifest: dict[str, Any]  # as written, but `inputs.seeds` is an Arrow table (path, size, sha256, git_blob)
    seconds: dict[str, float] = field(default_factory=dict)
    reused_chunks: int = 0
    megabytes: float = 0.0
    peak_memory_mb: dict[str, float] = field(default_factory=dict)
    # Bytes the build read from and wrote to storage ("read", "written"; empty where not counted): `_io_bytes`.
    bytes_moved: dict[str, int] = field(default_factory=dict)

    @property
    def counts(self) -> dict[str, int]:
        return self.manifest["counts"]


def build(
    seeds: Path | str | None = None,
    out: Path | str | None = None,
    *,
    config: Config | None = None,
    workers: int | None = None,
    work: Path | str | None = None,
    release: Release | None = None,
    progress: Progress = quiet,
    tuning: Tuning | None = None,
) -> BuildResult:
    """Run the whole pipeline and write one version folder into `out` (default: a new temporary folder).

    Chunks spill into `work`, a folder corpuspack makes and marks (default: `.<out>.work` beside
    `out`, removed after success); an existing folder is taken only if it is empty or already
    corpuspack's. A build that was interrupted is started again by the same call: chunks whose
    inputs (by content) and settings have not changed are taken as they are. `out` appears
    complete or not at all, and may not lie inside the seeds or the corpus folder. `release`
    stamps the version (number, date, parent, diff) before the manifest is written.
    """
    if seeds is not None and not is_url(seeds):
        seeds = local_path(seeds)
    config = (config or load_config()).replace(seeds=seeds, workers=workers)
    for place, what in ((out, "--out"), (work, "--work")):
        if place is not None and not is_url(place):
            _refuse_inside_inputs(local_path(place), config, what)
    return build_version(config, out, work=work, release=release, progress=progress, tuning=tuning)


def build_version(
    config: Config,
    out: Path | str | None,
    *,
    work: Path | str | None = None,
    release: Release | None = None,
    progress: Progress = quiet,
    tuning: Tuning | None = None,
) -> BuildResult:
    """`build` without the checks of where `out` is (a release builds inside the corpus folder);
    `release` stamps the version before its manifest is written."""
    keep_work = work is not None
    schema = load_schema(config.schema_path)  # a broken schema is refused before any folder is made
    out_url = str(out) if is_url(out) else None
    fresh: list[Path] = []  # temporary folders of this build alone: nothing resumes them, removed on failure
    if out_url is not None:
        check_empty(out_url)
        work = workdir.claim(local_path(work)) if work is not None else _made(workdir.fresh("corpuspack-work-"), fresh)
        out = work / "version"
    elif out is not None and work is not None:  # checked before either folder is made
        a, b = local_path(out), local_path(work)
        if is_within(a, b) or is_within(b, a):
            raise UsageError(f"{out}: the output and the work folder must not lie inside each other")
    fresh_out = out is None
    out = local_path(out) if out is not None else _made(Path(tempfile.mkdtemp(prefix="corpuspack-build-")), fresh)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UsageError(f"{out}: output folder is not empty")
    if out_url is None:  # (for a URL, the work folder was claimed above and holds the version)
        if work is not None:
            work = workdir.claim(local_path(work))
        elif fresh_out:
            work = _made(workdir.fresh("corpuspack-work-"), fresh)
        else:
            work = workdir.claim(out.parent / f".{out.name}.work")
    io_before = _io_bytes()
    clock = _Clock()
    tuning = tuning or Tuning()
    try:
        with workdir.held(work):
            body, reused = _stages(config, schema, out, work, release, progress, tuning, clock, keep_work)
            if out_url is not None:
                upload(out, out_url)
                shutil.rmtree(out)
                out = out_url
            if not keep_work:
                workdir.remove(work)
    except BaseException:
        for folder in fresh:  # `.<out>.work` beside --out stays: the same call resumes it
            if folder == work:
                workdir.remove(folder)  # what this build wrote there, as after a success
            else:
                shutil.rmtree(folder, ignore_errors=True)
        raise
    inputs = body["inputs"]["seeds"]  # a table, not a million dicts (500 MB at a million seeds)
    megabytes = (pc.sum(inputs.column("size")).as_py() or 0) / 1e6
    clock.lap("finish")  # manifest, Croissant, the folder moved into place, the work folder removed
    io_after = _io_bytes()
    moved = {k: io_after[k] - io_before[k] for k in io_after}
    return BuildResult(out, body, clock.laps, reused, round(megabytes, 1), _peak_memory_mb(), moved)


def _stages(
    config: Config,
    schema: Schema,
    out: Path,
    work: Path,
    release: Release | None,
    progress: Progress,
    tuning: Tuning,
    clock: _Clock,
    keep_work: bool,
) -> tuple[dict[str, Any], int]:
    """Read, dedup, write and finish into `out`: the manifest's body and the chunks reused."""
    engine = open_engine(config, tuning, keep_work)
    if engine.name != "local":
        clock.lap("start")
    try:
        seeds = read(engine, config, schema, work, tuning, progress)
        clock.lap("read")
        deduped = dedup(seeds, engine, config, progress)
        clock.lap("dedup")
        with staged(out) as folder:
            written = write(seeds, deduped, engine, config.shard_bytes, config.output_format, folder, work, progress)
            # The finish stage needs no engine: a Ray driver lets go of the object store's pages it
            # mapped (results, task arguments) before the manifest's transient memory adds to them.
            engine.close()
            clock.lap("write")
            body = finish(seeds, deduped, written, config, schema, folder, release)
    finally:
        engine.close()
    return body, seeds.reused


def _made(folder: Path, fresh: list[Path]) -> Path:
    fresh.append(folder)
    return folder


def _refuse_inside_inputs(place: Path, config: Config, what: str) -> None:
    """A build writes neither into the seeds (it would read its own output) nor into the corpus
    folder (only `release` puts versions there)."""
    folders = [("the corpus folder", config.corpus_dir)]
    if not is_url(config.seeds):
        folders.append(("the seeds folder", config.seeds_dir))
    for name, folder in folders:
        if is_within(place, folder) or is_within(folder, place):
            raise UsageError(f"{place}: {what} may not lie inside {name} ({folder}) or hold it")


def _peak_memory_mb() -> dict[str, float]:
    """Peak resident memory of this process and of the largest worker, in MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"main": round(own, 1), "largest_worker": round(workers, 1)}


def _io_bytes() -> dict[str, int]:
    """Bytes read from and written to storage so far by this process and its ended children (the
    workers, once the build is over): the kernel's block I/O accounting, what `/usr/bin/time -v`
    shows as file system inputs and outputs. Reads the page cache served are not counted; writes
    are, when made (even of a file removed before it reached the disk). Empty but on Linux, where
    the counts are of 512-byte blocks (elsewhere, of operations)."""
    if not sys.platform.startswith("linux"):
        return {}
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "read": (own.ru_inblock + children.ru_inblock) * 512,
        "written": (own.ru_oublock + children.ru_oublock) * 512,
    }


class _Clock:
    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.laps[stage] = round(now - self._last, 3)
        self._last = now

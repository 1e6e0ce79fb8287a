"""`build`: seeds in, one complete version folder out (Parquet, Hugging Face artifacts, manifest, Croissant)."""

from __future__ import annotations

import os
import resource
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .config import Config, load_config
from .containment import is_within
from .dedup.ledger import DedupOps, KeyColumns, Ledger, decide, steps
from .engines import Engine, open_engine
from .engines.local import plan_chunks
from .errors import DataError, UsageError
from .ids import ID_SCHEMA, id_findings
from .model import Finding
from .pipeline import workdir
from .pipeline.assemble import Assembly
from .pipeline.chunk import SEED_FACTS, ChunkResult, chunk_key, file_facts, load_finished
from .pipeline.order import Order, global_order
from .pipeline.spill import Spill
from .progress import Advance, bar, progress
from .publish import croissant, manifest
from .schema import load_schema
from .sources import SeedFile, discover
from .storage import check_empty, is_url, local_path, mirror, upload
from .validation import finding_order, require_seeds


@dataclass
class BuildResult:
    """A built version folder and what went into it."""

    out: Path | str  # a folder, or the URL it was uploaded to
    manifest: dict[str, Any]  # as written, but `inputs.seeds` is an Arrow table (path, size, sha256, git_blob)
    seconds: dict[str, float] = field(default_factory=dict)
    reused_chunks: int = 0
    megabytes: float = 0.0
    peak_memory_mb: dict[str, float] = field(default_factory=dict)

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
    show_progress: bool = False,
) -> BuildResult:
    """Run the whole pipeline and write one version folder into `out` (default: a new temporary folder).

    Chunks spill into `work`, a folder corpuspack makes and marks (default: `.<out>.work` beside
    `out`, removed after success); an existing folder is taken only if it is empty or already
    corpuspack's. A build that was interrupted is started again by the same call: chunks whose
    inputs (by content) and settings have not changed are taken as they are. `out` appears
    complete or not at all, and may not lie inside the seeds or the corpus folder.
    """
    if seeds is not None and not is_url(seeds):
        seeds = local_path(seeds)
    config = (config or load_config()).replace(seeds=seeds, workers=workers)
    for place, what in ((out, "--out"), (work, "--work")):
        if place is not None and not is_url(place):
            _refuse_inside_inputs(local_path(place), config, what)
    return build_version(config, out, work=work, show_progress=show_progress)


def build_version(
    config: Config,
    out: Path | str | None,
    *,
    work: Path | str | None = None,
    version: str | None = None,
    release_date: str | None = None,
    parent: dict[str, Any] | None = None,
    show_progress: bool = False,
) -> BuildResult:
    """`build` without the checks of where `out` is (a release builds inside the corpus folder)."""
    keep_work = work is not None
    out_url = str(out) if is_url(out) else None
    if out_url is not None:
        check_empty(out_url)
        work = workdir.claim(local_path(work)) if work is not None else workdir.fresh("corpuspack-work-")
        out = work / "version"
    elif out is not None and work is not None:  # checked before either folder is made
        a, b = local_path(out), local_path(work)
        if is_within(a, b) or is_within(b, a):
            raise UsageError(f"{out}: the output and the work folder must not lie inside each other")
    fresh_out = out is None
    out = local_path(out) if out is not None else Path(tempfile.mkdtemp(prefix="corpuspack-build-"))
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UsageError(f"{out}: output folder is not empty")
    if out_url is None:  # (for a URL, the work folder was claimed above and holds the version)
        if work is not None:
            work = workdir.claim(local_path(work))
        elif fresh_out:
            work = workdir.fresh("corpuspack-work-")
        else:
            work = workdir.claim(out.parent / f".{out.name}.work")
    schema = load_schema(config.schema_path)
    clock = _Clock()
    engine = open_engine(config)
    if engine.name != "local":
        clock.lap("start")
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        doc, inputs, reused = _run(
            engine, config, schema, clock, out, work, version, release_date, parent, show_progress
        )
    finally:
        engine.close()
    if out_url is not None:
        upload(out, out_url)
        shutil.rmtree(out)
        out = out_url
    if not keep_work:
        workdir.remove(work)
    megabytes = (pc.sum(inputs.column("size")).as_py() or 0) / 1e6
    doc["inputs"]["seeds"] = inputs  # a table, not a million dicts (500 MB at a million seeds)
    clock.lap("finish")  # manifest, Croissant, the folder moved into place, the work folder removed
    return BuildResult(out, doc, clock.laps, reused, round(megabytes, 1), _peak_memory_mb())


def _run(
    engine: Engine,
    config: Config,
    schema: Any,
    clock: _Clock,
    out: Path,
    work: Path,
    version: str | None,
    release_date: str | None,
    parent: dict[str, Any] | None,
    show_progress: bool,
) -> tuple[dict[str, Any], pa.Table, int]:
    if is_url(config.seeds):  # mirrored into the work folder, named as if it were the local seeds folder
        seeds_dir = mirror(str(config.seeds), work / "inputs")
        seed_files, findings = discover([seeds_dir], seeds_dir.parent)
    else:
        require_seeds(config)
        seeds_dir = config.seeds_dir
        seed_files, findings = discover([seeds_dir], config.seeds_base)
    chunks = plan_chunks(seed_files)
    keys = [chunk_key(chunk, config, schema.sha256) for chunk in chunks]
    workdir.forget_chunks_except(work, keys)
    finished = _finished(work, chunks, keys)
    reused = len(finished)
    sizes = [len(chunk) for chunk in chunks]
    read = engine.run_chunks(chunks, keys, config, work, finished)
    results = list(progress(read, "read", "file", show_progress, weights=sizes))
    clock.lap("read")
    del seed_files, chunks, read  # a Path object per seed: hundreds of MB at a million seeds
    for r in results:
        findings.extend(r.findings)
    ids = pa.concat_tables([ID_SCHEMA.empty_table()] + [r.ids for r in results])
    inputs = pa.concat_tables([SEED_FACTS.empty_table()] + [r.seeds for r in results]).sort_by("path")
    del results
    # Only the manifest needs the seed facts (150 MB at a million seeds): on disk until then.
    _save_table(inputs, work / "inputs.arrow")
    del inputs
    findings.extend(id_findings(ids))
    _refuse_invalid(findings)
    documents_read = ids.num_rows
    del ids
    if documents_read == 0:
        raise DataError(f"{config.seeds if is_url(config.seeds) else seeds_dir}: no seed documents to build")
    spill = Spill(work, keys)
    order = global_order(spill)
    with bar("dedup", steps(config.dedup), "step", show_progress) as advance:
        ledger, repeated = _dedup(spill, order, config, engine.dedup_ops(spill, order, config), advance)
    clock.lap("dedup")
    # A fresh name (never one that may already exist, or be a planted symlink), with the usual mode.
    partial = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    os.chmod(partial, 0o777 & ~_umask())
    try:
        assembly = Assembly(spill, order, ledger)
        rows = len(assembly.published) + len(order.rows)
        with bar("write", rows, "row", show_progress) as advance:
            written = engine.write(assembly, config.shard_bytes, partial, work, advance, config.output_format)
        clock.lap("write")
        del assembly
        inputs = _load_table(work / "inputs.arrow")
        doc = manifest.compose(
            config=config,
            schema=schema,
            schema_facts=file_facts(_rel(config.schema_path, config.root), schema.raw),
            inputs=inputs,
            ledger=ledger,
            spill=spill,
            order=order,
            repeated=repeated,
            version=version,
            release_date=release_date,
            parent=parent,
        )
        _check_emptied(doc["counts"], config)
        croissant.write(partial, doc, written)
        manifest.write(partial, doc, written)
        del spill
        if out.exists():
            out.rmdir()
        os.rename(partial, out)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return doc, inputs, reused


def _save_table(table: pa.Table, path: Path) -> None:
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)


def _load_table(path: Path) -> pa.Table:
    with pa.OSFile(str(path)) as source:
        return pa.ipc.open_file(source).read_all()


def _check_emptied(counts: dict[str, int], config: Config) -> None:
    """A build that would publish no document fails; one that empties more than
    `max_emptied_share` of its documents fails when strict (and is warned about by the CLI)."""
    if counts["documents"] == 0:
        raise DataError(
            f"dedup dropped every paragraph of all {counts['documents_read']} documents: nothing would be "
            "published (see the most repeated paragraphs with `corpuspack build` on a few seeds)"
        )
    if config.strict and emptied_share(counts) > config.max_emptied_share:
        raise DataError(f"{_emptied_text(counts)}, over max_emptied_share = {config.max_emptied_share} (strict)")


def emptied_share(counts: dict[str, int]) -> float:
    return counts["documents_emptied"] / counts["documents_read"] if counts["documents_read"] else 0.0


def _emptied_text(counts: dict[str, int]) -> str:
    return f"dedup left {counts['documents_emptied']} of {counts['documents_read']} documents with no paragraph"


def emptied_warning(counts: dict[str, int], config: Config) -> str | None:
    """The warning a build summary gives when dedup emptied over `max_emptied_share` of the documents."""
    if emptied_share(counts) <= config.max_emptied_share:
        return None
    return f"{_emptied_text(counts)} (over max_emptied_share = {config.max_emptied_share}): check the dedup rules"


def _finished(work: Path, chunks: list[list[SeedFile]], keys: list[str]) -> dict[str, ChunkResult]:
    """Chunks an interrupted build finished whose inputs still hold the same bytes: decided once, here."""
    found = {}
    for chunk, key in zip(chunks, keys, strict=True):
        result = load_finished(work, key, chunk)
        if result is not None:
            found[key] = result
    return found


def _refuse_inside_inputs(place: Path, config: Config, what: str) -> None:
    """A build writes neither into the seeds (it would read its own output) nor into the corpus
    folder (only `release` puts versions there)."""
    folders = [("the corpus folder", config.corpus_dir)]
    if not is_url(config.seeds):
        folders.append(("the seeds folder", config.seeds_dir))
    for name, folder in folders:
        if is_within(place, folder) or is_within(folder, place):
            raise UsageError(f"{place}: {what} may not lie inside {name} ({folder}) or hold it")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _peak_memory_mb() -> dict[str, float]:
    """Peak resident memory of this process and of the largest worker, in MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"main": round(own, 1), "largest_worker": round(workers, 1)}


def _refuse_invalid(findings: list[Finding]) -> None:
    errors = sorted((f for f in findings if f.severity == "error"), key=finding_order)
    if errors:
        shown = "\n".join(f"  {f}" for f in errors[:20])
        more = f"\n  ... and {len(errors) - 20} more" if len(errors) > 20 else ""
        raise DataError(f"{len(errors)} problems in the seeds; fix them first (corpuspack validate):\n{shown}{more}")


def _dedup(
    spill: Spill, order: Order, config: Config, ops: DedupOps, advance: Advance
) -> tuple[Ledger, list[dict[str, Any]]]:
    """The ledger, and the manifest's most repeated paragraphs taken from the same key column (read
    again at the end, it would come from files the write stage pushed out of the page cache)."""
    rows = order.rows
    eligible = spill.column("nwords")[rows] >= config.dedup.min_words
    cols = KeyColumns(order.doc_rank, spill.column("key")[rows], spill.column("pattern")[rows], eligible)
    if config.dedup.rules >= 2:  # furniture is counted per source
        sources = pc.dictionary_encode(spill.document_column("source")).combine_chunks()
        cols.doc_source = np.asarray(sources.indices.fill_null(-1), dtype=np.int64)[order.doc_rows]
    ledger = decide(cols, config.dedup, ops, advance)
    return ledger, manifest.most_repeated(cols.key, spill, order, ledger)


def _rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.name


class _Clock:
    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.laps[stage] = round(now - self._last, 3)
        self._last = now

"""The read stage: every seed file read, validated, split and given its dedup features, chunk by chunk,
into the spill of the work folder. Chunks an interrupted build finished are taken as they are."""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from .. import formats, signals
from ..config import Config
from ..engines import Engine
from ..errors import DataError
from ..ids import ID_SCHEMA, id_findings
from ..model import Finding
from ..pipeline import workdir
from ..pipeline.chunk import COMPRESSED, SEED_FACTS, Chunk, ChunkResult, chunk_key, keep_seeds, load_finished
from ..pipeline.plan import kept_chunks, plan_kept
from ..pipeline.spill import Spill
from ..progress import Progress
from ..schema import Schema
from ..sources import discover
from ..storage import is_url, mirror
from ..tuning import Tuning
from ..validation import finding_order, require_seeds

CHECK_THREADS = min(4, os.cpu_count() or 1)  # checking kept chunks: hashing seed files, GIL released
INPUTS = "inputs.arrow"  # the seed facts, in the work folder until the manifest needs them


@dataclass
class Read:
    spill: Spill
    inputs: Path  # Arrow file of (path, size, sha256, git_blob) of every seed file, by path
    documents: int  # documents read
    reused: int  # chunks an interrupted build had finished


def read(engine: Engine, config: Config, schema: Schema, work: Path, tuning: Tuning, progress: Progress) -> Read:
    """Raises DataError listing the seeds' problems, or when there is no document to build."""
    if is_url(config.seeds):  # mirrored into the work folder, named as if it were the local seeds folder
        seeds_dir = mirror(str(config.seeds), work / "inputs")
        seed_files, findings = discover([seeds_dir], seeds_dir.parent)
    else:
        require_seeds(config)
        seeds_dir = config.seeds_dir
        seed_files, findings = discover([seeds_dir], config.seeds_base)
    # Each chunk's seeds as columns (`SeedList`, as discovery gives them): objects per seed would stay
    # in this process, and in every forked worker, until the last chunk is read (480 MB at a million seeds).
    planned = plan_kept(seed_files, tuning, kept_chunks(work, len(seed_files)))
    chunks = [Chunk(i, chunk_key(seeds, config, schema.sha256), seeds) for i, seeds in enumerate(planned)]
    del seed_files, planned
    workdir.forget_chunks_except(work, [c.key for c in chunks])
    results = _finished(work, chunks)
    for chunk in chunks:
        if chunk.key in results:
            keep_seeds(work, chunk.key, chunk.seeds, again=False)
    reused = len(results)
    todo = [c for c in chunks if c.key not in results]
    if todo and engine.forks and formats.has_signals(config.output_format):
        signals.prepare()  # here, once: forked workers inherit the language model
    with progress("read", sum(len(c.seeds) for c in chunks), "file") as advance:
        advance(sum(len(c.seeds) for c in chunks if c.key in results))
        for chunk, result in zip(todo, engine.read(todo, config, work), strict=True):
            results[chunk.key] = result
            advance(len(chunk.seeds))
    keys = [c.key for c in chunks]
    in_order = [results[key] for key in keys]
    contents = [content_key(key, r.seeds) for key, r in zip(keys, in_order, strict=True)]
    del results, todo, chunks
    for r in in_order:
        findings.extend(r.findings)
    ids = pa.concat_tables([ID_SCHEMA.empty_table()] + [r.ids for r in in_order])
    inputs = pa.concat_tables([SEED_FACTS.empty_table()] + [r.seeds for r in in_order]).sort_by("path")
    del in_order
    # Only the manifest needs the seed facts (150 MB at a million seeds): on disk until then.
    _save_table(inputs, work / INPUTS)
    del inputs
    findings.extend(id_findings(ids))
    _refuse_invalid(findings)
    if ids.num_rows == 0:
        raise DataError(f"{config.seeds if is_url(config.seeds) else seeds_dir}: no seed documents to build")
    return Read(Spill(work, keys, contents), work / INPUTS, ids.num_rows, reused)


def content_key(key: str, seeds: pa.Table) -> str:
    """A chunk's key and the sha256 of each of its files, digested: what its texts are made from.
    (The key names files by path, size and mtime: a file rewritten with both kept has the same key.)"""
    digest = hashlib.sha256(key.encode())
    for path, sha256 in zip(seeds.column("path").to_pylist(), seeds.column("sha256").to_pylist(), strict=True):
        digest.update(f"\0{path}\0{sha256}".encode())
    return digest.hexdigest()[:32]


def load_inputs(path: Path) -> pa.Table:
    with pa.OSFile(str(path)) as source:
        return pa.ipc.open_file(source).read_all()


def _save_table(table: pa.Table, path: Path) -> None:
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema, options=COMPRESSED) as writer:
        writer.write_table(table)


def _finished(work: Path, chunks: list[Chunk]) -> dict[str, ChunkResult]:
    """Chunks an earlier build finished whose inputs still hold the same bytes: decided once, here.
    In threads: the check is mostly hashing the seed files again, which releases the GIL."""
    with ThreadPoolExecutor(CHECK_THREADS) as pool:
        results = pool.map(lambda chunk: load_finished(work, chunk.key, chunk.seeds), chunks)
        return {chunk.key: result for chunk, result in zip(chunks, results, strict=True) if result is not None}


def _refuse_invalid(findings: list[Finding]) -> None:
    errors = sorted((f for f in findings if f.severity == "error"), key=finding_order)
    if errors:
        shown = "\n".join(f"  {f}" for f in errors[:20])
        more = f"\n  ... and {len(errors) - 20} more" if len(errors) > 20 else ""
        raise DataError(f"{len(errors)} problems in the seeds; fix them first (corpuspack validate):\n{shown}{more}")

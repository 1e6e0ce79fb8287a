"""The local engine: chunks of seed files on a process pool, dedup as numpy group-bys, then the writing."""

from __future__ import annotations

import contextlib
import functools
import gc
import multiprocessing as mp
import shutil
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from itertools import pairwise
from pathlib import Path

import numpy as np
import pyarrow as pa

from ..config import Config
from ..dedup import near
from ..dedup.features import band_column
from ..dedup.grouping import merge_distinct
from ..dedup.ledger import DedupOps, Exact, KeyColumns, exact_groups
from ..pipeline.assemble import Assembly
from ..pipeline.chunk import ChunkResult, process_chunk
from ..pipeline.order import Order
from ..pipeline.spill import Spill
from ..progress import Advance
from ..publish import formats
from ..publish.checksums import Written
from ..publish.hf import HFWriter
from ..publish.parquet import plan, write_shards
from ..publish.tables import TABLES
from ..sources import SeedFile
from ..sources.readahead import Readahead, too_large_to_keep
from .forked import Forked, can_fork, split

CHUNK_BYTES = 4 * 1024 * 1024
CHUNK_FILES = 2000
# Forking costs memory (pages copied on write, the child's own buffers: ~200 MB while writing a
# 10,000-document build) and saves time only on large work: below these sizes, one process.
SPLIT_FROM = 50_000  # paragraphs in the near-duplicate pool, or candidate pairs
FORK_WRITER_FROM = 1_000_000  # paragraphs in the build
READAHEAD_CHUNKS = 2  # chunks whose files are asked for beyond those the workers are on


def plan_chunks(seeds: list[SeedFile]) -> list[list[SeedFile]]:
    """Consecutive runs of seed files of about CHUNK_BYTES (fixed by the file list, not by workers)."""
    chunks: list[list[SeedFile]] = []
    current: list[SeedFile] = []
    size = 0
    for seed in seeds:
        if seed.size >= 0:
            size += seed.size
        else:
            with contextlib.suppress(OSError):
                size += seed.path.stat().st_size
        current.append(seed)
        if size >= CHUNK_BYTES or len(current) >= CHUNK_FILES:
            chunks.append(current)
            current, size = [], 0
    if current:
        chunks.append(current)
    return chunks


def run_chunks(
    chunks: list[list[SeedFile]],
    keys: list[str],
    config: Config,
    spill: Path,
    finished: dict[str, ChunkResult] | None = None,
) -> Iterator[ChunkResult]:
    """Results in chunk order. Chunks in `finished` (an interrupted build's) are taken as they
    are; with one worker (or one chunk to do) everything runs in this process."""
    finished = finished or {}
    todo = [i for i, key in enumerate(keys) if key not in finished]
    workers = min(config.worker_count, len(todo))
    if workers <= 1:
        for i, (chunk, key) in enumerate(zip(chunks, keys, strict=True)):
            yield finished.get(key) or process_chunk(i, key, chunk, config, spill)
        return
    # fork: workers start at once with everything imported, and a caller's script is not re-run in
    # each worker as spawn and forkserver do (a build from a notebook or `python -` just works).
    context = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    # pyarrow imports pandas, when installed, at its first conversion of Python objects (about 0.5 s).
    # This process does one later anyway; done before forking, no worker has to.
    pa.array([0])
    # Out of the garbage collector's sight before forking: a collection in a worker would otherwise
    # touch, so copy, every page of this process's objects (600 MB per worker at a million seeds).
    gc.freeze()
    todo_chunks = [chunks[i] for i in todo]
    forget = too_large_to_keep(sum(max(seed.size, 0) for chunk in todo_chunks for seed in chunk))
    try:
        with (
            ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool,
            Readahead(todo_chunks, ahead=workers + READAHEAD_CHUNKS) as readahead,
        ):
            futures = {i: pool.submit(process_chunk, i, keys[i], chunks[i], config, spill, forget) for i in todo}
            done = 0
            for i, key in enumerate(keys):
                if key in finished:
                    yield finished[key]
                    continue
                result = futures[i].result()
                done += 1
                readahead.finished(done)
                yield result
    finally:
        gc.unfreeze()


class LocalDedup(DedupOps):
    """Dedup's group-bys, reading band keys and shingle sets from the spill; candidate pairs (band
    by band) and their Jaccard (pair by pair) split between this process and forked ones."""

    def __init__(self, spill: Spill, order: Order, config: Config) -> None:
        self.spill, self.rows, self.bands = spill, order.rows, config.dedup.lsh[0]
        self.workers = config.worker_count

    def _workers_for(self, items: int) -> int:
        """Processes to split `items` between: one below `SPLIT_FROM`."""
        return self.workers if items >= SPLIT_FROM else 1

    def exact(self, cols: KeyColumns, min_docs: int) -> Exact:
        return exact_groups(cols, min_docs)

    def candidate_pairs(self, pool: np.ndarray, max_pairs: int) -> np.ndarray:
        rows = self.rows[pool]

        def of_bands(bands: np.ndarray) -> np.ndarray:
            return near.candidate_codes((self.spill.column(band_column(b))[rows] for b in bands), pool, max_pairs)

        workers = self._workers_for(len(pool))
        parts = np.array_split(np.arange(self.bands), min(workers, self.bands))
        codes = split([partial(of_bands, bands) for bands in parts], workers)
        return near.pairs_of(functools.reduce(merge_distinct, codes), pool)

    def jaccard(self, pairs: np.ndarray) -> np.ndarray:
        counts = self.spill.lengths("shingles")

        def of_pairs(part: np.ndarray) -> np.ndarray:
            return near.jaccard(
                part,
                lambda positions: self.spill.shingle_sets(self.rows[positions]),
                lambda positions: counts[self.rows[positions]],
            )

        workers = self._workers_for(len(pairs))
        parts = np.array_split(pairs, workers)
        return np.concatenate([np.zeros(0), *split([partial(of_pairs, part) for part in parts], workers)])


class LocalEngine:
    """The pipeline's stages on this machine: a process pool for chunks, numpy for dedup."""

    name = "local"

    def __init__(self, workers: int = 1) -> None:
        self.workers = workers

    def run_chunks(
        self,
        chunks: list[list[SeedFile]],
        keys: list[str],
        config: Config,
        spill: Path,
        finished: dict[str, ChunkResult],
    ) -> Iterator[ChunkResult]:
        return run_chunks(chunks, keys, config, spill, finished)

    def dedup_ops(self, spill: Spill, order: Order, config: Config) -> DedupOps:
        return LocalDedup(spill, order, config)

    def write(
        self, assembly: Assembly, shard_bytes: int, out: Path, tmp: Path, advance: Advance, output_format: int
    ) -> list[Written]:
        """Both tables, to Parquet and to the Hugging Face artifacts from the same rows.

        With two workers or more and a large build, the documents table is written by a forked
        process while this one writes the paragraphs (threads would share one core: assembling
        rows holds the GIL).
        """
        assembly.regroup(tmp / "regrouped")
        try:
            if self.workers < 2 or len(assembly.order.rows) < FORK_WRITER_FROM or not can_fork():
                return [
                    w
                    for table in TABLES
                    for w in write_table(assembly, table, shard_bytes, out, advance, output_format)
                ]
            documents = Forked(
                partial(write_table, assembly, "documents", shard_bytes, out, fmt=output_format), advance
            )
            try:
                paragraphs = write_table(assembly, "paragraphs", shard_bytes, out, advance, output_format)
            except BaseException:
                documents.stop()
                raise
            return documents.result() + paragraphs
        finally:
            shutil.rmtree(tmp / "regrouped", ignore_errors=True)

    def close(self) -> None:
        pass


def write_table(
    assembly: Assembly, table: str, shard_bytes: int, out: Path, advance: Advance, fmt: int
) -> list[Written]:
    """One table's Parquet shards and, from the same row groups, its Hugging Face artifacts (in
    output format `fmt`); the facts of every file written."""
    sizes = assembly.sizes(table)
    _, groups = plan(sizes, shard_bytes)
    hf = HFWriter(out / "arrow" / table, TABLES[table], len(sizes), len(groups), list_type=formats.hf_list_type(fmt))

    def also(rows: pa.RecordBatch) -> None:
        hf(rows)
        advance(rows.num_rows)

    batch = partial(assembly.batch, table)
    shards, content = write_shards(out / table, formats.parquet_schema(table, fmt), groups, batch, also)
    hf.close(content, lambda: (batch(lo, hi) for cuts in groups for lo, hi in pairwise(cuts) if hi > lo))
    return shards + hf.written

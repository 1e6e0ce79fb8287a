"""The local engine: chunks of seed files on a process pool (`read_pool`), dedup as numpy group-bys, the writing."""

from __future__ import annotations

import functools
import shutil
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import numpy as np

from ..config import Config
from ..dedup import near
from ..dedup.features import band_column, set_size_bounds
from ..dedup.grouping import distinct, merge_distinct
from ..dedup.ledger import DedupOps, Exact, KeyColumns, exact_groups
from ..pipeline import candidates, kept_sets
from ..pipeline.assemble import Assembly
from ..pipeline.chunk import Chunk, ChunkResult
from ..pipeline.kept_pairs import KeptPairs
from ..pipeline.order import Order
from ..pipeline.prints import shard_prints
from ..pipeline.spill import Spill
from ..progress import Advance
from ..publish import split as runs_of
from ..publish.checksums import Written
from ..publish.kept import KeptShards
from ..publish.writer import Kept, TablePlan, write_table
from ..staging import fresh_folder
from ..tuning import Tuning
from .forked import Forked, can_fork, split
from .read_pool import read_chunks


class LocalDedup(DedupOps):
    """Dedup's group-bys, reading band keys and texts from the spill; candidate pairs (band by
    band) and their Jaccard (pair by pair) split between this process and forked ones."""

    def __init__(self, spill: Spill, order: Order, config: Config, tuning: Tuning, keep: bool = False) -> None:
        self.spill, self.rows, self.bands, self.dedup = spill, order.rows, config.dedup.lsh[0], config.dedup
        self.keep = keep  # the work folder is kept: take the sets a kept file holds, keep those made
        self.workers, self.split_from, self.tuning = config.worker_count, tuning.split_from, tuning
        self._held: np.ndarray | None = None  # spill rows whose shingle sets the sets folder holds
        self._top: tuple[np.ndarray, np.ndarray] | None = None  # counted by `exact`
        self._pairs, self._pairs_saved = (KeptPairs(spill) if keep else None), False

    def _workers_for(self, items: int) -> int:
        """Processes to split `items` between: one below `split_from`."""
        return self.workers if items >= self.split_from else 1

    def exact(self, cols: KeyColumns, min_docs: int) -> Exact:
        exact = exact_groups(cols, min_docs)
        self._top = exact.top
        return exact

    def most_repeated(self) -> tuple[np.ndarray, np.ndarray]:
        if self._top is None:
            raise RuntimeError("the most repeated keys are counted by `exact`, not called yet")
        return self._top

    def candidate_pairs(self, pool: np.ndarray, max_pairs: int) -> np.ndarray:
        rows = self.rows[pool]

        def of_bands(bands: np.ndarray) -> np.ndarray:
            return near.candidate_codes((self.spill.column(band_column(b))[rows] for b in bands), pool, max_pairs)

        workers = self._workers_for(len(pool))
        parts = np.array_split(np.arange(self.bands), min(workers, self.bands))
        codes = split([partial(of_bands, bands) for bands in parts], workers)
        return near.pairs_of(functools.reduce(merge_distinct, codes), pool)

    def jaccard(self, pairs: np.ndarray) -> np.ndarray:
        """With a kept work folder, only the pairs it holds no similarity for are scored
        (`kept_pairs`); the first call's pairs (all candidates) are kept for the next build."""
        if self._pairs is None:
            return self._scored(pairs)
        a, b = self.rows[pairs[:, 0]], self.rows[pairs[:, 1]]
        held, similarity = self._pairs.lookup(a, b)
        todo = np.flatnonzero(~held)
        if len(todo):
            similarity[todo] = self._scored(pairs[todo])
            self._pairs.add(a[todo], b[todo], similarity[todo])
        if not self._pairs_saved:
            self._pairs.save(a, b, similarity)
            self._pairs_saved = True
            kept_sets.forget(self.spill)  # when every pair was held, `_make_sets` did not
        return similarity

    def _scored(self, pairs: np.ndarray) -> np.ndarray:
        workers = self._workers_for(len(pairs))
        folder = self.spill.folder / candidates.FOLDER
        wanted = distinct(self.rows[pairs.ravel()])
        if not _holds(self._held, wanted):
            self._make_sets(wanted, folder)
        sets = candidates.CandidateSets(self.spill, folder, partial(kept_sets.held, self.spill) if self.keep else None)
        nwords = self.spill.column("nwords")  # int32; bounds made for the rows asked, not per paragraph

        def bounds(at: np.ndarray) -> np.ndarray:
            return set_size_bounds(nwords[self.rows[at]], self.dedup)

        def of_pairs(part: np.ndarray) -> np.ndarray:
            return near.jaccard(part, lambda at: sets(self.rows[at]), bounds)

        parts = np.array_split(pairs, workers)
        return np.concatenate([np.zeros(0), *split([partial(of_pairs, part) for part in parts], workers)])

    def _make_sets(self, rows: np.ndarray, folder: Path) -> None:
        """The shingle sets of spill `rows` (distinct, ascending), chunk by chunk, into a fresh
        `folder`: the chunks split in runs between processes. They stay there for a later call
        asking for some of them (`near.repoint`'s pairs are among the candidates) until `release`."""
        self.release()
        folder.mkdir()
        chunks = candidates.by_chunk(self.spill, rows)
        todo = kept_sets.missing(self.spill, chunks) if self.keep else chunks  # rows no kept file holds
        needed = sum(len(rows) for _, rows in todo)
        makers = self.workers if needed >= self.tuning.split_sets_from else 1
        size = min(candidates.GROUP_ROWS, -(-needed // makers))  # at least a group per process
        groups = candidates.groups(todo, max(size, 1))
        runs = [groups[i::makers] for i in range(min(makers, len(groups)))]
        split([partial(self._write_sets, run, folder) for run in runs], makers)
        if self.keep:
            kept_sets.join(self.spill, folder, chunks)
        self._held = rows

    def release(self) -> None:
        self._held = None
        shutil.rmtree(self.spill.folder / candidates.FOLDER, ignore_errors=True)  # corpuspack's own (`workdir`)

    def _write_sets(self, groups: list[list[tuple[int, np.ndarray]]], folder: Path) -> None:
        for group in groups:
            candidates.write_sets(self.spill, group, self.dedup, folder)


def _holds(held: np.ndarray | None, rows: np.ndarray) -> bool:
    """Whether sorted distinct `held` holds every one of `rows`."""
    if held is None or len(held) == 0:
        return held is not None and len(rows) == 0
    return bool(np.all(held[np.minimum(np.searchsorted(held, rows), len(held) - 1)] == rows))


class LocalEngine:
    """The pipeline's stages on this machine: a process pool for chunks, numpy for dedup."""

    name = "local"
    forks = True

    def __init__(self, workers: int = 1, tuning: Tuning | None = None, keep: bool = False) -> None:
        self.workers, self.tuning, self.keep = workers, tuning or Tuning(), keep

    def read(self, chunks: list[Chunk], config: Config, work: Path) -> Iterator[ChunkResult]:
        return read_chunks(chunks, config, work, self.tuning)

    def dedup_ops(self, spill: Spill, order: Order, config: Config) -> DedupOps:
        return LocalDedup(spill, order, config, self.tuning, self.keep)

    def write(
        self, assembly: Assembly, plans: list[TablePlan], out: Path, work: Path, advance: Advance
    ) -> list[Written]:
        """Every table; with two workers or more and a large build, split between this process and
        forked ones (`write_runs`; threads would share one core: assembling rows holds the GIL)."""
        assembly.regroup(work / "regrouped", self.tuning)
        try:
            large = len(assembly.order.rows) >= self.tuning.fork_writer_from
            workers = self.workers if large and can_fork() else 1
            kept = partial(_kept, assembly, work) if self.keep else None
            return write_runs(assembly, plans, out, work, workers, advance, kept)
        finally:
            shutil.rmtree(work / "regrouped", ignore_errors=True)

    def close(self) -> None:
        pass


def _kept(assembly: Assembly, work: Path, plan: TablePlan) -> Kept:
    """The work folder's kept shards of `plan`'s table and each shard's fingerprint."""
    return KeptShards(work, plan.table), shard_prints(assembly, plan.table, plan.groups, plan.output_format)


def write_runs(
    assembly: Assembly,
    plans: list[TablePlan],
    out: Path,
    work: Path,
    workers: int,
    advance: Advance,
    kept: Callable[[TablePlan], Kept] | None = None,
) -> list[Written]:
    """Every table's shards cut into runs of about equal cost (`publish.split`), one list of runs per
    process: the first here, the others forked (they share the assembly's columns as they are). A
    run of a whole table is written as one writer does; the others are joined once all are done.
    With `kept`, each shard is taken from the work folder or written (`writer.kept_or_written`),
    and once all are done the kept shards no table has now are forgotten."""
    shelves = {p.table: kept(p) for p in plans} if kept is not None else {}  # made once, before forking
    costs = [runs_of.shard_costs(p, assembly.sizes(p.table), shelves.get(p.table)) for p in plans]
    parts = runs_of.runs(plans, costs, workers)
    pieces = fresh_folder(work, runs_of.PREFIX) if any(not r.whole for part in parts for r in part) else None

    def do(runs: list[runs_of.Run], advance: Advance) -> list[runs_of.Done]:
        done = []
        for run in runs:
            batch, shelf = partial(assembly.batch, run.plan.table), shelves.get(run.plan.table)
            if run.whole:
                done.append(runs_of.Done(run.plan.table, write_table(run.plan, out, batch, advance, shelf), -1))
            else:
                done.append(runs_of.write_run(run, out, pieces, batch, advance, shelf))
        return done

    try:
        others = [Forked(partial(do, part), advance) for part in parts[1:]]
        try:
            done = do(parts[0], advance)
        except BaseException:
            for other in others:
                other.stop()
            raise
        done += [d for other in others for d in other.result()]
        files = [w for d in done if d.nbytes < 0 for w in d.written]  # whole tables; the others joined:
        for plan in plans:
            if any(d.table == plan.table and d.nbytes >= 0 for d in done):
                files += runs_of.join(plan, out, pieces, done, partial(assembly.batch, plan.table))
        for shelf, prints in shelves.values():
            shelf.forget_except(prints)
        return files
    finally:
        if pieces is not None:
            runs_of.remove(pieces)

"""The Ray Data engine: the same stages as the local engine, spread over a Ray cluster.

What runs where:
- workers: `process_chunk` on each chunk of seeds (`map_batches`), spilling Arrow files into the
  work folder; the group-by on the exact key; the group-by on document digests that finds
  duplicate documents; the group-by on (band, band key) that yields candidate pairs; the exact
  Jaccard of candidate pairs (each task makes the shingle sets it needs from the spill); and the
  Parquet shards and Arrow parts, one task per shard, reading its rows' order and ledger from a
  file the driver writes once into the work folder (`ray_parts.Columns`);
- the driver: key columns and the ledger's columns (about 30 bytes per paragraph), the decisions
  that chain one group-by into the next (`dedup.ledger.decide`), and the manifest. It sends tasks
  per-document and per-shard figures and a bit per paragraph at most, never a column of the whole
  corpus (`ray_positions`, `ray_parts`), and closes Ray before the finish stage.

Every result comes back with its explicit position in the global (document id, paragraph index)
order, so nothing depends on partitioning, and files are written by the one writer (`publish.writer`).
The work folder (and the output folder) must be on storage every node mounts.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import ray
import ray.data
from ray.data.context import ShuffleStrategy

from ..config import Config
from ..dedup.ledger import DedupOps
from ..pipeline.assemble import Assembly
from ..pipeline.chunk import Chunk, ChunkResult, process_chunk
from ..pipeline.order import Order
from ..pipeline.spill import Spill
from ..progress import Advance
from ..publish.checksums import Written
from ..publish.writer import TablePlan, join_parts, write_shard
from ..tuning import Tuning
from .ray_dedup import RayDedup, cpus
from .ray_parts import Columns
from .ray_parts import part as shard_part

# Ray Data settings for our datasets, put back when the engine closes. The pull-based sort shuffle
# costs a few seconds per group-by where the hash shuffle's actors took 5-10 s each on 10^5 rows.
CONTEXT = {
    "enable_progress_bars": False,
    "print_on_execution_start": False,
    "shuffle_strategy": ShuffleStrategy.SORT_SHUFFLE_PULL_BASED,
}


# Ray Data's per-dataset notes, and notices about settings this engine makes on purpose.
QUIET_LOGGERS = {
    "ray.data": logging.WARNING,
    "ray._private.authentication.authentication_token_setup": logging.ERROR,  # "token authentication is enabled"
    "ray.data._internal.progress": logging.ERROR,  # "progress bars disabled"
}


class RayEngine:
    """Connects to `config.ray_address`, or starts a local Ray (stopped again by `close`)."""

    name = "ray"
    forks = False

    def __init__(self, config: Config, tuning: Tuning | None = None) -> None:
        self.tuning = tuning or Tuning()
        for name, level in QUIET_LOGGERS.items():
            logging.getLogger(name).setLevel(level)
        self._started = False
        if not ray.is_initialized():
            options = {"include_dashboard": False, "log_to_driver": False, "logging_level": logging.WARNING}
            if config.ray_address:
                ray.init(address=config.ray_address, **options)
            else:
                ray.init(num_cpus=config.worker_count, _node_ip_address="127.0.0.1", **options)
            self._started = True
        context = ray.data.DataContext.get_current()
        options = copy.copy(context.execution_options)
        options.resource_limits = ray.data.ExecutionResources.for_limits(
            **({"cpu": config.workers} if config.workers > 0 else {})
        )
        settings = {**CONTEXT, "execution_options": options}
        self._saved = {name: getattr(context, name) for name in settings}
        for name, value in settings.items():
            setattr(context, name, value)
        self.partitions = config.partitions

    def close(self) -> None:
        context = ray.data.DataContext.get_current()
        for name, value in self._saved.items():
            setattr(context, name, value)
        self._saved = {}
        if self._started:
            ray.shutdown()
            self._started = False

    def read(self, chunks: list[Chunk], config: Config, work: Path) -> Iterator[ChunkResult]:
        """A task per chunk, as many running as `config.workers` (or the cluster's CPUs), a new one
        started as soon as any ends; results in the order given. The driver holds the chunks in
        flight and results that ended early, not every chunk pickled at once as rows of a dataset."""
        limit = config.workers if config.workers > 0 else cpus()
        running: dict[ray.ObjectRef, int] = {}
        ended: dict[int, ChunkResult] = {}
        started = given = 0
        while given < len(chunks):
            while started < len(chunks) and len(running) < limit:
                running[_read_chunk.remote(chunks[started], config, work)] = started
                started += 1
            ready, _ = ray.wait(list(running), num_returns=1)
            for ref in ready:
                ended[running.pop(ref)] = ray.get(ref)  # raises a task's error here
            while given in ended:
                yield ended.pop(given)
                given += 1

    def dedup_ops(self, spill: Spill, order: Order, config: Config) -> DedupOps:
        return RayDedup(spill, order, config, self.partitions, self.tuning)

    def write(
        self, assembly: Assembly, plans: list[TablePlan], out: Path, work: Path, advance: Advance
    ) -> list[Written]:
        """A task per shard of each table, then a task per table joining the shards' Arrow parts,
        in order, into the Hugging Face files (`publish.writer`). Each task gets the part of the
        assembly its rows need (`ray_parts.part`), and no more than `cpus()` twice over wait at once.
        The columns of paragraphs go through a file of the work folder (`ray_parts.Columns`), removed
        at the end: put into the object store, they stayed mapped in the driver."""
        columns = Columns.write(work, assembly.order, assembly.ledger)
        try:
            return self._write(assembly, plans, out, work, advance, columns)
        finally:
            columns.path.unlink(missing_ok=True)

    def _write(
        self, assembly: Assembly, plans: list[TablePlan], out: Path, work: Path, advance: Advance, columns: Columns
    ) -> list[Written]:
        spill = assembly.spill
        shards = [(plan, i) for plan in plans for i in range(plan.shards)]
        parts = {(plan.table, i): work / f"{plan.table}-{i:05d}.arrow" for plan, i in shards}
        joins, rows, by_table = [], {}, {plan.table: [] for plan in plans}
        pending: list = []

        def settle(limit: int) -> None:
            nonlocal pending
            while len(pending) > limit:
                done, pending = ray.wait(pending)
                ray.get(done)  # raises a task's error here
                advance(sum(rows[ref] for ref in done))

        for plan, i in shards:
            settle(2 * cpus())
            task = _write_shard.remote(
                shard_part(assembly, spill, plan, i, columns), plan, i, out, parts[plan.table, i]
            )
            rows[task] = plan.shard_rows(i)
            by_table[plan.table].append(task)
            pending.append(task)
            if i == plan.shards - 1:
                shard_parts = [parts[plan.table, s] for s in range(plan.shards)]
                joins.append(_join_parts.remote(plan, out, shard_parts, *by_table[plan.table]))
        settle(0)
        return ray.get([ref for plan in plans for ref in by_table[plan.table]]) + [
            w for table in ray.get(joins) for w in table
        ]


@ray.remote
def _read_chunk(chunk: Chunk, config: Config, work: Path) -> ChunkResult:
    return process_chunk(chunk.index, chunk.key, chunk.seeds, config, work)


@ray.remote
def _write_shard(assembly: Assembly, plan: TablePlan, index: int, out: Path, part: Path) -> Written:
    return write_shard(plan, index, out, partial(assembly.batch, plan.table), part)


@ray.remote
def _join_parts(plan: TablePlan, out: Path, parts: list[Path], *shards: Written) -> list[Written]:
    """Run once every shard is `written` (the shards are passed to make Ray wait for them)."""
    return join_parts(plan, out, parts)

"""The Ray Data engine gives the local engine's bytes, on one local Ray started once for the session.

Skipped when the `ray` extra is not installed; `.ci/run` installs it.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import pickle
import socket
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from conftest import REPO, run_cli

from corpuspack import build, load_config
from corpuspack.dedup.copies import document_copies
from corpuspack.dedup.grouping import most_repeated_keys
from corpuspack.dedup.ledger import BOILERPLATE, EXACT, KeyColumns, decide
from corpuspack.engines.local import LocalEngine
from corpuspack.errors import ConfigError
from corpuspack.pipeline import workdir
from corpuspack.pipeline.assemble import Assembly
from corpuspack.pipeline.chunk import spill_paths
from corpuspack.pipeline.order import global_order
from corpuspack.pipeline.spill import Spill
from corpuspack.progress import quiet
from corpuspack.publish.writer import plan_table
from corpuspack.schema import load_schema
from corpuspack.stages.dedup import dedup
from corpuspack.stages.read import read
from corpuspack.tables import DOCUMENT_SPILL
from corpuspack.tuning import Tuning

# Read by Ray when it is imported: a local Ray whose listeners stay on 127.0.0.1, no usage report,
# no auth token written into the home folder.
os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
os.environ["RAY_AUTH_MODE"] = "disabled"
ray = pytest.importorskip("ray")
from corpuspack.engines.ray_dedup import RayDedup  # noqa: E402 (needs Ray)
from corpuspack.engines.ray_parts import Columns, part  # noqa: E402

LOOPBACK = {"127.0.0.1", "::1", "::ffff:127.0.0.1"}


def _listeners() -> dict[int, str]:
    """Listening TCP sockets on this machine: inode -> local address (Linux /proc)."""
    found = {}
    for name, family in (("tcp", socket.AF_INET), ("tcp6", socket.AF_INET6)):
        lines = Path(f"/proc/net/{name}").read_text().splitlines()[1:]
        for line in lines:
            fields = line.split()
            if fields[3] != "0A":  # LISTEN
                continue
            raw = bytes.fromhex(fields[1].split(":")[0])
            packed = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
            found[int(fields[9])] = socket.inet_ntop(family, packed)
    return found


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.add(child)
            todo.append(child)
    return out


def _socket_owners(pids: set[int]) -> dict[int, str]:
    """Socket inode -> the command line of the process holding it."""
    owners = {}
    for pid in pids:
        try:
            links = [os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()]
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:80]
        except OSError:
            continue
        owners.update((int(link[8:-1]), command) for link in links if link.startswith("socket:["))
    return owners


@pytest.fixture(scope="session")
def local_ray(tmp_path_factory: pytest.TempPathFactory):
    """One local Ray for every test: 2 CPUs, a small object store, no dashboard, no usage report,
    no auth token in the home folder, its files under the test's tmp, listeners on 127.0.0.1."""
    temp = tmp_path_factory.mktemp("ray")
    ray.init(
        num_cpus=2,
        object_store_memory=200 * 1024 * 1024,
        include_dashboard=False,
        _temp_dir=str(temp),
        _node_ip_address="127.0.0.1",
        log_to_driver=False,
        logging_level="ERROR",
    )
    yield temp
    ray.shutdown()


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated project with planted duplicates of every kind, and its local-engine build."""
    root = tmp_path_factory.mktemp("generated")
    subprocess.run(
        [sys.executable, str(REPO / "bench" / "generate.py"), "--docs", "300", "--out", str(root)], check=True
    )
    build(out=root / "local", config=load_config(root), workers=2)
    return root


def _digests(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads listening sockets from Linux /proc")
def test_every_ray_listener_is_on_loopback(local_ray: Path):
    owners = _socket_owners(_descendants(os.getpid()))
    listening = {(address, owners[inode]) for inode, address in _listeners().items() if inode in owners}
    assert listening, "found no listening socket of the Ray processes"
    exposed = {(address, owner) for address, owner in listening if address not in LOOPBACK}
    assert not exposed, exposed


@pytest.mark.parametrize(("workers", "partitions"), [(1, 1), (2, 3)])
def test_ray_engine_writes_the_local_engine_bytes(
    local_ray: Path, generated: Path, tmp_path: Path, workers, partitions
):
    out = tmp_path / "ray"
    config = load_config(generated, engine="ray", partitions=partitions)
    result = build(out=out, config=config, workers=workers)
    local = _digests(generated / "local")
    assert _digests(out) == local
    counts = result.counts["dropped_by_reason"]
    assert counts["near_duplicate"] > 0 and counts["exact"] > 0 and counts["boilerplate"] > 0, counts
    assert any(name.startswith("arrow/paragraphs/") for name in local)


def test_ray_engine_cuts_many_shards_as_the_local_engine(local_ray: Path, generated: Path, tmp_path: Path):
    """Shards of 1 MiB: each Ray task gets only its shard's part of the order and the ledger
    (`engines.ray_parts`), including the rows its duplicates name in other shards."""
    local = build(out=tmp_path / "local", config=load_config(generated, shard_bytes=1 << 20), workers=1)
    config = load_config(generated, engine="ray", shard_bytes=1 << 20, partitions=2)
    build(out=tmp_path / "ray", config=config, workers=2)
    digests = _digests(tmp_path / "local")
    assert sum(name.startswith("paragraphs/") for name in digests) >= 2, sorted(digests)
    assert sum(name.startswith("documents/") for name in digests) >= 2, sorted(digests)
    assert _digests(tmp_path / "ray") == digests
    assert local.counts["dropped_by_reason"]["duplicate_document"] > 0


def test_ray_build_from_the_cli_connects_to_a_running_cluster(local_ray: Path, generated: Path, tmp_path: Path):
    address = ray.get_runtime_context().gcs_address
    out = tmp_path / "cli"
    done = run_cli("build", "--engine", "ray", "--ray-address", address, "--out", str(out), "-q", cwd=generated)
    assert done.returncode == 0, done.stdout + done.stderr
    assert _digests(out) == _digests(generated / "local")


def test_engine_without_ray_installed_is_a_config_error(generated: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setitem(sys.modules, "corpuspack.engines.ray", None)
    with pytest.raises(ConfigError, match=r"corpuspack\[ray\]"):
        build(out=tmp_path / "x", config=load_config(generated, engine="ray"))
    assert not (tmp_path / "x").exists()


def test_unknown_engine_is_a_config_error(generated: Path, tmp_path: Path):
    done = run_cli("build", "--engine", "spark", "--out", str(tmp_path / "x"), cwd=generated)
    assert done.returncode == 2 and "invalid choice" in done.stderr
    with pytest.raises(ConfigError, match="engine = 'spark': expected one of 'local', 'ray'"):
        build(out=tmp_path / "y", config=load_config(generated, engine="spark"))


def test_ray_engine_reads_and_writes_urls(local_ray: Path, generated: Path):
    import fsspec

    fs = fsspec.filesystem("memory")
    for path in sorted((generated / "seeds").iterdir()):
        fs.pipe(f"/ray-test/seeds/{path.name}", path.read_bytes())
    try:
        config = load_config(generated, engine="ray")
        result = build(seeds="memory://ray-test/seeds", out="memory://ray-test/out", config=config, workers=2)
        local = _digests(generated / "local")
        for rel, digest in local.items():
            if rel not in ("manifest.json", "croissant.json"):  # they name where the seeds came from
                assert hashlib.sha256(fs.cat(f"/ray-test/out/{rel}")).hexdigest() == digest, rel
        assert result.out == "memory://ray-test/out"
    finally:
        fs.rm("/ray-test", recursive=True)


def _spill(folder: Path, chunks: int, docs: int, rng: np.random.Generator, distinct: int = 1 << 40) -> Spill:
    """Spill files of `chunks` chunks of `docs` documents each (ids shuffled, so spill order is not
    id order): exact keys only (drawn from `distinct` values), a tenth of the paragraphs boilerplate
    by pattern and one document in twenty a copy of another's keys, with boilerplate of its own between them."""
    keys = []
    for c in range(chunks):
        counts = rng.integers(1, 12, docs)
        key = rng.integers(1, distinct, int(counts.sum()), dtype=np.uint64)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        pattern = rng.random(len(key)) < 0.1
        for d in np.flatnonzero(rng.random(docs) < 0.05):  # a copy of the chunk's document 0 or 1
            source = int(d % 2)
            n = min(counts[d], counts[source])
            key[starts[d] : starts[d] + n] = key[starts[source] : starts[source] + n]
            pattern[starts[d] : starts[d] + n] = pattern[starts[source] : starts[source] + n]
            pattern[starts[d] + n : starts[d] + counts[d]] = True
        doc = np.repeat(np.arange(docs, dtype=np.int32), counts)
        pidx = np.arange(len(key)) - np.repeat(starts, counts)
        docs_path, paragraphs_path, _ = spill_paths(folder, f"k{c}")
        ids = pa.array([f"d{i:08d}" for i in rng.permutation(docs) + c * docs], pa.string())
        columns = {f.name: ids if f.name == "id" else pa.nulls(docs, f.type) for f in DOCUMENT_SPILL}
        _write(docs_path, pa.table(columns, schema=DOCUMENT_SPILL))
        paragraphs = {"doc": doc, "pidx": pidx.astype(np.int32), "key": key, "pattern": pattern}
        _write(paragraphs_path, pa.table(paragraphs))
        keys.append(f"k{c}")
    return Spill(folder, keys)


def _write(path: Path, table: pa.Table) -> None:
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)


def test_ray_duplicate_documents_leave_the_driver_per_document_figures(local_ray: Path, tmp_path: Path):
    """Duplicate documents on Ray: a digest per document made by the task reading its chunk, a
    group-by on digest partitions, the copies' ranks back. The driver allocates less than an int64
    per paragraph meanwhile (numpy reports its arrays to tracemalloc), where the local function
    allocates several; the copies are the local function's."""
    spill = _spill(tmp_path, chunks=4, docs=40_000, rng=np.random.default_rng(7))
    order = global_order(spill)
    cols = KeyColumns(order.doc_rank, spill.column("key")[order.rows], spill.column("pattern")[order.rows], None)
    boiler = cols.pattern | (np.random.default_rng(8).random(len(cols.key)) < 0.05)
    ops = RayDedup(spill, order, load_config(tmp_path, engine="ray"), 3, Tuning())
    ops.document_copies(cols, None)  # Ray Data's first dataset imports modules: not counted
    for drop in (None, boiler):
        tracemalloc.start()
        try:
            copies = ops.document_copies(cols, drop)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        expected = document_copies(cols, cols.pattern if drop is None else drop)
        assert len(expected[0]) > 1000
        assert all(np.array_equal(a, b) for a, b in zip(copies, expected, strict=True))
        assert peak < 8 * len(cols.key), (peak, len(cols.key))
    tracemalloc.start()
    document_copies(cols, boiler)
    assert tracemalloc.get_traced_memory()[1] > 8 * len(cols.key)  # what the assertion above tells apart
    tracemalloc.stop()


def test_a_shard_task_is_sent_no_column_of_its_paragraphs(generated: Path, tmp_path: Path):
    """`ray_parts.part`: a shard's columns of paragraphs (order and ledger) travel as a file name
    and two numbers, read by the task from the work folder's `Columns`, so what the driver pickles
    for a task is a few bytes a row (the same columns sent were over 30); the part, pickled and
    read back as a task gets it, makes the whole assembly's rows."""
    config = load_config(generated, shard_bytes=1 << 20)
    work = workdir.claim(tmp_path / "work")
    engine = LocalEngine(1)
    seeds = read(engine, config, load_schema(config.schema_path), work, Tuning(), quiet)
    deduped = dedup(seeds, engine, config, quiet)
    assembly = Assembly(seeds.spill, deduped.order, deduped.ledger, config.output_format)
    columns = Columns.write(work, deduped.order, deduped.ledger)
    for table in ("paragraphs", "documents"):
        plan = plan_table(table, assembly.sizes(table), config.shard_bytes, config.output_format)
        assert plan.shards >= 2
        for i in range(plan.shards):
            cuts = plan.groups[i]
            sent = pickle.dumps(part(assembly, seeds.spill, plan, i, columns))
            if table == "paragraphs":
                rows = cuts[-1] - cuts[0]  # and a few kB of file names and schemas
                assert len(sent) < 16384 + 8 * rows, (len(sent), rows)
            shard = pickle.loads(sent)
            for lo, hi in itertools.pairwise(cuts):
                assert shard.batch(table, lo, hi).equals(assembly.batch(table, lo, hi))


@pytest.mark.parametrize("rules", [1, 2])
def test_ray_decides_without_the_key_column_on_the_driver(local_ray: Path, tmp_path: Path, rules: int):
    """Given no key column (`DedupOps.keys_here`), the Ray engine's decisions, the first boilerplate
    paragraph of each key, the clusters' keys and the most repeated keys (merged from 3 partitions'
    tops) are those the local engine makes from the whole column."""
    spill = _spill(tmp_path, chunks=3, docs=3000, rng=np.random.default_rng(11), distinct=40_000)
    order = global_order(spill)
    key, pattern = spill.column("key")[order.rows], spill.column("pattern")[order.rows]
    config = load_config(tmp_path, engine="ray", near=False, rules=rules)
    source = np.zeros(len(order.doc_rows), dtype=np.int64) if rules >= 2 else None

    def cols(keys: np.ndarray | None) -> KeyColumns:
        return KeyColumns(order.doc_rank, keys, pattern, np.ones(len(pattern), dtype=bool), source)

    ops, local = RayDedup(spill, order, config, 3, Tuning()), LocalEngine(1).dedup_ops(spill, order, config)
    assert not ops.keys_here and local.keys_here
    got, want = decide(cols(None), config.dedup, ops), decide(cols(key), config.dedup, local)
    for name in ("reason", "duplicate_of", "cluster", "near", "near_similarity"):
        assert np.array_equal(getattr(got, name), getattr(want, name)), name
    assert (want.cluster >= 0).sum() > 1000 and (want.reason == EXACT).sum() > 100
    boiler = np.flatnonzero(want.reason == BOILERPLATE)
    assert np.array_equal(ops.boilerplate_firsts(cols(None), boiler), local.boilerplate_firsts(cols(key), boiler))
    top = most_repeated_keys(key)
    assert len(top[0]) == 10 and all(np.array_equal(a, b) for a, b in zip(ops.most_repeated(), top, strict=True))

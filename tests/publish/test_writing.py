"""The write stage: the documents table written by a forked process, file facts taken while writing."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from corpuspack import build, load_config
from corpuspack.dedup.grouping import key_groups, most_repeated_keys
from corpuspack.engines.forked import Forked, can_fork, split
from corpuspack.pipeline import assemble
from corpuspack.publish import manifest
from corpuspack.tuning import Tuning

pytestmark = pytest.mark.skipif(not can_fork(), reason="needs the fork start method")


def test_forked_work_reports_progress_and_its_result() -> None:
    seen: list[int] = []
    lock = threading.Lock()

    def advance(n: int) -> None:
        with lock:
            seen.append(n)

    def work(step) -> dict:
        for n in (3, 4, 5):
            step(n)
        return {"rows": 12}

    assert Forked(work, advance).result() == {"rows": 12}
    assert sorted(seen) == [3, 4, 5]


class Unpicklable(Exception):
    def __reduce__(self):
        raise TypeError("not today")


@pytest.mark.parametrize(
    ("error", "expected", "text"),
    [(ValueError("bad row 7"), ValueError, "bad row 7"), (Unpicklable("deep trouble"), RuntimeError, "deep trouble")],
)
def test_forked_work_raises_its_error_here(error: Exception, expected: type, text: str) -> None:
    def work(step):
        raise error

    with pytest.raises(expected, match=text):
        Forked(work, lambda n: None).result()


def test_a_forked_process_that_dies_is_an_error_naming_its_exit_code() -> None:
    def work(step):
        os._exit(3)

    with pytest.raises(RuntimeError, match="exit code 3"):
        Forked(work, lambda n: None).result()


def test_manifest_facts_taken_while_writing_are_those_of_the_files(planted: Path, tmp_path: Path, monkeypatch):
    out = tmp_path / "out"
    build(out=out, config=load_config(planted), workers=2, tuning=Tuning(fork_writer_from=1))
    listed = json.loads((out / "manifest.json").read_text())["outputs"]
    assert listed == manifest.outputs(out)  # every file read back now, nothing known
    assert {e["path"] for e in listed} >= {"arrow/documents/state.json", "paragraphs/train-00000-of-00001.parquet"}


def test_a_failure_in_the_forked_writer_fails_the_build_and_leaves_nothing(
    planted: Path,
    tmp_path: Path,
    monkeypatch,
):
    def broken(*args, **kwargs):
        raise OSError("disk on fire")

    monkeypatch.setattr(assemble, "document_batch", broken)  # the documents table is the forked one
    out = tmp_path / "out"
    with pytest.raises(OSError, match="disk on fire"):
        build(out=out, config=load_config(planted), workers=2, tuning=Tuning(fork_writer_from=1))
    assert not out.exists() and not list(tmp_path.glob(".out.partial*"))


def test_split_work_comes_back_in_order_and_a_child_error_surfaces() -> None:
    assert split([lambda: "here", lambda: "child 1", lambda: "child 2"], workers=3) == ["here", "child 1", "child 2"]

    def broken() -> None:
        raise KeyError("band 3")

    with pytest.raises(KeyError, match="band 3"):
        split([lambda: 1, broken], workers=2)


@pytest.mark.parametrize("odd", [False, True])
def test_manifest_lines_of_a_table_are_json_dumps_of_its_rows(odd):
    rows = [
        {"path": "seeds/a.txt", "size": 12, "sha256": "ab" * 32, "git_blob": "cd" * 20},
        {"path": "seeds/été/ü.md", "size": 0, "sha256": "ef" * 32, "git_blob": None},
        {"path": 'seeds/say "hi"\\.txt' if odd else "seeds/z.txt", "size": 2**40, "sha256": "00", "git_blob": "1"},
    ]
    schema = pa.schema(
        [("path", pa.string()), ("size", pa.int64()), ("sha256", pa.string()), ("git_blob", pa.string())]
    )
    table = pa.concat_tables([pa.Table.from_pylist([row], schema=schema) for row in rows])  # three batches
    assert manifest.dumps({"inputs": {"seeds": table}}) == manifest.dumps({"inputs": {"seeds": rows}})
    assert json.loads(manifest.dumps({"inputs": {"seeds": table}}))["inputs"]["seeds"] == rows


@pytest.mark.parametrize("seed", [0, 3, 10_000])
def test_most_repeated_keys_are_those_of_a_full_stable_sort(seed):
    rng = np.random.default_rng(seed)
    for _ in range(25):
        n = int(rng.integers(0, 3000))
        keys = rng.integers(0, int(rng.integers(1, 4000)), n).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        first, counts = key_groups(keys)
        by_key = np.argsort(keys, kind="stable")
        starts = np.flatnonzero(np.concatenate([[True], np.diff(keys[by_key]) != 0])) if n else by_key
        want_first, want_counts = by_key[starts], np.diff(np.append(starts, n))
        got = np.lexsort((first, -counts))[:10]
        want = np.lexsort((want_first, -want_counts))[:10]
        assert first[got].tolist() == want_first[want].tolist()
        assert counts[got].tolist() == want_counts[want].tolist()
        top_first, top_counts = most_repeated_keys(keys)  # the ten that recur most, ties the earlier first
        recur = want_counts[want] > 1
        assert top_first.tolist() == want_first[want][recur].tolist()
        assert top_counts.tolist() == want_counts[want][recur].tolist()

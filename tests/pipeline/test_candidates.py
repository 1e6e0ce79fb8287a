"""The candidates' shingle sets: made in runs of chunks, read back by row in any order."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from corpuspack.dedup.features import shingle_sets
from corpuspack.dedup.settings import DedupConfig
from corpuspack.pipeline import candidates
from corpuspack.pipeline.chunk import COMPRESSED, TEXT_BATCH_ROWS, TEXT_SPILL, _write_ipc
from corpuspack.pipeline.spill import ParagraphFiles

SCHEMA = pa.schema([("key", pa.uint64())])


def test_groups_keep_whole_chunks_in_order_and_about_the_rows_asked():
    chunks = [(c, np.arange(n)) for c, n in enumerate([5, 1, 7, 3, 0, 9])]
    groups = candidates.groups(chunks, 6)
    assert [c for group in groups for c, _ in group] == list(range(6))
    assert [sum(len(r) for _, r in group) for group in groups] == [6, 7, 12]
    assert candidates.groups([], 6) == []


def test_sets_read_back_by_row_equal_those_made_from_the_texts(tmp_path):
    config = DedupConfig()
    words = "the senate voted on tuesday to build two hundred kilometres of new cycle lanes".split()
    rng = np.random.default_rng(1)
    sizes = [TEXT_BATCH_ROWS + 50, 40, 300]
    files, text_files, texts = [], [], []
    for i, rows in enumerate(sizes):
        text = [" ".join(rng.choice(words, int(rng.integers(0, 30)))) for _ in range(rows)]
        files.append(tmp_path / f"paragraphs-{i}.arrow")
        with pa.OSFile(str(files[-1]), "wb") as sink, pa.ipc.new_file(sink, SCHEMA) as writer:
            writer.write_table(pa.table({"key": np.zeros(rows, np.uint64)}, schema=SCHEMA))
        text_files.append(tmp_path / f"texts-{i}.arrow")
        _write_ipc(
            pa.table([pa.array(text, pa.large_string())], schema=TEXT_SPILL),
            text_files[-1],
            COMPRESSED,
            TEXT_BATCH_ROWS,
        )
        texts += text
    spill = ParagraphFiles(files, np.concatenate([[0], np.cumsum(sizes)[:-1]]), text_files)
    needed = np.sort(rng.choice(len(texts), 200, replace=False))
    folder = tmp_path / "sets"
    folder.mkdir()
    for group in candidates.groups(candidates.by_chunk(spill, needed), 64):
        candidates.write_sets(spill, group, config, folder)
    asked = rng.permutation(needed)[:120]
    flat, offsets = candidates.CandidateSets(spill, folder)(asked)
    want_flat, want_offsets = shingle_sets(pa.array([texts[r] for r in asked], pa.large_string()), config)
    np.testing.assert_array_equal(offsets, want_offsets)
    np.testing.assert_array_equal(flat, want_flat)
    missing = np.setdiff1d(np.arange(len(texts)), needed)[:1]
    try:
        candidates.CandidateSets(spill, folder)(missing)
    except ValueError as exc:
        assert "no shingle set" in str(exc)
    else:
        raise AssertionError("a row without a set was read")

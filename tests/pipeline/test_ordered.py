"""Texts and documents' metadata read in global order, from the spill or regrouped runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pytest
from conftest import sentence, write_article

from corpuspack import build, load_config
from corpuspack.pipeline import assemble
from corpuspack.pipeline.assemble import text_bytes
from corpuspack.pipeline.order import global_order
from corpuspack.pipeline.ordered import RegroupedDocuments, RegroupedTexts, SpillDocuments, TextWindow
from corpuspack.pipeline.spill import Spill
from corpuspack.tuning import Tuning


@pytest.mark.parametrize("source", ["window", "regrouped"])
def test_texts_by_position_match_the_spill(planted: Path, tmp_path: Path, source: str):
    tuning = Tuning(chunk_files=2)  # a document's neighbours by id are in other chunks
    for i in range(3):  # first by path, last by id
        write_article(planted / "seeds" / "a", f"zz{i}", [sentence(200 + i, 60), sentence(300 + i, 60)])
    work = tmp_path / "work"
    build(out=tmp_path / "out", work=work, config=load_config(planted), workers=1, tuning=tuning)
    keys = sorted(p.name[len("docs-") : -len(".arrow")] for p in work.glob("docs-*.arrow"))
    spill = Spill(work, keys)
    order = global_order(spill)
    lengths = text_bytes(spill, order)
    if source == "window":
        texts = TextWindow(spill, order.rows, lengths, window_bytes=3000)
    else:
        texts = RegroupedTexts(spill, order.rows, lengths, tmp_path / "runs", run_bytes=3000)
    expected = spill.take("text", order.rows).to_pylist()
    n = len(expected)
    assert n > 20 and not (np.diff(order.rows) > 0).all()
    for table_pass in range(2):  # the writer goes through twice: documents, then paragraphs
        lo = 0
        for step in [1, 7, 3, 0, 11, 2, n] * n:
            hi = min(lo + step, n)
            assert texts(lo, hi).to_pylist() == expected[lo:hi], (table_pass, lo, hi)
            lo = hi
            if lo == n:
                break


@pytest.mark.parametrize("folders", [1, 8])
def test_texts_regrouped_only_when_reading_them_straight_would_decompress_more(
    small: Path, tmp_path: Path, folders: int
):
    """Windows of about eight documents' texts: in id order each window needs a chunk or two; with
    each next id in another folder (so in another chunk), eight."""
    tuning = Tuning(chunk_files=4)
    for i in range(64):
        write_article(small / "seeds" / f"f{i % folders}", f"d{i:02d}", [sentence(i, 30), sentence(100 + i, 30)])
    work = tmp_path / "work"
    build(out=tmp_path / "out", work=work, config=load_config(small), workers=1, tuning=tuning)
    keys = sorted(p.name[len("docs-") : -len(".arrow")] for p in work.glob("docs-*.arrow"))
    spill = Spill(work, keys)
    rows = global_order(spill).rows
    lengths = pc.binary_length(spill.take("text", rows)).to_numpy()
    window = int(lengths.sum()) // 8
    assert spill.chunks >= 8  # several chunks (about one per 4 files)
    in_order = folders == 1
    assert assemble.in_spill_order(spill, rows, lengths, window) == in_order
    assert assemble.in_spill_order(spill, rows, lengths, window, block=5) == in_order  # counted across blocks too
    assert assemble.in_spill_order(spill, rows, lengths, 1 << 40)  # one window: each batch read once anyway


@pytest.mark.parametrize("run_rows", [1, 4, 1000])
def test_regrouped_documents_match_the_spill_in_id_order(planted: Path, tmp_path: Path, run_rows: int):
    tuning = Tuning(chunk_files=2)
    for i in range(3):  # first by path, last by id
        write_article(planted / "seeds" / "a", f"zz{i}", [sentence(200 + i, 60)])
    work = tmp_path / "work"
    build(out=tmp_path / "out", work=work, config=load_config(planted), workers=1, tuning=tuning)
    keys = sorted(p.name[len("docs-") : -len(".arrow")] for p in work.glob("docs-*.arrow"))
    spill = Spill(work, keys)
    order = global_order(spill)
    assert not (np.diff(order.doc_rows) > 0).all()
    expected = SpillDocuments(spill, order.doc_rows)
    regrouped = RegroupedDocuments(spill, order.doc_rows, tmp_path / "runs", run_rows=run_rows)
    n = len(order.doc_rows)
    for ranks in ([0], [0, 1, 2], list(range(3, n, 2)), [n - 1]):
        ranks = np.array(ranks)
        assert regrouped(ranks).equals(expected(ranks))
    assert regrouped(np.arange(n)).column("id").to_pylist() == sorted(spill.ids.to_pylist())

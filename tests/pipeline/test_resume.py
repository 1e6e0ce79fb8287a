"""An interrupted build resumes: finished chunks reused by content, changed ones redone."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import run

from corpuspack import build, load_config
from corpuspack.engines import read_pool
from corpuspack.tuning import Tuning


def test_an_interrupted_build_resumes_without_redoing_finished_chunks(planted: Path, tmp_path: Path, monkeypatch):
    from corpuspack.pipeline import chunk as chunk_module

    tuning = Tuning(chunk_files=3)
    clean = run(planted, tmp_path, "clean", tuning=tuning)
    real = chunk_module.process_chunk
    done = []

    def interrupted(index, key, seeds, config, spill):
        if len(done) == 2:
            raise KeyboardInterrupt
        done.append(index)
        return real(index, key, seeds, config, spill)

    monkeypatch.setattr(read_pool, "process_chunk", interrupted)
    out, work = tmp_path / "resumed", tmp_path / "work"
    with pytest.raises(KeyboardInterrupt):
        build(out=out, work=work, config=load_config(planted), workers=1, tuning=tuning)
    assert not out.exists() and len(list(work.glob("chunk-*.done"))) == 2
    monkeypatch.setattr(read_pool, "process_chunk", real)
    result = build(out=out, work=work, config=load_config(planted), workers=1, tuning=tuning)
    assert result.reused_chunks == 2
    for path in clean.rglob("*"):
        if path.is_file():
            assert path.read_bytes() == (out / path.relative_to(clean)).read_bytes(), path
    (planted / "seeds" / "doc00.txt").write_text((planted / "seeds" / "doc00.txt").read_text() + "\nMore.\n")
    again = build(out=tmp_path / "after-edit", work=work, config=load_config(planted), workers=1, tuning=tuning)
    assert again.reused_chunks == len(list(work.glob("chunk-*.done"))) - 1  # only the edited chunk is redone


def test_an_edited_sidecar_redoes_the_chunk_of_its_seed(planted: Path, tmp_path: Path):
    tuning = Tuning(chunk_files=3)
    sidecar = planted / "seeds" / "doc00.meta.json"
    sidecar.write_text('{"title": "First title"}')
    work = tmp_path / "work"
    build(out=tmp_path / "first", work=work, config=load_config(planted), workers=1, tuning=tuning)
    sidecar.write_text('{"title": "Second title"}')
    os.utime(sidecar, ns=(sidecar.stat().st_mtime_ns + 10**9,) * 2)
    again = build(out=tmp_path / "second", work=work, config=load_config(planted), workers=1, tuning=tuning)
    assert again.reused_chunks == len(list(work.glob("chunk-*.done"))) - 1
    documents = pq.read_table(tmp_path / "second" / "documents", columns=["id", "title"]).to_pydict()
    titles = dict(zip(documents["id"], documents["title"], strict=True))
    assert titles["doc00"] == "Second title"


def test_ctrl_c_while_workers_read_is_one_quiet_line_and_the_next_build_resumes(small: Path, tmp_path: Path):
    """Ctrl-C reaches the whole process group: the read workers end silently (a traceback each
    said nothing), the build says `interrupted` (exit 130), and the next build takes what was done."""
    import signal
    import subprocess
    import sys
    import time

    from conftest import sentence, write_article

    for i in range(3000):  # about 40 MB: ten chunks, so workers are still reading when the first is done
        write_article(small / "seeds", f"doc{i:05d}", [sentence(i * 7 + k, 120) for k in range(4)])
    work, out = tmp_path / "work", tmp_path / "out"
    argv = [sys.executable, "-m", "corpuspack", "build", "--out", str(out), "--work", str(work), "--workers", "2"]
    build_ = subprocess.Popen(argv, cwd=small, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 120
    while not list(work.glob("chunk-*.done")) and build_.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert build_.poll() is None, "the build ended before a chunk was read"
    os.killpg(build_.pid, signal.SIGINT)
    _, stderr = build_.communicate(timeout=120)
    assert build_.returncode == 130 and stderr.strip().endswith("corpuspack: interrupted"), stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr
    assert not out.exists()
    result = build(out=out, work=work, config=load_config(small), workers=2)
    assert result.reused_chunks >= 1

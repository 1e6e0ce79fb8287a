"""The read stage's process pool as a user meets it: Ctrl-C and a worker that dies.

Each build runs as `corpuspack build` in a child process of its own session, with one chunk held back
(`process_chunk` of chunk 0 waits, in a driver script) so that the second worker reads the others
and then waits for work, where an interrupt printed multiprocessing's traceback.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import sentence, write_article

from corpuspack import build, load_config

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="process groups and SIGINT are POSIX")

# Chunk 0 waits (until the test ends it); `also` runs in the worker before chunk 1 is read.
DRIVER = """
import os, signal, sys, time
import corpuspack.engines.read_pool as pool
from corpuspack.cli import main

real = pool.process_chunk

def held(index, *args, **kwargs):
    if index == 0:
        time.sleep(600)
    if index == 1:
        {also}
    return real(index, *args, **kwargs)

pool.process_chunk = held
sys.exit(main(sys.argv[1:]))
"""


def _three_chunks(seeds: Path) -> None:
    """Three seed files of over half a chunk each (2 MiB of 4): each ends its chunk, so one a chunk."""
    for d in range(3):
        write_article(seeds, f"doc{d}", [sentence(d * 1000 + k, 300) for k in range(1300)])


def _start(small: Path, tmp_path: Path, also: str = "pass") -> tuple[subprocess.Popen[str], Path, Path]:
    _three_chunks(small / "seeds")
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER.format(also=also), encoding="utf-8")
    work, out = tmp_path / "work", tmp_path / "out"
    argv = [sys.executable, str(driver), "build", "-q", "--out", str(out), "--work", str(work), "--workers", "2"]
    return subprocess.Popen(argv, cwd=small, stderr=subprocess.PIPE, text=True, start_new_session=True), work, out


def _wait_for(done: int, work: Path, build_: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while len(list(work.glob("chunk-*.done"))) < done and build_.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)


def test_ctrl_c_while_a_worker_waits_for_work_is_one_quiet_line(small: Path, tmp_path: Path) -> None:
    build_, work, out = _start(small, tmp_path)
    try:
        _wait_for(2, work, build_)  # chunks 1 and 2 read by the second worker, which now waits
        assert build_.poll() is None, "the build ended before its chunks were read"
        time.sleep(0.5)
        os.killpg(build_.pid, signal.SIGINT)
        _, stderr = build_.communicate(timeout=120)
    finally:
        if build_.poll() is None:
            os.killpg(build_.pid, signal.SIGKILL)
    assert build_.returncode == 130 and stderr.strip() == "corpuspack: interrupted", stderr
    assert not out.exists()
    result = build(out=out, work=work, config=load_config(small), workers=2)
    assert result.reused_chunks == 2 and result.counts["documents"] == 3


def test_a_worker_killed_while_reading_is_a_clear_error_and_the_next_build_goes_on(small: Path, tmp_path: Path) -> None:
    """As the kernel's out-of-memory killer would: SIGKILL to a worker reading a chunk."""
    build_, work, out = _start(small, tmp_path, also="os.kill(os.getpid(), signal.SIGKILL)")
    try:
        _, stderr = build_.communicate(timeout=120)
    finally:
        if build_.poll() is None:
            os.killpg(build_.pid, signal.SIGKILL)
    assert build_.returncode == 1, stderr
    assert "Traceback" not in stderr, stderr
    assert "a read worker ended abruptly" in stderr and str(work) in stderr, stderr
    assert not out.exists()
    result = build(out=out, work=work, config=load_config(small), workers=2)
    assert result.counts["documents"] == 3

"""The read stage's process pool as a user meets it: Ctrl-C and a worker that dies.

Each build runs as `corpuspack build` in a child process of its own session, with one chunk held back
(`process_chunk` of chunk 0 waits, in a driver script) so that the second worker reads the others
and then waits for work, where an interrupt printed multiprocessing's traceback.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
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


def _start(small: Path, tmp_path: Path, source: str = DRIVER.format(also="pass")) -> tuple[list[str], Path, Path]:
    """Three chunks of seeds, and the command line of a build by the driver `source` (by default:
    chunk 0 held), its work and output folders."""
    _three_chunks(small / "seeds")
    driver = tmp_path / "driver.py"
    driver.write_text(source, encoding="utf-8")
    work, out = tmp_path / "work", tmp_path / "out"
    argv = [sys.executable, str(driver), "build", "-q", "--out", str(out), "--work", str(work), "--workers", "2"]
    return argv, work, out


@contextlib.contextmanager
def _running(argv: list[str], cwd: Path) -> Iterator[subprocess.Popen[str]]:
    """`argv` in a session of its own; whatever is left of its process group killed on the way out."""
    build_ = subprocess.Popen(argv, cwd=cwd, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        yield build_
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(build_.pid, signal.SIGKILL)


def _wait_for(done: int, work: Path, build_: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while len(list(work.glob("chunk-*.done"))) < done and build_.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)


def test_ctrl_c_while_a_worker_waits_for_work_is_one_quiet_line(small: Path, tmp_path: Path) -> None:
    argv, work, out = _start(small, tmp_path)
    with _running(argv, small) as build_:
        _wait_for(2, work, build_)  # chunks 1 and 2 read by the second worker, which now waits
        assert build_.poll() is None, "the build ended before its chunks were read"
        time.sleep(0.5)
        os.killpg(build_.pid, signal.SIGINT)
        _, stderr = build_.communicate(timeout=120)
    assert build_.returncode == 130 and stderr.strip() == "corpuspack: interrupted", stderr
    assert not out.exists()
    result = build(out=out, work=work, config=load_config(small), workers=2)
    assert result.reused_chunks == 2 and result.counts["documents"] == 3


def test_a_worker_killed_while_reading_is_a_clear_error_and_the_next_build_goes_on(small: Path, tmp_path: Path) -> None:
    """As the kernel's out-of-memory killer would: SIGKILL to a worker reading a chunk."""
    argv, work, out = _start(small, tmp_path, DRIVER.format(also="os.kill(os.getpid(), signal.SIGKILL)"))
    with _running(argv, small) as build_:
        _, stderr = build_.communicate(timeout=120)
    assert build_.returncode == 1, stderr
    assert "Traceback" not in stderr, stderr
    assert "a read worker ended abruptly" in stderr and str(work) in stderr, stderr
    assert not out.exists()
    result = build(out=out, work=work, config=load_config(small), workers=2)
    assert result.counts["documents"] == 3


# `os.fork` wrapped: `{when}` is where Ctrl-C comes, as the pool forks its workers.
FORKING = """
import os, signal, sys
from corpuspack.cli import main

real_fork, forks = os.fork, []

def fork():
    forks.append(1)
    {when}
    return real_fork()

os.fork = fork
sys.exit(main(sys.argv[1:]))
"""
# Ctrl-C reaches this process just before it forks the second worker, and is seen only after.
JUST_BEFORE_A_FORK = """if len(forks) == 2:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        os.killpg(0, signal.SIGINT)
        pid = real_fork()
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        return pid"""
# Ctrl-C as the first worker starts, before its initializer runs.
AS_A_WORKER_STARTS = """if len(forks) == 1:
        pid = real_fork()
        if pid == 0:
            os.killpg(0, signal.SIGINT)
        return pid"""


@pytest.mark.parametrize("when", [JUST_BEFORE_A_FORK, AS_A_WORKER_STARTS], ids=["before-a-fork", "as-a-worker-starts"])
def test_ctrl_c_while_the_workers_are_forked_is_one_quiet_line_and_leaves_no_worker(
    small: Path, tmp_path: Path, when: str
) -> None:
    """A worker forked as Ctrl-C came waited for work for ever (the build's pipes held open), or
    multiprocessing printed its traceback and the build called the interrupt a worker's death."""
    argv, work, out = _start(small, tmp_path, FORKING.format(when=when))
    with _running(argv, small) as build_:
        _, stderr = build_.communicate(timeout=60)
        time.sleep(0.5)
        with pytest.raises(ProcessLookupError):  # no process of the build is left
            os.killpg(build_.pid, 0)
    assert build_.returncode == 130 and stderr.strip() == "corpuspack: interrupted", stderr
    assert not out.exists()
    result = build(out=out, work=work, config=load_config(small), workers=2)
    assert result.counts["documents"] == 3


def test_a_build_that_ignores_ctrl_c_goes_on_when_it_comes(small: Path, tmp_path: Path) -> None:
    """As `corpuspack build &` in a script (the shell sets SIGINT ignored; Ctrl-C on the script
    reaches the build's process group): the workers ignore it as this process does."""
    argv, _, out = _start(
        small, tmp_path, DRIVER.format(also="os.killpg(0, signal.SIGINT)").replace("time.sleep(600)", "pass")
    )
    done = subprocess.run(
        argv,
        cwd=small,
        capture_output=True,
        text=True,
        timeout=120,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    assert done.returncode == 0, done.stderr
    assert len(list((out / "documents").glob("*.parquet"))) == 1


SLOW = """
import sys, time
from pathlib import Path
import corpuspack.engines.read_pool as pool
from corpuspack import build, load_config
from corpuspack.tuning import Tuning

real = pool.process_chunk

def slow(index, *args, **kwargs):
    time.sleep(0.5)
    return real(index, *args, **kwargs)

pool.process_chunk = slow
try:
    build(out=Path(sys.argv[1]), work=Path(sys.argv[2]), config=load_config(Path(".")), workers=2,
          tuning=Tuning(chunk_files=2))
except KeyboardInterrupt:
    sys.exit(130)
"""


def test_ctrl_c_to_the_build_alone_reads_no_chunk_not_yet_begun(small: Path, tmp_path: Path) -> None:
    """SIGINT to the build's process alone (a process manager's, `kill -INT`): its workers are not
    interrupted, and the chunks not yet begun are not read (the pool waited for every chunk queued)."""
    from corpuspack.pipeline.plan import plan_chunks
    from corpuspack.sources import discover
    from corpuspack.tuning import Tuning

    for i in range(40):
        write_article(small / "seeds", f"d{i:02d}", [sentence(i, 40), sentence(100 + i, 40)])
    seeds, _ = discover([small / "seeds"], small)
    total = len(plan_chunks(seeds, Tuning(chunk_files=2)))
    driver = tmp_path / "slow.py"
    driver.write_text(SLOW, encoding="utf-8")
    work, out = tmp_path / "work", tmp_path / "out"
    argv = [sys.executable, str(driver), str(out), str(work)]
    with _running(argv, small) as build_:
        _wait_for(1, work, build_)
        done = len(list(work.glob("chunk-*.done")))
        assert build_.poll() is None and total > done + 8, (total, done)
        os.kill(build_.pid, signal.SIGINT)
        _, stderr = build_.communicate(timeout=120)
    assert build_.returncode == 130, stderr
    assert "Traceback" not in stderr, stderr
    # those done, those under way (one a worker) and those already queued to the workers
    assert len(list(work.glob("chunk-*.done"))) <= done + 2 + 3 < total

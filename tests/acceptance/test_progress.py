"""On a terminal a build shows a bar per stage (with a rate); off a terminal it shows none."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

from conftest import run_cli, sentence, write_article


def _on_a_terminal(argv: list[str], cwd: Path) -> str:
    """Run `argv` with stderr on a pseudo-terminal of 120 columns; return what it drew there."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    drawn = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        drawn += chunk
    assert proc.wait(timeout=600) == 0
    os.close(master)
    return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", drawn.decode(errors="replace"))


def test_a_bar_per_stage_on_a_terminal_and_none_elsewhere(small: Path, tmp_path: Path):
    for d in range(6):
        write_article(small / "seeds", f"d{d}", [sentence(d, 30), sentence(50, 30)])
    drawn = _on_a_terminal([sys.executable, "-m", "corpuspack", "build", "--out", str(tmp_path / "a")], small)
    for stage, unit in (("read", "file/s"), ("dedup", "step/s"), ("write", "row/s")):
        assert re.search(rf"{stage}: +\d+%\|.*{unit}", drawn), (stage, drawn)  # a fast stage may close before 100%
    quiet = run_cli("build", "--out", str(tmp_path / "b"), cwd=small, check=0)
    assert "%|" not in quiet.stderr

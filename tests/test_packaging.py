"""The wheel carries what an installed corpuspack needs outside this repository."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from conftest import REPO


def test_the_wheel_ships_the_default_schema(tmp_path: Path):
    source = tmp_path / "source"  # built from a copy: building writes build/ beside the sources
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    shutil.copytree(REPO / "src", source / "src", ignore=shutil.ignore_patterns("*.egg-info", "__pycache__"))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    [wheel] = tmp_path.glob("corpuspack-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "corpuspack/document.schema.json" in names and "corpuspack/py.typed" in names
    packaged = zipfile.ZipFile(wheel).read("corpuspack/document.schema.json")
    assert packaged == (REPO / "src" / "corpuspack" / "document.schema.json").read_bytes()

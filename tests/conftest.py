from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SEED = REPO / "seeds" / "000_54be32d82c67160f.txt"


def run_cli(*args: str, cwd: Path, check: int | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m corpuspack` as a user would, in `cwd`."""
    done = subprocess.run(
        [sys.executable, "-m", "corpuspack", *args], cwd=cwd, capture_output=True, text=True, timeout=600
    )
    if check is not None:
        assert done.returncode == check, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    return done


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A fresh copy of this repository's project files (pyproject, schema, seeds) in tmp_path."""
    root = tmp_path / "project"
    root.mkdir()
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    shutil.copytree(REPO / "schema", root / "schema")
    shutil.copytree(REPO / "seeds", root / "seeds")
    (root / "CHANGELOG.md").write_text("# Changelog\n\n## [Unreleased]\n", encoding="utf-8")
    return root


@pytest.fixture
def examples(tmp_path: Path) -> Path:
    """tests/data copied to tmp_path: a project whose good/ and bad/ folders hold example seeds."""
    target = tmp_path / "examples"
    shutil.copytree(DATA, target)
    return target

"""`diff`, `check` and `release` share one definition of "changed": they never disagree."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import SEED, run_cli

EDITS = {
    "trailing whitespace": lambda seeds: _rewrite(seeds, lambda b: b.replace(b"Recently,", b"Recently,  ", 1)),
    "CRLF line endings": lambda seeds: _rewrite(seeds, lambda b: b.replace(b"\n", b"\r\n")),
    "renamed file": lambda seeds: (seeds / SEED.name).rename(seeds / ("renamed_" + SEED.name)),
    "moved into a folder": lambda seeds: _move(seeds),
}


def _rewrite(seeds: Path, change) -> None:
    path = seeds / SEED.name
    path.write_bytes(change(path.read_bytes()))


def _move(seeds: Path) -> None:
    (seeds / "2026").mkdir()
    (seeds / SEED.name).rename(seeds / "2026" / SEED.name)


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_diff_check_and_release_agree_on_an_edit(git_project: Path, edit: str):
    EDITS[edit](git_project / "seeds")
    diff = run_cli("diff", "--format", "json", "--exit-code", "-q", cwd=git_project, check=1)
    data = json.loads(diff.stdout)
    # the id is the file stem: a renamed file is another document (minor); the rest keep every id (patch)
    expected = {"renamed file": ("minor", "1.1.0")}.get(edit, ("patch", "1.0.1"))
    assert data["suggested_bump"] == expected[0] and data["inputs"], data
    check = run_cli("check", "--released", "-q", cwd=git_project, check=1)
    assert "release a new version" in check.stderr
    suggested = run_cli("release", "-q", "--date", "2026-12-02", cwd=git_project, check=2)
    assert f"suggested version: {expected[1]}" in suggested.stderr
    run_cli("release", "-q", "--version", expected[1], "--date", "2026-12-02", cwd=git_project, check=0)
    run_cli("check", "--released", "-q", cwd=git_project, check=0)
    assert json.loads(run_cli("diff", "--format", "json", "-q", cwd=git_project, check=0).stdout)["inputs"] == []
    nothing = run_cli("release", "-q", "--date", "2026-12-02", cwd=git_project, check=2)
    assert "nothing to release" in nothing.stderr


def test_an_unchanged_checkout_agrees_everywhere(git_project: Path):
    subprocess.run(["git", "status"], cwd=git_project, check=True, capture_output=True)
    run_cli("diff", "--exit-code", "-q", cwd=git_project, check=0)
    run_cli("check", "--released", "-q", cwd=git_project, check=0)
    assert "nothing to release" in run_cli("release", "-q", cwd=git_project, check=2).stderr
    bumped = run_cli("release", "-q", "--bump", "patch", cwd=git_project, check=2)  # not an identical version
    assert "nothing to release" in bumped.stderr

"""The bench scripts call into corpuspack's internals: they run here on a small corpus so that a
change of an internal signature breaks a test, not the next benchmark."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from corpuspack import build, load_config

BENCH = Path(__file__).resolve().parents[2] / "bench"


def run(script: str, *args: Path) -> str:
    done = subprocess.run(
        [sys.executable, str(BENCH / script), *map(str, args)], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_dedup_only_gives_every_paragraph_with_its_decision(planted: Path, tmp_path: Path):
    out = tmp_path / "paragraphs.parquet"
    printed = run("dedup_only.py", planted, out)
    built = build(out=tmp_path / "built", config=load_config(planted), workers=1)
    table = pq.read_table(out)
    assert printed.split()[0] == str(table.num_rows) == str(built.counts["paragraphs"])
    assert table.column("kept").to_pylist().count(True) == built.counts["paragraphs_kept"]


def test_dedup_stage_decides_on_a_kept_work_folder(planted: Path, tmp_path: Path):
    # Asked of a fresh interpreter: importing Ray puts its own copy of psutil on this one's path.
    if subprocess.run([sys.executable, "-c", "import psutil"], capture_output=True).returncode:
        pytest.skip("psutil (the bench extra) is not installed")
    built = build(out=tmp_path / "built", work=tmp_path / "work", config=load_config(planted), workers=1)
    report = run("dedup_stage.py", planted, tmp_path / "work")
    assert f'"kept": {built.counts["paragraphs_kept"]}' in report


def test_fuzz_runs_every_property_and_reports(tmp_path: Path):
    done = subprocess.run(
        [sys.executable, str(BENCH / "fuzz.py"), "--examples", "6", "--batch", "3", "--keep", str(tmp_path / "fuzz")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for name in ("seeds", "config", "manifest", "usage", "subprocess"):
        assert f"| {name} | " in done.stdout
    assert ", 0 failures, " in done.stdout


def test_report_time_replicates_a_build_and_times_its_report(planted: Path, tmp_path: Path):
    import json

    built = build(out=tmp_path / "built", config=load_config(planted), workers=1)
    printed = json.loads(run("report_time.py", tmp_path / "built", tmp_path / "big", "--copies", "3"))
    assert printed["rows"]["documents"] == 3 * built.counts["documents"]
    assert printed["cold"]["seconds"] > 0 and (tmp_path / "big-report" / "report.html").is_file()

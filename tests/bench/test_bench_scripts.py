"""The bench runner's commands, run cheaply (one round, 40 generated documents) so that a change of the
public API or of the runner breaks a test, not the next benchmark."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


def bench(*args: object, timeout: int = 600) -> str:
    done = subprocess.run([sys.executable, *map(str, args)], capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def runner(command: str, corpus: Path, out: Path, *extra: object) -> tuple[str, dict]:
    """Run `bench/run.py COMMAND` for one round; its Markdown (also printed) and its JSON."""
    printed = bench(
        BENCH / "run.py", command, "--corpus", corpus, "--rounds", 1, "--peer-rounds", 1, "--out", out, *extra
    )
    text = (out / f"{command}.md").read_text()
    assert text.strip() in printed
    return text, json.loads((out / f"{command}.json").read_text())[command]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bench") / "corpus"
    bench(BENCH / "generate.py", "--docs", 40, "--out", folder)
    return folder


def stages_fit(run: dict) -> None:
    """A build run reports the build's own stages, which fit inside the process's wall time."""
    assert {"read", "dedup", "write", "finish"} <= set(run["seconds"])
    assert 0 < sum(run["seconds"].values()) < run["wall"]
    assert run["cpu"] > 0 and run["peak_rss_mb"] >= run["peak_memory_mb"]["main"] - 1


def test_build_times_the_floor_and_both_builds_against_another_revision(corpus: Path, tmp_path: Path):
    text, runs = runner("build", corpus, tmp_path, "--against", "HEAD")
    assert set(runs) == {"floor", "build --exact-only", "build", "build --exact-only @HEAD", "build @HEAD"}
    assert runs["floor"][0]["paragraphs"] > 0 and "seconds" not in runs["floor"][0]
    for name in ("build", "build @HEAD", "build --exact-only"):
        stages_fit(runs[name][0])
        assert runs[name][0]["counts"]["documents_read"] == 40
    # The generator plants near duplicates; --exact-only must leave them.
    assert runs["build"][0]["counts"]["dropped_by_reason"]["near_duplicate"] > 0
    assert runs["build --exact-only"][0]["counts"]["dropped_by_reason"]["near_duplicate"] == 0
    assert runs["build"][0]["counts"] == runs["build @HEAD"][0]["counts"]
    assert "| floor | " in text and "- build: new / old wall " in text


@pytest.mark.parametrize("kind", ["latin", "french"])
def test_build_pairs_the_accented_corpus_with_the_english_one(corpus: Path, tmp_path: Path, kind: str):
    text, runs = runner("build", corpus, tmp_path, "--accented", kind)
    accented = corpus.parent / f"{corpus.name}-accented-{kind}"
    english = sorted(p.name for p in (corpus / "seeds").iterdir())
    assert sorted(p.name for p in (accented / "seeds").iterdir()) == english
    for name in english:  # the same documents, every paragraph with an accented letter
        body = (accented / "seeds" / name).read_bytes().decode("utf-8").replace("\r\n", "\n")
        paragraphs = body.split("\n\n")[2:]
        assert paragraphs and all(not p.isascii() for p in paragraphs)
    if kind == "french":  # typography that only separates words: no-break spaces, quotes, dashes
        every = "".join((accented / "seeds" / name).read_text(encoding="utf-8") for name in english)
        assert all(mark in every for mark in ("\xa0", "\u202f", "’", "«", "—", "…"))
    # Accents fold in the key texts, marks are spaces: the same paragraphs dropped for the same reasons.
    assert runs[f"build {kind}"][0]["counts"] == runs["build"][0]["counts"]
    assert f"- build {kind} / build: wall " in text and "cores busy" in text


def test_dedup_reuses_every_chunk_of_the_kept_work_folder(corpus: Path, tmp_path: Path):
    _, runs = runner("dedup", corpus, tmp_path)
    (run,) = runs["build, chunks reused"]
    stages_fit(run)
    assert run["reused_chunks"] > 0


def test_incremental_adds_seeds_to_a_kept_work_folder_and_gives_the_full_builds_bytes(corpus: Path, tmp_path: Path):
    text, runs = runner("incremental", corpus, tmp_path, "--added", 0.05)
    assert runs["same_bytes"] == "yes" and "Same bytes as the full build in every round: yes" in text
    (full,) = runs["full build"]
    (added,) = runs["2 files added, kept work folder"]
    stages_fit(full)
    stages_fit(added)
    assert full["reused_chunks"] == 0  # 40 documents: one chunk, read again once a file is added
    assert full["counts"] == added["counts"] and full["counts"]["documents_read"] == 40
    assert runs["ratio_wall"] > 0


def test_engines_give_the_same_bytes(corpus: Path, tmp_path: Path):
    engines = "local,ray" if importlib.util.find_spec("ray") else "local"
    _, runs = runner("engines", corpus, tmp_path, "--engines", engines, "--cpus", "1")
    assert set(runs) == {f"{e} x1" for e in engines.split(",")} | {"same_bytes"}
    assert set(runs.pop("same_bytes").values()) == {"yes"}
    for (run,) in runs.values():
        stages_fit(run)
    if "ray" in engines:
        assert "start" in runs["ray x1"][0]["seconds"]


@pytest.mark.skipif(not importlib.util.find_spec("ray"), reason="the driver command builds on Ray (the `ray` extra)")
def test_driver_reports_the_ray_drivers_peak_on_a_larger_corpus(corpus: Path, tmp_path: Path):
    text, runs = runner("driver", corpus, tmp_path / "out", "--grow", 2, "--large", tmp_path / "large")
    assert len(list((tmp_path / "large" / "seeds").iterdir())) == 2 * len(list((corpus / "seeds").iterdir()))
    small, large = runs["driver"]["corpus"][0], runs["driver"]["larger"][0]
    assert small > 50 and large > 50 and runs["driver"]["growth"] == [large / small]
    assert runs["ray x2, larger"][0]["counts"]["documents_read"] > runs["ray x2, corpus"][0]["counts"]["documents_read"]
    assert "growth" in text


def test_validate_reports_cpu_per_document(corpus: Path, tmp_path: Path):
    _, runs = runner("validate", corpus, tmp_path)
    assert runs["validate"][0]["documents"] == 40
    assert runs["cpu_ms_per_document"]["validate"] > 0


def test_profile_places_memory_samples_in_the_builds_stages(corpus: Path, tmp_path: Path):
    text, runs = runner("profile", corpus, tmp_path, "--cprofile", 3, "--every", 0.01)
    build = runs["build"]
    stages_fit(build)
    placed = {row[0]: row for row in build["stages"]}
    assert list(placed) == ["setup", "read", "dedup", "write", "finish", "exit"]
    assert sum(row[4] for row in placed.values()) > 5
    assert placed["read"][4] > 0 and placed["read"][2] > 50  # main RSS (MB) while reading
    cumulative = [row["function"] for row in build["cprofile"]["cumulative"]]
    assert len(cumulative) == 3 and any("corpuspack/" in f for f in cumulative)
    assert "Top functions by own time" in text


@pytest.mark.skipif(importlib.util.find_spec("datasketch") is None, reason="the bench extra is not installed")
def test_peers_time_datasketch_on_the_builds_paragraphs(corpus: Path, tmp_path: Path):
    _, runs = runner("peers", corpus, tmp_path)
    (run,) = runs["datasketch"]
    assert run["paragraphs"] > 0 and 0 < run["timed_seconds"] < run["wall"]
    assert runs["timed_parts"][0][:2] == ["datasketch", run["timed_seconds"]]


def test_fuzz_runs_every_property_and_reports(tmp_path: Path):
    out = bench(BENCH / "fuzz.py", "--examples", 6, "--batch", 3, "--keep", tmp_path / "fuzz")
    for name in ("seeds", "config", "manifest", "usage", "subprocess"):
        assert f"| {name} | " in out
    assert ", 0 failures, " in out

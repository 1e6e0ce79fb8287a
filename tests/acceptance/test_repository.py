"""This repository's own corpus: valid seeds, intact and reproducible versions (v1.0.0 under dedup
rules 1, v1.0.1 under rules 2), readable by its clients."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import REPO, SEED, run_cli


def test_check_passes_on_the_repository():
    done = run_cli("check", cwd=REPO, check=0)
    assert "ok: seeds match v1.0.1" in done.stdout


@pytest.mark.parametrize("version", ["v1.0.0", "v1.0.1"])
def test_every_version_rebuilds_byte_for_byte_under_its_rules(version: str):
    """v1.0.0 was made before dedup rules were versioned: its manifest records no `rules`."""
    done = run_cli("verify", "--rebuild", version, cwd=REPO, check=0)
    assert done.stdout == "1 versions rebuilt byte for byte and checked: ok\n"
    recorded = (REPO / "corpus" / version / "manifest.json").read_text()
    assert ('"rules": 2' in recorded) == (version == "v1.0.1")


def test_load_dataset_corpus_from_the_repository_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import datasets

    monkeypatch.chdir(REPO)
    loaded = datasets.load_dataset("corpus", cache_dir=str(tmp_path / "hf"))
    [doc] = loaded["train"].to_list()
    assert doc["source"] == "Mondo Education" and doc["n_paragraphs"] == 15
    assert doc["text"].endswith("contribute more to regional peace and prosperity.")


def test_seed_is_the_shared_seed_byte_for_byte():
    shared = REPO.parent / "shared" / "seeds" / SEED.name
    if not shared.exists():
        pytest.skip("no shared/ folder beside this checkout")
    assert SEED.read_bytes() == shared.read_bytes()

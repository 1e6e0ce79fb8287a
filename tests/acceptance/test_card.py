"""The dataset card says what the data holds: every language and licence present, in the Hub's spelling."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import yaml
from conftest import run_cli, sentence


def test_the_card_lists_the_languages_and_licences_of_the_documents(small: Path):
    seeds = small / "seeds"
    (seeds / "de.json").write_text(
        json.dumps(
            {"id": "de", "title": "Nachricht", "source": "Zeitung", "date": "2024-01-01", "language": "de",
             "license": "CC-BY-SA-4.0", "text": "Der Fluss stieg über Nacht um zwei Meter und überflutete die Altstadt."}
        )
    )  # fmt: skip
    for i in range(2):
        (seeds / f"en{i}.json").write_text(
            json.dumps({"id": f"en{i}", "title": "T", "source": "S", "date": "2024-01-01", "text": sentence(i)})
        )
    run_cli("release", "-q", "--version", "1.0.0", "--date", "2026-12-02", cwd=small, check=0)
    card = (small / "corpus" / "README.md").read_text()
    meta = yaml.safe_load(card.split("---\n")[1])
    assert meta["language"] == ["de", "en"]
    assert meta["license"] == ["cc-by-4.0", "cc-by-sa-4.0"]  # the project default for the English ones
    assert "| cc-by-sa-4.0 |" not in card and "| CC-BY-SA-4.0 | 1 |" in card and "| CC-BY-4.0 | 2 |" in card
    from huggingface_hub import DatasetCard

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        parsed = DatasetCard(card)
    assert parsed.data.license == ["cc-by-4.0", "cc-by-sa-4.0"]
    run_cli("check", "--released", "-q", cwd=small, check=0)

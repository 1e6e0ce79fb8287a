"""The dataset card says what the data holds: every language and licence present, in the Hub's spelling."""

from __future__ import annotations

import json
import os
import shutil
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
    # per licence: the SPDX id the documents carry, the Hub's id, the count
    assert "| CC-BY-SA-4.0 | cc-by-sa-4.0 | 1 |" in card and "| CC-BY-4.0 | cc-by-4.0 | 2 |" in card
    from huggingface_hub import DatasetCard

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        parsed = DatasetCard(card)
    assert parsed.data.license == ["cc-by-4.0", "cc-by-sa-4.0"]
    run_cli("check", "--released", "-q", cwd=small, check=0)


TEMPLATE = [
    "## Dataset Details",
    "### Dataset Description",
    "### Dataset Sources",
    "## Uses",
    "### Direct Use",
    "### Out-of-Scope Use",
    "## Dataset Structure",
    "## Dataset Creation",
    "### Curation Rationale",
    "### Source Data",
    "#### Data Collection and Processing",
    "#### Who are the source data producers?",
    "### Personal and Sensitive Information",
    "## Bias, Risks, and Limitations",
    "### Recommendations",
    "## Citation",
    "## More Information",
    "## Dataset Card Authors",
    "## Dataset Card Contact",
]


def seed(folder: Path, doc_id: str, n: int, **fields: str) -> None:
    record = {"id": doc_id, "title": f"Title {n}", "source": "Wire", "date": "2024-01-01", "text": sentence(n)}
    (folder / f"{doc_id}.json").write_text(json.dumps({**record, **fields}))


def release(project: Path, version: str) -> None:
    run_cli("release", "-q", "--version", version, "--date", "2026-12-02", cwd=project, check=0)


def parse(card: str):
    """The card as the Hub's client reads it; any warning fails."""
    from huggingface_hub import DatasetCard

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return DatasetCard(card)


def section(card: str, heading: str) -> str:
    """The text under `heading` up to the next heading of any level (outside code)."""
    after = card.split(f"\n{heading}\n", 1)[1]
    lines, fence = [], False
    for line in after.splitlines():
        fence ^= line.startswith("```")
        if line.startswith("#") and not fence:
            break
        lines.append(line)
    return "\n".join(lines).strip()


def test_the_card_has_the_hub_template_sections_and_its_title_from_configuration(small: Path, caplog):
    seed(small / "seeds", "a", 1)
    release(small, "1.0.0")
    card = (small / "corpus" / "README.md").read_text()
    headings = [line for line in card.splitlines() if line.startswith("#")]
    assert [h for h in headings if h in TEMPLATE] == TEMPLATE
    assert headings[0] == "# Dataset Card for small"  # no [project] name: the project folder's name
    parsed = parse(card)
    assert not [r for r in caplog.records if r.levelname == "WARNING"]
    assert parsed.data.pretty_name == "small" and parsed.data.size_categories == ["n<1K"]
    assert section(card, "### Curation Rationale") == "[More Information Needed]"
    assert "| Wire | 1 |" in section(card, "#### Who are the source data producers?")

    pyproject = small / "pyproject.toml"
    pyproject.write_text('[project]\nname = "newswire"\n\n' + pyproject.read_text())
    assert run_cli("check", "-q", cwd=small, check=1).stderr.count("corpuspack card") == 1
    run_cli("card", cwd=small, check=0)
    assert parse((small / "corpus" / "README.md").read_text()).data.pretty_name == "newswire"
    pyproject.write_text(
        pyproject.read_text().replace("[tool.corpuspack]\n", '[tool.corpuspack]\npretty_name = "News Wire"\n')
    )
    run_cli("card", cwd=small, check=0)
    card = (small / "corpus" / "README.md").read_text()
    assert parse(card).data.pretty_name == "News Wire" and "# Dataset Card for News Wire\n" in card
    run_cli("check", "--released", "-q", cwd=small, check=0)


NOTES = """---
tags:
- news
task_categories:
- text-classification
---
# Our wire

Articles of one wire service, cleaned for language modelling.

## Direct Use

Pretraining small models.

#### Example

Read the `documents` table.

### Curation Rationale

We wanted a clean wire.

## Acknowledgements

Thanks to the wire.

### Funding

None.

## Citation

```bibtex
@misc{wire,
# not a heading
## Direct Use (not one either)
}
```
"""


def test_hand_written_text_survives_regeneration_and_releases(small: Path):
    seed(small / "seeds", "a", 1)
    release(small, "1.0.0")
    corpus = small / "corpus"
    (corpus / "CARD.md").write_text(NOTES)
    failed = run_cli("check", "-q", cwd=small, check=1)
    assert "run `corpuspack card`" in failed.stderr and "CARD.md" in failed.stderr
    assert run_cli("card", cwd=small, check=0).stdout.endswith("README.md: written\n")
    assert run_cli("card", cwd=small, check=0).stdout.endswith("README.md: already up to date\n")
    run_cli("check", "-q", cwd=small, check=0)

    seed(small / "seeds", "b", 2)
    release(small, "1.1.0")  # a release rewrites the card, keeping the prose
    card = (corpus / "README.md").read_text()
    meta = parse(card).data
    assert meta.tags == ["news"] and meta.task_categories == ["text-classification"]
    assert "# Our wire" not in card  # the title is pretty_name's
    assert (
        card.split("\n# Dataset Card for small\n")[1]
        .split("## Dataset Details")[0]
        .strip()
        .endswith("Articles of one wire service, cleaned for language modelling.")
    )
    assert section(card, "### Direct Use") == "Pretraining small models."
    assert "#### Example\n\nRead the `documents` table.\n\n### Loading" in card  # a subsection stays in its section
    assert section(card, "### Curation Rationale") == "We wanted a clean wire."
    assert "## Direct Use (not one either)\n}\n```" in section(card, "## Citation")
    more = card.split("\n## More Information\n")[1].split("\n## Dataset Card Authors\n")[0]
    assert "## Acknowledgements\n\nThanks to the wire.\n\n### Funding\n\nNone." in more
    assert "v1.1.0 (released 2026-12-02)" not in card  # the summary is the hand-written one
    assert "| 1.1.0 | 2026-12-02 | 2 |" in card
    run_cli("check", "--released", "-q", cwd=small, check=0)

    (corpus / "README.md").write_text(card + "\nA line written in the generated card.\n")
    failed = run_cli("check", "-q", cwd=small, check=1)
    assert "is not the card the manifests and" in failed.stderr and "corpuspack card" in failed.stderr
    run_cli("card", cwd=small, check=0)
    assert (corpus / "README.md").read_text() == card


def test_a_broken_hand_written_part_is_a_clear_error(small: Path):
    seed(small / "seeds", "a", 1)
    release(small, "1.0.0")
    notes = small / "corpus" / "CARD.md"
    for text, said in [
        ("---\nlicense: mit\n---\nProse.\n", "sets license, which the card takes from the data"),
        ("---\ntags: [a\n---\n", "CARD.md:2: front matter"),
        ("---\ntags: [a]\ntags: [b]\n---\n", "appears twice"),
        ("---\ntags: [a]\n", "never closed"),
    ]:
        notes.write_text(text)
        done = run_cli("card", cwd=small, check=3)
        assert str(notes) in done.stderr and said in done.stderr, done.stderr
    notes.write_bytes(b"caf\xe9\n")
    assert "not valid UTF-8" in run_cli("check", "-q", cwd=small, check=3).stderr
    # a CARD.md planted as a symlink would publish whatever it points at
    secret = small.parent / "secret.txt"
    secret.write_text("token-123\n")
    notes.unlink()
    notes.symlink_to(secret)
    done = run_cli("card", cwd=small, check=3)
    assert "CARD.md: a symlink" in done.stderr
    assert "token-123" not in (small / "corpus" / "README.md").read_text()


def test_front_matter_cannot_rename_a_licence_the_data_gives(small: Path):
    # One licence the Hub does not list: the card says `license: other` and names it from the data;
    # a `license_name` in CARD.md once silently replaced that name.
    seed(small / "seeds", "a", 1, license="LicenseRef-Acme")
    release(small, "1.0.0")
    notes = small / "corpus" / "CARD.md"
    notes.write_text("---\nlicense_name: mit\n---\nProse.\n")
    done = run_cli("card", cwd=small, check=3)
    assert "front matter sets license_name, which the card takes from the data's licence" in done.stderr
    assert "license_name: licenseref-acme" in (small / "corpus" / "README.md").read_text()


def test_card_before_any_release_is_a_usage_error(small: Path):
    assert "no released version yet" in run_cli("card", cwd=small, check=2).stderr


def test_the_card_escapes_what_the_seeds_say(small: Path):
    seed(small / "seeds", "a", 1, source="Evil | <b>Wire</b>\u202e", language="en-GB", license="EUPL-1.2")
    seed(small / "seeds", "b", 2, license="GPL-3.0-or-later")
    with (small / "pyproject.toml").open("a", encoding="utf-8") as f:
        f.write('pretty_name = "News & <script>x</script>\\u202e"\n')  # the title too
    release(small, "1.0.0")
    card = (small / "corpus" / "README.md").read_text()
    assert "| Evil \\| &lt;b&gt;Wire&lt;/b&gt;\\u202e | 1 |" in card and "\u202e" not in card
    assert "# Dataset Card for News &amp; &lt;script&gt;x&lt;/script&gt;\\\\u202e\n" in card
    meta = parse(card).data
    assert meta.language == ["en"]
    assert meta.license == ["gpl-3.0", "other"] and meta.license_name == "eupl-1.2"
    assert meta.license_link == "https://spdx.org/licenses/EUPL-1.2.html"
    assert "| EUPL-1.2 | other | 1 |" in card and "| GPL-3.0-or-later | gpl-3.0 | 1 |" in card


def test_the_cards_snippets_run_from_its_folder_and_follow_the_latest(small: Path, tmp_path: Path, monkeypatch):
    import datasets

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", str(tmp_path / "hf"))
    for i in range(2):
        seed(small / "seeds", f"a{i}", i)
    release(small, "1.0.0")
    seed(small / "seeds", "a2", 2)
    release(small, "1.1.0")
    corpus = small / "corpus"
    card = (corpus / "README.md").read_text()
    local = card.split("From the folder holding this card")[1].split("```python\n")[1].split("```")[0]
    monkeypatch.chdir(corpus)
    names: dict = {}
    exec(local, names)  # the snippet as a reader copies it
    assert names["docs"]["train"].num_rows == names["pinned"]["train"].num_rows == len(names["df"]) == 3
    assert names["paragraphs"]["train"].num_rows == 3
    pinned = datasets.load_dataset("../corpus", "v1.0.0-documents")["train"]
    assert sorted(pinned["id"]) == ["a0", "a1"]

    seed(small / "seeds", "a3", 3)
    release(small, "1.2.0")  # the same code now gives the new latest; a pinned config does not move
    assert datasets.load_dataset("../corpus", "documents")["train"].num_rows == 4
    assert datasets.load_dataset("../corpus")["train"].num_rows == 4  # documents is the default config
    assert datasets.load_dataset("../corpus", "v1.1.0-documents")["train"].num_rows == 3
    features = datasets.load_dataset("../corpus", "paragraphs")["train"].features
    import pyarrow.parquet as pq

    shard = next((corpus / "v1.2.0" / "paragraphs").glob("*.parquet"))
    assert features == datasets.Features.from_arrow_schema(pq.read_schema(shard))


def test_the_card_shows_the_hub_when_a_repo_is_configured(small: Path):
    pyproject = small / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + 'hub_repo = "acme/news-wire"\n')
    seed(small / "seeds", "a", 1)
    release(small, "1.0.0")
    card = (small / "corpus" / "README.md").read_text()
    assert 'load_dataset("acme/news-wire", "documents", revision="v1.0.0")' in card
    assert "'hf://datasets/acme/news-wire@v1.0.0/paragraphs/*.parquet'" in card
    assert "- **Repository:** https://huggingface.co/datasets/acme/news-wire" in card
    pyproject.write_text(pyproject.read_text().replace("acme/news-wire", "acme/../x"))
    assert "hub_repo" in run_cli("card", cwd=small, check=3).stderr


def test_hub_ids():
    from corpuspack.publish.hub_ids import hub_language, hub_license, license_metadata

    pairs = {"CC-BY-4.0": "cc-by-4.0", "GPL-3.0-only": "gpl-3.0", "LGPL-2.1-or-later": "lgpl-2.1", "ODbL-1.0": "odbl"}
    pairs |= {"GFDL-1.3-only": "gfdl", "other": "other", "unknown": "unknown", "MIT": "mit", "EUPL-1.2": "other"}
    assert {x: hub_license(x) for x in pairs} == pairs
    house = license_metadata(["LicenseRef-house", "CC0-1.0"])
    assert house == {"license": ["cc0-1.0", "other"], "license_name": "licenseref-house"}  # no link for a LicenseRef
    assert license_metadata(["EUPL-1.2", "Foo-1.0"]) == {"license": "other"}  # two unlisted: no single name
    tags = {"en-GB": "en", "zh-Hant": "zh", "sr-Latn-RS": "sr", "fil": "fil", "unknown": None, "und": None}
    assert {x: hub_language(x) for x in tags} == tags


def test_the_cards_citation_is_the_versions_citeas_fenced_against_what_the_setting_holds(small: Path):
    """Without a Citation in CARD.md the card cites the latest version as its `croissant.json` does;
    a `citation` setting holding backticks and a control character stays inside its code block."""
    seed(small / "seeds", "a", 1)
    release(small, "1.0.0")
    corpus = small / "corpus"
    cite = json.loads((corpus / "v1.0.0" / "croissant.json").read_text())["citeAs"]
    assert cite.startswith("@misc{") and section((corpus / "README.md").read_text(), "## Citation") == (
        f"```bibtex\n{cite}\n```"
    )
    pyproject = small / "pyproject.toml"
    hostile = "Our wire ````\\n## Fake heading\\n<script>x</script>\\u001b[31m"
    pyproject.write_text(
        pyproject.read_text().replace("[tool.corpuspack]\n", f'[tool.corpuspack]\ncitation = "{hostile}"\n')
    )
    seed(small / "seeds", "b", 2)
    release(small, "1.1.0")
    card = (corpus / "README.md").read_text()
    cite = json.loads((corpus / "v1.1.0" / "croissant.json").read_text())["citeAs"]
    assert cite.startswith("Our wire ````\n## Fake heading") and "\x1b" in cite
    assert "\x1b" not in card and card.count("\n## Fake heading\n") == 1
    block = section(card, "## Citation")  # up to the next heading outside a code block
    assert block.startswith("`````\nOur wire ````\n## Fake heading\n") and block.endswith("\\x1b[31m\n`````")
    parse(card)
    (corpus / "CARD.md").write_text("## Citation\n\nCite the wire.\n")
    run_cli("card", cwd=small, check=0)
    assert section((corpus / "README.md").read_text(), "## Citation") == "Cite the wire."


def test_markdown_in_what_the_seeds_and_settings_say_is_shown_not_made(small: Path):
    """A source that is an image (a tracking pixel on the Hub), a link, emphasis or a code span, and
    a title with a javascript: link, come out as the characters written."""
    seed(small / "seeds", "a", 1, source="![img](https://evil.example/x.png) [c](https://evil.example) *b* `t")
    with (small / "pyproject.toml").open("a", encoding="utf-8") as f:
        f.write('pretty_name = "News [a](javascript:alert(1))"\n')
    release(small, "1.0.0")
    card = (small / "corpus" / "README.md").read_text()
    shown = r"!\[img\](https://evil.example/x.png) \[c\](https://evil.example) \*b\* \`t"
    assert f"| {shown} | 1 |" in section(card, "#### Who are the source data producers?")
    assert "# Dataset Card for News \\[a\\](javascript:alert(1))\n" in card
    assert "](https://evil.example" not in card.replace("\\](https://evil.example", "")


def test_the_card_reads_only_what_a_sound_manifest_lists(small: Path, tmp_path: Path):
    """A manifest whose version leads out of the corpus, a table folder holding a file the manifest
    does not list, a truncated shard: `card` refuses or ignores, never publishes their paths or rows."""
    for i, name in enumerate("abc"):
        seed(small / "seeds", name, i + 1)
    release(small, "1.0.0")
    corpus = small / "corpus"
    card = (corpus / "README.md").read_text()
    shard = next((corpus / "v1.0.0" / "documents").glob("*.parquet"))
    shutil.copy(shard, shard.with_name("zz-extra.parquet"))  # every document twice, were it read
    run_cli("card", cwd=small, check=0)
    assert (corpus / "README.md").read_text() == card
    shard.with_name("zz-extra.parquet").unlink()

    damaged = tmp_path / "damaged"
    shutil.copytree(small, damaged)
    manifest = damaged / "corpus" / "v1.0.0" / "manifest.json"
    body = json.loads(manifest.read_text())
    body["version"] = "1.0.0/../../../elsewhere/v9"
    manifest.write_text(json.dumps(body))
    before = (damaged / "corpus" / "README.md").read_text()
    done = run_cli("card", cwd=damaged, check=1)
    assert "damaged" in done.stderr and "Traceback" not in done.stderr
    assert (damaged / "corpus" / "README.md").read_text() == before

    truncated = tmp_path / "truncated"
    shutil.copytree(small, truncated)
    shard = next((truncated / "corpus" / "v1.0.0" / "documents").glob("*.parquet"))
    shard.write_bytes(shard.read_bytes()[:500])
    done = run_cli("card", cwd=truncated, check=1)
    assert "the tables cannot be read" in done.stderr and "Traceback" not in done.stderr


def test_the_card_setting_stays_in_the_project_and_its_file_is_read_bounded(small: Path, tmp_path: Path):
    """`card` naming a file outside the project (a one-line pull request would publish it), a FIFO,
    or front matter nested thousands deep: a configuration error, the card not written."""
    seed(small / "seeds", "a", 1)
    release(small, "1.0.0")
    card = small / "corpus" / "README.md"
    before = card.read_text()
    secret = tmp_path / "secret.md"
    secret.write_text("token-123\n")
    pyproject = small / "pyproject.toml"
    settings = pyproject.read_text()
    for where in (str(secret), "../secret.md"):
        pyproject.write_text(
            settings.replace("[tool.corpuspack]\n", f"[tool.corpuspack]\ncard = {json.dumps(where)}\n")
        )
        done = run_cli("card", cwd=small, check=3)
        assert "must be a file inside the project" in done.stderr
        assert "token-123" not in card.read_text()
    pyproject.write_text(settings)
    notes = small / "corpus" / "CARD.md"
    os.mkfifo(notes)
    done = run_cli("card", cwd=small, check=3)
    assert "must be a regular file" in done.stderr
    notes.unlink()
    notes.write_text("---\ntags: " + "[" * 100_000 + "\n---\n")
    done = run_cli("card", cwd=small, check=3)
    assert "nested too deep" in done.stderr and "Traceback" not in done.stderr
    assert card.read_text() == before


def test_the_card_says_which_copy_stays_and_what_is_boilerplate_from_the_versions_settings(small: Path):
    from corpuspack import load_config

    seed(small / "seeds", "a", 1)
    release(small, "1.0.0")
    dedup = load_config(small).dedup
    said = section((small / "corpus" / "README.md").read_text(), "#### Data Collection and Processing")
    assert "the first in (document id, paragraph index) order is kept" in said
    assert f"at least {dedup.boilerplate_min_docs} of its documents" in said
    assert f"Paragraphs under {dedup.min_words} words are never dropped as exact or near duplicates" in said

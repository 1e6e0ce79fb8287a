"""`validate PATHS` as the pre-commit hook runs it (the changed files only): those files in full,
their ids against every other seed of the seeds folder."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from conftest import REPO, run_cli, run_hook, sentence, write_article


def record(doc_id: str, **fields: str) -> str:
    body = {"id": doc_id, "title": "T", "source": "S", "date": "2024-01-02", "text": sentence(len(doc_id)), **fields}
    return json.dumps(body) + "\n"


def test_a_changed_file_reusing_an_id_from_another_file_is_refused(small: Path):
    seeds = small / "seeds"
    write_article(seeds / "old", "m_story", [sentence(1)])
    (seeds / "old" / "z.jsonl").write_text(record("Zeta") + record("kept"), encoding="utf-8")
    (seeds / "a_new.jsonl").write_text(record("m_story") + record("zeta") + record("fresh"), encoding="utf-8")
    done = run_cli("validate", "-q", "seeds/a_new.jsonl", cwd=small, check=1)
    # reported on the changed file (which sorts first), citing the unchanged one; the ids of the
    # unchanged files come from their names and lines, not from a full read
    assert done.stdout == (
        "seeds/a_new.jsonl:1: /id: duplicate id 'm_story': already used by seeds/old/m_story.txt:1\n"
        "seeds/a_new.jsonl:2: /id: id 'zeta' differs only by letter case from 'Zeta' at seeds/old/z.jsonl:1\n"
        "1 files, 3 documents: 2 errors, 0 warnings (invalid)\n"
    )
    whole = run_cli("validate", "-q", cwd=small, check=1).stdout  # the full run agrees on the clashes
    assert "duplicate id 'm_story'" in whole and "differs only by letter case" in whole


def test_only_the_given_files_are_validated_and_reported(small: Path):
    seeds = small / "seeds"
    (seeds / "broken.jsonl").write_text(record("b1", date="2024-13-45") + record("twice") + record("twice"))
    (seeds / "new.jsonl").write_text(record("n1"), encoding="utf-8")
    # an unchanged file's own problems (a bad date, an id twice in it) are the full run's to report
    assert run_cli("validate", "-q", "seeds/new.jsonl", cwd=small, check=0).stdout == (
        "1 files, 1 documents: 0 errors, 0 warnings (valid)\n"
    )
    whole = run_cli("validate", "-q", cwd=small, check=1).stdout
    assert "not a real calendar date" in whole and "duplicate id 'twice'" in whole
    # two changed files clashing with each other, given together or one at a time
    (seeds / "other.jsonl").write_text(record("n1"), encoding="utf-8")
    together = run_cli("validate", "-q", "seeds/new.jsonl", "seeds/other.jsonl", cwd=small, check=1).stdout
    assert "seeds/other.jsonl:1: /id: duplicate id 'n1': already used by seeds/new.jsonl:1" in together
    alone = run_cli("validate", "-q", "seeds/new.jsonl", cwd=small, check=1).stdout
    assert "seeds/new.jsonl:1: /id: duplicate id 'n1': already used by seeds/other.jsonl:1" in alone


def test_a_file_outside_the_seeds_folder_is_checked_for_itself(small: Path):
    write_article(small / "seeds", "taken", [sentence(1)])
    (small / "incoming").mkdir()
    (small / "incoming" / "x.jsonl").write_text(record("taken"), encoding="utf-8")
    run_cli("validate", "-q", "incoming/x.jsonl", cwd=small, check=0)


def test_a_changed_sidecar_validates_the_document_it_changes(small: Path):
    write_article(small / "seeds", "story", [sentence(1)])
    side = small / "seeds" / "story.meta.json"
    side.write_text('{\n  "date": "2024-02-30"\n}\n', encoding="utf-8")
    done = run_cli("validate", "-q", "seeds/story.meta.json", cwd=small, check=1)
    assert done.stdout == (
        "seeds/story.meta.json:2: /date: '2024-02-30' is not a real calendar date written YYYY-MM-DD\n"
        "2 files, 1 documents: 1 errors, 0 warnings (invalid)\n"
    )


def test_the_shipped_hooks_catch_an_id_reused_in_a_new_file(small: Path):
    hooks = {h["id"]: h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))}
    assert all(h["language"] == "python" for h in hooks.values())  # pre-commit installs corpuspack itself
    write_article(small / "seeds", "story", [sentence(1)])
    run_hook(hooks["corpuspack-validate"], small, ["seeds/story.txt", "pyproject.toml"], check=0)
    run_hook(hooks["corpuspack-check"], small, ["seeds/story.txt"], check=0)
    (small / "seeds" / "new.jsonl").write_text(record("story"), encoding="utf-8")
    done = run_hook(hooks["corpuspack-validate"], small, ["seeds/new.jsonl", "README.md"], check=1)
    assert "seeds/new.jsonl:1: /id: duplicate id 'story': already used by seeds/story.txt:1" in done.stdout
    assert "duplicate id 'story'" in run_hook(hooks["corpuspack-check"], small, [], check=1).stderr
    assert run_hook(hooks["corpuspack-validate"], small, ["README.md"], check=0) is None  # no seed changed

from __future__ import annotations

import json
import os
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

from conftest import run_cli

EXPECTED_BAD = """\
bad/bad_date.txt:3: /date: '2024-13-45' is not a real calendar date written YYYY-MM-DD
bad/binary.txt:1: /: binary file (NUL byte at offset 6)
bad/blank.txt: /: file holds only whitespace
bad/broken.json:2: /: invalid JSON: Expecting ',' delimiter (column 38)
bad/broken_yaml.md:3: /: invalid YAML front matter: expected ',' or ']', but got ':' (column 7)
bad/empty.txt: /: empty file
bad/ids.jsonl:1: /id: duplicate id 'dup_a': already used by bad/dup_a.txt:1
bad/ids.jsonl:2: /id: id 'DUP_A' differs only by letter case from 'dup_a' at bad/dup_a.txt:1
bad/latin1.txt:1: /: not valid UTF-8: byte 0xe9 at offset 3
bad/mixed.jsonl:2: /: invalid JSON: Expecting ',' delimiter (column 35)
bad/mixed.jsonl:3: /language: 'english!' is not a BCP 47 language tag with a 2- or 3-letter language, such as en, en-GB, zh-Hant or sr-Latn-RS
bad/no_dateline.txt:3: /source: missing dateline: expected a dateline such as 'Mondo Education Updated on 2024-01-29', found 'No dateline here at all'
bad/notes.xyz: /: warning: no reader for this file type
12 files, 6 documents: 12 errors, 1 warnings (invalid)
"""


def test_repository_seeds_are_valid(project: Path):
    done = run_cli("validate", "seeds", cwd=project, check=0)
    assert done.stdout == "1 files, 1 documents: 0 errors, 0 warnings (valid)\n"
    assert run_cli("validate", cwd=project, check=0).stdout == done.stdout  # default: configured seeds folder


def test_good_examples_are_valid(examples: Path):
    done = run_cli("validate", cwd=examples, check=0)
    assert done.stdout.endswith("7 files, 8 documents: 0 errors, 0 warnings (valid)\n")


def test_every_bad_case_is_reported_at_once(examples: Path):
    done = run_cli("validate", "bad", cwd=examples, check=1)
    assert done.stdout == EXPECTED_BAD
    assert done.stderr == ""


def test_each_bad_file_alone_exits_1_naming_it(examples: Path):
    for path in sorted((examples / "bad").iterdir()):
        if path.name in ("notes.xyz", "dup_a.txt", "ids.jsonl"):
            continue
        done = run_cli("validate", f"bad/{path.name}", cwd=examples, check=1)
        assert done.stdout.startswith(f"bad/{path.name}"), done.stdout


def test_strict_makes_unknown_types_errors(examples: Path):
    assert run_cli("validate", "bad/notes.xyz", cwd=examples, check=0).stdout.startswith("bad/notes.xyz: /: warning:")
    run_cli("validate", "--strict", "bad/notes.xyz", cwd=examples, check=1)


def test_symlink_leading_outside_is_reported(tmp_path: Path, examples: Path):
    good = examples / "good"
    outside = tmp_path / "secret.txt"
    shutil.copy(good / "bom_article.txt", outside)
    os.symlink(outside, good / "link.txt")
    os.symlink(good / "front.md", good / "inside.md")  # stays inside: followed, read under its own stem
    done = run_cli("validate", cwd=examples, check=1)
    assert "good/link.txt: /: symlink leads outside the seeds folder" in done.stdout
    assert "8 files, 9 documents: 1 errors" in done.stdout


def test_size_limit_comes_from_configuration(project: Path):
    with (project / "pyproject.toml").open("a") as f:
        f.write("max_file_bytes = 1000\n")
    done = run_cli("validate", cwd=project, check=1)
    assert "seeds/000_54be32d82c67160f.txt: /: file of 7695 bytes is over the limit of 1000" in done.stdout


def test_json_format_is_stable(examples: Path):
    data = json.loads(run_cli("validate", "--format", "json", "bad", cwd=examples, check=1).stdout)
    assert data["format_version"] == 1
    assert data["summary"] == {"documents": 6, "errors": 12, "files": 12, "valid": False, "warnings": 1}
    first = data["findings"][0]
    assert first == {
        "code": "schema:format",
        "line": 3,
        "message": "'2024-13-45' is not a real calendar date written YYYY-MM-DD",
        "path": "bad/bad_date.txt",
        "pointer": "/date",
        "severity": "error",
    }


def test_github_annotations(examples: Path):
    lines = run_cli("validate", "--format", "github", "bad", cwd=examples, check=1).stdout.splitlines()
    assert lines[0] == (
        "::error file=bad/bad_date.txt,line=3,title=corpuspack::/date: '2024-13-45' is not a real calendar date written YYYY-MM-DD"
    )
    assert "::warning file=bad/notes.xyz,title=corpuspack::/: no reader for this file type" in lines


def test_junit_has_one_testcase_per_seed_file(examples: Path):
    out = run_cli("validate", "--format", "junit", "bad", cwd=examples, check=1).stdout
    root = ET.fromstring(out.split("\n", 1)[1])
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == 12
    failed = {c.get("name") for c in cases if c.find("failure") is not None}
    assert "bad/bad_date.txt" in failed and "bad/dup_a.txt" not in failed and "bad/notes.xyz" not in failed


def test_usage_error_exits_2(project: Path):
    done = run_cli("validate", "--format", "yaml", cwd=project, check=2)
    assert "invalid choice" in done.stderr


def test_broken_schema_exits_3(project: Path):
    (project / "schema" / "document.schema.json").write_text('{"type": 12}')
    done = run_cli("validate", cwd=project, check=3)
    assert "broken schema" in done.stderr


def test_no_progress_bar_when_not_a_terminal(project: Path):
    assert run_cli("validate", cwd=project, check=0).stderr == ""


def test_a_seeds_folder_with_no_document_is_refused_by_validate_as_by_build(small: Path, tmp_path: Path):
    """Found by tests/test_properties.py: a seeds folder holding only files of unknown types (or
    nothing) validated (exit 0, "valid") while build refused it (exit 1, no seed documents)."""
    (small / "seeds" / "notes.xyz").write_text("not a seed\n")
    done = run_cli("validate", "-q", cwd=small, check=1)
    assert done.stdout == (
        "seeds: /: no seed documents in the seeds folder: nothing to build\n"
        "seeds/notes.xyz: /: warning: no reader for this file type\n"
        "1 files, 0 documents: 1 errors, 1 warnings (invalid)\n"
    )
    built = run_cli("build", "-q", "--out", str(tmp_path / "out"), cwd=small, check=1)
    assert "no seed documents to build" in built.stderr
    (small / "seeds" / "notes.xyz").unlink()
    assert "nothing to build" in run_cli("validate", "-q", cwd=small, check=1).stdout
    # Files named on the command line (a pre-commit hook's changed files) are only checked themselves.
    (small / "seeds" / "notes.xyz").write_text("not a seed\n")
    run_cli("validate", "-q", "seeds/notes.xyz", cwd=small, check=0)

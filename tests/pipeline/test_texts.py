"""A chunk's paragraph texts cut from the seed files' own UTF-8 (`pipeline.texts`): always the
array the paragraphs' strings make, whatever the files hold, and cut without encoding when the
readers could keep the bytes."""

from __future__ import annotations

import codecs
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpuspack.pipeline.texts import paragraph_texts
from corpuspack.sources import discover, read_seed

HEAD = "A title\n\nMondo News Updated on 2024-01-29\n\n"
FILES = {
    "latin.txt": HEAD + "Première phrase, où l'été\ncontinue.\n\nÇa va très bien.\n",
    "cjk.txt": HEAD + "中文段落。\n\n日本語の段落です。\n\nemoji 🙂 here\n",
    "tail.txt": "A title\nMondo News Updated on 2024-01-29\n\nDateline under the title, é.\n",
    "crlf.txt": (HEAD + "Line one é\r\nline two\r\n\r\nSecond\r\n").replace("\n", "\r\n"),
    "nbsp.txt": HEAD + "Il dit\u00a0: « oui\u202f» é\n\nDeux\n",
    "messy.txt": HEAD + "  spaced   out é \n\n\n\n\tTabbed\tline\n\n",
    "bom.txt": "\ufeff" + HEAD + "Après le BOM\n",
    "twobom.txt": "\ufeff\ufeff" + HEAD + "Deux BOM é\n",
    "front.md": "---\ntitle: T\nsource: S\ndate: 2024-01-01\n---\n\nCorps é\n\nSuite\n",
    "ascii.txt": HEAD + "Plain English.\n\nMore of it.\n",
    "nfd.txt": HEAD + "Cafe\u0301 in NFD\n\nAutre\n",
    "empty.txt": "A title\n\nMondo News Updated on 2024-01-29\n",
}
RECORDS = '{"id": "j1", "title": "T", "source": "S", "date": "2024-01-01", "text": "Un é\\n\\nDeux\\nlignes"}\n'


def _documents(folder: Path) -> list:
    seeds, _ = discover([folder], folder.parent)
    return [doc for seed in seeds for doc in read_seed(seed, {}, 1 << 20).documents]


def _check(docs: list) -> pa.Array:
    paragraphs = [p for d in docs for p in d.paragraphs]
    texts = paragraph_texts(docs, paragraphs)
    assert texts.equals(pa.array(paragraphs, pa.large_string()))
    texts.validate(full=True)
    return texts


def test_every_kind_of_seed_file_gives_the_array_of_its_strings(tmp_path: Path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for name, text in FILES.items():
        (seeds / name).write_bytes(text.encode("utf-8"))
    (seeds / "records.jsonl").write_text(RECORDS, encoding="utf-8")
    docs = _documents(seeds)
    assert len(docs) == len(FILES) + 1
    _check(docs)
    kept = {d.id for d in docs if d.body_utf8 is not None}
    # Tidy text with only LF endings and no no-break space: cut from the file's bytes.
    assert {"latin", "cjk", "tail", "bom", "ascii", "empty"} <= kept
    assert not kept & {"crlf", "nbsp", "messy", "front", "nfd", "j1"}  # made from the strings
    for doc in docs:
        if doc.body_utf8 is not None:
            assert doc.body_utf8.decode("utf-8").replace("\n\n", "\0").replace("\n", " ").split("\0") == list(
                doc.paragraphs
            ) or (doc.body_utf8 == b"" and not doc.paragraphs)


def test_a_document_whose_bytes_do_not_match_its_paragraphs_is_made_from_the_strings(tmp_path: Path):
    """The readers' promise is checked (a paragraph count and each paragraph's length): bytes that
    break it are not published."""
    from dataclasses import replace

    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "a.txt").write_text(HEAD + "Été un\n\nÉté deux\n", encoding="utf-8")
    (doc,) = _documents(seeds)
    for wrong in [b"\xc3\x89t\xc3\xa9 un", b"\xc3\x89t\xc3\xa9 un\n\n\xc3\x89t\xc3\xa9 deuX!", b"x\n\n\n\ny"]:
        _check([replace(doc, body_utf8=wrong)])


# Characters that exercise every way `split_blocks` can go: line endings, blank lines, spaces of
# every kind, tabs, accents (composed and not), other scripts, controls.
ALPHABET = st.sampled_from(
    [
        "a",
        "b",
        " ",
        "\n",
        "\n\n",
        "\r",
        "\r\n",
        "\t",
        "\xa0",
        "\u202f",
        "é",
        "e\u0301",
        "ß",
        "中",
        "🙂",
        "\x0c",
        "\u2028",
        "\xad",
    ]
)


@settings(max_examples=300, derandomize=True, database=None, deadline=None)
@given(bodies=st.lists(st.lists(ALPHABET, max_size=40).map("".join), min_size=1, max_size=4))
def test_random_text_files_give_the_array_of_their_strings(bodies: list[str]):
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        seeds = Path(tmp) / "seeds"
        seeds.mkdir()
        for i, body in enumerate(bodies):
            bom = codecs.BOM_UTF8 if i % 3 == 2 else b""
            (seeds / f"d{i}.txt").write_bytes(bom + (HEAD + body).encode("utf-8"))
        docs = _documents(seeds)
        if docs:
            _check(docs)


@pytest.mark.parametrize("corpus", ["latin", "ascii"])
def test_a_chunk_of_one_script_takes_the_short_way(tmp_path: Path, corpus: str):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for i in range(50):
        (seeds / f"d{i:02d}.txt").write_text(FILES[f"{corpus}.txt"] + f"Numéro {i}\n" * (corpus == "latin"), "utf-8")
    docs = _documents(seeds)
    assert all(d.body_utf8 is not None for d in docs)
    assert len(_check(docs)) == sum(len(d.paragraphs) for d in docs)

from __future__ import annotations

import random

import pytest

from corpuspack.text import clean, is_tidy, text_blocks

PIECES = ["word", "Été", "x", " ", "  ", "\n", "\n\n", "\n \n", "\t", "\r\n", "\r", "\x0c", "\xa0", "\u2028", ".", "é"]
# Not ASCII: decomposed letters and a lone mark (not NFC), other spaces, an unprintable non-space,
# letters of other scripts.
PIECES += ["E\u0301", "\u0301", "\u3000", "\u2002", "\x85", "\u00ad", "\u200b", "Σ", "中文", "\u1100\u1161", "ﬁ"]


def reference_blocks(text: str) -> list[tuple[int, str]]:
    """Blank-line-separated blocks and their first line, from the definition, one line at a time."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    blocks, current, start = [], [], 0
    for number, row in enumerate(text.split("\n"), 1):
        if row.strip():
            current, start = [*current, row], start or number
        elif current:
            blocks.append((start, clean("\n".join(current))))
            current, start = [], 0
    if current:
        blocks.append((start, clean("\n".join(current))))
    return blocks


@pytest.mark.parametrize("seed", range(400))
def test_text_blocks_match_the_definition_on_random_whitespace(seed):
    rng = random.Random(seed)
    text = "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 40)))
    assert list(text_blocks(text)) == reference_blocks(text)


TIDY = ["word", "Été", "x.", "中文", " ", "\n", "\n\n", "\n\n\n", "\n\n\n\n"]


@pytest.mark.parametrize("seed", range(300))
def test_tidy_text_blocks_match_the_definition(seed):
    rng = random.Random(seed)
    text = "".join(rng.choice(TIDY) for _ in range(rng.randint(0, 40)))
    assert list(text_blocks(text, 3)) == [(line + 2, block) for line, block in reference_blocks(text)]
    assert is_tidy(text) == (not any(u in text for u in ("  ", "\n ", " \n")) and text.strip(" ") == text)


def test_tidy_text_blocks_are_taken_as_they_are():
    text = "Title here\n\nA first paragraph.\nIts second line.\n\nLast one."
    assert is_tidy(text)
    assert list(text_blocks(text, 3)) == [
        (3, "Title here"),
        (5, "A first paragraph. Its second line."),
        (8, "Last one."),
    ]
    for untidy in ("Title  here", " Title", "Title \n", "Title\t", "Last one. ", "E\u0301te", "Été\xa0x", "É\u3000"):
        assert not is_tidy(text.replace("Title here", untidy) if untidy != "Last one. " else text + " ")


def test_tidy_text_in_any_script_is_taken_as_it_is():
    text = "Été à Noël\n\nΚαλημέρα κόσμε. 你好，世界。\nСтрока два.\n\nFin."
    assert is_tidy(text)
    assert list(text_blocks(text)) == reference_blocks(text) == [
        (1, "Été à Noël"),
        (3, "Καλημέρα κόσμε. 你好，世界。 Строка два."),
        (6, "Fin."),
    ]

from __future__ import annotations

import os
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corpuspack.text import _tidy_split, clean, is_tidy, split_blocks, text_blocks

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
    assert (
        list(text_blocks(text))
        == reference_blocks(text)
        == [
            (1, "Été à Noël"),
            (3, "Καλημέρα κόσμε. 你好，世界。 Строка два."),
            (6, "Fin."),
        ]
    )


FUZZ = int(os.environ.get("CORPUSPACK_FUZZ_EXAMPLES", "0") or 0)
EXAMPLES = settings(
    max_examples=FUZZ or 500,
    derandomize=not FUZZ,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
# Words of a seed file, and what may stand between two of them: mostly a space, sometimes a line
# break (a wrapped paragraph), a blank line (a new block), and all that makes text untidy.
ASCII_WORDS = ["word", "x.", "A", "\x01"]
CLEAN_WORDS = [*ASCII_WORDS, "Été", "中文", "Σ", "\u0301", "ﬁ"]
WORDS = [*CLEAN_WORDS, "E\u0301", "\u00ad", "\u200b"]
CLEAN_GAPS = [" "] * 5 + ["\n", "\n\n", "\n\n"]
GAPS = [
    *CLEAN_GAPS,
    "\n\n\n",
    "\n\n\n\n",
    "  ",
    " \n",
    "\n ",
    "\t",
    "\xa0",
    "\u202f",
    "\u3000",
    "\x0c",
    "\x1f",
    "\n\x0b",
]
EDGE = st.sampled_from(["", "", "\n", "\n\n", "\n\n\n", " ", "\n "])


@st.composite
def seed_texts(draw: st.DrawFn) -> str:
    """Mostly tidy text, ASCII or not, or text where anything may go."""
    words, gaps = draw(st.sampled_from([(ASCII_WORDS, CLEAN_GAPS), (CLEAN_WORDS, CLEAN_GAPS), (WORDS, GAPS)]))
    words = draw(st.lists(st.sampled_from(words), max_size=30))
    gaps = draw(st.lists(st.sampled_from(gaps), min_size=len(words), max_size=len(words)))
    text = "".join(w + g for w, g in zip(words, gaps, strict=True))[: -1 if words and draw(st.booleans()) else None]
    return draw(EDGE) + text + draw(EDGE)


@EXAMPLES
@given(text=seed_texts(), first_line=st.integers(1, 5))
def test_blocks_of_seed_like_text_match_the_definition(text: str, first_line: int):
    expected = [(line + first_line - 1, block) for line, block in reference_blocks(text)]
    numbers, blocks = split_blocks(text, first_line)
    if expected:  # lines asked for out of order, before all are known
        assert numbers[first_line % len(expected)] == expected[first_line % len(expected)][0]
        assert numbers[-1] == expected[-1][0]
    assert list(zip(numbers, blocks, strict=True)) == expected
    if _tidy_split(text, first_line) is not None:  # the quick way is taken only for tidy text
        assert is_tidy(text.replace("\xa0", " ").replace("\u202f", " "))  # no-break spaces: spaces to `clean`


def test_the_quick_way_takes_tidy_text_with_wrapped_paragraphs_and_single_blank_lines():
    text = "\nTitle\n\nSource Updated on 2024-01-01\n\nOne\ntwo three.\nFour.\n\nÉté.\n"
    assert tuple(map(list, _tidy_split(text, 3))) == (
        [4, 6, 8, 12],
        ["Title", "Source Updated on 2024-01-01", "One two three. Four.", "Été."],
    )
    assert list(text_blocks(text, 3)) == [(line + 2, block) for line, block in reference_blocks(text)]
    numbers, _ = _tidy_split(text, 3)
    assert (numbers[2], numbers[0], numbers[-1], len(numbers), list(numbers)) == (8, 4, 12, 4, [4, 6, 8, 12])
    with pytest.raises(IndexError):
        numbers[4]
    for untidy in ("\n\n\n", "\n\n\n\n", "\n \n", " \n", "\n ", "  ", "\t", "\u3000", "E\u0301"):
        assert _tidy_split(text.replace("\n\nÉté", untidy + "Été"), 1) is None, repr(untidy)


def test_the_quick_way_takes_latin1_text_by_its_bytes_and_leaves_what_is_unprintable_or_loose():
    text = "Été à Noël, ça\nva.\n\nÀ bientôt ÿ ¡ « »."
    assert tuple(map(list, _tidy_split(text, 1))) == ([1, 4], ["Été à Noël, ça va.", "À bientôt ÿ ¡ « »."])
    for untidy in ("\xa0 ", "\x85", "\xad", "\x01", "\x7f", "\x9f", "\t", "  ", " \n", "\n "):
        changed = text.replace("Noël,", "Noël," + untidy)
        assert _tidy_split(changed, 1) is None, repr(untidy)
        assert list(text_blocks(changed)) == reference_blocks(changed)
    # A character from U+0100 on takes the other way, with the same result.
    wider = text.replace("Noël", "Noël ő")
    numbers, blocks = _tidy_split(wider, 1)
    assert list(zip(numbers, blocks, strict=True)) == reference_blocks(wider)


def test_the_quick_way_takes_no_break_spaces_as_the_spaces_clean_makes_them():
    # French news: no-break spaces inside « » and before ; : ! ?, narrow or not, Latin-1 or not.
    text = (
        "Titre\n\nSource Updated on 2024-01-01\n\n«\xa0Non\xa0!\xa0», a-t-il dit\u202f; c’est\nfini.\n\nÀ\xa0bientôt."
    )
    numbers, blocks = _tidy_split(text, 1)
    assert blocks[2:] == ["« Non ! », a-t-il dit ; c’est fini.", "À bientôt."]
    assert list(zip(numbers, blocks, strict=True)) == reference_blocks(text)
    latin1 = text.replace("’", "'").replace("\u202f", "\xa0")
    assert list(zip(*_tidy_split(latin1, 1), strict=True)) == reference_blocks(latin1)
    for untidy in ("\xa0\xa0", " \xa0", "\xa0\n", "\n\xa0"):  # two spaces once made spaces, or at a line's end
        changed = text.replace("dit\u202f;", "dit" + untidy + ";")
        assert _tidy_split(changed, 1) is None, repr(untidy)
        assert list(text_blocks(changed)) == reference_blocks(changed)

"""The batch path of key texts (`dedup.wordwise`, a word at a time) gives `key_text` of each paragraph,
byte for byte, under both rules, on random Unicode text: the words, and so every key, MinHash and
decision a build makes, cannot depend on which path a paragraph took.

CORPUSPACK_FUZZ_EXAMPLES=N runs N random examples per property instead of CI's fixed set.
"""

from __future__ import annotations

import os
import unicodedata

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corpuspack.dedup.keys import (
    _ASCII_TABLES,
    _DIACRITICS,
    _in_word,
    _latin1_tables,
    _latin_fold_table,
    _rules2_patterns,
    _separator_table,
    key_text,
    key_texts,
    key_words,
    word_hashes,
)
from corpuspack.dedup.latinfold import fold_latin, latin1_keys, latin1_only

FUZZ = int(os.environ.get("CORPUSPACK_FUZZ_EXAMPLES", "0") or 0)
EXAMPLES = settings(
    max_examples=FUZZ or 300,
    derandomize=not FUZZ,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Characters that exercise every rule: ASCII, accented Latin (Latin-1 and Extended-A, folding to
# one ASCII letter or not) and bare combining marks, Greek with
# capital sigma (its lower case depends on its neighbours), Cyrillic, Hebrew and Arabic points,
# Devanagari vowel signs, Thai and Lao (unspaced, with marks), Han, kana, full-width forms,
# compatibility forms that decompose to several characters or to a space, other spaces and
# digits, the underscore, symbols, and marks above U+30000.
INTERESTING = (
    "aZ09 .,;:'-_!?\t\n"
    "éÉàçñøÅßæœĳǅǆﬁﬂ½²㎏™"
    "őŐšŠžčĆłŁıİſŉĿÿ"
    "\u0301\u0308\u0327\u20d7\ufe20"
    "ΣσςΟΔάΆΐ"
    "ЁёЙйЪ"
    "שָׁלוֹם مَرْحَبًا ٣"
    "कि ने ष्ट ९"
    "กั้ข่าว ເລົ້າ"
    "中文字日本語テキストひらがな々〇"
    "ＡＢＣ１２３　"
    "\u00a0\u2002\u200b\u3000\u1680\u00a8\u02dc"
    "⺀⿕€→✓"
    "\U000e0100\U00030000\U0002a700"
)
characters = st.one_of(
    st.sampled_from(INTERESTING),
    st.characters(exclude_categories=("Cs",)),
)
# Accented Latin, most of it folding to one ASCII letter (taken byte by byte), some not (ß, ł, ı,
# ŉ, a letter followed by a combining mark); typographic punctuation, which only separates words
# (taken as spaces when only the words are wanted), and what looks like it but does not (the
# super- and subscripts fold to a digit or a letter, the combining acute to nothing).
LATIN = "aZ09 .,'éÉàçñÅőŐšŠžčĆÿıİſłßŉĳ\u0301\u0308’“”„–—…‹›«»×\u00a0\u2009\u200b‿€⁰ⁱ₂"
# Latin-1 alone (a batch of it folds from its strings' bytes): letters that fold, and what does not
# (ß, æ, ø, Ð, þ, ×, «, ª, ², ¼, the no-break space, the soft hyphen, C1 controls, ¨).
LATIN1 = "aZ09 .,'éÉàçñÅÿüÖßæøÐþ×«ª²¼\xa0\xad\x85¨"
paragraph = st.one_of(
    st.text(characters, max_size=40),
    st.text(st.sampled_from(LATIN), max_size=40),
    st.text(st.sampled_from(LATIN1), max_size=40),
    st.lists(st.text(characters, min_size=1, max_size=8), max_size=8).map(" ".join),
    st.text(st.sampled_from("abc ABC,.1"), max_size=20),  # ASCII paragraphs, mixed into a batch
)


@pytest.mark.parametrize("rules", [1, 2])
@EXAMPLES
@given(batch=st.lists(paragraph, min_size=1, max_size=12))
def test_key_texts_of_a_batch_equal_key_text_of_each(rules: int, batch: list[str]):
    expected = [key_text(t, rules).decode("utf-8") for t in batch]
    assert key_texts(batch, rules).to_pylist() == expected
    # An Arrow slice (offsets not from 0), as a chunk's paragraphs can be.
    padded = pa.array(["x", *batch, "é"], pa.large_string()).slice(1, len(batch))
    assert key_texts(padded, rules).to_pylist() == expected


@pytest.mark.parametrize("rules", [1, 2])
@EXAMPLES
@given(batch=st.lists(paragraph, min_size=1, max_size=12))
def test_key_words_of_a_batch_equal_the_words_of_each_paragraphs_key_text(rules: int, batch: list[str]):
    hashes, offsets = key_words(batch, rules)
    assert len(offsets) == len(batch) + 1 and offsets[0] == 0 and offsets[-1] == len(hashes)
    for i, text in enumerate(batch):
        alone, _ = word_hashes(pa.array([key_text(text, rules).decode("utf-8")], pa.large_string()))
        assert np.array_equal(hashes[offsets[i] : offsets[i + 1]], alone)
    same, same_offsets = word_hashes(key_texts(batch, rules))
    assert np.array_equal(hashes, same) and np.array_equal(offsets, same_offsets)
    # Given the strings too (Latin-1 text folds from them), the same words.
    given, given_offsets = key_words(pa.array(batch, pa.large_string()), rules, strings=batch)
    assert np.array_equal(hashes, given) and np.array_equal(offsets, given_offsets)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("ΟΔΟΣ ΟΔΟΣ. Σ", ["οδος", "οδος", "σ"]),  # final sigma decided inside each word
        ("Crème  Brûlée, ça", ["creme", "brulee", "ca"]),
        ("กั ข้าว", ["กั", "ข้", "า", "ว"]),  # Thai: a character with its marks
        ("中文 text", ["中", "文", "text"]),
        ("x\u00a0y ﬁ", ["x", "y", "fi"]),  # NFKD gives a space inside one token
    ],
)
def test_batch_words_of_known_paragraphs(text: str, words: list[str]):
    batch = [text, "plain ASCII", text.upper()]
    keys = key_texts(batch).to_pylist()
    assert keys[0].split() == words
    assert keys == [key_text(t).decode("utf-8") for t in batch]
    hashes, offsets = key_words(batch)
    assert offsets[1] == len(words) and np.array_equal(hashes, word_hashes(key_texts(batch))[0])


@EXAMPLES
@given(batch=st.lists(st.text(st.sampled_from(LATIN1), max_size=40), min_size=1, max_size=12))
def test_latin1_batches_fold_from_their_strings_as_from_their_utf8(batch: list[str]):
    texts = pa.array(batch, pa.large_string())
    expected = [key_text(t).decode("utf-8") for t in batch]
    eligible, keys = latin1_keys(batch, *_latin1_tables())
    same_eligible, same_keys = fold_latin(texts, _latin_fold_table(), _ASCII_TABLES[2])
    assert np.array_equal(eligible, same_eligible)
    taken = [k for k, ok in zip(keys.to_pylist(), eligible, strict=True) if ok]
    assert taken == [k for k, ok in zip(expected, eligible, strict=True) if ok]
    assert taken == [k for k, ok in zip(same_keys.to_pylist(), eligible, strict=True) if ok]
    assert latin1_keys([*batch, "ő"], *_latin1_tables()) is None  # a character from U+0100 on
    assert latin1_only(texts) and not latin1_only(pa.array([*batch, "ő"], pa.large_string()))


def test_the_byte_fold_takes_exactly_the_letters_that_fold_to_one_ascii_letter():
    table = _latin_fold_table()
    folds = {
        chr(c): chr(table[(chr(c).encode()[0] - 0xC3) * 64 + (chr(c).encode()[1] & 0x3F)]) for c in range(0xC0, 0x180)
    }
    assert folds["é"] == folds["É"] == "e" and folds["ő"] == "o" and folds["ſ"] == "s" and folds["İ"] == "i"
    for other in "ßæÆøłŁıĳŉĿ×÷Ðþ":  # no decomposition, two letters, a letter and a dot, not a letter
        assert folds[other] == "\0"
    for c, letter in folds.items():  # the table is what key_text makes of each letter it takes
        if letter != "\0":
            assert key_text(c + "x") == (letter + "x").encode()


# Real text of several languages: French, German and Spanish news with typographic quotes, dashes and
# the ellipsis (most of a batch: they take the byte path), then Russian, Greek (a final sigma),
# Chinese, a combining mark, emoji, and a superscript that folds to a digit.
NEWS = [
    "« C’est une décision historique », a déclaré jeudi la ministre — avant d’ajouter : « Rien n’est joué… »",
    "L’Assemblée a voté le texte à 312 voix contre 201 ; l’opposition dénonce un « passage en force ».",
    "„Wir müssen schneller werden“, sagte die Bürgermeisterin – und kündigte neue Radwege an.",
    "«¿Quién pagará la factura?», preguntó el portavoz; el Gobierno respondió que «nadie» lo sabe…",
    "Le café coûte 2,50 € au comptoir – 3 € en terrasse ; c’est « raisonnable », dit-il.",
    "Председатель комиссии заявил, что решение будет принято «в ближайшие дни».",
    "Ο ΠΡΟΕΔΡΟΣ ΤΗΣ ΕΠΙΤΡΟΠΗΣ δήλωσε ότι η απόφαση θα ληφθεί σύντομα.",
    "委员会主席表示，决定将在“近期”作出。",
    "Cafe\u0301 cre\u0300me — tre\u0300s bien 👍🏽 ✓ x²⁰ ⁱ",
]


def test_key_words_of_real_multilingual_text_equal_the_general_paths():
    separators = _separator_table()
    texts = pa.array(NEWS, pa.large_string())
    eligible, _ = fold_latin(texts, _latin_fold_table(), _ASCII_TABLES[2], 0.0, separators)
    assert eligible.tolist() == [True] * 5 + [False] * 4  # the byte path takes the Latin news only
    assert not fold_latin(texts, _latin_fold_table(), _ASCII_TABLES[2])[0][:5].any()  # without: none
    hashes, offsets = key_words(texts, 2, strings=NEWS)
    for i, text in enumerate(NEWS):
        alone, _ = word_hashes(pa.array([key_text(text).decode("utf-8")], pa.large_string()))
        assert np.array_equal(hashes[offsets[i] : offsets[i + 1]], alone), text
    assert key_text(NEWS[0]).split()[:4] == [b"c", b"est", b"une", b"decision"]
    assert key_texts(NEWS).to_pylist() == [key_text(t).decode("utf-8") for t in NEWS]  # exact key texts unchanged
    latin1 = ["« Très bien », dit-il ; l'été — non, l’été…"[:27], "No-break\u00a0space ¿sí? ¡Olé!"]
    assert latin1_keys(latin1, *_latin1_tables(True))[0].all()  # Latin-1 only: from the strings' bytes
    assert not latin1_keys(latin1, *_latin1_tables())[0].any()


def test_separator_table_is_the_rules_own_word_pattern():
    """The separator table is made without `_rules2_patterns` (a Latin-only process never builds
    it); each character's test must be that pattern's, or the byte path's words would drift."""
    not_word = _rules2_patterns()[0]
    for code in range(0x30000):
        c = chr(code)
        assert _in_word(c) != bool(not_word.fullmatch(c)), hex(code)
    table = _separator_table()
    for code in [*range(0x80, 0x100), *range(0x2000, len(table))]:
        decomposed = unicodedata.normalize("NFKD", chr(code))
        folded = _DIACRITICS.sub("", decomposed).lower().replace("_", " ")
        by_pattern = bool(folded) and not unicodedata.combining(decomposed[0]) and bool(not_word.fullmatch(folded))
        assert table[code] == by_pattern, hex(code)
    assert table[ord("«")] and table[0x2019] and table[0x20AC] and not table[ord("é")] and not table[0x00B2]

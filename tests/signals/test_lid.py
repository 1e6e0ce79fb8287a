"""lid.176 read in numpy (`signals.lid`) against fastText itself: the same rows for each word, the
same label and confidence for each text (texts it is unsure of go to fastText), and a model file it
cannot read leaves fastText doing all of it."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpuspack.signals import language, lid

TEXTS = [
    "The committee will meet again on Thursday to discuss the budget for next year and the new roads.",
    "Kritiker bemängeln, dass viele der geplanten Strecken an stark befahrenen Straßen liegen.",
    "Le gouvernement a annoncé une réforme des retraites très contestée par les syndicats.",
    "O governo anunciou novas medidas para a economia do país.",
    "Правительство объявило о новых мерах поддержки малого и среднего бизнеса.",
    "Уряд оголосив про нові заходи підтримки.",
    "政府は来年度の予算案を閣議決定した。",
    "中国政府宣布了新的经济刺激计划。",
    "정부는 새로운 경제 정책을 발표했다.",
    "الحكومة تعلن عن خطة جديدة لدعم الاقتصاد الوطني",
    "הממשלה הודיעה על תוכנית חדשה",
    "सरकार ने नई शिक्षा नीति की घोषणा की है।",
    "রাজ্য সরকার নতুন প্রকল্প ঘোষণা করেছে",
    "Η κυβέρνηση ανακοίνωσε νέα μέτρα για την οικονομία.",
    "รัฐบาลประกาศมาตรการใหม่",
    "Hükümet yeni ekonomik önlemler açıkladı.",
    "Rząd ogłosił nowe środki wsparcia dla przedsiębiorców.",
    "Büwíspón barken cislarle bàrôñ bonnisi. Bacuput bopozon bëvï çénwáwü botonu bûfàdàr",
    "Buwispon barken cislarle baron bonnisi. Bacuput bopozon bevi cenwawu botonu bufadar",
    "emoji 😀 and symbols ∑ ≠ → in  doubled  spaces ",
    " leading and trailing ",
    "a",
    "ok",
    "12345 67890",
    "x\ty tabbed",  # a separator besides the space: fastText's turn
    "a __label__en token",
    "ends </s> early",
    "no\u00a0break\u2003spaces",
    "long " * 500,  # past lid.MAX_CHARS: fastText's turn
]


def fasttext(texts: list[str]) -> tuple[list[str | None], list[float | None]]:
    """What `language.detect` gave before `lid`: fastText, one text at a time."""
    model = language._model()
    labels: list[str | None] = []
    scores: list[float | None] = []
    for text in texts:
        if not text.strip():
            labels.append(None)
            scores.append(None)
            continue
        found, probs = model.predict(text, k=1)
        labels.append(found[0].removeprefix(language.LABEL))
        scores.append(round(min(float(probs[0]), 1.0), 4))
    return labels, scores


@pytest.fixture(scope="module")
def predictor() -> lid.Predictor:
    predictor = language._predictor()
    assert predictor is not None  # the shipped model is read and agrees on the probes
    return predictor


def fasttext_subwords(model: lid.Model, word: str) -> list[int]:
    """fastText's `Dictionary::getSubwords` written out plainly (its `computeSubwords`, `hash` and
    `pushHash`), character by character: the word's own row if it is in the vocabulary, then the rows
    of the character n-grams of `<word>` by start, shortest first (fasttext-predict, the package the
    model comes with, has no `getSubwords` to ask)."""
    out = [model.words[word]] if word in model.words else []
    raw = f"<{word}>".encode()
    for i in range(len(raw)):
        if raw[i] & 0xC0 == 0x80:  # not the first byte of a character
            continue
        j, n, gram = i, 1, bytearray()
        while j < len(raw) and n <= model.maxn:
            gram.append(raw[j])
            j += 1
            while j < len(raw) and raw[j] & 0xC0 == 0x80:
                gram.append(raw[j])
                j += 1
            if n >= model.minn and not (n == 1 and (i == 0 or j == len(raw))):
                h = 2166136261
                for byte in gram:  # uint32_t(int8_t(byte)): bytes over 0x7F sign-extended
                    h = ((h ^ (byte | 0xFFFFFF00 if byte > 0x7F else byte)) * 16777619) & 0xFFFFFFFF
                row = h % model.bucket
                row = row if model.prune is None else int(model.prune[row])
                if row >= 0:
                    out.append(model.nwords + row)
            n += 1
    return out


def test_every_word_has_fasttexts_rows(predictor: lid.Predictor):
    words = [w for t in TEXTS for w in t.split() if w != "</s>" and not w.startswith("__label__")]
    words += ["the", "<", "é", "日", "😀😀", "a" * 40]  # (labels and </s> are no words: `predict` leaves them)
    ids, lengths = lid.ngram_ids(predictor.model, words)
    at = np.concatenate([[0], np.cumsum(lengths)])
    assert any(w in predictor.model.words for w in words) and len(ids) > 2 * len(words)
    for i, word in enumerate(words):
        assert ids[at[i] : at[i + 1]].tolist() == fasttext_subwords(predictor.model, word), word


def test_sure_predictions_are_fasttexts(predictor: lid.Predictor):
    best, prob, sure = predictor.predict(TEXTS)
    model = language._model()
    for text, b, p, s in zip(TEXTS, best.tolist(), prob.tolist(), sure.tolist(), strict=True):
        if s:
            found, probs = model.predict(text, k=1)
            assert predictor.model.labels[b] == found[0]
            assert abs(p - float(probs[0])) < 1e-6  # at most the last bits of exp and log
    assert sure.sum() >= len(TEXTS) - 7
    assert not sure[TEXTS.index("x\ty tabbed")] and not sure[TEXTS.index("a __label__en token")]
    assert not sure[TEXTS.index("long " * 500)]


def test_a_full_word_cache_is_forgotten_without_losing_the_words_in_hand(
    predictor: lid.Predictor, monkeypatch: pytest.MonkeyPatch
):
    """Texts whose words were partly met before, arriving when the cache is full: every word of them
    is learned again after forgetting (a million-document build once stopped here on a KeyError)."""
    monkeypatch.setattr(lid, "MAX_CACHED_WORDS", 12)
    fresh, expected = lid.Predictor(predictor.model), predictor.predict(TEXTS[:6])
    first = fresh.predict(TEXTS[:2])
    for texts in (TEXTS[:6], TEXTS[1:3], TEXTS[:6]):
        got = fresh.predict(texts)
        want = expected if texts == TEXTS[:6] else predictor.predict(texts)
        for a, b in zip(got, want, strict=True):
            assert a.tolist() == b.tolist()
    assert all(a.tolist() == b.tolist() for a, b in zip(first, predictor.predict(TEXTS[:2]), strict=True))
    assert len(fresh.known) <= len({w for t in TEXTS[:6] for w in t.split(" ") if w})


def test_detect_is_unchanged():
    texts = [*TEXTS, "", "   "]
    assert language.detect(texts) == fasttext(texts)


WORDS = st.text(
    alphabet=st.sampled_from(list("abcdefghijklmnopqrstuvwxyz  Àéüçñøßабвгдеαβγδاتثجחטיकखगあいう中文字😀\u00a0.,!?'")),
    min_size=0,
    max_size=240,
)


@settings(max_examples=150, deadline=None)
@given(st.lists(WORDS, min_size=1, max_size=8))
def test_detect_agrees_with_fasttext_on_any_text(texts: list[str]):
    assert language.detect(texts) == fasttext(texts)


def test_a_model_file_it_cannot_read_is_refused():
    data = language.model_path().read_bytes()
    lid.load(data)
    for broken in (data[:1000], data[:-8], b"\0" * 64, data[:4] + b"\x0b" + data[5:]):
        with pytest.raises(lid.Unsupported):
            lid.load(broken)

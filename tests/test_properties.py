"""Property-based tests (issue 17): random and mutated seeds of every format, configurations and
manifests, written into a fresh project folder and run through the real CLI (`corpuspack.cli.main`
in this process, a few through `python -m corpuspack`).

The properties:
- exit 0 or 1 for seeds, 3 for a configuration error, 2 for a usage error; never a traceback;
- every finding names a file that exists in the seeds folder (or the folder itself);
- every line printed is printable: no raw control, bidirectional or zero-width character, and
  nothing that is not UTF-8;
- whatever `validate` accepts, `build --out` builds, the Parquet it writes loads with pyarrow
  and pandas and the Arrow artifacts with `datasets`; whatever it refuses, `build` refuses (exit 1)
  and writes nothing;
- `verify` answers a damaged manifest with exit 1 and an intact one with 0, and changes no file.

Examples per test are fixed and derandomized (no example database) for CI. For a long run set
`CORPUSPACK_FUZZ_EXAMPLES=N` (N examples shared among the tests, drawn at random), or run
`python bench/fuzz.py --examples N`, which runs these same properties.
"""

from __future__ import annotations

import codecs
import contextlib
import datetime as dt
import gzip
import io
import json
import os
import random
import re
import shutil
import tempfile
import traceback
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import datasets
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from conftest import run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corpuspack.cli import main

# ---------------------------------------------------------------------------------------------
# Settings: CI runs a fixed, derandomized set; CORPUSPACK_FUZZ_EXAMPLES=N is a long random run.

FUZZ_EXAMPLES = int(os.environ.get("CORPUSPACK_FUZZ_EXAMPLES", "0") or 0)
_COMMON = {
    "database": None,
    "deadline": None,  # time is not a property here (a shared machine is noisy)
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    "print_blob": True,
}
settings.register_profile("corpuspack-ci", derandomize=True, **_COMMON)
settings.register_profile("corpuspack-fuzz", derandomize=False, **_COMMON)
settings.load_profile("corpuspack-fuzz" if FUZZ_EXAMPLES else "corpuspack-ci")

# Each property's share of the examples (CI: these numbers; a long run: N shared in proportion).
SHARES = {"seeds": 150, "config": 60, "manifest": 40, "usage": 30, "subprocess": 4}


def examples(name: str) -> settings:
    total = sum(SHARES.values())
    count = max(1, FUZZ_EXAMPLES * SHARES[name] // total) if FUZZ_EXAMPLES else SHARES[name]
    return settings(max_examples=count)


COUNTS: dict[str, int] = dict.fromkeys(SHARES, 0)  # examples run per property (bench/fuzz.py reports them)

# ---------------------------------------------------------------------------------------------
# Text: mostly words (so that many seeds are valid and reach the build), with the characters
# hostile seeds hold.

WORDS = (
    "river stone market winter garden signal harbor lantern meadow copper violet thunder ribbon orchard "
    "canvas pillar ember glacier falcon quarry saddle timber velvet willow anchor beacon cobalt dune"
).split()
NASTY = [
    "\x00", "\x01", "\x07", "\x08", "\t", "\x0b", "\x0c", "\r", "\x1b", "\x1b[31m", "\x7f", "\x85", "\x9b",
    "\xa0", "\xad", "\u034f", "\u061c", "\u115f", "\u180e", "\u200b", "\u200c", "\u200d", "\u200e", "\u200f",
    "\u2028", "\u2029", "\u202a", "\u202e", "\u2060", "\u2066", "\u2069", "\u3000", "\ufeff", "\ufffd",
    "\U000e0001", "e\u0301", "\uff11", "\U0001f600", "'", '"', "\\", ":", "/", "<", "&", "%", "::", "---",
]  # fmt: skip

nasty = st.sampled_from(NASTY)
word = st.one_of(
    st.sampled_from(WORDS),
    st.sampled_from(WORDS),
    st.sampled_from(WORDS),
    st.text(min_size=1, max_size=8),
    nasty,
)


def phrase(min_words: int = 1, max_words: int = 12) -> st.SearchStrategy[str]:
    return st.lists(word, min_size=min_words, max_size=max_words).map(" ".join)


one_line = phrase().map(lambda s: s.replace("\n", " ").replace("\r", " "))
valid_line = st.lists(st.sampled_from(WORDS), min_size=1, max_size=10).map(lambda w: " ".join(w).capitalize())
paragraph = st.one_of(
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=60).map(lambda w: " ".join(w).capitalize() + "."),
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=60).map(lambda w: " ".join(w).capitalize() + "."),
    phrase(1, 40),
)
date_text = st.one_of(
    st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)).map(lambda d: d.isoformat()),
    st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)).map(lambda d: d.isoformat()),
    st.sampled_from(["0000-01-01", "2024-02-30", "2024-13-45", "24-01-01", "2024-1-1", "January 29, 2024", ""]),
    st.from_regex(r"\A\d{4}-\d{2}-\d{2}\Z"),
    one_line,
)
valid_id = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9._-]{0,20}\Z")
clean_id = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9_-]{0,20}\Z")  # no dot: no second suffix
hostile_id = st.one_of(
    st.sampled_from(["CON", "nul", "com1", "Aux", "a" * 129, "-x", "_x", ".hidden", "a b", "caf\u00e9", "x\x1b", "A"]),
    st.text(min_size=1, max_size=12),
)
doc_id = st.one_of(valid_id, valid_id, valid_id, hostile_id)
language = st.one_of(st.sampled_from(["en", "en-GB", "zh-Hant", "fr", "sr-Latn-RS"]), st.text(max_size=8))
license_ = st.one_of(st.sampled_from(["CC-BY-4.0", "CC0-1.0", "other", "unknown", "LicenseRef-x"]), st.text(max_size=8))
url = st.one_of(
    st.sampled_from(["https://example.org/a", "http://x.test/p?q=1#f", "ftp://h/x"]),
    st.sampled_from(["not a url", "//relative", "https://", "javascript:alert(1)", "https://ex ample.org"]),
    st.text(max_size=20),
)
names = st.lists(one_line, max_size=4)
json_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    nasty,
)
json_value = st.recursive(
    json_scalar,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


def chance(n: int) -> st.SearchStrategy[bool]:
    """True about once in `n` draws (shrinking towards False)."""
    return st.sampled_from([False] * (n - 1) + [True])


a_date = st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)).map(dt.date.isoformat)
# Paragraphs several seeds share, so that every kind of duplicate meets the build: exact copies,
# copies differing in case, punctuation, accents and digits (the same key), near duplicates (a
# word changed), and a boilerplate line the configurations' patterns match.
_BASE = [" ".join(random.Random(i).choices(WORDS, k=60)) for i in (1, 2)]
SHARED = [
    *(p.capitalize() + "." for p in _BASE),
    *(p.upper() + "!" for p in _BASE),
    _BASE[0].replace(" ", " 2024 ", 1).replace("e", "\u00e9", 3) + ".",
    " ".join([*_BASE[0].split()[:30], "summer", *_BASE[0].split()[31:]]) + ".",
    " ".join([*_BASE[1].split()[:50], "violin", *_BASE[1].split()[51:]]) + ".",
    "Subscribe to our newsletter for more.",
    "Related Pages",
]
# A clean paragraph: words, now and then a character a terminal must not see raw, or a shared one.
clean_paragraph = st.one_of(
    st.lists(
        st.one_of(*[st.sampled_from(WORDS)] * 12, nasty.filter(lambda c: c != "\x00")), min_size=1, max_size=60
    ).map(lambda w: " ".join(w).capitalize() + "."),
    st.sampled_from(SHARED),
)


@st.composite
def metadata(draw: st.DrawFn, clean: bool = False) -> dict[str, Any]:
    """Metadata fields (title, source, date, ...): valid ones, and unless `clean` some broken."""
    meta: dict[str, Any] = {"title": draw(valid_line), "source": draw(valid_line), "date": draw(a_date)}
    if draw(st.booleans()):
        meta["language"] = draw(st.sampled_from(["en", "en-GB", "fr"]))
    if draw(st.booleans()):
        meta["license"] = draw(st.sampled_from(["CC-BY-4.0", "CC0-1.0", "other"]))
    if draw(st.booleans()):
        meta["url"] = draw(st.sampled_from(["https://example.org/a", "http://x.test/p?q=1#f"]))
    if draw(st.booleans()):
        meta["tags"] = draw(st.lists(st.sampled_from(WORDS), max_size=4, unique=True))
    if draw(st.booleans()):
        meta["authors"] = draw(st.lists(valid_line, max_size=3))
    if clean:
        return meta
    for _ in range(draw(st.integers(0, 3))):  # break some fields
        key = draw(st.sampled_from([*meta, "title", "date", "url", "tags", "authors", "extra", "id"]))
        meta[key] = draw(
            st.one_of(
                one_line, date_text, language, license_, url, names, json_value, st.sampled_from(["", " ", "\u200b"])
            )
        )
    return meta


# ---------------------------------------------------------------------------------------------
# Mutations of a file's bytes.

INVALID_UTF8 = [b"\xff", b"\xc3", b"\xe9", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xc0\xaf", b"\x80"]


@st.composite
def mutated(draw: st.DrawFn, raw: bytes, allow_huge: bool = True) -> bytes:
    """`raw` after 1-3 random edits: bytes inserted, truncation, line endings, BOM, NULs, invalid
    UTF-8, control characters, a huge line, a span deleted or repeated."""
    kinds = ["insert", "truncate", "crlf", "cr", "bom", "nul", "utf8", "control", "delete", "repeat"]
    if allow_huge:
        kinds.append("huge")
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(kinds))
        at = draw(st.integers(0, 1 << 20)) % (len(raw) + 1)
        if kind == "insert":
            raw = raw[:at] + draw(st.binary(min_size=1, max_size=16)) + raw[at:]
        elif kind == "truncate":
            raw = raw[:at]
        elif kind == "crlf":
            raw = raw.replace(b"\n", b"\r\n")
        elif kind == "cr":
            raw = raw.replace(b"\n", b"\r")
        elif kind == "bom":
            raw = codecs.BOM_UTF8 + raw
        elif kind == "nul":
            raw = raw[:at] + b"\x00" + raw[at:]
        elif kind == "utf8":
            raw = raw[:at] + draw(st.sampled_from(INVALID_UTF8)) + raw[at:]
        elif kind == "control":
            raw = raw[:at] + draw(nasty).encode("utf-8") + raw[at:]
        elif kind in ("delete", "repeat"):
            end = at + draw(st.integers(0, 64))
            raw = raw[:at] + raw[end:] if kind == "delete" else raw[:end] + raw[at:end] * 3 + raw[end:]
        else:
            raw = raw[:at] + draw(huge) + raw[at:]
    return raw


# A huge line: one long word, or many words (the dedup stages see them), up to about 1 MB.
huge = st.builds(
    lambda size, unit: unit * (size // len(unit)),
    st.sampled_from([5_000, 70_000, 300_000, 1_100_000]),
    st.sampled_from([b"x", b"word ", b"\xc3\xa9", b"a\tb ", b"river stone market "]),
)


def maybe_mutated(raw: bytes, clean: bool, allow_huge: bool = True) -> st.SearchStrategy[bytes]:
    return st.just(raw) if clean else st.one_of(st.just(raw), mutated(raw, allow_huge))


# ---------------------------------------------------------------------------------------------
# Seed files of every format. With `clean`, each is valid (but for chance collisions), in any of
# the layouts the README calls normal input: CRLF, a BOM, hard-wrapped paragraphs, compression.


def wrapped(paragraph: str) -> str:
    words = paragraph.split(" ")
    return "\n".join(" ".join(words[i : i + 4]) for i in range(0, len(words), 4))


@st.composite
def article(draw: st.DrawFn, clean: bool = False) -> bytes:
    line = valid_line if clean else st.one_of(valid_line, valid_line, one_line)
    title, source = draw(line), draw(line)
    verb = draw(st.sampled_from(["Updated", "Published"] if clean else ["Updated", "Published", "updated", "Posted"]))
    date = draw(a_date if clean else st.one_of(a_date, date_text))
    paras = draw(st.lists(clean_paragraph if clean else paragraph, min_size=1 if clean else 0, max_size=6))
    if draw(st.booleans()):  # hard-wrapped paragraphs: four words a line
        paras = [wrapped(p) for p in paras]
    if clean and draw(chance(6)):
        paras.append(draw(huge).decode("utf-8"))
    gap = draw(st.sampled_from(["\n\n", "\n", "\n\n\n", "\n \n"]))
    end = draw(st.sampled_from(["\n", "", "\n\n"]))
    text = f"{title}{gap}{source} {verb} on {date}\n\n" + "\n\n".join(paras) + end
    if not clean and draw(chance(6)):
        text = draw(st.sampled_from(["", "\n", "   \n\t\n", "Title only\n", "Title\n\nno dateline\n"]))
    raw = text.encode("utf-8")
    if draw(chance(4)):
        raw = raw.replace(b"\n", b"\r\n")
    if draw(chance(4)):
        raw = codecs.BOM_UTF8 + raw
    return draw(maybe_mutated(raw, clean))


YAML_EXTRAS = [
    "anchor: &a [x, y]\nalias: *a",
    "title: &t Title\nsource: *t",
    "title: !!binary aGVsbG8=",
    "tags: !!set {a, b}",
    "x: !!python/object/apply:os.system ['true']",
    "title: !!str 5",
    "date: 2024-01-01T10:00:00",
    "date: 2024-13-45",
    "big: " + "9" * 5000,
    "nested: " + "[" * 200 + "]" * 200,
    "title: |\n  two\n  lines",
    "title: >\n  folded\n  text",
    "tags: [a, a]",
    "? complex\n: key",
    "id: 5",
    "id: [a]",
    "id: ''",
    "- a list",
    "just text",
    "title: 'unclosed",
    "\ttabbed: x",
    "key: value: other",
    "%YAML 1.1",
    "...",
    "---",
]


@st.composite
def front_matter(draw: st.DrawFn, doc: str, clean: bool = False) -> bytes:
    meta = draw(metadata(clean))
    if draw(st.booleans()):
        meta["id"] = doc if clean else draw(doc_id)
    header = yaml.safe_dump(
        meta, allow_unicode=draw(st.booleans()), default_flow_style=draw(st.sampled_from([False, True, None]))
    )
    rows = header.splitlines()
    for _ in range(0 if clean else draw(st.integers(0, 3))):
        extra = draw(st.one_of(st.sampled_from(YAML_EXTRAS), one_line))
        rows.insert(draw(st.integers(0, len(rows))), extra)
    close = draw(st.sampled_from(["---", "..."] if clean else ["---", "---", "...", "--- ", ""]))
    body = "\n\n".join(draw(st.lists(clean_paragraph if clean else paragraph, min_size=int(clean), max_size=5)))
    text = "---\n" + "\n".join(rows) + f"\n{close}\n\n{body}\n"
    return draw(maybe_mutated(text.encode("utf-8"), clean))


@st.composite
def record(draw: st.DrawFn, doc: str, clean: bool = False) -> dict[str, Any]:
    paras = draw(st.lists(clean_paragraph if clean else paragraph, min_size=int(clean), max_size=4))
    rec = {"id": doc if clean else draw(doc_id), **draw(metadata(clean)), "text": "\n\n".join(paras)}
    if clean:
        return rec
    if draw(chance(6)):
        rec[draw(st.sampled_from(["id", "text"]))] = draw(json_value)
    if draw(chance(7)):
        del rec[draw(st.sampled_from(sorted(rec)))]
    return rec


def dump(value: Any, ensure_ascii: bool, indent: int | None = None) -> str:
    return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent)


@st.composite
def json_line(draw: st.DrawFn, doc: str, clean: bool = False) -> str:
    """One JSONL line: a record, or unless `clean`, any JSON value or hand-made hostile JSON."""
    choice = 0 if clean else draw(st.integers(0, 9))
    ascii_ = draw(st.booleans())
    if choice <= 5:
        return dump(draw(record(doc, clean)), ascii_)
    if choice == 6:
        return dump(draw(json_value), ascii_)
    line = dump(draw(record(doc)), True)
    hostile = draw(
        st.sampled_from(["dup", "deep", "surrogate", "number", "float", "literal", "comma", "empty", "bare"])
    )
    if hostile == "dup":
        key = draw(st.sampled_from(["id", "text", "title", "x"]))
        return line[:-1] + f', "{key}": ' + dump(draw(st.one_of(doc_id, json_scalar)), True) + "}"
    if hostile == "deep":
        depth = draw(st.sampled_from([31, 32, 33, 100, 1000, 100_000]))
        inner = "[" * depth + "]" * depth if draw(st.booleans()) else '{"a": ' * depth + "1" + "}" * depth
        return line[:-1] + f', "tags": {inner}' + "}"
    if hostile == "surrogate":
        escape = draw(st.sampled_from(["\\ud800", "\\udfff", "\\uDBFF", "\\ud83d\\ude00", "\\ud83d", "\\u0000"]))
        field_ = draw(st.sampled_from(['"id": "', '"text": "', '"title": "', '"source": "', '"tags": ["']))
        return line.replace(field_, field_ + escape, 1)
    if hostile == "number":
        digits = draw(st.sampled_from([19, 20, 400, 4300, 4301, 5000]))
        return line[:-1] + f', "n": {"9" * digits}' + "}"
    if hostile == "float":
        return line[:-1] + ', "title": ' + draw(st.sampled_from(["1e999", "-1e999", "1e-999", "0.1e1", "-0"])) + "}"
    if hostile == "literal":
        return line[:-1] + ', "title": ' + draw(st.sampled_from(["NaN", "Infinity", "-Infinity", "null"])) + "}"
    if hostile == "comma":
        return line[:-1] + ",}"
    if hostile == "empty":
        return draw(st.sampled_from(["", " ", "\t", "{}", "[]", "null", '""', "\ufeff{}"]))
    return draw(one_line)


def compress(raw: bytes, how: str) -> bytes:
    if how == "gz":
        return gzip.compress(raw, mtime=0)
    if how == "zst":
        return pa.Codec("zstd").compress(raw, asbytes=True)
    return raw


@st.composite
def jsonl(draw: st.DrawFn, doc: str, clean: bool = False) -> tuple[str, bytes]:
    count = draw(st.integers(int(clean), 6))
    lines = [draw(json_line(f"{doc}-{i}", clean)) for i in range(count)]
    if clean and draw(chance(3)):  # blank lines between records are allowed
        lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from(["", " ", "\t"])))
    raw = draw(maybe_mutated(("\n".join(lines) + draw(st.sampled_from(["\n", ""]))).encode("utf-8"), clean))
    suffix = draw(st.sampled_from([".jsonl", ".jsonl", ".ndjson", ".jsonl.gz", ".jsonl.gz", ".ndjson.zst"]))
    packed = compress(raw, suffix.rsplit(".", 1)[-1])
    if not clean and packed is not raw and draw(chance(5)):  # a damaged archive
        packed = draw(mutated(packed, allow_huge=False))
    return suffix, packed


@st.composite
def json_file(draw: st.DrawFn, doc: str, clean: bool = False) -> bytes:
    ascii_ = draw(st.booleans())
    indent = draw(st.sampled_from([None, 2]))
    shape = draw(st.integers(0, 3 if clean else 4))
    if shape <= 1:
        text = dump(draw(record(doc, clean)), ascii_, indent)
    elif shape <= 3:
        count = draw(st.integers(int(clean), 4))
        text = dump([draw(record(f"{doc}-{i}", clean)) for i in range(count)], ascii_, indent)
    else:
        text = dump(draw(json_value), ascii_, indent)
    if not clean and draw(chance(4)):  # hand-made hostile JSON, as in a JSONL line
        text = draw(json_line(doc))
    return draw(maybe_mutated(text.encode("utf-8"), clean))


@st.composite
def sidecar(draw: st.DrawFn, clean: bool = False) -> bytes:
    meta = draw(metadata(clean))
    del meta["title"], meta["source"], meta["date"]
    if not clean and draw(chance(5)):
        meta[draw(st.sampled_from(["id", "text"]))] = draw(one_line)
    value = draw(json_value) if not clean and draw(chance(7)) else meta
    return draw(maybe_mutated(dump(value, draw(st.booleans())).encode("utf-8"), clean, allow_huge=False))


@dataclass
class Seeds:
    """Files to write under seeds/: relative path (bytes: a name need not be UTF-8) -> content;
    symlinks at the top of the folder: name -> target (relative to the seeds folder)."""

    files: dict[bytes, bytes] = field(default_factory=dict)
    links: dict[bytes, bytes] = field(default_factory=dict)

    def __repr__(self) -> str:  # what a failing example prints: short enough to read
        def short(b: bytes) -> str:
            return repr(b) if len(b) <= 300 else f"{b[:300]!r}... ({len(b)} bytes)"

        rows = [f"  {name!r}: {short(raw)}" for name, raw in self.files.items()]
        rows += [f"  {name!r} -> {target!r}" for name, target in self.links.items()]
        return "Seeds(\n" + "\n".join(rows) + "\n)"


stem = st.one_of(valid_id, valid_id, valid_id, hostile_id.filter(lambda s: "/" not in s and "\x00" not in s))
_RESERVED = re.compile(r"(?i)^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\.|$)")


@st.composite
def seeds(draw: st.DrawFn, clean: bool | None = None) -> Seeds:
    """1-5 seeds of any format, in subfolders too; `clean` (drawn when None): all of them valid."""
    if clean is None:
        clean = draw(st.booleans())
    out = Seeds()
    taken: set[str] = set()
    for n in range(draw(st.integers(1, 5))):
        name = draw(clean_id if clean else stem)
        if name.startswith(".") or name.casefold() in taken or (clean and _RESERVED.match(name)):
            name = f"s{n}-{name.lstrip('.')}"
        taken.add(name.casefold())
        kinds = ["txt", "txt", "md", "txt-fm", "jsonl", "jsonl", "json", "other"]
        kind = draw(st.sampled_from(kinds))
        folder = draw(st.sampled_from(["", "", "", "sub/", "a/b/"]))
        # Record ids in JSON seeds are the file's stem and a number: unique in a clean folder.
        if kind == "txt":
            out.files[f"{folder}{name}.txt".encode()] = draw(article(clean))
        elif kind in ("md", "txt-fm"):
            suffix = ".md" if kind == "md" else ".txt"
            out.files[f"{folder}{name}{suffix}".encode()] = draw(front_matter(name, clean))
        elif kind == "jsonl":
            suffix, raw = draw(jsonl(f"{name}-r", clean))
            out.files[f"{folder}{name}{suffix}".encode()] = raw
        elif kind == "json":
            out.files[f"{folder}{name}.json".encode()] = draw(json_file(f"{name}-r", clean))
        else:
            ext = draw(st.sampled_from([".xyz", ".csv", "", ".bin"] if clean else [".xyz", "", ".TXT", ".Md"]))
            out.files[f"{folder}{name}{ext}".encode()] = draw(st.one_of(article(), st.binary(max_size=64)))
        if kind in ("txt", "md", "txt-fm") and draw(chance(3)):
            out.files[f"{folder}{name}.meta.json".encode()] = draw(sidecar(clean))
        if not clean and draw(chance(12)):  # a name that is not UTF-8
            out.files[f"{folder}{name}".encode() + b"\xe9.txt"] = draw(article())
    if clean:
        return out
    if draw(chance(10)):  # an orphan sidecar
        out.files[b"orphan.meta.json"] = draw(sidecar())
    if draw(chance(10)):  # a dot file, not a seed
        out.files[b".hidden.txt"] = b"\x00\xff"
    if draw(chance(8)):  # symlinks: inside, outside, a loop
        first = next(iter(out.files))
        target = draw(st.sampled_from([first, b"../pyproject.toml", b"loop-b.txt", b"missing.txt"]))
        out.links[b"link-" + os.path.basename(first)] = first
        if target == b"loop-b.txt":
            out.links[b"loop-a.txt"], out.links[b"loop-b.txt"] = b"loop-b.txt", b"loop-a.txt"
        else:
            out.links[b"other-link.txt"] = target
    return out


# ---------------------------------------------------------------------------------------------
# Configurations: [tool.corpuspack] with random keys and values of every TOML type.

KNOWN = {
    "name", "seeds", "corpus", "schema", "language", "license", "max_file_bytes", "strict", "workers",
    "shard_bytes", "engine", "ray_address", "partitions", "boilerplate_patterns", "boilerplate_min_docs",
    "near", "threshold", "num_perm", "bands", "shingle_size", "min_words", "seed", "max_bucket_pairs",
}  # fmt: skip
MiB, GiB, INT64 = 1 << 20, 1 << 30, (1 << 63) - 1
toml_scalar = st.one_of(
    st.booleans(),
    st.integers(-(1 << 63), INT64),
    st.floats(),
    st.text(max_size=12),
    st.datetimes(),
    st.dates(),
    st.times(),
)
toml_value = st.recursive(
    toml_scalar,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=6,
)


def ints(low: int, high: int) -> st.SearchStrategy[int]:
    """Integers in a range, its ends more often."""
    return st.one_of(st.sampled_from([low, high]), st.integers(low, high))


# Per known key: (valid values, values that are refused). Written from the README's table, not
# from the code that checks them.
GOOD_PATTERNS = ["^Subscribe", "^Related Pages$", "harbor lantern", r"\d{4}", "(?i)^disclaimer", "(?i)^river stone"]
BAD_PATTERNS = ["(", "(?<=a)b", "a{2,1}", ".*", "^", "x*", "[z-a]"]
VALUES: dict[str, tuple[st.SearchStrategy[Any], st.SearchStrategy[Any]]] = {
    "name": (st.text(min_size=1, max_size=20), st.one_of(st.just(""), st.integers(), st.booleans())),
    "seeds": (st.just("seeds"), st.one_of(st.just(""), st.integers(), st.lists(st.just("seeds"), max_size=1))),
    "corpus": (st.sampled_from(["corpus", "released", "c-\u00e9"]), st.one_of(st.just(""), st.floats(), st.booleans())),
    "schema": (
        st.just("schema/document.schema.json"),
        st.one_of(st.just(""), st.integers(), st.booleans(), st.text(max_size=10).map("schema/x".__add__)),
    ),
    "language": (st.text(max_size=10), st.one_of(st.integers(), st.booleans(), st.lists(st.text(), max_size=2))),
    "license": (st.text(max_size=10), st.one_of(st.integers(), st.booleans(), st.dates())),
    "max_file_bytes": (ints(1, GiB), st.one_of(st.sampled_from([0, -1, GiB + 1, 1.5, "64MiB", True]), st.floats())),
    "strict": (st.booleans(), st.sampled_from(["no", "false", 0, 1, "true"])),
    "workers": (st.sampled_from([0, 1, 2, 4096]), st.sampled_from(["two", -1, 4097, 1.0, False])),
    "shard_bytes": (ints(MiB, 16 * GiB), st.sampled_from([-1, 0, MiB - 1, 16 * GiB + 1, "1GiB"])),
    "engine": (st.just("local"), st.one_of(st.sampled_from(["LOCAL", "spark", "", 1]), st.text(max_size=6))),
    "ray_address": (st.text(max_size=12), st.one_of(st.integers(), st.booleans())),
    "partitions": (ints(0, 4096), st.sampled_from([-1, 4097, "4", 2.5])),
    "boilerplate_patterns": (
        st.lists(st.sampled_from(GOOD_PATTERNS), max_size=3),
        st.one_of(
            st.lists(st.sampled_from(BAD_PATTERNS), min_size=1, max_size=2).map(lambda p: ["^Subscribe", *p]),
            st.sampled_from(["^Subscribe", [5], [""], ["^a", True], [["^a"]]]),
        ),
    ),
    "boilerplate_min_docs": (ints(2, INT64), st.sampled_from([1, 0, -5, "10", 2.0, True])),
    "near": (st.booleans(), st.sampled_from(["false", "no", 0, 1])),
    "threshold": (
        st.one_of(st.floats(min_value=0, max_value=1, exclude_min=True), st.just(1)),
        st.sampled_from([0, 0.0, -0.1, 1.0000001, 2, float("nan"), float("inf"), "0.8", True]),
    ),
    "num_perm": (ints(1, 1024), st.sampled_from([0, 1025, 100_000_000, -1, 128.0, "128"])),
    "bands": (ints(1, 1024), st.sampled_from([0, -1, 1025, 25.0, "auto"])),
    "shingle_size": (ints(1, 32), st.sampled_from([0, 33, -1, 5.5])),
    "min_words": (ints(1, 1000), st.sampled_from([0, 1001, "8"])),
    "seed": (ints(0, INT64), st.sampled_from([-1, "x", 1.5, False])),
    "max_bucket_pairs": (ints(1, 1024), st.sampled_from([0, -1, 1025])),
}
assert set(VALUES) == KNOWN


@dataclass
class Configuration:
    """A pyproject.toml and what the README says of it: `expect` is 3 for a configuration error,
    None when it may go either way (a random RE2 pattern), else 0."""

    text: bytes
    expect: int | None
    table: dict[str, Any]
    strict: bool = False
    max_file_bytes: int = 64 * MiB

    def __repr__(self) -> str:
        return f"Configuration(expect={self.expect}, text={self.text.decode('utf-8', 'backslashreplace')!r})"


def toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else toml_string(key)


def toml_string(text: str) -> str:
    def escape(m: re.Match[str]) -> str:
        return {"\\": "\\\\", '"': '\\"'}.get(m.group(), f"\\u{ord(m.group()):04x}")

    return '"' + re.sub(r'[\\"\x00-\x1f\x7f]', escape, text) + '"'


def toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return (
            "nan"
            if value != value
            else ("inf" if value > 0 else "-inf")
            if value in (float("inf"), -float("inf"))
            else repr(value)
        )
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml(v) for v in value) + "]"
    return "{" + ", ".join(f"{toml_key(k)} = {toml(v)}" for k, v in value.items()) + "}"


def consistent(table: dict[str, Any]) -> bool:
    """The settings that depend on each other agree (bands <= num_perm, shingle_size <= min_words)."""
    num_perm = table.get("num_perm", 128)
    if "bands" in table and table["bands"] > num_perm:
        return False
    return table.get("shingle_size", 5) <= table.get("min_words", 8)


@st.composite
def configurations(draw: st.DrawFn) -> Configuration:
    table: dict[str, Any] = {}
    expect: int | None = 0
    for key in draw(st.lists(st.sampled_from(sorted(KNOWN)), max_size=8, unique=True)):
        good, bad = VALUES[key]
        if draw(chance(5)):
            table[key], expect = draw(bad), 3
        else:
            table[key] = draw(good)
    if expect == 0 and not consistent(table):
        expect = 3
    if "boilerplate_patterns" in table and expect == 0 and draw(chance(6)):
        table["boilerplate_patterns"] = [draw(st.text(min_size=1, max_size=8))]  # a random pattern: either way
        expect = None
    if draw(chance(7)):  # an unknown key (a misspelt one, or anything)
        misspelt = st.sampled_from(["worker", "thresold", "Near", "max_file_byte", "", " "])
        table[draw(st.one_of(misspelt, st.text(max_size=8)).filter(lambda k: k not in KNOWN))] = draw(toml_value)
        expect = 3
    lines = ["[project]", 'name = "fuzzed"', "", "[tool.corpuspack]"]
    lines += [f"{toml_key(k)} = {toml(v)}" for k, v in table.items()]
    text = ("\n".join(lines) + "\n").encode("utf-8")
    shape = draw(st.sampled_from(["table"] * 10 + ["broken", "none"]))
    if shape == "broken":  # not TOML, not UTF-8, or [tool.corpuspack] not a table
        text = draw(
            st.one_of(
                mutated(text, allow_huge=False).filter(lambda t: t != text),
                st.sampled_from([b"[tool]\ncorpuspack = 5\n", b"[tool.corpuspack]\nx = 1\nx = 2\n", b"tool = 1\n"]),
                st.just(b"[tool.corpuspack]\nname = \xff\n"),
            )
        )
        expect = None  # a mutation may leave valid TOML
    elif shape == "none":
        text = b""  # no [tool.corpuspack]: the defaults
        table, expect = {}, 0
    return Configuration(text, expect, table, table.get("strict") is True, table.get("max_file_bytes", 64 * MiB))


# A configuration in which every seed can be valid: the defaults documents need.
PLAIN = Configuration(
    b'[tool.corpuspack]\nlanguage = "en"\nlicense = "CC0-1.0"\nboilerplate_patterns = ["^Subscribe to"]\n'
    b"boilerplate_min_docs = 4\n",
    0,
    {},
)


@st.composite
def projects(draw: st.DrawFn) -> tuple[Configuration, Seeds]:
    config = draw(configurations()) if draw(chance(4)) else PLAIN
    return config, draw(seeds())


# ---------------------------------------------------------------------------------------------
# Running the CLI in this process.


@dataclass
class Ran:
    code: int
    out: str
    err: str


def cli(*args: str, cwd: Path) -> Ran:
    """`corpuspack ARGS` in this process, in `cwd`: exit code and what it printed. An exception
    escaping `main` is a failure of the property (a user would see a traceback)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.chdir(cwd), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([*args])
        except SystemExit as exc:  # argparse's --help and --version
            code = exc.code if isinstance(exc.code, int) else 0
        except BaseException as exc:
            raise AssertionError(f"corpuspack {' '.join(args)} raised:\n{traceback.format_exc()}") from exc
    ran = Ran(code, out.getvalue(), err.getvalue())
    assert "Traceback" not in ran.err, ran.err
    assert_printable(ran.out, f"stdout of corpuspack {' '.join(args)}")
    assert_printable(ran.err, f"stderr of corpuspack {' '.join(args)}")
    return ran


BIDI_AND_INVISIBLE = set("\u061c\u200b\u200c\u200d\u200e\u200f\u2028\u2029\u2060\u2061\u2062\u2063\u2064\ufeff") | {
    chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]
}


def assert_printable(text: str, what: str) -> None:
    """No raw control (but the line break), bidirectional or zero-width character; UTF-8 only."""
    for n, line in enumerate(text.split("\n"), 1):
        bad = [c for c in line if unicodedata.category(c) in ("Cc", "Cs") or c in BIDI_AND_INVISIBLE]
        assert not bad, f"{what}, line {n}: raw {bad[:5]!r} in {line[:300]!r}"


# ---------------------------------------------------------------------------------------------
# Writing a project.


def write_project(root: Path, config: Configuration, found: Seeds) -> set[str]:
    """The project folder; returns every path a finding may name (as the report writes it)."""
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_bytes(config.text)
    shutil.copytree(Path(__file__).resolve().parent.parent / "schema", root / "schema")
    seeds = os.fsencode(root / "seeds")
    os.mkdir(seeds)
    named = {"seeds"}
    for rel, raw in found.files.items():
        path = seeds + b"/" + rel
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(raw)
        named.add(shown(rel))
    for rel, target in found.links.items():
        path = seeds + b"/" + rel
        if not os.path.lexists(path):
            os.symlink(target, path)
        named.add(shown(rel))
    named |= {"seeds/" + d for rel in named if rel.startswith("seeds/") for d in _parents(rel[6:])}
    return named


def shown(rel: bytes) -> str:
    """A seed's path as findings name it (a name that is not UTF-8: its bytes escaped)."""
    try:
        return "seeds/" + rel.decode("utf-8")
    except UnicodeDecodeError:
        return "seeds/" + printable_path(rel.decode("utf-8", "backslashreplace"))


def _parents(rel: str) -> list[str]:
    parts = rel.split("/")[:-1]
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def check_findings(ran: Ran, fmt: str, named: set[str]) -> None:
    """Each finding names a file written into the seeds folder (or the folder itself)."""
    if fmt == "json":
        report = json.loads(ran.out)
        for finding in report["findings"]:
            assert finding["path"] in named, f"{finding} names no file of the seeds folder"
        assert report["summary"]["valid"] == (ran.code == 0)
    elif fmt == "text":
        *rows, summary = ran.out.rstrip("\n").split("\n")
        prefixes = tuple(printable_path(p) + ":" for p in named)
        for row in rows:
            assert row.startswith(prefixes), f"{row[:300]!r} names no file of the seeds folder"
        assert re.fullmatch(r"\d+ files, \d+ documents: \d+ errors, \d+ warnings \((valid|invalid)\)", summary)
    elif fmt == "github":
        for row in ran.out.rstrip("\n").split("\n")[:-1]:
            match = re.match(r"::(error|warning) file=([^,]*)(,line=\d+)?,title=corpuspack::", row)
            assert match, row[:300]
            path = match.group(2).replace("%3A", ":").replace("%2C", ",").replace("%0A", "\n").replace("%0D", "\r")
            assert path.replace("%25", "%") in {printable_path(p) for p in named}, row[:300]
    else:
        suites = ET.fromstring(ran.out.split("\n", 1)[1])  # well-formed XML, whatever the seeds hold
        for case in suites.iter("testcase"):
            assert case.get("name") in {printable_path(p) for p in named}, case.get("name")


def printable_path(path: str) -> str:
    """A path as reports print it: control and invisible characters escaped."""
    from corpuspack.printable import printable

    return printable(path)


def check_build(out: Path, documents: int) -> None:
    """The built version loads with pyarrow and pandas, and holds what validate counted."""
    docs = pq.read_table(out / "documents")
    paras = pq.read_table(out / "paragraphs")
    frame = pd.read_parquet(out / "documents")
    assert len(frame) == docs.num_rows
    assert len(pd.read_parquet(out / "paragraphs")) == paras.num_rows
    body = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert body["counts"]["documents_read"] == documents
    assert docs.num_rows == body["counts"]["documents"] <= documents
    assert sorted(docs.column("id").to_pylist()) == docs.column("id").to_pylist()
    docs.to_pylist()  # every value converts to Python (a year 0 date would not)
    for table, parquet in (("documents", docs), ("paragraphs", paras)):
        loaded = datasets.load_from_disk(str(out / "arrow" / table))
        assert loaded.num_rows == parquet.num_rows
        loaded.to_list()


# ---------------------------------------------------------------------------------------------
# The properties. Each takes a fresh folder and one example.


def check_seeds(folder: Path, case: tuple[Configuration, Seeds], fmt: str = "json", subprocess: bool = False) -> None:
    """Validate, then build: exit codes agree with each other and with the configuration, every
    finding names a seed, what validate accepts builds and loads."""
    config, found = case
    root, out = folder / "project", folder / "out"
    named = write_project(root, config, found)
    if subprocess:
        done = run_cli("validate", "-q", "--format", "json", cwd=root)
        ran = Ran(done.returncode, done.stdout, done.stderr)
        assert_printable(ran.out, "stdout")
        assert_printable(ran.err, "stderr")
    else:
        ran = cli("validate", "-q", "--format", "json", cwd=root)
    if config.expect == 3 or ran.code == 3:
        assert config.expect in (3, None) and ran.code == 3, (ran.code, ran.err)
        assert ran.err.startswith("corpuspack: error: ") and ("pyproject.toml" in ran.err or "schema" in ran.err), (
            ran.err
        )
        built = cli("build", "-q", "--out", str(out), cwd=root)
        assert built.code == 3 and built.err == ran.err and not out.exists(), built.err
        return
    assert ran.code in (0, 1), (ran.code, ran.err)
    check_findings(ran, "json", named)
    report = json.loads(ran.out)
    if fmt != "json":
        other = cli("validate", "-q", "--format", fmt, cwd=root)
        assert other.code == ran.code
        check_findings(other, fmt, named)
    if subprocess:
        done = run_cli("build", "-q", "--out", str(out), cwd=root)
        built = Ran(done.returncode, done.stdout, done.stderr)
        assert_printable(built.out, "stdout")
        assert_printable(built.err, "stderr")
    else:
        built = cli("build", "-q", "--out", str(out), cwd=root)
    if ran.code == 0 and built.code == 1 and "nothing would be published" in built.err:
        assert not out.exists()  # valid seeds whose every paragraph dedup drops: no empty version
        return
    assert built.code == ran.code, f"validate exited {ran.code}, build {built.code}:\n{built.err[-3000:]}"
    if ran.code == 0:
        check_build(out, report["summary"]["documents"])
    else:
        assert not out.exists()
        assert "invalid" in built.err or "error" in built.err, built.err[-2000:]


@dataclass
class Damage:
    """A mutation of a released version's manifest.json (None: left as it is)."""

    how: str
    value: Any = None
    path: tuple = ()
    raw: bytes | None = None
    rebuild: bool = False
    diff_format: str = "text"

    def __repr__(self) -> str:
        shown = self.raw if self.raw is None or len(self.raw) < 300 else self.raw[:300] + b"..."
        return (
            f"Damage({self.how!r}, path={self.path!r}, value={self.value!r}, raw={shown!r}, rebuild={self.rebuild},"
            f" diff_format={self.diff_format!r})"
        )


@st.composite
def damages(draw: st.DrawFn) -> Damage:
    how = draw(st.sampled_from(["none", "replace", "replace", "replace", "delete", "whole", "bytes"]))
    rebuild = draw(chance(4))
    fmt = draw(st.sampled_from(["text", "json"]))  # of diff
    steps = tuple(draw(st.lists(st.integers(0, 50), min_size=1, max_size=6)))
    if how == "replace":
        value = draw(
            st.one_of(
                json_value,
                st.sampled_from(["../../../etc/passwd", "/etc/passwd", "seeds/../../x", "a" * 64, "0" * 40]),
                st.sampled_from([-1, 0, 2**70, 1.5, "1.0.0", "9.9.9", None, [], {}]),
            )
        )
        return Damage(how, value, steps, rebuild=rebuild, diff_format=fmt)
    if how == "whole":
        return Damage(how, draw(st.one_of(json_value, st.just({}))), rebuild=rebuild, diff_format=fmt)
    if how == "bytes":
        return Damage(how, rebuild=rebuild, raw=draw(st.binary(max_size=64)), diff_format=fmt)
    return Damage(how, path=steps, rebuild=rebuild, diff_format=fmt)


def damaged(body: dict[str, Any], damage: Damage) -> Any:
    """`body` with the value at `damage.path` (each step an index into the keys or items met) replaced or deleted."""
    if damage.how == "whole":
        return damage.value
    node, parent, key = body, None, None
    for step in damage.path:
        if isinstance(node, dict) and node:
            parent, key = node, sorted(node)[step % len(node)]
        elif isinstance(node, list) and node:
            parent, key = node, step % len(node)
        else:
            break
        node = parent[key]
    if parent is None:
        return body
    if damage.how == "delete":
        del parent[key]
    else:
        parent[key] = damage.value
    return body


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def check_manifest(folder: Path, template: Path, damage: Damage) -> None:
    """`verify` (and `verify --rebuild`) and `check` of a version whose manifest.json was damaged:
    exit 1, or 0 when its bytes are the released ones; `diff` 0 or 1; no traceback; no file changed."""
    root = folder / "project"
    shutil.copytree(template, root, symlinks=True)
    path = root / "corpus" / "v1.0.0" / "manifest.json"
    original = path.read_bytes()
    if damage.how == "bytes":
        new = mutated_manifest(original, damage.raw or b"")
    elif damage.how != "none":
        body = damaged(json.loads(original), damage)
        new = json.dumps(body, indent=2, ensure_ascii=False, allow_nan=True).encode("utf-8", "surrogatepass") + b"\n"
    else:
        new = original
    path.write_bytes(new)
    before = tree(root)
    args = ["verify", "--rebuild"] if damage.rebuild else ["verify"]
    ran = cli(*args, "-q", cwd=root)
    assert ran.code == (0 if new == original else 1), (ran.code, ran.out[-2000:], ran.err[-2000:])
    assert ran.out.rstrip("\n").split("\n")[-1].startswith("1 versions") or ran.code == 1, ran.out
    checked = cli("check", "-q", cwd=root)  # the CI gate agrees
    assert checked.code == ran.code, (checked.code, checked.out[-2000:], checked.err[-2000:])
    assert cli("diff", "-q", "--format", damage.diff_format, cwd=root).code in (0, 1)
    assert tree(root) == before, "verify, check or diff changed files"


def mutated_manifest(original: bytes, raw: bytes) -> bytes:
    """Bytes spliced into the manifest (at a place chosen from them), or the manifest cut there."""
    at = int.from_bytes(raw[:3] or b"\x00", "big") % (len(original) + 1)
    return original[:at] + raw[3:] if len(raw) > 3 else original[:at]


@st.composite
def argvs(draw: st.DrawFn) -> list[str]:
    """A command line: a subcommand (or none), options of every command with values good and bad, and junk."""
    option = st.sampled_from([
        "--format", "--strict", "-q", "--quiet", "--out", "--work", "--seeds", "--workers", "--exact-only",
        "--engine", "--partitions", "--corpus", "--rebuild", "--exit-code", "--version", "--bump", "--date",
        "--root", "--help", "-h", "--nope", "-x", "--", "-",
    ])  # fmt: skip
    value = st.one_of(
        st.sampled_from(["json", "text", "junit", "github", "yaml", "1", "0", "-1", "two", "local", "ray", "seeds"]),
        st.sampled_from(["out-here", "work-here", "corpus", "1.0.0", "v1.0.0", "1.0", "2026-13-01", "minor", ""]),
        st.text(max_size=6).filter(lambda s: "\x00" not in s and not s.startswith("/") and ".." not in s),
    )
    command = draw(st.sampled_from(["validate", "build", "diff", "check", "verify", "release", "init", "nope", ""]))
    args = [command] if command else []
    for _ in range(draw(st.integers(0, 5))):
        args.append(draw(st.one_of(option, value)))
    # Never Ray (too slow to start here), never a release of a new version (verify's fixture is enough).
    if "ray" in args or (command == "release" and "--help" not in args and "-h" not in args):
        args = [command or "validate", "--format", "yaml"]
    return args


def check_usage(folder: Path, argv: list[str]) -> None:
    """Any command line: exit 0-3, usage errors (2) said on stderr in one `corpuspack: error:` line."""
    root = folder / "project"
    write_project(root, PLAIN, Seeds({b"a.txt": b"Title\n\nWire Updated on 2024-01-01\n\nText.\n"}))
    argv = [a if a != "--root" else "--quiet" for a in argv]  # only ever this project
    if argv[:1] == ["build"]:  # never the default output, a new temporary folder
        argv += ["--out", "built"]
    ran = cli(*argv, cwd=root)
    assert ran.code in (0, 1, 2, 3), (ran.code, ran.err)
    if ran.code == 2:
        errors = [row for row in ran.err.split("\n") if row.startswith("corpuspack: error: ")]
        assert len(errors) == 1, ran.err
    assert os.listdir(folder) == ["project"]  # nothing written beside the project


# ---------------------------------------------------------------------------------------------
# The tests.


def fresh(tmp_path: Path) -> Path:
    """A new folder for one example (hypothesis runs many examples in one test's tmp_path)."""
    return Path(tempfile.mkdtemp(dir=tmp_path))


def run_example(name: str, tmp_path: Path, check: Callable[[Path], None]) -> None:
    COUNTS[name] += 1
    folder = fresh(tmp_path)
    try:
        check(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@examples("seeds")
@given(case=projects(), fmt=st.sampled_from(["json", "text", "github", "junit"]))
def test_seeds_answer_with_findings_and_what_validates_builds(tmp_path: Path, case, fmt: str):
    run_example("seeds", tmp_path, lambda folder: check_seeds(folder, case, fmt))


GOOD_SEEDS = Seeds(
    {
        b"a.txt": b"Harbor news\n\nWire Updated on 2024-01-01\n\n" + b"River stone market winter garden. " * 3 + b"\n",
        b"b.md": b"---\ntitle: B\nsource: S\ndate: 2024-01-02\nlicense: CC0-1.0\nlanguage: en\n---\n\nSubscribe now.\n",
        b"c.jsonl": json.dumps(
            {"id": "c", "title": "C", "source": "S", "date": "2024-01-03", "language": "fr", "license": "other",
             "text": "River stone market winter garden. " * 3 + "\n\nSubscribe now."}
        ).encode() + b"\n",
        b"notes.xyz": b"not a seed",
    }
)  # fmt: skip
GOOD_SEEDS.files[b"a.meta.json"] = b'{"language": "en", "license": "CC-BY-4.0"}'


def check_config(folder: Path, config: Configuration) -> None:
    """Random [tool.corpuspack] tables over seeds that are valid whatever the defaults say:
    3 exactly when a value is refused; else 0, or 1 when `strict` meets notes.xyz or a seed is
    over `max_file_bytes`; whatever validates builds."""
    check_seeds(folder, (config, GOOD_SEEDS))
    root = folder / "project"
    if config.expect is None:
        return
    ran = cli("validate", "-q", cwd=root)
    largest = max(len(raw) for raw in GOOD_SEEDS.files.values())
    expect = 3 if config.expect == 3 else int(config.strict or config.max_file_bytes < largest)
    assert ran.code == expect, f"expected exit {expect}, got {ran.code}:\n{ran.out[-2000:]}{ran.err[-2000:]}"
    if expect == 3:
        assert len(ran.err.strip().split("\n")) == 1, ran.err


@examples("config")
@given(config=configurations())
def test_configurations_are_checked_and_what_validates_builds(tmp_path: Path, config: Configuration):
    run_example("config", tmp_path, lambda folder: check_config(folder, config))


def make_released(root: Path) -> Path:
    """A project at `root` with three seeds, released as v1.0.0."""
    from corpuspack import load_config, release

    write_project(root, PLAIN, Seeds({k: v for k, v in GOOD_SEEDS.files.items() if k != b"notes.xyz"}))
    release(config=load_config(root), version="1.0.0", date="2026-11-28", workers=1)
    return root


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_released(tmp_path_factory.mktemp("released") / "project")


@examples("manifest")
@given(damage=damages())
def test_a_damaged_manifest_is_reported_and_nothing_changes(tmp_path: Path, released: Path, damage: Damage):
    run_example("manifest", tmp_path, lambda folder: check_manifest(folder, released, damage))


@examples("usage")
@given(argv=argvs())
def test_any_command_line_exits_0_to_3_without_a_traceback(tmp_path: Path, argv: list[str]):
    run_example("usage", tmp_path, lambda folder: check_usage(folder, argv))


@examples("subprocess")
@given(case=projects())
def test_seeds_through_python_dash_m(tmp_path: Path, case):
    """The same property as a user runs it: `python -m corpuspack` in a process of its own."""
    run_example("subprocess", tmp_path, lambda folder: check_seeds(folder, case, subprocess=True))


def test_the_strategies_reach_valid_and_invalid_seeds(tmp_path: Path):
    """The CI examples are not all refused at the first step: some validate and build."""
    outcomes = {0: 0, 1: 0}

    @settings(max_examples=25, derandomize=True, database=None, deadline=None)
    @given(case=projects())
    def probe(case):
        folder = fresh(tmp_path)
        write_project(folder / "project", PLAIN, case[1])
        outcomes[cli("validate", "-q", cwd=folder / "project").code] += 1
        shutil.rmtree(folder)

    probe()
    assert outcomes[0] >= 3 and outcomes[1] >= 3, outcomes


# What bench/fuzz.py runs: name -> (strategy, check(folder, example)); "manifest" also needs a
# released project (`make_released`), passed as `template`.
PROPERTIES: dict[str, tuple[st.SearchStrategy[Any], Callable[..., None]]] = {
    "seeds": (
        st.tuples(projects(), st.sampled_from(["json", "text", "github", "junit"])),
        lambda folder, case, template: check_seeds(folder, case[0], case[1]),
    ),
    "config": (configurations(), lambda folder, config, template: check_config(folder, config)),
    "manifest": (damages(), lambda folder, damage, template: check_manifest(folder, template, damage)),
    "usage": (argvs(), lambda folder, argv, template: check_usage(folder, argv)),
    "subprocess": (projects(), lambda folder, case, template: check_seeds(folder, case, subprocess=True)),
}

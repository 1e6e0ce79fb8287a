"""The card's hand-written part: a Markdown file of the user's (`CARD.md` beside the card by default)
that `corpuspack card` and every release read and never write, so prose survives regeneration.

Its text before the first heading is the card's summary; a heading that names a section of the Hub's
dataset card template (`## Direct Use`, `### Curation Rationale`, any level, any case) puts the text
under it into that section; any other heading starts a section of its own, kept as written near the
end of the card (deeper headings inside a known section stay in it). A `#` title is left out: the
card's title is `pretty_name`. YAML front matter adds metadata (`tags`, `task_categories`, ...) but
not what the data decides."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError
from ..printable import printable, printable_path
from ..regular import read_own_text
from ..sources.frontmatter import _Loader as StrictLoader  # no aliases, no key written twice

MAX_BYTES = 1 << 20  # a card's prose; a larger file is a mistake, not notes

# Template sections by their normalised heading (lower case, words only, "[optional]" dropped).
SECTIONS = (
    "dataset details",
    "dataset description",
    "dataset sources",
    "uses",
    "direct use",
    "out of scope use",
    "dataset structure",
    "dataset creation",
    "curation rationale",
    "source data",
    "data collection and processing",
    "who are the source data producers",
    "annotations",
    "annotation process",
    "who are the annotators",
    "personal and sensitive information",
    "bias risks and limitations",
    "recommendations",
    "citation",
    "glossary",
    "more information",
    "dataset card authors",
    "dataset card contact",
)
# What the documents and manifests decide: a value written by hand would contradict the data.
DERIVED_KEYS = ("configs", "dataset_info", "language", "license", "pretty_name", "size_categories")

_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


@dataclass
class Notes:
    """The parsed hand-written part: metadata, summary, text by section, and sections of its own."""

    meta: dict[str, Any] = field(default_factory=dict)
    summary: str = ""
    sections: dict[str, str] = field(default_factory=dict)
    extra: list[str] = field(default_factory=list)

    def get(self, name: str) -> str:
        return self.sections.get(name, "")


def normalise(heading: str) -> str:
    text = re.sub(r"\[optional\]", " ", heading.lower())
    return " ".join(re.findall(r"[a-z0-9]+", text))


def read(path: Path) -> Notes:
    """The notes in `path`, or none when there is no such file. Only a regular file is read (a
    FIFO or device is refused at once, never waited on), at most `MAX_BYTES` of it."""
    text = read_own_text(
        path, MAX_BYTES, "the card's hand-written part", ConfigError, " (or set `card`)"
    )  # a symlink planted in a pull request would publish any file the maintainer can read
    if text is None:
        return Notes()
    return parse(text.removeprefix("\ufeff").replace("\r\n", "\n"), path)


def parse(text: str, path: Path) -> Notes:
    notes = Notes()
    if text.startswith("---\n"):
        end = text.find("\n---\n", 3)
        if end < 0 and text.endswith("\n---"):
            end = len(text) - 4
        if end < 0:
            raise ConfigError(f"{printable_path(path)}: front matter opened by `---` is never closed")
        notes.meta = _meta(text[4:end], path)
        text = text[end + 5 :]
    _sections(text, notes)
    return notes


def _meta(block: str, path: Path) -> dict[str, Any]:
    try:
        meta = yaml.load(block, Loader=StrictLoader) or {}
    except RecursionError:  # brackets nested thousands deep
        raise ConfigError(f"{printable_path(path)}: front matter nested too deep") from None
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f":{where.line + 2}" if where is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{printable_path(path)}{line}: front matter: {printable(str(problem), 200)}") from None
    if not isinstance(meta, dict) or not all(isinstance(k, str) for k in meta):
        raise ConfigError(f"{printable_path(path)}: front matter must be a mapping of names to values")
    derived = [k for k in DERIVED_KEYS if k in meta]
    if derived:
        raise ConfigError(
            f"{printable_path(path)}: front matter sets {', '.join(derived)}, which the card takes from the data"
            " (pretty_name from [tool.corpuspack]); remove them"
        )
    return meta


def _sections(text: str, notes: Notes) -> None:
    current: list[str] = []
    notes_key, level = "summary", 0  # where lines go: the summary, a template section, or an extra one
    blocks: dict[str, list[str]] = {"summary": current}
    fence = ""
    for line in text.split("\n"):
        opening = _FENCE.match(line)
        if fence:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence):
                fence = ""
        elif opening:
            fence = opening.group(1)
        heading = None if fence or opening else _HEADING.match(line)
        if heading is None:
            current.append(line)
            continue
        depth, name = len(heading.group(1)), normalise(heading.group(2))
        if depth == 1:
            continue  # the title: the card's own is pretty_name
        if name in SECTIONS:
            notes_key, level = name, depth
            current = blocks.setdefault(name, [])
            if current:
                current.append("")
        elif notes_key != "summary" and depth > level:
            current.append(line)  # a subsection of the section it is in
        else:
            notes_key, level = f"extra {len(blocks)}", depth
            current = blocks.setdefault(notes_key, [line])
    notes.summary = _strip(blocks.pop("summary"))
    for key, lines in blocks.items():
        body = _strip(lines)
        if key.startswith("extra "):
            notes.extra.append(body)
        elif body:
            notes.sections[key] = body


def _strip(lines: list[str]) -> str:
    return "\n".join(lines).strip("\n").rstrip()

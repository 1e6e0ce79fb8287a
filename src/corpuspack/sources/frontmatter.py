"""Markdown or text with a YAML front matter block fenced by `---` lines."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

import yaml

from ..model import Finding, Location, ReadResult
from ..printable import printable
from ..text import lines, split_blocks
from .bounded import shape_problem
from .records import make_document

FENCE = "---"


class _Loader(yaml.SafeLoader):
    """Safe loading, with dates left as the strings the author wrote (so 2024-13-45 is reported, not
    raised), and no aliases (a few lines of them expand into gigabytes wherever the value is copied
    or printed; metadata never needs them)."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed", event.start_mark)
        return super().compose_node(parent, index)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        """A mapping whose keys are all different: YAML keeps the last of a key written twice, so
        `title:` twice would lose the first silently (a JSON seed's key twice is refused too)."""
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # `<<:` keys, which later keys override
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                twice = key in seen
                seen.add(key)
            except TypeError:  # an unhashable key: the base class says so
                break
            if twice:
                problem = f"the key {printable(repr(key), 60)} appears twice"
                raise yaml.constructor.ConstructorError(None, None, problem, key_node.start_mark)
        return super().construct_mapping(node, deep)


def _refuse(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    raise yaml.constructor.ConstructorError(None, None, f"the tag {node.tag} is not allowed", node.start_mark)


# Values JSON cannot carry: bytes, sets, ordered pairs.
for _tag in ("binary", "set", "omap", "pairs"):
    _Loader.add_constructor(f"tag:yaml.org,2002:{_tag}", _refuse)

_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def has_front_matter(text: str) -> bool:
    head = text.lstrip("\ufeff")
    return head.startswith(FENCE) and head.split("\n", 1)[0].rstrip("\r ") == FENCE


def read_front_matter(
    text: str,
    path: str,
    doc_id: str,
    defaults: Mapping[str, Any],
    sidecar: tuple[Mapping[str, Any], Mapping[str, Location]] | None = None,
) -> ReadResult:
    rows = lines(text)
    end = next((i for i in range(1, len(rows)) if rows[i].rstrip() in (FENCE, "...")), None)
    if end is None:
        return ReadResult(
            findings=[Finding(path, 1, "", "front matter opened with '---' is never closed", code="yaml")]
        )
    header = "\n".join(rows[1:end])
    try:
        meta = yaml.load(header, Loader=_Loader)
    except (ValueError, RecursionError) as exc:  # an integer of thousands of digits, deep nesting
        return ReadResult(findings=[Finding(path, 2, "", f"invalid YAML front matter: {str(exc)[:200]}", code="yaml")])
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        column = f" (column {mark.column + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        return ReadResult(
            findings=[Finding(path, line, "", f"invalid YAML front matter: {problem}{column}", code="yaml")]
        )
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        return ReadResult(findings=[Finding(path, 2, "", "front matter must be a mapping of fields", code="yaml")])
    plain = {str(k): _plain(v) for k, v in meta.items()}
    if len(plain) != len(meta):  # `1:` and `"1":` are one field
        twice = next(k for k in plain if sum(str(key) == k for key in meta) > 1)
        message = f"invalid YAML front matter: the key {printable(repr(twice), 60)} appears twice"
        return ReadResult(findings=[Finding(path, _key_line(rows, end, twice) or 2, "", message, code="yaml")])
    meta = plain
    problem = shape_problem(meta)
    if problem is not None:
        return ReadResult(findings=[Finding(path, 2, "", f"front matter {problem}", code="yaml")])
    where = {key: Location(path, _key_line(rows, end, key)) for key in meta}
    numbers, paras = split_blocks("\n".join(rows[end + 1 :]), first_line=end + 2)
    where["text"] = Location(path, numbers[0] if paras else end + 1)
    if "id" in meta and not isinstance(meta["id"], str):
        shown = printable(repr(meta["id"]), 60)
        return ReadResult(findings=[Finding(path, where["id"].line, "/id", f"{shown} is not a string id", code="yaml")])
    doc_id = meta.get("id", doc_id)
    return ReadResult(documents=[make_document(doc_id, meta, paras, path, 1, where, defaults, sidecar)])


def _plain(value: Any) -> Any:
    """YAML values as JSON would carry them (dates as ISO strings)."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return value.strip()
    return value


def _key_line(rows: list[str], end: int, key: str) -> int | None:
    pattern = re.compile(rf"^\s*['\"]?{re.escape(key)}['\"]?\s*:")
    return next((i + 1 for i in range(1, end) if pattern.match(rows[i])), None)

"""The seed contract: load the JSON Schema, check it, validate documents, and cross-document checks."""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import hashlib
import itertools
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import SchemaError, ValidationError
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource, Unresolvable
from referencing.jsonschema import DRAFT202012

from .errors import ConfigError
from .model import MESSAGE_LIMIT, Document, Finding
from .regular import read_config_file

# A schema is a few KiB (the packaged one: 3); anything near this is a planted file, not a contract.
MAX_SCHEMA_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class Schema:
    """A checked JSON Schema with a validator that never fetches anything from a network."""

    path: Path
    raw: bytes
    document: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.document.get("$id", ""))

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()

    @cached_property
    def gate(self) -> Any:
        """jsonschema-rs, about 500 times faster, says whether a document is valid; the reference
        implementation explains the few that are not, in the messages and pointers we report."""
        local = _local_schemas(self.path.parent)

        def retrieve(uri: str) -> Any:
            if uri in local:
                return local[uri]
            raise ValueError(f"{uri} is not a schema in {self.path.parent}")

        return jsonschema_rs.validator_for(self.document, validate_formats=True, retriever=retrieve)

    @cached_property
    def validator(self) -> Draft202012Validator:
        return _Explainer(
            self.document,
            registry=_local_registry(self.path.parent),
            format_checker=Draft202012Validator.FORMAT_CHECKER,
        )

    def findings(self, doc: Document) -> list[Finding]:
        """Every schema violation of one document, each at the line of the field it concerns."""
        record = doc.record()
        if self.gate.is_valid(record):
            return [self._finding(doc, pointer, message, "content") for pointer, message in _content_problems(record)]
        out = []
        for error in itertools.islice(self.validator.iter_errors(record), MAX_ERRORS):
            unknown = _unknown_fields(error) if not error.absolute_path else []
            # An unknown field of the document: one finding each, where that field is written (a
            # sidecar's own file and line, a front-matter key's line), with the nearest known name.
            for name, known in unknown[:MAX_ERRORS]:
                near = difflib.get_close_matches(name, known, n=1)
                hint = f" (did you mean {near[0]!r}?)" if near else ""
                out.append(self._finding(doc, _pointer([name]), f"unknown field: {name!r}{hint}", "schema:unknown"))
            if not unknown:
                pointer = _pointer(error.absolute_path)
                out.append(self._finding(doc, pointer, _message(error), f"schema:{error.validator}"))
        if not out:  # the two implementations disagree: report what the gate saw rather than nothing
            for fast in self.gate.iter_errors(record):
                out.append(self._finding(doc, _pointer(fast.instance_path), fast.message, "schema"))
        return sorted(out, key=lambda f: (f.line or 0, f.pointer, f.message))

    def is_valid(self, doc: Document) -> bool:
        """`findings(doc) == []`, without explaining anything (for files past their findings cap)."""
        record = doc.record()
        return self.gate.is_valid(record) and next(_content_problems(record), None) is None

    @staticmethod
    def _finding(doc: Document, pointer: str, message: str, code: str) -> Finding:
        where = doc.where(pointer)
        if len(message) > MESSAGE_LIMIT:  # the reference quotes whole values: a 12 MB title made a 12 MB line
            message = message[:MESSAGE_LIMIT] + f"... ({len(message)} characters)"
        return Finding(where.path, where.line, pointer, message, code=code)


@functools.lru_cache(maxsize=256)
def _pattern_gate(pattern: str) -> Any:
    return jsonschema_rs.validator_for({"type": "string", "pattern": pattern})


def _pattern(validator: Any, pattern: str, instance: Any, schema: dict[str, Any]) -> Iterator[ValidationError]:
    """`pattern` decided by jsonschema-rs, as the gate decides it: Python's `re` backtracks for ever
    on a schema's pattern such as `^(a|aa)*$c` (a 44-letter title took 100 s to explain)."""
    if validator.is_type(instance, "string") and not _pattern_gate(pattern).is_valid(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


# The reference validator, explaining the documents the gate refused, with the gate's patterns.
_Explainer = validators.extend(Draft202012Validator, {"pattern": _pattern})


def load_schema(path: Path) -> Schema:
    """Read and check a schema; any problem is a ConfigError (exit code 3). The schema, and each
    JSON file beside it, must be a regular file (a symlink is followed, wherever it leads: whoever
    can add one could as well set `schema` to any path; what it leads to is checked once open) of
    at most MAX_SCHEMA_BYTES.

    Kept per process while the schema folder's JSON files keep their sizes and times: a build
    loads it once per chunk of seeds (a million seeds: 1,700 times, 15 ms each for the checks).
    """
    return _load_schema(path, _folder_stamp(path))


def _folder_stamp(path: Path) -> tuple[tuple[str, int, int], ...]:
    """Name, size and modification time of the schema and the JSON files beside it."""
    try:
        stats = [(e.name, e.stat()) for e in os.scandir(path.parent) if e.name.endswith(".json") or e.name == path.name]
    except OSError:
        return ()
    return tuple(sorted((name, st.st_size, st.st_mtime_ns) for name, st in stats))


@functools.lru_cache(maxsize=8)
def _load_schema(path: Path, stamp: tuple[tuple[str, int, int], ...]) -> Schema:
    raw = read_config_file(path, MAX_SCHEMA_BYTES, "schema")
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # not JSON, not UTF-8, nested too deeply, a huge number
        raise ConfigError(f"{path}: schema is not valid JSON: {str(exc)[:200]}") from None
    if not isinstance(document, dict):
        raise ConfigError(f"{path}: schema must be a JSON object")
    try:
        Draft202012Validator.check_schema(document)
    except SchemaError as exc:
        raise ConfigError(f"{path}: {_pointer(exc.absolute_path)}: broken schema: {exc.message[:500]}") from exc
    except RecursionError:
        raise ConfigError(f"{path}: broken schema: nested too deeply") from None
    schema = Schema(path, raw, document)
    base = str(document.get("$id", ""))
    resource = Resource.from_contents(document, default_specification=DRAFT202012)
    resolver = _local_registry(path.parent).with_resource(base, resource).resolver(base_uri=base)
    for ref in _refs(document):
        # Resolving every $ref now makes a dangling one a config error rather than a crash mid-run.
        try:
            resolver.lookup(ref)
        except Unresolvable as exc:
            raise ConfigError(f"{path}: unresolvable $ref {ref!r} (only schemas in {path.parent} are used)") from exc
    try:
        schema.gate  # noqa: B018 - compile now so a schema jsonschema-rs rejects is a config error
    except (ValueError, jsonschema_rs.ValidationError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    return schema


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _local_schemas(folder: Path) -> dict[str, Any]:
    """Every *.json schema in the schema folder, by its $id. Each file must read as a regular file
    of at most MAX_SCHEMA_BYTES, else it is refused (a ConfigError naming it): skipped, a FIFO or a
    huge file would only turn up later as an unresolvable $ref that does not say why. A file that
    reads but is no JSON object with an $id is no schema, and is skipped."""
    found = {}
    for file in sorted(folder.glob("*.json")):
        if file.is_dir() or not os.path.lexists(file):  # a folder, or a file gone since the listing
            continue
        try:
            contents = json.loads(read_config_file(file, MAX_SCHEMA_BYTES, "file in the schema folder"))
        except (ValueError, RecursionError):
            continue
        if isinstance(contents, dict) and "$id" in contents:
            found[contents["$id"]] = contents
    return found


def _local_registry(folder: Path) -> Registry:
    """Every *.json schema in the schema folder, by its $id; nothing else resolves."""
    resources = [
        (uri, Resource.from_contents(contents, default_specification=DRAFT202012))
        for uri, contents in _local_schemas(folder).items()
    ]

    def refuse(uri: str) -> Resource:
        raise NoSuchResource(ref=uri)

    return Registry(retrieve=refuse).with_resources(resources)


def _pointer(parts: Iterable[Any]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


MAX_ERRORS = 50  # schema errors explained per document
_VISIBLE = re.compile(r"[^\s\u200b-\u200f\u2060-\u2064\ufeff\u00ad\u034f\u180e]")


def _content_problems(record: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """What the schema's formats let through but the published tables cannot hold: a year 0 (no
    `datetime`, pandas or `datasets` reads it) and a text of nothing but invisible characters."""
    date = record.get("date")
    if isinstance(date, str) and _ISO_DATE.match(date):
        try:
            dt.date.fromisoformat(date)
        except ValueError:
            yield "/date", f"{date!r} is not a real calendar date written YYYY-MM-DD (years run from 0001)"
    text = record.get("text")
    if isinstance(text, str) and text and not _VISIBLE.search(text):
        yield "/text", "the text holds no visible character (only spaces or zero-width characters)"


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _unknown_fields(error: ValidationError) -> list[tuple[str, list[str]]]:
    """For an additionalProperties error, each field the schema does not know and the names it does."""
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator != "additionalProperties" or not isinstance(error.instance, dict):
        return []
    known = sorted(str(k) for k in schema.get("properties", {}))
    patterns = [p for p in schema.get("patternProperties", {}) if isinstance(p, str)]

    def matched(name: str) -> bool:
        try:
            return any(re.search(p, name) for p in patterns)
        except re.error:
            return False

    extra = sorted(str(k) for k in set(error.instance) - set(schema.get("properties", {})) if not matched(str(k)))
    return [(name, known) for name in extra]


def _message(error: ValidationError) -> str:
    value = error.instance
    shown = repr(value) if not isinstance(value, str) or len(value) <= 60 else repr(value[:57] + "...")
    schema = error.schema if isinstance(error.schema, dict) else {}
    described = schema.get("description")
    if error.validator in ("pattern", "anyOf", "oneOf", "format") and described:
        return f"{shown} is not {described}"
    if error.validator == "format":
        return f"{shown} is not a valid {error.validator_value}"
    if error.validator == "pattern":
        return f"{shown} does not match the pattern {error.validator_value}"
    if error.validator == "minLength" and value == "":
        pointer = _pointer(error.absolute_path)
        return "no body paragraphs: nothing follows the header" if pointer == "/text" else "must not be empty"
    if error.validator == "additionalProperties" and isinstance(value, dict):
        extra = sorted(set(value) - set(schema.get("properties", {})))
        return f"unknown field{'s' if len(extra) > 1 else ''}: {', '.join(map(repr, extra))}"
    if error.validator == "required":
        return f"missing required field {error.message.split(' is a required')[0]}"
    return error.message

"""JSON Lines (plain, .gz or .zst, read as a stream) and single JSON documents (an object or a list)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa

from ..model import Finding, Location, ReadResult
from ..text import paragraphs
from .decode import decode
from .records import make_document

_DECODER = json.JSONDecoder()


def record_document(record: Any, path: str, line: int, defaults: Mapping[str, Any], result: ReadResult) -> None:
    """Add the document for one JSON record to `result`, or findings saying why there is none."""
    if not isinstance(record, dict):
        result.findings.append(Finding(path, line, "", f"a record must be a JSON object, not {type(record).__name__}"))
        return
    doc_id, text = record.get("id"), record.get("text")
    if not isinstance(doc_id, str) or not doc_id:
        result.findings.append(Finding(path, line, "/id", "every record needs a non-empty string 'id'"))
        return
    if not isinstance(text, str):
        what = "missing" if text is None else f"of type {type(text).__name__}, not a string"
        result.findings.append(Finding(path, line, "/text", f"'text' is {what}"))
        return
    where = {key: Location(path, line) for key in record}
    result.documents.append(make_document(doc_id, record, paragraphs(text), path, line, where, defaults))


def read_jsonl(file: Path, path: str, defaults: Mapping[str, Any], max_record_bytes: int) -> ReadResult:
    """Each non-blank line is one record; a bad line is a finding and the others are still read."""
    result = ReadResult()
    for number, raw in _numbered_lines(file):
        if not raw.strip():
            continue
        if len(raw) > max_record_bytes:
            result.findings.append(
                Finding(
                    path, number, "", f"record of {len(raw)} bytes is over the limit of {max_record_bytes}", code="size"
                )
            )
            continue
        text, problem = decode(raw, path)
        if problem is not None:
            result.findings.append(Finding(path, number, "", problem.message, code=problem.code))
            continue
        try:
            record = json.loads(text)
        except json.JSONDecodeError as exc:
            result.findings.append(
                Finding(path, number, "", f"invalid JSON: {exc.msg} (column {exc.colno})", code="json")
            )
            continue
        record_document(record, path, number, defaults, result)
    if not result.documents and not result.findings:
        result.findings.append(Finding(path, None, "", "empty file: no records", code="empty"))
    return result


def _numbered_lines(file: Path) -> Iterator[tuple[int, bytes]]:
    with pa.input_stream(str(file), compression="detect") as stream:
        for number, raw in enumerate(io.BufferedReader(stream, buffer_size=1 << 20), 1):
            yield number, raw.rstrip(b"\r\n")


def read_json(text: str, path: str, defaults: Mapping[str, Any]) -> ReadResult:
    """A single JSON document: one record object, or a list of record objects."""
    result = ReadResult()
    start = len(text) - len(text.lstrip())
    try:
        if text[start] != "[":
            record, end = _DECODER.raw_decode(text, start)
            _expect_end(text, end)
            record_document(record, path, text.count("\n", 0, start) + 1, defaults, result)
            return result
        for position, record in _array_items(text, start):
            record_document(record, path, text.count("\n", 0, position) + 1, defaults, result)
    except json.JSONDecodeError as exc:
        result.findings.append(
            Finding(path, exc.lineno, "", f"invalid JSON: {exc.msg} (column {exc.colno})", code="json")
        )
    return result


def _array_items(text: str, start: int) -> Iterator[tuple[int, Any]]:
    """Yield (offset, item) for each item of the JSON array opening at `start`, with exact offsets."""
    position = _skip(text, start + 1)
    if text.startswith("]", position):
        _expect_end(text, position + 1)
        return
    while True:
        item, end = _DECODER.raw_decode(text, position)
        yield position, item
        position = _skip(text, end)
        if text.startswith("]", position):
            _expect_end(text, position + 1)
            return
        if not text.startswith(",", position):
            raise json.JSONDecodeError("Expecting ',' delimiter", text, position)
        position = _skip(text, position + 1)


def _skip(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


def _expect_end(text: str, end: int) -> None:
    end = _skip(text, end)
    if end != len(text):
        raise json.JSONDecodeError("Extra data", text, end)

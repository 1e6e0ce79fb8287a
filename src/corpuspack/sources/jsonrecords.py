"""JSON Lines (plain, .gz or .zst, read as a stream) and single JSON documents (an object or a list)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any, BinaryIO

import pyarrow as pa

from ..model import Finding, Location, ReadResult
from ..text import paragraphs
from .bounded import MAX_FINDINGS, Refused, may_hold_surrogates, numbered_lines, shape_problem, too_large
from .decode import decode
from .records import make_document


def record_document(
    record: Any, path: str, line: int, defaults: Mapping[str, Any], result: ReadResult, surrogates: bool = True
) -> None:
    """Add the document for one JSON record to `result`, or findings saying why there is none."""
    if not isinstance(record, dict):
        result.findings.append(Finding(path, line, "", f"a record must be a JSON object, not {type(record).__name__}"))
        return
    problem = shape_problem(record, surrogates)
    if problem is not None:
        result.findings.append(Finding(path, line, "", f"record {problem}", code="shape"))
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


def read_jsonl(file: BinaryIO, path: str, defaults: Mapping[str, Any], max_record_bytes: int) -> ReadResult:
    """Each non-blank line is one record; a bad line is a finding and the others are still read.
    A line over `max_record_bytes` is skipped without being held; findings past `MAX_FINDINGS`
    are counted, not kept."""
    result = ReadResult()
    dropped = 0
    try:
        for number, raw in numbered_lines(file, path, max_record_bytes):
            if len(result.findings) >= MAX_FINDINGS:  # keep counting, stop keeping
                dropped += len(result.findings) - MAX_FINDINGS
                del result.findings[MAX_FINDINGS:]
            if isinstance(raw, int):
                message = too_large(path, raw, max_record_bytes, "record").message
                result.findings.append(Finding(path, number, "", message, code="size"))
                continue
            if not raw.strip():
                continue
            text, problem = decode(raw, path)
            if problem is not None:
                result.findings.append(Finding(path, number, "", problem.message, code=problem.code))
                continue
            record = _parse(text, path, number, result)
            if record is not _BAD:
                record_document(record, path, number, defaults, result, may_hold_surrogates(text))
    except Refused as refused:
        result.findings.append(refused.finding)
    except (OSError, pa.ArrowException) as exc:
        result.findings.append(Finding(path, None, "", f"cannot read the stream: {str(exc)[:200]}", code="io"))
    dropped += max(len(result.findings) - MAX_FINDINGS, 0)
    del result.findings[MAX_FINDINGS:]
    if dropped:
        result.findings.append(Finding(path, None, "", f"... and {dropped} more findings in this file", code="more"))
    if not result.documents and not result.findings:
        result.findings.append(Finding(path, None, "", "empty file: no records", code="empty"))
    return result


_BAD = object()


def _parse(text: str, path: str, line: int, result: ReadResult) -> Any:
    value, problem = parse_json(text, path, line)
    if problem is not None:
        result.findings.append(problem)
        return _BAD
    return value


def parse_json(text: str, path: str, line: int = 1) -> tuple[Any, Finding | None]:
    """One JSON value, or a finding (bad syntax, too deep, a number too long, a key twice)."""
    try:
        return json.loads(text, object_pairs_hook=_unique), None
    except json.JSONDecodeError as exc:
        message = f"invalid JSON: {exc.msg} (column {exc.colno})"
        return None, Finding(path, line + exc.lineno - 1, "", message, code="json")
    except (ValueError, RecursionError) as exc:
        return None, Finding(path, line, "", f"invalid JSON: {_why(exc)}", code="json")


def _why(exc: Exception) -> str:
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    if "digits" in str(exc):
        return "a number of thousands of digits"
    return str(exc)[:200]  # a key twice


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    record = dict(pairs)
    if len(record) != len(pairs):
        seen: set[str] = set()
        twice = next(k for k, _ in pairs if k in seen or seen.add(k))
        raise ValueError(f"the key {twice!r} appears twice in one object")
    return record


_DECODER = json.JSONDecoder(object_pairs_hook=_unique)


def read_json(text: str, path: str, defaults: Mapping[str, Any]) -> ReadResult:
    """A single JSON document: one record object, or a list of record objects."""
    result = ReadResult()
    start = len(text) - len(text.lstrip())
    surrogates = may_hold_surrogates(text)
    try:
        if text[start] != "[":
            record, end = _DECODER.raw_decode(text, start)
            _expect_end(text, end)
            record_document(record, path, text.count("\n", 0, start) + 1, defaults, result, surrogates)
            return result
        line, counted = 1, 0
        for position, record in _array_items(text, start):
            line += text.count("\n", counted, position)  # from the last record on: linear, not quadratic
            counted = position
            record_document(record, path, line, defaults, result, surrogates)
            if len(result.findings) > MAX_FINDINGS:
                result.findings.append(Finding(path, None, "", "too many problems: the rest is not read", code="more"))
                return result
        if not result.documents and not result.findings:
            result.findings.append(Finding(path, 1, "", "an empty list: no records", code="empty"))
    except json.JSONDecodeError as exc:
        result.findings.append(
            Finding(path, exc.lineno, "", f"invalid JSON: {exc.msg} (column {exc.colno})", code="json")
        )
    except (ValueError, RecursionError) as exc:
        result.findings.append(Finding(path, None, "", f"invalid JSON: {_why(exc)}", code="json"))
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

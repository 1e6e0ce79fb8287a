"""Findings rendered for people (text), tools (json), pull requests (github) and CI dashboards (junit)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import TYPE_CHECKING

from .model import MESSAGE_LIMIT
from .printable import json_safe, printable

if TYPE_CHECKING:
    from .validation import ValidationReport

JSON_FORMAT_VERSION = 1


def text(report: ValidationReport) -> str:
    rows = [str(f) for f in report.findings]
    s = report.summary
    rows.append(
        f"{s['files']} files, {s['documents']} documents: {s['errors']} errors, {s['warnings']} warnings"
        f" ({'valid' if report.ok else 'invalid'})"
    )
    return "\n".join(rows) + "\n"


def as_json(report: ValidationReport) -> str:
    """Stable structure: {format_version, summary, findings: [{path, line, pointer, message, severity, code}]}."""
    body = {
        "format_version": JSON_FORMAT_VERSION,
        "summary": {**report.summary, "valid": report.ok},
        "findings": [f.to_dict() for f in report.findings],
    }
    return json_safe(json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False)) + "\n"


def github(report: ValidationReport) -> str:
    """GitHub Actions workflow commands: one annotation per finding, shown on the pull request's diff."""
    rows = []
    for f in report.findings:
        props = f"file={_prop(printable(f.path))}" + (f",line={f.line}" if f.line else "") + ",title=corpuspack"
        message = printable(f.message, MESSAGE_LIMIT)
        rows.append(f"::{f.severity} {props}::{_data(printable(f.pointer or '/'))}: {_data(message)}")
    return "\n".join([*rows, text(report).splitlines()[-1]]) + "\n"


def junit(report: ValidationReport) -> str:
    """JUnit XML: one testcase per seed file, a failure per error finding."""
    by_file: dict[str, list] = {path: [] for path in report.files}
    for f in report.findings:
        by_file.setdefault(f.path, []).append(f)
    errors = sum(1 for fs in by_file.values() if any(f.severity == "error" for f in fs))
    suite = ET.Element(
        "testsuite", name="corpuspack.validate", tests=str(len(by_file)), failures=str(errors), errors="0", skipped="0"
    )
    for path in sorted(by_file):
        case = ET.SubElement(suite, "testcase", classname="corpuspack.validate", name=printable(path))
        problems = [f for f in by_file[path] if f.severity == "error"]
        if problems:
            failure = ET.SubElement(case, "failure", message=f"{len(problems)} problem(s)", type="invalid")
            failure.text = "\n".join(str(f) for f in problems)
        warnings = [f for f in by_file[path] if f.severity == "warning"]
        if warnings:
            ET.SubElement(case, "system-out").text = "\n".join(str(f) for f in warnings)
    suites = ET.Element("testsuites", name="corpuspack", tests=str(len(by_file)), failures=str(errors))
    suites.append(suite)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def _data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(value: str) -> str:
    return _data(value).replace(":", "%3A").replace(",", "%2C")


REPORTERS: dict[str, Callable[[ValidationReport], str]] = {
    "text": text,
    "json": as_json,
    "github": github,
    "junit": junit,
}

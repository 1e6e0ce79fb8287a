"""The finish stage: the manifest, composed once from plain facts, and Croissant. A release stamps
the version (number, date, parent, diff) before anything is written, so both are written once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..config import Config
from ..containment import is_within
from ..pipeline.chunk import file_facts
from ..publish import croissant, manifest
from ..publish.checksums import Written
from ..schema import Schema
from .dedup import Deduped
from .read import Read, load_inputs


@dataclass(frozen=True)
class Stamp:
    """What makes a build a release."""

    version: str
    release_date: str
    parent: str | None
    diff: dict[str, Any] | None


# Given the built folder and the manifest's body so far (inputs, settings, counts), the stamp.
Release = Callable[[Path, dict[str, Any]], Stamp]


def finish(
    read: Read,
    deduped: Deduped,
    written: list[Written],
    config: Config,
    schema: Schema,
    out: Path,
    release: Release | None = None,
) -> dict[str, Any]:
    """Write `manifest.json` and `croissant.json` into `out`; returns the manifest's body."""
    body = manifest.compose(
        config=config,
        schema=schema,
        schema_facts=file_facts(_rel(config.schema_path, config.root), schema.raw),
        inputs=load_inputs(read.inputs),
        dedup=deduped.facts,
    )
    if release is not None:
        body.update(asdict(release(out, body)))
    croissant.write(out, body, written)
    manifest.write(out, body, written)
    return body


def _rel(path: Path, root: Path) -> str:
    return path.resolve().relative_to(root.resolve()).as_posix() if is_within(path, root) else path.name

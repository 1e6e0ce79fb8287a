"""Command-line options generated from the settings' declarations (`config.py`): every
`[tool.corpuspack]` key a command takes is an option of the same name with the same help, checked
by the same declaration, given over pyproject.toml."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .config import FILTERS, Config, DedupConfig, load_config
from .settings import declared, shown_default
from .storage import is_url, local_path

SPECS = {**declared(Config), **declared(DedupConfig)}
DEDUP = tuple(declared(DedupConfig))
# What each kind of command takes. Where the inputs are; how documents are read and checked;
# what a build makes of them; how it runs.
WHERE = ("seeds", "schema")
READING = ("language", "license", "max_file_bytes", "strict")
MAKING = ("name", "shard_bytes", "max_emptied_share", *FILTERS, *DEDUP)
RUNNING = ("workers", "engine", "ray_address", "partitions")
BUILDING = (*WHERE, *READING, *MAKING, *RUNNING)
_PARSE = {"int": int, "bytes": int, "number": float}
_METAVARS = {"int": "N", "bytes": "BYTES", "number": "X", "text": "TEXT", "path": "PATH", "location": "PATH|URL"}


def add_settings(parser: argparse.ArgumentParser, names: tuple[str, ...]) -> None:
    """An option per setting in `names`; absent from the namespace's overrides unless given."""
    group = parser.add_argument_group(
        "settings", "each over its [tool.corpuspack] key in pyproject.toml; paths here are relative to where you stand"
    )
    for name in names:
        spec, default = SPECS[name]
        flag = "--" + name.replace("_", "-")
        shown = f"{spec.help} (default: {shown_default(spec, default)})".replace("%", "%%")
        if spec.kind == "bool":
            group.add_argument(flag, dest=name, action=argparse.BooleanOptionalAction, default=None, help=shown)
        elif spec.kind in ("patterns", "names"):
            metavar = "PATTERN" if spec.kind == "patterns" else "NAME"
            group.add_argument(flag, dest=name, action="append", default=None, metavar=metavar, help=shown)
        else:
            metavar = _METAVARS[spec.kind]
            group.add_argument(
                flag,
                dest=name,
                type=_PARSE.get(spec.kind, str),
                choices=list(spec.choices) or None,
                default=None,
                metavar=None if spec.choices else metavar,
                help=shown,
            )


def config_from(args: argparse.Namespace, names: tuple[str, ...]) -> Config:
    """The project's configuration with the settings given on the command line over it. Paths
    given there are relative to where the user stands, not to the project."""
    overrides: dict[str, Any] = {}
    for name in names:
        value = getattr(args, name, None)
        if value is None:
            continue
        if SPECS[name][0].kind in ("path", "location") and not is_url(value):
            value = local_path(value).resolve()
        overrides[name] = value
    if getattr(args, "exact_only", False):
        overrides["near"] = False
    root = getattr(args, "root", None)
    return load_config(Path(root) if root is not None else None, **overrides)

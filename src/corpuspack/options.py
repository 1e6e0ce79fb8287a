"""Command-line options generated from the settings' declarations (`config.py`): every
`[tool.corpuspack]` key a command takes is an option of the same name with the same help, checked
by the same declaration, given over pyproject.toml."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .config import Config, DedupConfig, load_config
from .reporters import REPORTERS
from .settings import declared, shown_default
from .storage import is_url, local_path

SPECS = {**declared(Config), **declared(DedupConfig)}
DEDUP = tuple(declared(DedupConfig))
# What each kind of command takes: where the inputs are, how documents are read and checked, how a
# build runs; a build takes every setting but the corpus folder (it never writes there).
WHERE = ("seeds", "schema")
READING = ("language", "license", "max_file_bytes", "strict")
RUNNING = ("workers", "engine", "ray_address", "partitions")
BUILDING = tuple(name for name in SPECS if name != "corpus")
_PARSE = {"int": int, "bytes": int, "number": float}
_METAVARS = {
    "int": "N",
    "bytes": "BYTES",
    "number": "X",
    "text": "TEXT",
    "path": "PATH",
    "location": "PATH|URL",
    "url": "URL",
}


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
            metavar = _METAVARS.get(spec.kind, "VALUE")
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
        # An empty path would resolve to where the user stands: left as given, the declaration refuses it.
        if SPECS[name][0].kind in ("path", "location") and value and not is_url(value):
            value = local_path(value).resolve()
        overrides[name] = value
    if getattr(args, "exact_only", False):
        overrides["near"] = False
    root = getattr(args, "root", None)
    return load_config(Path(root) if root is not None else None, **overrides)


# Each command's own options, besides the settings.


def validate_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="*", help="files, folders or fsspec URLs (default: the seeds folder)")
    p.add_argument("--format", choices=sorted(REPORTERS), default="text")
    quiet(p)


def build_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default=None, help="empty or new folder or fsspec URL (default: a new temporary folder)")
    p.add_argument("--exact-only", action="store_true", help="skip near-duplicate detection (as --no-near)")
    p.add_argument(
        "--work", type=Path, default=None, help="spill folder, kept for resuming (default: beside --out, removed)"
    )
    quiet(p)


def release_arguments(p: argparse.ArgumentParser) -> None:
    which = p.add_mutually_exclusive_group()
    which.add_argument(
        "--version", dest="version_", metavar="VERSION", default=None, help="the version to publish, X.Y.Z"
    )
    which.add_argument("--bump", choices=["major", "minor", "patch"], default=None)
    p.add_argument("--date", default=None, help="release date YYYY-MM-DD (default: today, UTC)")
    p.add_argument("--exact-only", action="store_true", help="skip near-duplicate detection (as --no-near)")
    quiet(p)


def verify_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("versions", nargs="*", help="versions (default: all)")
    p.add_argument("--rebuild", action="store_true", help="rebuild from the recorded seeds and compare bytes")
    quiet(p)


def diff_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("a", nargs="?", default=None, help="old version (default: the latest)")
    p.add_argument("b", nargs="?", default=None, help="new version (default: the current seeds)")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument("--exit-code", action="store_true", help="exit 1 when there are differences")
    quiet(p)


def explain_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("doc_id", metavar="DOC_ID", help="the document's id")
    which = p.add_mutually_exclusive_group()
    which.add_argument(
        "--version", dest="version_", metavar="VERSION", default=None, help="released version (default: the latest)"
    )
    which.add_argument(
        "--out", type=Path, default=None, metavar="DIR", help="a built version folder (what build --out wrote)"
    )
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument("--full", action="store_true", help="whole texts (default: cut to 200 characters)")


def report_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("version_", nargs="?", metavar="VERSION", help="released version (default: the latest)")
    p.add_argument("--out", type=Path, metavar="DIR", help="a built version folder instead (what build --out wrote)")
    p.add_argument(
        "--to", type=Path, metavar="DIR", help="where (default: corpus/reports/vX.Y.Z, or a new temporary folder)"
    )
    quiet(p)


def check_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--released", action="store_true", help="the release gate: also fail when seeds await a release")
    quiet(p)


def no_arguments(p: argparse.ArgumentParser) -> None:
    pass


def push_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("repo_id", nargs="?", default=None, metavar="REPO_ID", help="owner/name (default: hub_repo)")
    p.add_argument("--dry-run", action="store_true", help="print the commits and tags it would make; send nothing")
    p.add_argument("--private", action="store_true", help="create the repository private (when it is new)")


def init_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", nargs="?", default=".", metavar="DIR", help="folder to lay out (default: here; made if new)")
    p.add_argument(
        "--requirement",
        default=None,
        help="how CI and pre-commit install corpuspack (default: the git URL it came from, else corpuspack==VERSION)",
    )
    p.add_argument("--name", default=None, help="the dataset's name (default: the folder's name)")


def quiet(p: argparse.ArgumentParser) -> None:
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")

"""The `corpuspack` command: each subcommand parses options and calls the API function of the same name."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from . import api
from .config import load_config
from .errors import CorpuspackError, UsageError
from .reporters import REPORTERS

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


def command(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    COMMANDS[func.__name__.removeprefix("run_")] = func
    return func


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        raise UsageError(f"{self.prog}: {message}")


def _config(args: argparse.Namespace):
    overrides = {
        k: getattr(args, k) for k in ("seeds", "corpus", "workers", "strict") if getattr(args, k, None) is not None
    }
    if getattr(args, "exact_only", False):
        overrides["near"] = False
    return load_config(args.root, **overrides)


@command
def run_validate(args: argparse.Namespace) -> int:
    report = api.validate(args.paths or None, config=_config(args), show_progress=not args.quiet)
    sys.stdout.write(REPORTERS[args.format](report))
    return report.exit_code


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="corpuspack", description="Validate, deduplicate and publish a text corpus.")
    parser.add_argument("--version", action="version", version=f"corpuspack {api.__version__}")
    parser.add_argument("--root", type=Path, default=None, help="project folder (default: nearest pyproject.toml)")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("validate", help="check seed files against the schema; exit 1 if any is invalid")
    p.add_argument("paths", nargs="*", type=Path, help="files or folders (default: the seeds folder)")
    p.add_argument("--format", choices=sorted(REPORTERS), default="text")
    p.add_argument("--strict", action="store_true", default=None, help="unknown file types are errors")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except CorpuspackError as exc:
        print(f"corpuspack: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("corpuspack: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

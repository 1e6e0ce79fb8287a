"""The `corpuspack` command: each subcommand parses its options and calls the API function of the same
name. Options for `[tool.corpuspack]` settings are generated from their declarations (`options.py`)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from . import api
from .config import Config
from .errors import CorpuspackError, UsageError
from .options import BUILDING, WHERE, add_settings, config_from
from .printable import json_safe, printable, printable_lines
from .progress import Progress, quiet
from .reporters import REPORTERS
from .terminal import bars


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        command = self.prog.removeprefix("corpuspack").strip()
        raise UsageError(f"{command}: {message}" if command else message)


def _config(args: argparse.Namespace) -> Config:
    return config_from(args, COMMANDS[args.command].settings)


def _progress(args: argparse.Namespace) -> Progress:
    return quiet if args.quiet else bars


def run_validate(args: argparse.Namespace) -> int:
    report = api.validate(args.paths or None, config=_config(args), progress=_progress(args))
    sys.stdout.write(REPORTERS[args.format](report))
    return report.exit_code


def run_build(args: argparse.Namespace) -> int:
    config = _config(args)
    result = api.build(config=config, out=args.out, work=args.work, progress=_progress(args))
    print(printable_lines(str(result.out)))
    warning = api.emptied_warning(result.manifest["counts"], config)
    if warning:
        print(f"corpuspack: warning: {warning}", file=sys.stderr)
    _summary(result.manifest, result.seconds)
    total = sum(result.seconds.values())
    rate = result.manifest["counts"]["documents_read"] / total if total else 0.0
    print(
        f"{result.megabytes} MB of seeds in {total:.2f} s ({rate:.0f} documents/s); "
        f"peak memory {result.peak_memory_mb['main']} MB (largest worker {result.peak_memory_mb['largest_worker']} MB)"
        + (f"; {result.reused_chunks} chunks reused from an interrupted build" if result.reused_chunks else ""),
        file=sys.stderr,
    )
    return 0


def run_release(args: argparse.Namespace) -> int:
    confirm = _ask if sys.stdin.isatty() else None
    result = api.release(
        config=_config(args),
        version=args.version_,
        bump=args.bump,
        date=args.date,
        confirm=confirm,
        progress=_progress(args),
    )
    if result.created:
        print(f"released v{result.version} in {result.path}")
        _summary(result.summary or {}, {})
    else:
        print(f"v{result.version} exists and rebuilds byte for byte; its checksum, changelog entry and card are set")
    return 0


def run_verify(args: argparse.Namespace) -> int:
    report = api.verify(args.versions or None, rebuild=args.rebuild, config=_config(args))
    for problem in report.problems:
        print(printable_lines(problem))
    what = "rebuilt byte for byte and checked" if args.rebuild else "checked"
    print(f"{len(report.checked)} versions {what}: {'ok' if report.ok else f'{len(report.problems)} problems'}")
    return 0 if report.ok else 1


def run_diff(args: argparse.Namespace) -> int:
    old, new, delta = api.diff(args.a, args.b, config=_config(args))
    if args.format == "json":
        print(json_safe(json.dumps({"from": old, "to": new, **delta.to_dict()}, indent=2, sort_keys=True)))
    else:
        sys.stdout.write(printable_lines(delta.text(old, new)))
    return 1 if args.exit_code and delta.changed else 0


def run_check(args: argparse.Namespace) -> int:
    for line in api.check(config=_config(args), released=args.released):
        print(f"ok: {printable_lines(line)}")
    return 0


def run_explain(args: argparse.Namespace) -> int:
    config = None if args.out is not None else _config(args)
    explanation = api.explain(args.doc_id, args.version_, config=config, folder=args.out)
    if args.format == "json":
        print(json_safe(json.dumps(explanation.to_dict(), indent=2, ensure_ascii=False)))
    else:
        sys.stdout.write(printable_lines(explanation.text(full=args.full)))
    return 0


def run_report(args: argparse.Namespace) -> int:
    config = None if args.out is not None else _config(args)
    result = api.report(args.version_, config=config, folder=args.out, into=args.to)
    print(printable_lines(str(result.page)))
    print(f"{len(result.figures)} figures in {result.seconds:.1f} s", file=sys.stderr)
    return 0


def _ask(question: str) -> bool:
    print(f"{printable_lines(question)} [y/N] ", end="", file=sys.stderr, flush=True)
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def _summary(body: dict, seconds: dict) -> None:
    counts = body["counts"]
    dropped = ", ".join(f"{k} {v}" for k, v in counts["dropped_by_reason"].items() if v) or "none"
    print(
        f"{counts['documents']} documents ({counts['documents_emptied']} left empty and dropped), "
        f"{counts['paragraphs']} paragraphs, {counts['paragraphs_kept']} kept; dropped: {dropped}",
        file=sys.stderr,
    )
    for item in body.get("most_repeated", [])[:5]:
        text = printable(item["text"], 80)
        print(f"  x{item['count']}: {text} ({item['reason'] or 'kept once'})", file=sys.stderr)
    if seconds:
        print("seconds: " + ", ".join(f"{k} {v:.2f}" for k, v in seconds.items()), file=sys.stderr)


def _validate_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="*", help="files, folders or fsspec URLs (default: the seeds folder)")
    p.add_argument("--format", choices=sorted(REPORTERS), default="text")
    _quiet(p)


def _build_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default=None, help="empty or new folder or fsspec URL (default: a new temporary folder)")
    p.add_argument("--exact-only", action="store_true", help="skip near-duplicate detection (as --no-near)")
    p.add_argument(
        "--work", type=Path, default=None, help="spill folder, kept for resuming (default: beside --out, removed)"
    )
    _quiet(p)


def _release_arguments(p: argparse.ArgumentParser) -> None:
    which = p.add_mutually_exclusive_group()
    which.add_argument(
        "--version", dest="version_", metavar="VERSION", default=None, help="the version to publish, X.Y.Z"
    )
    which.add_argument("--bump", choices=["major", "minor", "patch"], default=None)
    p.add_argument("--date", default=None, help="release date YYYY-MM-DD (default: today, UTC)")
    p.add_argument("--exact-only", action="store_true", help="skip near-duplicate detection (as --no-near)")
    _quiet(p)


def _verify_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("versions", nargs="*", help="versions (default: all)")
    p.add_argument("--rebuild", action="store_true", help="rebuild from the recorded seeds and compare bytes")
    _quiet(p)


def _diff_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("a", nargs="?", default=None, help="old version (default: the latest)")
    p.add_argument("b", nargs="?", default=None, help="new version (default: the current seeds)")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument("--exit-code", action="store_true", help="exit 1 when there are differences")
    _quiet(p)


def _explain_arguments(p: argparse.ArgumentParser) -> None:
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


def _report_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("version_", nargs="?", metavar="VERSION", help="released version (default: the latest)")
    p.add_argument("--out", type=Path, metavar="DIR", help="a built version folder instead (what build --out wrote)")
    p.add_argument(
        "--to", type=Path, metavar="DIR", help="where (default: corpus/reports/vX.Y.Z, or a new temporary folder)"
    )


def _check_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--released", action="store_true", help="the release gate: also fail when seeds await a release")
    _quiet(p)


def _quiet(p: argparse.ArgumentParser) -> None:
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")


@dataclass(frozen=True)
class Command:
    run: Callable[[argparse.Namespace], int]
    help: str
    arguments: Callable[[argparse.ArgumentParser], None]
    settings: tuple[str, ...]  # the [tool.corpuspack] settings it takes as options


COMMANDS: dict[str, Command] = {
    "validate": Command(
        run_validate,
        "check seed files against the schema; exit 1 if any is invalid",
        _validate_arguments,
        (*WHERE, "language", "license", "max_file_bytes", "strict"),
    ),
    "build": Command(
        run_build,
        "build one complete version folder from the seeds (corpus/ is not touched)",
        _build_arguments,
        BUILDING,
    ),
    "release": Command(
        run_release,
        "build and publish corpus/vX.Y.Z with its card and changelog entry",
        _release_arguments,
        ("corpus", *BUILDING),
    ),
    "verify": Command(
        run_verify,
        "check released versions against their manifests",
        _verify_arguments,
        ("corpus", "workers", "engine", "ray_address", "partitions"),
    ),
    "diff": Command(
        run_diff,
        "what changed between two versions, or a version and the current seeds",
        _diff_arguments,
        ("corpus", *BUILDING),
    ),
    "explain": Command(
        run_explain,
        "a document's paragraphs: kept, or why dropped and duplicate of which",
        _explain_arguments,
        ("corpus",),
    ),
    "report": Command(run_report, "an HTML page and PNG figures of a version", _report_arguments, ("corpus",)),
    "check": Command(
        run_check,
        "CI gate: seeds valid, versions intact, card in step (unreleased seeds reported)",
        _check_arguments,
        ("corpus", *WHERE, "strict", "workers"),
    ),
}


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="corpuspack", description="Validate, deduplicate and publish a text corpus.")
    parser.add_argument("--version", action="version", version=f"corpuspack {api.__version__}")
    parser.add_argument("--root", type=Path, default=None, help="project folder (default: nearest pyproject.toml)")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name, command in COMMANDS.items():
        p = sub.add_parser(name, help=command.help, description=command.help)
        command.arguments(p)
        add_settings(p, command.settings)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command].run(args)
    except CorpuspackError as exc:
        print(f"corpuspack: error: {printable_lines(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:  # a disk full, a permission refused: say which file, not a traceback
        where = f"{exc.filename}: " if exc.filename else ""
        print(printable_lines(f"corpuspack: error: {where}{exc.strerror or exc}"), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("corpuspack: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

"""The `corpuspack` command: each subcommand parses its options and calls the API function of the same
name. Options for `[tool.corpuspack]` settings are generated from their declarations (`options.py`)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from . import api, options
from .config import Config
from .errors import CorpuspackError, UsageError
from .options import BUILDING, WHERE, add_settings, config_from
from .printable import json_safe, printable, printable_lines, printable_path
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
        + _moved(result.bytes_moved)
        + (f"; {result.reused_chunks} chunks reused from an interrupted build" if result.reused_chunks else ""),
        file=sys.stderr,
    )
    return 0


def _moved(moved: dict[str, int]) -> str:
    if not moved:
        return ""
    return f"; {moved['read'] / 1e6:.1f} MB read from disk, {moved['written'] / 1e6:.1f} MB written"


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


def run_card(args: argparse.Namespace) -> int:
    path, changed = api.card(config=_config(args))
    print(printable_lines(f"{path}: {'written' if changed else 'already up to date'}"))
    return 0


def run_push(args: argparse.Namespace) -> int:
    result = api.push(args.repo_id, config=_config(args), dry_run=args.dry_run, private=args.private)
    sys.stdout.write(printable_lines(result.plan.text()))
    if result.done and result.commits:
        print(f"pushed: {len(result.commits)} commits")
    return 1 if result.plan.conflicts else 0


def run_report(args: argparse.Namespace) -> int:
    config = None if args.out is not None else _config(args)
    result = api.report(args.version_, config=config, folder=args.out, into=args.to)
    print(printable_lines(str(result.page)))
    print(f"{len(result.figures)} figures in {result.seconds:.1f} s", file=sys.stderr)
    return 0


def run_init(args: argparse.Namespace) -> int:
    result = api.init(args.dir, requirement=args.requirement, name=args.name)
    for rel in result.written:
        print(f"wrote {printable_path(result.root / rel)}")
    print(f"CI and pre-commit install corpuspack as: {printable(result.requirement)} (--requirement to change)")
    if result.warning:
        print(f"corpuspack: warning: {result.warning}", file=sys.stderr)
    print("next: add seeds to seeds/, then corpuspack check; corpuspack release publishes the first version")
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
        options.validate_arguments,
        (*WHERE, "language", "license", "max_file_bytes", "strict"),
    ),
    "build": Command(
        run_build,
        "build one complete version folder from the seeds (corpus/ is not touched)",
        options.build_arguments,
        BUILDING,
    ),
    "release": Command(
        run_release,
        "build and publish corpus/vX.Y.Z with its card and changelog entry",
        options.release_arguments,
        ("corpus", *BUILDING),
    ),
    "verify": Command(
        run_verify,
        "check released versions against their manifests",
        options.verify_arguments,
        ("corpus", "workers", "engine", "ray_address", "partitions"),
    ),
    "diff": Command(
        run_diff,
        "what changed between two versions, or a version and the current seeds",
        options.diff_arguments,
        ("corpus", *BUILDING),
    ),
    "explain": Command(
        run_explain,
        "a document's paragraphs: kept, or why dropped and duplicate of which",
        options.explain_arguments,
        ("corpus",),
    ),
    "card": Command(
        run_card,
        "rewrite corpus/README.md from the manifests and the hand-written CARD.md",
        options.no_arguments,
        ("corpus", "card", "pretty_name", "hub_repo"),
    ),
    "push": Command(
        run_push,
        "publish the released versions to a Hugging Face Hub dataset repo, a tag each",
        options.push_arguments,
        ("corpus", "card", "pretty_name", "hub_repo"),
    ),
    "init": Command(
        run_init,
        "lay out a new corpus repository (pyproject, schema, seeds, CI workflow, hooks)",
        options.init_arguments,
        (),
    ),
    "report": Command(run_report, "an HTML page and PNG figures of a version", options.report_arguments, ("corpus",)),
    "check": Command(
        run_check,
        "CI gate: seeds valid, versions intact, card in step (unreleased seeds reported)",
        options.check_arguments,
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

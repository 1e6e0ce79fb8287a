"""The `corpuspack` command: each subcommand parses options and calls the API function of the same name."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from . import api
from .config import load_config
from .engines import ENGINES
from .errors import CorpuspackError, UsageError
from .printable import json_safe, printable, printable_lines
from .reporters import REPORTERS
from .storage import is_url, local_path

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


def command(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    COMMANDS[func.__name__.removeprefix("run_")] = func
    return func


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        command = self.prog.removeprefix("corpuspack").strip()
        raise UsageError(f"{command}: {message}" if command else message)


def _config(args: argparse.Namespace):
    overrides = {
        k: getattr(args, k)
        for k in ("seeds", "corpus", "workers", "strict", "engine", "ray_address", "partitions")
        if getattr(args, k, None) is not None
    }
    for key in ("seeds", "corpus"):
        if key in overrides and not is_url(overrides[key]):
            overrides[key] = local_path(overrides[key]).resolve()  # relative to where the user stands
    if getattr(args, "exact_only", False):
        overrides["near"] = False
    return load_config(args.root, **overrides)


@command
def run_validate(args: argparse.Namespace) -> int:
    report = api.validate(args.paths or None, config=_config(args), show_progress=not args.quiet)
    sys.stdout.write(REPORTERS[args.format](report))
    return report.exit_code


@command
def run_build(args: argparse.Namespace) -> int:
    config = _config(args)
    result = api.build(config=config, out=args.out, work=args.work, show_progress=not args.quiet)
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


@command
def run_release(args: argparse.Namespace) -> int:
    confirm = _ask if sys.stdin.isatty() else None
    result = api.release(
        config=_config(args),
        version=args.version_,
        bump=args.bump,
        date=args.date,
        confirm=confirm,
        show_progress=not args.quiet,
    )
    if result.created:
        print(f"released v{result.version} in {result.path}")
        _summary(result.summary or {}, {})
    else:
        print(f"v{result.version} exists and rebuilds byte for byte; its checksum, changelog entry and card are set")
    return 0


@command
def run_verify(args: argparse.Namespace) -> int:
    report = api.verify(args.versions or None, rebuild=args.rebuild, config=_config(args))
    for problem in report.problems:
        print(printable_lines(problem))
    what = "rebuilt byte for byte and checked" if args.rebuild else "checked"
    print(f"{len(report.checked)} versions {what}: {'ok' if report.ok else f'{len(report.problems)} problems'}")
    return 0 if report.ok else 1


@command
def run_diff(args: argparse.Namespace) -> int:
    old, new, delta = api.diff(args.a, args.b, config=_config(args))
    if args.format == "json":
        print(json_safe(json.dumps({"from": old, "to": new, **delta.to_dict()}, indent=2, sort_keys=True)))
    else:
        sys.stdout.write(printable_lines(delta.text(old, new)))
    return 1 if args.exit_code and delta.changed else 0


@command
def run_check(args: argparse.Namespace) -> int:
    for line in api.check(config=_config(args), released=args.released):
        print(f"ok: {printable_lines(line)}")
    return 0


@command
def run_card(args: argparse.Namespace) -> int:
    path, changed = api.card(config=_config(args))
    print(printable_lines(f"{path}: {'written' if changed else 'already up to date'}"))
    return 0


@command
def run_push(args: argparse.Namespace) -> int:
    result = api.push(args.repo_id, config=_config(args), dry_run=args.dry_run, private=args.private)
    sys.stdout.write(printable_lines(result.plan.text()))
    if result.done and result.commits:
        print(f"pushed: {len(result.commits)} commits")
    return 1 if result.plan.conflicts else 0


@command
def run_explain(args: argparse.Namespace) -> int:
    config = None if args.out is not None else _config(args)
    explanation = api.explain(args.doc_id, args.version_, config=config, folder=args.out)
    if args.format == "json":
        print(json_safe(json.dumps(explanation.to_dict(), indent=2, ensure_ascii=False)))
    else:
        sys.stdout.write(printable_lines(explanation.text(full=args.full)))
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


def _add_common(p: argparse.ArgumentParser, seeds: bool = True) -> None:
    if seeds:
        p.add_argument("--seeds", default=None, help="seeds folder or fsspec URL (default: from pyproject.toml)")
    p.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")


def _add_engine(p: argparse.ArgumentParser) -> None:
    p.add_argument("--engine", choices=ENGINES, default=None, help="where the stages run (default: local)")
    p.add_argument("--ray-address", default=None, help="Ray cluster to connect to (default: start a local Ray)")
    p.add_argument("--partitions", type=int, default=None, help="Ray group-by partitions (default: from the data)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="corpuspack", description="Validate, deduplicate and publish a text corpus.")
    parser.add_argument("--version", action="version", version=f"corpuspack {api.__version__}")
    parser.add_argument("--root", type=Path, default=None, help="project folder (default: nearest pyproject.toml)")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("validate", help="check seed files against the schema; exit 1 if any is invalid")
    p.add_argument("paths", nargs="*", help="files, folders or fsspec URLs (default: the seeds folder)")
    p.add_argument("--format", choices=sorted(REPORTERS), default="text")
    p.add_argument("--strict", action="store_true", default=None, help="unknown file types are errors")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")

    p = sub.add_parser("build", help="build one complete version folder from the seeds (corpus/ is not touched)")
    p.add_argument("--out", default=None, help="empty or new folder or fsspec URL (default: a new temporary folder)")
    p.add_argument("--exact-only", action="store_true", help="skip near-duplicate detection")
    p.add_argument(
        "--work", type=Path, default=None, help="spill folder, kept for resuming (default: beside --out, removed)"
    )
    _add_common(p)
    _add_engine(p)

    p = sub.add_parser("release", help="build and publish corpus/vX.Y.Z with its card and changelog entry")
    p.add_argument("--corpus", type=Path, default=None, help="corpus folder (default: from pyproject.toml)")
    which = p.add_mutually_exclusive_group()
    which.add_argument(
        "--version", dest="version_", metavar="VERSION", default=None, help="the version to publish, X.Y.Z"
    )
    which.add_argument("--bump", choices=["major", "minor", "patch"], default=None)
    p.add_argument("--date", default=None, help="release date YYYY-MM-DD (default: today, UTC)")
    _add_common(p)
    _add_engine(p)

    p = sub.add_parser("verify", help="check released versions against their manifests")
    p.add_argument("versions", nargs="*", help="versions (default: all)")
    p.add_argument("--rebuild", action="store_true", help="rebuild from the recorded seeds and compare bytes")
    p.add_argument("--corpus", type=Path, default=None)
    _add_common(p, seeds=False)
    _add_engine(p)

    p = sub.add_parser("diff", help="what changed between two versions, or a version and the current seeds")
    p.add_argument("a", nargs="?", default=None, help="old version (default: the latest)")
    p.add_argument("b", nargs="?", default=None, help="new version (default: the current seeds)")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument("--exit-code", action="store_true", help="exit 1 when there are differences")
    p.add_argument("--corpus", type=Path, default=None)
    _add_common(p)

    p = sub.add_parser("explain", help="a document's paragraphs: kept, or why dropped and duplicate of which")
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
    p.add_argument("--corpus", type=Path, default=None, help="corpus folder (default: from pyproject.toml)")

    p = sub.add_parser("check", help="CI gate: seeds valid, versions intact, card in step (unreleased seeds reported)")
    p.add_argument("--corpus", type=Path, default=None)
    p.add_argument("--released", action="store_true", help="the release gate: also fail when seeds await a release")
    _add_common(p)

    p = sub.add_parser("card", help="rewrite corpus/README.md from the manifests and the hand-written CARD.md")
    p.add_argument("--corpus", type=Path, default=None)

    p = sub.add_parser("push", help="publish the released versions to a Hugging Face Hub dataset repo, a tag each")
    p.add_argument("repo_id", nargs="?", default=None, metavar="REPO_ID", help="owner/name (default: hub_repo)")
    p.add_argument("--dry-run", action="store_true", help="print the commits and tags it would make; send nothing")
    p.add_argument("--private", action="store_true", help="create the repository private (when it is new)")
    p.add_argument("--corpus", type=Path, default=None)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
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

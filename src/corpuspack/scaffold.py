"""`init`: lay out a new corpus repository that passes its own `corpuspack check`.

The files come from templates shipped in the package (`corpuspack/templates/`) and the package's
default schema; nothing is overwritten and nothing is written outside the folder given.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from dataclasses import dataclass, field
from importlib import metadata, resources
from pathlib import Path
from typing import Any

from .containment import is_within
from .errors import UsageError
from .printable import printable, printable_path
from .projects import enclosing_project, is_corpus_project
from .publish import changelog
from .version import __version__

# A pip requirement as CI and pre-commit install it: a name, a version or a URL, nothing a shell or
# YAML would read differently (no quotes, backslashes, `$` or backticks), never an option.
_REQUIREMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._\-\[\],<>=!~ @+:/?#&%]{0,499}")
_EXISTS = "already exists; corpuspack init writes no file over another (nothing written)"


@dataclass
class InitResult:
    """What `init` made: the folder, the files written (relative, in order) and how CI installs corpuspack."""

    root: Path
    written: list[str] = field(default_factory=list)
    requirement: str = ""
    warning: str = ""  # said when CI may not be able to install `requirement`


def init(folder: Path | str = ".", *, requirement: str | None = None, name: str | None = None) -> InitResult:
    """Lay out a corpus repository in `folder` (made if missing): pyproject.toml with
    `[tool.corpuspack]`, the default schema, `seeds/`, `corpus/` with its changelog, a CI workflow
    with both gates, a pre-commit configuration, CONTRIBUTING.md and .gitignore.

    `requirement`: how CI and pre-commit install corpuspack (default: `default_requirement()`);
    `name`: the dataset's name (default: the folder's). Refuses (UsageError) a folder that is
    already a corpus or holds any file it would write."""
    root = Path(folder).absolute()
    warning = local_install_warning() if requirement is None else ""
    requirement = requirement if requirement is not None else default_requirement()
    if not _REQUIREMENT.fullmatch(requirement):
        shown = printable(repr(requirement), 200)
        raise UsageError(f"{shown}: not a pip requirement to write into CI (such as corpuspack==1.0)")
    if name is None:
        name = root.resolve().name if _good_name(root.resolve().name) else "corpus"
    elif not _good_name(name):
        raise UsageError(f"{printable(repr(name), 200)}: not a dataset name (printable, 1 to 100 characters)")
    files = _files(name, requirement)
    pyproject = root / "pyproject.toml"
    if pyproject.is_file() and is_corpus_project(pyproject):
        raise UsageError(f"{printable_path(pyproject)}: already a corpus ([tool.corpuspack] is set); nothing written")
    if root.is_symlink():  # its files would land wherever it leads
        raise UsageError(f"{printable_path(root)}: a symlink; give the folder itself")
    if root.exists() and not root.is_dir():
        raise UsageError(f"{printable_path(root)}: not a folder")
    _refuse_inside_a_corpus(root)
    for rel in files:
        _refuse_in_the_way(root, rel)
    result = InitResult(root, requirement=requirement, warning=warning)
    made: list[Path] = []  # folders this call made, removed again (when empty) if it fails
    try:
        for rel, data in files.items():
            target = root / rel
            for folder in reversed([target.parent, *target.parent.parents]):
                if not folder.exists():
                    folder.mkdir()
                    made.append(folder)
            _refuse_in_the_way(root, rel)  # again: something may have appeared meanwhile
            with open(target, "xb") as f:  # never replaces a file, never follows a symlink
                f.write(data)
            result.written.append(rel)
    except FileExistsError as exc:
        _undo(root, result.written, made)
        raise UsageError(f"{printable_path(exc.filename or root)}: {_EXISTS}") from None
    except BaseException:
        _undo(root, result.written, made)
        raise
    return result


def default_requirement() -> str:
    """How CI installs this same corpuspack: the git URL and commit it was installed from, when it
    was installed from a remote git repository (PEP 610's direct_url.json), else its name and version."""
    return requirement_from(_direct_url(), __version__)


def _direct_url() -> dict[str, Any]:
    """PEP 610's direct_url.json of the installed corpuspack ({} when there is none)."""
    try:
        direct = json.loads(metadata.distribution("corpuspack").read_text("direct_url.json") or "{}")
    except (metadata.PackageNotFoundError, ValueError):
        return {}
    return direct if isinstance(direct, dict) else {}


def local_install_warning() -> str:
    """`warning_for` the way this corpuspack was installed."""
    return warning_for(_direct_url(), __version__)


def warning_for(direct: dict[str, Any], version: str) -> str:
    """What to say when a distribution installed as `direct` (a direct_url.json) is a file on this
    machine (a clone, a wheel): CI and the hooks install it by name and version, which an index may
    not have."""
    url = direct.get("url")
    if not isinstance(url, str) or not url.startswith("file:"):
        return ""
    return (
        f"corpuspack was installed from {printable(url, 200)}, which CI cannot reach: CI and pre-commit install"
        f" corpuspack=={version} from the package index; if it is not there, give --requirement"
        " (e.g. corpuspack @ git+https://HOST/OWNER/corpuspack@COMMIT)"
    )


def requirement_from(direct: dict[str, Any], version: str) -> str:
    """The requirement for a distribution installed as `direct` (a direct_url.json) says."""
    vcs = direct.get("vcs_info")
    url = direct.get("url")
    if isinstance(vcs, dict) and vcs.get("vcs") == "git" and isinstance(url, str) and not url.startswith("file:"):
        commit = vcs.get("commit_id")
        spec = f"corpuspack @ git+{url}@{commit}" if isinstance(commit, str) else f"corpuspack @ git+{url}"
        if _REQUIREMENT.fullmatch(spec):
            return spec
    return f"corpuspack=={version}"  # a local folder, a wheel file or an index: by name


def _good_name(name: str) -> bool:
    """A dataset name: printable (no control, format or surrogate character), trimmed, 1-100 characters."""
    return 0 < len(name) <= 100 and name == name.strip() and name.isprintable()


def _toml_string(text: str) -> str:
    """A TOML basic string of printable `text` (only quotes and backslashes need escapes)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _template(name: str) -> str:
    return (resources.files("corpuspack") / "templates" / f"{name}.tmpl").read_text(encoding="utf-8")


def _files(name: str, requirement: str) -> dict[str, bytes]:
    """Every file to write, by path relative to the new repository."""
    quoted = json.dumps(requirement)  # a YAML double-quoted scalar
    install = json.dumps(f"pip install '{requirement}'")
    texts = {
        "pyproject.toml": _template("pyproject.toml").replace("@NAME@", _toml_string(name)),
        ".gitignore": _template("gitignore"),
        "CONTRIBUTING.md": _template("CONTRIBUTING.md").replace("@REQUIREMENT_SHELL@", f"'{requirement}'"),
        ".github/workflows/corpus.yml": _template("corpus.yml").replace("@INSTALL@", install),
        ".pre-commit-config.yaml": _template("pre-commit-config.yaml").replace("@REQUIREMENT@", quoted),
        "corpus/CHANGELOG.md": changelog.HEADER,
        "seeds/.gitkeep": "",
    }
    files = {rel: text.encode("utf-8") for rel, text in texts.items()}
    files["schema/document.schema.json"] = (resources.files("corpuspack") / "document.schema.json").read_bytes()
    return files


def _refuse_in_the_way(root: Path, rel: str) -> None:
    """UsageError when `rel` exists, or a folder on its way is a file or a symlink (writing
    through a symlink could leave `root`)."""
    parts = rel.split("/")
    for depth in range(1, len(parts)):
        on_the_way = root.joinpath(*parts[:depth])
        if on_the_way.is_symlink() or (on_the_way.exists() and not on_the_way.is_dir()):
            raise UsageError(f"{printable_path(on_the_way)}: in the way of {rel} (a file or a symlink, not a folder)")
    if os.path.lexists(root / rel):
        raise UsageError(f"{printable_path(root / rel)}: {_EXISTS}")


def _refuse_inside_a_corpus(root: Path) -> None:
    """UsageError when `root` lies in the seeds or corpus folder of an enclosing corpus: its files
    would become seeds, or change a released version."""
    found = enclosing_project(root)
    for place in found[1] if found else []:
        if is_within(root, place):
            raise UsageError(
                f"{printable_path(root)}: inside {printable_path(place)} of the corpus at "
                f"{printable_path(found[0])}; nothing written"
            )


def _undo(root: Path, written: list[str], made: list[Path]) -> None:
    """Remove what this call wrote (its own files and folders only) after a failure part way."""
    for rel in reversed(written):
        with contextlib.suppress(OSError):
            (root / rel).unlink()
    for folder in reversed(made):
        with contextlib.suppress(OSError):
            folder.rmdir()  # only if empty: anything another put there stays

from __future__ import annotations

import hashlib
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from corpuspack import build, load_config

# Nothing in the tests may reach a hub: datasets and huggingface_hub read these at import.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SEED = REPO / "seeds" / "000_54be32d82c67160f.txt"


def run_cli(*args: str, cwd: Path, check: int | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m corpuspack` as a user would, in `cwd`."""
    done = subprocess.run(
        [sys.executable, "-m", "corpuspack", *args], cwd=cwd, capture_output=True, text=True, timeout=600
    )
    if check is not None:
        assert done.returncode == check, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    return done


def run_hook(hook: dict, project: Path, changed: list[str], check: int):
    """Run `hook` (from a .pre-commit-hooks.yaml or .pre-commit-config.yaml) as pre-commit would on
    `changed`: its entry, with the changed files its `files` pattern matches when it takes file names."""
    files = [name for name in changed if re.search(hook.get("files", ""), name)]
    if not files and not hook.get("always_run"):
        return None
    words = shlex.split(hook["entry"])
    assert words[0] == "corpuspack"
    return run_cli(*words[1:], *(files if hook.get("pass_filenames", True) else []), cwd=project, check=check)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A fresh copy of this repository's project files (pyproject, schema, seeds) in tmp_path."""
    root = tmp_path / "project"
    root.mkdir()
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    shutil.copytree(REPO / "schema", root / "schema")
    shutil.copytree(REPO / "seeds", root / "seeds")
    (root / "CHANGELOG.md").write_text("# Changelog\n\n## [Unreleased]\n", encoding="utf-8")
    return root


@pytest.fixture
def examples(tmp_path: Path) -> Path:
    """tests/data copied to tmp_path: a project whose good/ and bad/ folders hold example seeds."""
    target = tmp_path / "examples"
    shutil.copytree(DATA, target)
    return target


WORDS = (
    "river stone market winter garden signal harbor lantern meadow copper violet thunder ribbon orchard "
    "canvas pillar ember glacier falcon quarry saddle timber velvet willow anchor beacon cobalt dune "
    "fable grotto hollow island jasper kettle ledger marble nectar oasis pebble quiver rafter summit"
).split()


def sentence(seed: int, n: int = 40) -> str:
    """A deterministic paragraph of `n` words that shares no 5-gram with another seed's."""
    import random

    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def write_article(folder: Path, doc_id: str, paragraphs: list[str], crlf: bool = False, wrap: bool = False) -> Path:
    import textwrap

    body = [textwrap.fill(p, 30) if wrap else p for p in paragraphs]
    text = f"Title of {doc_id}\n\nTest Wire Updated on 2024-01-0{len(doc_id) % 9 + 1}\n\n" + "\n\n".join(body) + "\n"
    if crlf:
        text = text.replace("\n", "\r\n")
    path = folder / f"{doc_id}.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode())
    return path


SMALL_PROJECT = """[tool.corpuspack]
language = "en"
license = "CC-BY-4.0"
boilerplate_min_docs = 3
boilerplate_patterns = ['^Subscribe to our newsletter']
"""


@pytest.fixture
def small(tmp_path: Path) -> Path:
    """An empty project with test settings (boilerplate recurring in 3 documents)."""
    root = tmp_path / "small"
    (root / "seeds").mkdir(parents=True)
    (root / "pyproject.toml").write_text(SMALL_PROJECT, encoding="utf-8")
    shutil.copytree(REPO / "schema", root / "schema")
    return root


@pytest.fixture
def git_project(project: Path) -> Path:
    """The repository's project files, committed to a fresh git repository, released as v1.0.0."""
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    subprocess.run(["git", "add", "-A"], cwd=project, check=True)
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t",
    }
    subprocess.run(["git", "commit", "-qm", "seeds"], cwd=project, check=True, env=env)
    from corpuspack import load_config, release

    release(config=load_config(project), version="1.0.0", date="2026-11-28", workers=1)
    return project


def tree(root: Path) -> dict[str, str]:
    """Every file, folder and symlink under `root`, with a hash of its content (or its target):
    compared before and after a command, it shows anything the command changed."""
    out = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder, name)
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                out[rel] = "-> " + os.readlink(path)
            elif path.is_file():
                out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                out[rel] = "dir"
    return out


def ledger(out: Path) -> dict[tuple[str, int], dict]:
    """The published paragraphs of a built folder, by (document id, paragraph index)."""
    rows = pq.read_table(out / "paragraphs").to_pylist()
    return {(r["doc_id"], r["paragraph_index"]): r for r in rows}


def run(root: Path, tmp_path: Path, name: str = "out", **kwargs) -> Path:
    """Build the project `root` into `tmp_path/name` (one worker unless told)."""
    out = tmp_path / name
    build(out=out, config=load_config(root), workers=kwargs.pop("workers", 1), **kwargs)
    return out


@pytest.fixture
def planted(small: Path) -> Path:
    """Twenty documents with every kind of duplicate, in seeds of three formats."""
    seeds = small / "seeds"
    paragraphs = [sentence(100 + i, 60) for i in range(40)]
    for d in range(16):
        paras = [paragraphs[(d * 3 + k) % 40] for k in range(4)]
        if d % 4 == 1:
            words = paras[0].split()
            paras.append(" ".join([*words[:30], "zebra", "yak", *words[32:]]))
        if d % 5 == 2:
            paras.append(paras[1])
        write_article(seeds, f"doc{d:02d}", paras, crlf=d % 3 == 0, wrap=d % 4 == 0)
    lines = [
        '{"id": "rec-%d", "title": "R", "source": "S", "date": "2020-01-01", "text": "%s"}'
        % (i, "\\n\\n".join([paragraphs[i], paragraphs[i + 5]]))
        for i in (7, 3, 9)
    ]
    (seeds / "records.jsonl").write_text("\n".join(lines) + "\n")
    return small

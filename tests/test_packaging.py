"""The wheel carries what an installed corpuspack needs outside this repository, and works there."""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from conftest import REPO

from corpuspack.scaffold import _files


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp_path = tmp_path_factory.mktemp("wheel")
    source = tmp_path / "source"  # built from a copy: building writes build/ beside the sources
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    shutil.copytree(REPO / "src", source / "src", ignore=shutil.ignore_patterns("*.egg-info", "__pycache__"))
    command = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(tmp_path)]
    done = subprocess.run([*command, str(source)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    [built] = tmp_path.glob("corpuspack-*.whl")
    return built


def test_the_wheel_ships_the_default_schema_and_the_templates(wheel: Path):
    names = zipfile.ZipFile(wheel).namelist()
    assert "corpuspack/document.schema.json" in names and "corpuspack/py.typed" in names
    packaged = zipfile.ZipFile(wheel).read("corpuspack/document.schema.json")
    assert packaged == (REPO / "src" / "corpuspack" / "document.schema.json").read_bytes()
    templates = sorted(p.name for p in (REPO / "src" / "corpuspack" / "templates").iterdir())
    assert templates and all(f"corpuspack/templates/{name}" in names for name in templates)


def test_the_installed_wheel_lays_out_builds_and_releases_a_corpus_outside_this_repository(wheel: Path, tmp_path: Path):
    """A fresh virtual environment with the wheel (not this clone's sources, not the editable
    install): init, validate, build, release and check through its `corpuspack` script."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    install = [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", str(wheel)]
    done = subprocess.run(install, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    # The dependencies come from this environment, after the venv's own packages and without its
    # .pth files (the editable install of this repository is one of them).
    purelib = Path(
        subprocess.check_output(
            [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], text=True
        ).strip()
    )
    ours = [sysconfig.get_path("purelib"), *site.getsitepackages()]
    (purelib / "zz_dependencies.pth").write_text("\n".join(dict.fromkeys(ours)) + "\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    work = tmp_path / "elsewhere"
    work.mkdir()

    def corpuspack(*args: str, check: int = 0) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [venv / "bin" / "corpuspack", *args],
            cwd=work / "corpus",
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
        )
        assert done.returncode == check, done.stdout + done.stderr
        assert "Traceback" not in done.stderr, done.stderr
        return done

    where = subprocess.run(
        [python, "-c", "import corpuspack; print(corpuspack.__file__)"],
        capture_output=True,
        text=True,
        env=env,
        cwd=work,
    )
    assert Path(where.stdout.strip()).is_relative_to(venv), where.stdout + where.stderr

    (work / "corpus").mkdir()
    corpuspack("init")
    assert sorted(
        p.relative_to(work / "corpus").as_posix() for p in (work / "corpus").rglob("*") if p.is_file()
    ) == sorted(_files("corpus", "corpuspack==0.1.0"))
    assert "corpuspack==" in (work / "corpus" / ".github" / "workflows" / "corpus.yml").read_text()
    corpuspack("check")
    seeds = work / "corpus" / "seeds"
    (seeds / "one.md").write_text(
        "---\ntitle: One\nsource: Wire\ndate: 2024-01-01\n---\nFirst story, with enough words to be a paragraph.\n",
        encoding="utf-8",
    )
    (seeds / "more.jsonl").write_text(
        '{"id": "two", "title": "Two", "source": "Wire", "date": "2024-01-02", "text": "Second story, also long enough to count."}\n',
        encoding="utf-8",
    )
    assert corpuspack("validate").stdout.endswith("2 files, 2 documents: 0 errors, 0 warnings (valid)\n")
    built = corpuspack("build", "--out", str(work / "built"), "--workers", "1", "-q")
    assert (work / "built" / "manifest.json").is_file(), built.stdout
    corpuspack("check", "--released", check=1)
    corpuspack("release", "--version", "1.0.0", "--workers", "1", "-q")
    assert "ok: seeds match v1.0.0" in corpuspack("check", "--released").stdout
    assert corpuspack("verify", "--rebuild", "--workers", "1").stdout.endswith("ok\n")

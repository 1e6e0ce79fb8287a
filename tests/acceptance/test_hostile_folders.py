"""Hostile use of the folders a build writes: nothing outside corpuspack's own folders changes."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import run_cli, sentence, tree, write_article


def test_work_folder_holding_project_files_is_refused(project: Path, tmp_path: Path):
    before = tree(project)
    done = run_cli("build", "-q", "--work", ".", "--out", str(tmp_path / "x"), cwd=project, check=2)
    assert "work folder" in done.stderr or "--work" in done.stderr
    assert tree(project) == before
    assert not (tmp_path / "x").exists()


def test_work_folder_inside_seeds_is_refused(project: Path, tmp_path: Path):
    before = tree(project)
    done = run_cli("build", "-q", "--work", "seeds", "--out", str(tmp_path / "x"), cwd=project, check=2)
    assert "seeds folder" in done.stderr
    assert tree(project) == before


def test_a_home_like_folder_with_dotfiles_is_refused(project: Path, tmp_path: Path):
    home = tmp_path / "home"
    home.mkdir()
    (home / ".bashrc").write_text("alias ll='ls -l'\n")
    (home / ".ssh").mkdir()
    (home / ".ssh" / "id_ed25519").write_text("secret\n")
    before = tree(home)
    done = run_cli("build", "-q", "--work", str(home), "--out", str(tmp_path / "x"), cwd=project, check=2)
    assert "did not make" in done.stderr
    assert tree(home) == before


def test_planted_symlink_as_the_default_work_folder_is_refused(project: Path, tmp_path: Path):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "thesis.tex").write_text("years of work\n")
    out = tmp_path / "out"
    (tmp_path / ".out.work").symlink_to(victim)
    before = tree(victim)
    done = run_cli("build", "-q", "--out", str(out), cwd=project, check=2)
    assert "symlink" in done.stderr
    assert tree(victim) == before


def test_out_and_work_inside_each_other_are_refused_before_anything_is_made(project: Path, tmp_path: Path):
    before = tree(tmp_path)
    for out, work in (("o", "o/w"), ("w/o", "w")):
        done = run_cli(
            "build", "-q", "--out", str(tmp_path / out), "--work", str(tmp_path / work), cwd=project, check=2
        )
        assert "must not lie inside each other" in done.stderr
    assert tree(tmp_path) == before


def test_out_inside_corpus_or_seeds_is_refused(project: Path):
    before = tree(project)
    for out in ("corpus/v9.9.9", "seeds/built", "."):
        done = run_cli("build", "-q", "--out", out, cwd=project, check=2)
        assert "may not lie inside" in done.stderr or "not empty" in done.stderr, done.stderr
    assert tree(project) == before


def test_kept_work_folder_keeps_foreign_files_and_resumes(project: Path, tmp_path: Path):
    work = tmp_path / "work"
    run_cli("build", "-q", "--work", str(work), "--out", str(tmp_path / "a"), cwd=project, check=0)
    assert (work / ".corpuspack-work").is_file()
    (work / "notes.txt").write_text("mine\n")
    (work / "chunk-notes.done").write_text("mine too\n")
    done = run_cli("build", "-q", "--work", str(work), "--out", str(tmp_path / "b"), cwd=project, check=0)
    assert "1 chunks reused" in done.stderr
    assert (work / "notes.txt").read_text() == "mine\n"
    assert (work / "chunk-notes.done").read_text() == "mine too\n"
    assert tree(tmp_path / "a") == tree(tmp_path / "b")


def test_a_work_folder_mark_nested_thousands_deep_is_no_mark(project: Path, tmp_path: Path):
    """The mark is read as hostile JSON: brackets nested past the recursion limit were a traceback."""
    work = tmp_path / "work"
    work.mkdir()
    (work / ".corpuspack-work").write_text("[" * 2048 + "]" * 2048)
    (work / "mine.txt").write_text("mine\n")
    done = run_cli("build", "-q", "--work", str(work), "--out", str(tmp_path / "a"), cwd=project, check=2)
    assert "Traceback" not in done.stderr and "corpuspack" in done.stderr
    assert (work / "mine.txt").read_text() == "mine\n"


def test_a_kept_chunk_list_with_a_lone_surrogate_is_planned_anew(project: Path, tmp_path: Path):
    """A chunk's list of seeds holding an escape such as \\ud800 was a UnicodeEncodeError traceback."""
    work = tmp_path / "work"
    run_cli("build", "-q", "--work", str(work), "--out", str(tmp_path / "a"), cwd=project, check=0)
    for listed in work.glob("chunk-*.seeds"):
        listed.write_text(listed.read_text().replace('"seeds/', '"\\ud800seeds/', 1))
    run_cli("build", "-q", "--work", str(work), "--out", str(tmp_path / "b"), cwd=project, check=0)
    assert tree(tmp_path / "a") == tree(tmp_path / "b")


def test_a_work_folder_another_build_holds_is_refused_and_left_alone(project: Path, tmp_path: Path):
    work = tmp_path / "work"
    run_cli("build", "-q", "--work", str(work), "--out", str(tmp_path / "a"), cwd=project, check=0)
    before = tree(work)
    # Another process holding the work folder's lock, as a running build does.
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(work / ".corpuspack-work")], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline() == "held\n"
        done = run_cli("build", "-q", "--work", str(work), "--out", str(tmp_path / "b"), cwd=project, check=2)
        assert "another build is using this work folder" in done.stderr
        assert "Traceback" not in done.stderr
        assert tree(work) == before
        assert not (tmp_path / "b").exists()
    finally:
        holder.kill()
        holder.wait()
    run_cli("build", "-q", "--work", str(work), "--out", str(tmp_path / "b"), cwd=project, check=0)
    assert tree(tmp_path / "a") == tree(tmp_path / "b")


_HOLD = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(120)
"""


def test_default_work_folder_is_removed_and_nothing_else(project: Path, tmp_path: Path):
    run_cli("build", "-q", "--out", str(tmp_path / "out"), cwd=project, check=0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "project"]


def test_a_pickled_completion_marker_is_never_loaded(project: Path, tmp_path: Path):
    work = tmp_path / "work"
    run_cli("build", "-q", "--work", str(work), "--out", str(tmp_path / "a"), cwd=project, check=0)
    pwned = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (Path.touch, (pwned,))

    for marker in work.glob("chunk-*.done"):
        marker.write_bytes(pickle.dumps(Payload()))
    done = run_cli("build", "-q", "--work", str(work), "--out", str(tmp_path / "b"), cwd=project, check=0)
    assert not pwned.exists()
    assert "reused" not in done.stderr  # the chunk was read again
    assert tree(tmp_path / "a") == tree(tmp_path / "b")


def test_resume_sees_a_seed_restored_with_the_old_size_and_mtime(tmp_path: Path):
    root = tmp_path / "p"
    (root / "seeds").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[tool.corpuspack]\nlanguage = 'en'\nlicense = 'CC0-1.0'\n")
    seed = write_article(root / "seeds", "doc", [sentence(1), sentence(2)])
    work = tmp_path / "work"
    run_cli("build", "-q", "--work", str(work), "--out", str(tmp_path / "a"), cwd=root, check=0)
    st = seed.stat()
    text = seed.read_text()
    swapped = text.replace(sentence(2)[:20], sentence(2)[:20][::-1])
    assert len(swapped) == len(text) and swapped != text
    seed.write_text(swapped)
    os.utime(seed, ns=(st.st_atime_ns, st.st_mtime_ns))
    done = run_cli("build", "-q", "--work", str(work), "--out", str(tmp_path / "b"), cwd=root, check=0)
    assert "reused" not in done.stderr
    texts = pq.read_table(tmp_path / "b" / "documents").column("text").to_pylist()
    assert sentence(2)[:20][::-1] in texts[0]


def test_boilerplate_patterns_that_would_drop_everything_are_config_errors(project: Path, tmp_path: Path):
    pyproject = project / "pyproject.toml"
    original = pyproject.read_text()
    start = original.index("boilerplate_patterns = [")
    end = original.index("]", start) + 1
    for value, says in (
        ('"Disclaimer"', "expected a list of non-empty strings"),
        ('[""]', "not a non-empty string"),
        ("[5]", "not a non-empty string"),
        ('["x*"]', "matches every paragraph"),
        ('["."]', "matches every paragraph"),
        ('["[a-z]"]', "matches every paragraph"),
        ('["(unclosed"]', "invalid pattern"),
    ):
        pyproject.write_text(original[:start] + f"boilerplate_patterns = {value}" + original[end:])
        before = tree(tmp_path)
        done = run_cli("build", "-q", "--out", str(tmp_path / "out"), cwd=project, check=3)
        assert says in done.stderr, (value, done.stderr)
        assert tree(tmp_path) == before


def _outside_project(tmp_path: Path, where: str) -> tuple[Path, Path]:
    root = tmp_path / "project"
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text("[tool.corpuspack]\nlanguage = 'en'\nlicense = 'CC0-1.0'\n")
    seeds = tmp_path / where / "seeds"
    write_article(seeds, "doc", [sentence(1), sentence(2)])
    return root, seeds


def test_seeds_outside_the_project_publish_no_absolute_path(tmp_path: Path):
    root, seeds = _outside_project(tmp_path, "far/away")
    _, other = _outside_project(tmp_path, "elsewhere")
    run_cli("build", "-q", "--seeds", str(seeds), "--out", str(tmp_path / "a"), cwd=root, check=0)
    run_cli("build", "-q", "--seeds", str(other), "--out", str(tmp_path / "b"), cwd=root, check=0)
    assert tree(tmp_path / "a") == tree(tmp_path / "b")  # the bytes do not depend on where the seeds were
    docs = pq.read_table(tmp_path / "a" / "documents").to_pylist()
    assert docs[0]["seed_path"] == "seeds/doc.txt"
    manifest = (tmp_path / "a" / "manifest.json").read_text()
    assert str(tmp_path) not in manifest


def test_verify_rebuild_never_writes_over_a_users_seed(tmp_path: Path):
    """Seeds beside the project folder, in the same git repository: the rebuild takes the released
    bytes from git into its own folder and leaves the user's edit alone."""
    repo = tmp_path / "repo"
    root, seeds = _outside_project(repo, ".")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", "seeds"], cwd=repo, check=True)
    run_cli("release", "-q", "--seeds", str(seeds), "--version", "1.0.0", "--date", "2026-12-01", cwd=root, check=0)
    seed = seeds / "doc.txt"
    seed.write_text(seed.read_text().replace("Title of doc", "My edited title"))
    before = tree(tmp_path)
    run_cli("verify", "--rebuild", "-q", cwd=root, check=0)
    assert "My edited title" in seed.read_text()
    assert tree(tmp_path) == before


def test_symlinks_named_like_a_builds_own_files_in_a_kept_work_folder_are_never_written_through(
    project: Path, tmp_path: Path
):
    work = tmp_path / "work"
    run_cli("build", "-q", "--work", str(work), "--out", str(tmp_path / "a"), cwd=project, check=0)
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "thesis.tex").write_text("years of work\n")
    (victim / "regrouped").mkdir()
    before = tree(victim)
    key = next(work.glob("chunk-*.done")).name[6:-5]
    (work / "inputs.arrow").unlink()
    (work / f"chunk-{key}.seeds").unlink()
    for name in ("inputs.arrow", f"chunk-{key}.tmp", f"chunk-{key}.seeds", f"texts-{key}.tmp", f"docs-{key}.tmp"):
        (work / name).symlink_to(victim / "thesis.tex")
    (work / "regrouped").symlink_to(victim / "regrouped")
    for marker in work.glob("chunk-*.done"):
        marker.unlink()  # every chunk read again: its spill written anew
    done = run_cli("build", "-q", "--work", str(work), "--out", str(tmp_path / "b"), cwd=project, check=2)
    assert "symlink" in done.stderr
    assert tree(victim) == before
    for name in ("inputs.arrow", f"chunk-{key}.tmp", f"chunk-{key}.seeds", f"texts-{key}.tmp", f"docs-{key}.tmp"):
        (work / name).unlink()
    (work / "regrouped").unlink()
    (work / "regrouped" / "texts").mkdir(parents=True)  # a folder left by a build cut short, a link planted in it
    (work / "regrouped" / "texts" / "00000.arrow").symlink_to(victim / "thesis.tex")
    done = run_cli("build", "-q", "--work", str(work), "--out", str(tmp_path / "c"), cwd=project, check=2)
    assert "regrouped/texts/00000.arrow" in done.stderr
    assert tree(victim) == before
    (work / "regrouped" / "texts" / "00000.arrow").unlink()
    run_cli("build", "-q", "--work", str(work), "--out", str(tmp_path / "d"), cwd=project, check=0)
    assert tree(tmp_path / "a") == tree(tmp_path / "d")


@pytest.mark.parametrize(
    ("suffix", "kind", "reread"),
    [("seeds", "folder", True), ("done", "folder", True), ("tmp", "folder", True), ("tmp", "fifo", False)],
)
def test_a_folder_or_fifo_named_like_a_builds_own_file_is_refused_not_failed_on_or_waited_on(
    project: Path, tmp_path: Path, suffix: str, kind: str, reread: bool
):
    """A folder named `chunk-KEY.seeds` (or `.done`, `.tmp`) made every build fail once the chunk was
    read again, exit 1 naming `chunk-KEY.tmp`; a FIFO named `chunk-KEY.tmp` made a build wait for ever,
    even one that only took the chunk (its list, missing, written anew). Refused up front, as a symlink is."""
    work = tmp_path / "work"
    run_cli("build", "-q", "--work", str(work), "--out", str(tmp_path / "a"), cwd=project, check=0)
    key = next(work.glob("chunk-*.done")).name[6:-5]
    (work / f"chunk-{key}.seeds").unlink()  # as a chunk kept by an older corpuspack: its list written when taken
    if reread:
        (work / f"chunk-{key}.done").unlink()
    planted = work / f"chunk-{key}.{suffix}"
    planted.mkdir() if kind == "folder" else os.mkfifo(planted)
    done = subprocess.run(
        [sys.executable, "-m", "corpuspack", "build", "-q", "--work", str(work), "--out", str(tmp_path / "b")],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert planted.name in done.stderr and "Traceback" not in done.stderr
    planted.rmdir() if kind == "folder" else planted.unlink()
    run_cli("build", "-q", "--work", str(work), "--out", str(tmp_path / "c"), cwd=project, check=0)
    assert tree(tmp_path / "a") == tree(tmp_path / "c")


def test_a_failed_build_without_out_leaves_no_temporary_folder(project: Path, tmp_path: Path, monkeypatch):
    """A build into a new temporary folder that failed left it and its work folder (spills and all)
    in the temp folder, where nothing could resume or remove them."""
    (tmp_path / "tmp").mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (project / "seeds" / "broken.json").write_text('{"id": ')
    done = run_cli("build", "-q", cwd=project, check=1)
    assert "broken.json" in done.stderr
    assert list((tmp_path / "tmp").iterdir()) == []


def test_a_broken_schema_is_refused_before_a_work_folder_is_made(project: Path, tmp_path: Path):
    """A broken schema (exit 3) left an empty marked `.out.work` beside --out."""
    (project / "schema" / "document.schema.json").write_text("{")
    before = tree(tmp_path)
    run_cli("build", "-q", "--out", str(tmp_path / "out"), cwd=project, check=3)
    assert tree(tmp_path) == before
    assert not (tmp_path / ".out.work").exists()

"""`corpuspack init`: a new corpus repository that passes its own gates, and the gates on it as a
contributor and a maintainer meet them."""

from __future__ import annotations

import os
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml
from conftest import REPO, run_cli, run_hook, sentence, tree

from corpuspack import UsageError, init, load_config
from corpuspack.scaffold import local_install_warning, requirement_from, warning_for

LAYOUT = {
    ".github/workflows/corpus.yml",
    ".gitignore",
    ".pre-commit-config.yaml",
    "CONTRIBUTING.md",
    "corpus/CHANGELOG.md",
    "pyproject.toml",
    "schema/document.schema.json",
    "seeds/.gitkeep",
}
GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@t",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@t",
}


def files_under(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def seed_md(folder: Path, doc_id: str, n: int = 1) -> Path:
    """A seed as CONTRIBUTING.md shows one: Markdown with front matter, the id from the file name."""
    path = folder / f"{doc_id}.md"
    path.write_text(
        f"---\ntitle: Story {doc_id}\nsource: Test Wire\ndate: 2024-01-0{n}\n---\n{sentence(n)}\n\n{sentence(n + 50)}\n",
        encoding="utf-8",
    )
    return path


def test_init_lays_out_a_corpus_that_passes_its_own_gates(tmp_path: Path):
    done = run_cli("init", "my-corpus", "--requirement", "corpuspack==0.1.0", cwd=tmp_path, check=0)
    root = tmp_path / "my-corpus"
    assert files_under(root) == LAYOUT
    assert done.stdout.count("wrote ") == len(LAYOUT) and "corpuspack==0.1.0" in done.stdout
    pyproject = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    assert set(pyproject) == {"tool"}  # no [project], no [build-system]: not a package by accident
    assert load_config(root).name == "my-corpus"
    shipped = REPO / "src" / "corpuspack" / "document.schema.json"
    assert (root / "schema" / "document.schema.json").read_bytes() == shipped.read_bytes()
    assert run_cli("check", cwd=root, check=0).stdout == "ok: no seeds and no release yet: nothing to check\n"
    run_cli("check", "--released", cwd=root, check=0)

    workflow = yaml.safe_load((root / ".github" / "workflows" / "corpus.yml").read_text(encoding="utf-8"))
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert set(triggers) == {"pull_request", "push"} and triggers["push"] == {"branches": ["main"]}
    steps = workflow["jobs"]["gate"]["steps"]
    assert any(s.get("run") == "pip install 'corpuspack==0.1.0'" for s in steps)
    gates = {s["if"]: s["run"] for s in steps if "if" in s}
    assert gates == {
        "github.event_name == 'pull_request'": "corpuspack check -q",
        "github.event_name != 'pull_request'": "corpuspack check --released -q",
    }
    config = yaml.safe_load((root / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    hooks = {h["id"]: h for h in config["repos"][0]["hooks"]}
    assert all(h["additional_dependencies"] == ["corpuspack==0.1.0"] for h in hooks.values())
    seed_md(root / "seeds", "first")
    run_hook(hooks["corpuspack-validate"], root, ["seeds/first.md"], check=0)
    run_hook(hooks["corpuspack-check"], root, [], check=0)
    (root / "seeds" / "again.jsonl").write_text(
        '{"id": "first", "title": "t", "source": "s", "date": "2024-01-01", "text": "x"}\n'
    )
    done = run_hook(hooks["corpuspack-validate"], root, ["seeds/again.jsonl"], check=1)
    assert "duplicate id 'first': already used by seeds/first.md:1" in done.stdout


def test_a_contributor_and_a_maintainer_meet_the_gates(tmp_path: Path):
    """The issue's "done when": a seed added in a pull-request-like commit passes the PR gate and
    fails the release gate until released; then both pass; an id used twice fails both."""
    root = tmp_path / "corpus-repo"
    run_cli("init", str(root), cwd=tmp_path, check=0)

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=root, check=True, env=GIT_ENV, capture_output=True)

    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("commit", "-qm", "corpuspack init")
    git("checkout", "-qb", "add-a-seed")  # the contributor's pull request
    seed_md(root / "seeds", "story-1")
    git("add", "-A")
    git("commit", "-qm", "a seed")
    pr_gate = run_cli("check", cwd=root, check=0)
    assert "ok: seeds valid (1 documents)" in pr_gate.stdout and "no release yet" in pr_gate.stdout
    assert "no release yet" in run_cli("check", "--released", cwd=root, check=1).stderr
    git("checkout", "-q", "main")  # merged; the maintainer releases
    git("merge", "-q", "add-a-seed")
    run_cli("check", "--released", cwd=root, check=1)
    run_cli("release", "--version", "1.0.0", "--date", "2026-12-01", "--workers", "1", "-q", cwd=root, check=0)
    git("add", "-A")
    git("commit", "-qm", "release v1.0.0")
    run_cli("check", cwd=root, check=0)
    run_cli("check", "--released", cwd=root, check=0)
    assert not any(p.name.startswith(".staging") for p in (root / "corpus").iterdir())

    git("checkout", "-qb", "second")  # a second pull request: a new seed, and an id already used
    seed_md(root / "seeds", "story-2", 2)
    git("add", "-A")
    git("commit", "-qm", "another seed")
    assert "1 changes since v1.0.0 await a release" in run_cli("check", cwd=root, check=0).stdout
    run_cli("check", "--released", cwd=root, check=1)
    (root / "seeds" / "more.jsonl").write_text(
        '{"id": "story-1", "title": "t", "source": "s", "date": "2024-01-01", "text": "x"}\n', encoding="utf-8"
    )
    git("add", "-A")
    git("commit", "-qm", "an id used twice")
    for gate in (["check"], ["check", "--released"]):
        done = run_cli(*gate, cwd=root, check=1)
        assert "seeds/story-1.md:1: /id: duplicate id 'story-1': already used by seeds/more.jsonl:1" in done.stderr
    hook = run_cli("validate", "seeds/more.jsonl", cwd=root, check=1)  # what the pre-commit hook runs
    assert "seeds/more.jsonl:1: /id: duplicate id 'story-1': already used by seeds/story-1.md:1" in hook.stdout


def test_init_refuses_a_corpus_or_any_file_in_the_way_and_writes_nothing(tmp_path: Path):
    root = tmp_path / "existing"
    init(root, requirement="corpuspack==0.1.0")
    before = tree(tmp_path)
    done = run_cli("init", "existing", cwd=tmp_path, check=2)
    assert "existing/pyproject.toml: already a corpus" in done.stderr
    assert tree(tmp_path) == before

    busy = tmp_path / "busy"  # a repository with files of its own: taken, unless init would overwrite one
    (busy / "docs").mkdir(parents=True)
    (busy / "docs" / "notes.md").write_text("mine\n")
    (busy / "CONTRIBUTING.md").write_text("ours\n")
    before = tree(tmp_path)
    assert "busy/CONTRIBUTING.md: already exists" in run_cli("init", "busy", cwd=tmp_path, check=2).stderr
    assert tree(tmp_path) == before
    (busy / "CONTRIBUTING.md").unlink()
    run_cli("init", "busy", "--requirement", "corpuspack==0.1.0", cwd=tmp_path, check=0)
    assert (busy / "docs" / "notes.md").read_text() == "mine\n" and files_under(busy) == LAYOUT | {"docs/notes.md"}

    outside = tmp_path / "outside"  # a symlink on the way would lead out of the folder
    outside.mkdir()
    (tmp_path / "linked").mkdir()
    (tmp_path / "linked" / "seeds").symlink_to(outside)
    before = tree(tmp_path)
    assert "linked/seeds: in the way of seeds/.gitkeep" in run_cli("init", "linked", cwd=tmp_path, check=2).stderr
    assert tree(tmp_path) == before and not any(outside.iterdir())

    (tmp_path / "plain-file").write_text("x")
    assert "not a folder" in run_cli("init", "plain-file", cwd=tmp_path, check=2).stderr
    for bad in ("--requirement", "corpuspack; rm -rf /"), ("--requirement", "-e ."), ("--name", "a\nb"):
        assert "corpuspack: error:" in run_cli("init", "new", *bad, cwd=tmp_path, check=2).stderr
    assert not (tmp_path / "new").exists()


def test_init_over_a_pyproject_nested_too_deeply_refuses_it_without_a_traceback(tmp_path: Path):
    """tomllib recurses: such a file was a RecursionError traceback; like broken TOML it is no corpus."""
    deep = tmp_path / "deep"
    deep.mkdir()
    (deep / "pyproject.toml").write_text(f"[tool.corpuspack]\nx = {'[' * 100_000}{']' * 100_000}\n")
    before = tree(tmp_path)
    done = run_cli("init", "deep", "--requirement", "corpuspack==0.1.0", cwd=tmp_path, check=2)
    assert "deep/pyproject.toml: already exists" in done.stderr
    assert tree(tmp_path) == before


def test_init_refuses_the_seeds_or_corpus_folder_of_an_enclosing_corpus(tmp_path: Path):
    # Inside seeds/ its files became seeds; inside corpus/v1.0.0/ they changed a released version.
    outer = tmp_path / "outer"
    init(outer, requirement="corpuspack==0.1.0")
    (outer / "corpus" / "v1.0.0").mkdir()
    before = tree(tmp_path)
    for inner in ("seeds/nested", "corpus/v1.0.0/sub", "corpus"):
        done = run_cli("init", inner, "--requirement", "corpuspack==0.1.0", cwd=outer, check=2)
        assert f"inside {outer / inner.split('/')[0]} of the corpus at {outer}" in done.stderr, done.stderr
    assert tree(tmp_path) == before
    run_cli("init", "beside", "--requirement", "corpuspack==0.1.0", cwd=outer, check=0)  # elsewhere in it: taken


def test_a_failure_part_way_removes_what_init_wrote(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A file appearing between the check and the write (another process) stops init, which
    removes only its own files and folders."""
    from corpuspack import scaffold

    real = scaffold._refuse_in_the_way
    calls = []

    def racing(root: Path, rel: str) -> None:
        calls.append(rel)
        if rel == ".pre-commit-config.yaml" and calls.count(rel) == 2:  # the second look, just before writing
            (root / rel).write_text("theirs\n")
        real(root, rel)

    monkeypatch.setattr(scaffold, "_refuse_in_the_way", racing)
    root = tmp_path / "racy"
    with pytest.raises(UsageError, match=r"racy/\.pre-commit-config\.yaml: already exists"):
        init(root, requirement="corpuspack==0.1.0")
    assert (
        files_under(root) == {".pre-commit-config.yaml"}
        and (root / ".pre-commit-config.yaml").read_text() == "theirs\n"
    )
    assert sorted(p.name for p in root.iterdir()) == [".pre-commit-config.yaml"]


def test_names_are_escaped_in_output_and_files(tmp_path: Path):
    odd = 'we"ird\\ name'
    run_cli("init", odd, "--requirement", "corpuspack==0.1.0", cwd=tmp_path, check=0)
    assert load_config(tmp_path / odd).name == odd  # round-trips through TOML
    hostile = "evil\x1b[31m\nname"
    done = run_cli("init", hostile, "--requirement", "corpuspack==0.1.0", cwd=tmp_path, check=0)
    assert "\x1b" not in done.stdout and "evil\\x1b[31m\\x0aname/pyproject.toml" in done.stdout
    assert load_config(tmp_path / hostile).name == "corpus"  # not a printable name: the default
    again = run_cli("init", hostile, cwd=tmp_path, check=2)
    assert "\x1b" not in again.stderr and "evil\\x1b[31m\\x0aname/pyproject.toml" in again.stderr


def test_the_requirement_follows_where_corpuspack_was_installed_from():
    git = {"url": "https://example.org/team/corpuspack.git", "vcs_info": {"vcs": "git", "commit_id": "abc123"}}
    assert requirement_from(git, "0.1.0") == "corpuspack @ git+https://example.org/team/corpuspack.git@abc123"
    local_clone = {"url": "file:///home/me/corpuspack", "vcs_info": {"vcs": "git", "commit_id": "abc123"}}
    assert requirement_from(local_clone, "0.1.0") == "corpuspack==0.1.0"  # CI cannot reach a local path
    assert requirement_from({"url": "file:///tmp/x.whl", "archive_info": {}}, "0.2.0") == "corpuspack==0.2.0"
    assert requirement_from({}, "0.1.0") == "corpuspack==0.1.0"
    hostile = {"url": "https://x/'$(id)'", "vcs_info": {"vcs": "git", "commit_id": "abc"}}
    assert requirement_from(hostile, "0.1.0") == "corpuspack==0.1.0"


def test_a_corpuspack_installed_from_this_machine_is_warned_about_and_a_given_requirement_is_not(tmp_path: Path):
    """A clone or wheel installed here: CI installs corpuspack by name and version, which the index
    may not hold; said on stderr (escaped) unless --requirement says how CI installs it."""
    local_clone = {"url": "file:///home/me/corpus\x1bpack", "vcs_info": {"vcs": "git", "commit_id": "abc123"}}
    said = warning_for(local_clone, "0.1.0")
    assert said.startswith("corpuspack was installed from file:///home/me/corpus\\x1bpack, which CI cannot reach")
    assert "corpuspack==0.1.0" in said and "--requirement" in said and "\x1b" not in said
    assert warning_for({"url": "file:///tmp/x.whl", "archive_info": {}}, "0.2.0").count("corpuspack==0.2.0") == 1
    git = {"url": "https://example.org/team/corpuspack.git", "vcs_info": {"vcs": "git", "commit_id": "abc123"}}
    assert warning_for(git, "0.1.0") == warning_for({}, "0.1.0") == ""
    given = run_cli("init", "given", "--requirement", "corpuspack==0.1.0", cwd=tmp_path, check=0)
    assert "warning" not in given.stderr
    default = run_cli("init", "default", cwd=tmp_path, check=0)
    assert ("corpuspack: warning: corpuspack was installed from" in default.stderr) == bool(local_install_warning())


def test_init_does_not_write_through_a_target_folder_that_is_a_symlink(tmp_path: Path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "link").symlink_to(elsewhere)
    done = run_cli("init", "link", cwd=tmp_path, check=2)
    assert "link: a symlink; give the folder itself" in done.stderr
    assert list(elsewhere.iterdir()) == []

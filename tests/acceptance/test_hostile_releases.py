"""Damaged, tampered and half-released corpus folders: what `verify`, `check` and `release` say about
them, and that nothing changes outside what the command may write."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import REPO, run_cli, sentence, tree, write_article

from corpuspack import load_config, release
from corpuspack.errors import UsageError
from corpuspack.publish.layout import Version

DATE = "2026-12-05"
RELEASE = ("release", "-q", "--bump", "patch", "--date", DATE, "--workers", "1")
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
CORPUS_FILES = ("CHANGELOG.md", "README.md", "SHA256SUMS", "reports")  # reports: each version's report


def changed(before: dict[str, str], after: dict[str, str]) -> set[str]:
    """Paths added, removed or changed between two `tree`s."""
    return {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, env={**os.environ, **GIT_ENV})


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Like `git_project`, with a second release: v1.0.0 (the repository's seed) and v1.1.0 (one
    more article), both committed to git. Built once; each test works on its own copy."""
    root = tmp_path_factory.mktemp("template") / "project"
    root.mkdir()
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    shutil.copytree(REPO / "schema", root / "schema")
    shutil.copytree(REPO / "seeds", root / "seeds")
    (root / "CHANGELOG.md").write_text("# Changelog\n\n## [Unreleased]\n", encoding="utf-8")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "seeds")
    release(config=load_config(root), version="1.0.0", date="2026-11-28", workers=1)
    write_article(root / "seeds", "second", [sentence(11), sentence(12)])
    git(root, "add", "-A")
    git(root, "commit", "-qm", "second")
    release(config=load_config(root), version="1.1.0", date="2026-12-01", workers=1)
    return root


@pytest.fixture
def released(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of `template` in tmp_path; the commands' temporary folders go to tmp_path/tmp, so that
    hashing tmp_path sees them too."""
    (tmp_path / "tmp").mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    root = tmp_path / "project"
    shutil.copytree(template, root, symlinks=True)
    return root


def edit_manifest(root: Path, version: str, edit: Callable[[dict], None], update_sums: bool = False) -> None:
    """Rewrite a version's manifest through `edit`; with `update_sums`, as an attacker who also
    writes the new manifest's sha256 into SHA256SUMS."""
    path = root / "corpus" / f"v{version}" / "manifest.json"
    body = json.loads(path.read_text(encoding="utf-8"))
    edit(body)
    path.write_text(json.dumps(body, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    if update_sums:
        set_sum(root, version, hashlib.sha256(path.read_bytes()).hexdigest())


def set_sum(root: Path, version: str, digest: str | None) -> None:
    """Set (or with None drop) a version's line in SHA256SUMS."""
    sums = root / "corpus" / "SHA256SUMS"
    lines = [line for line in sums.read_text().splitlines() if not line.endswith(f"  v{version}/manifest.json")]
    if digest:
        lines.append(f"{digest}  v{version}/manifest.json")
    sums.write_text("".join(line + "\n" for line in sorted(lines, key=lambda s: s.split("  ")[1])))


def drop_changelog_entry(root: Path, version: str) -> None:
    path = root / "corpus" / "CHANGELOG.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(rf"## \[{re.escape(version)}\] - .*?(?=^## |\Z)", "", text, flags=re.S | re.M))


def sums_of(corpus: Path) -> dict[str, str]:
    """SHA256SUMS by version folder, each line checked as `sha256sum -c` reads it."""
    found = {}
    for line in (corpus / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        digest, name = re.fullmatch(r"([0-9a-f]{64})  (v\d+\.\d+\.\d+)/manifest\.json", line).groups()
        found[name] = digest
    return found


def assert_settled(corpus: Path) -> None:
    """No release leftovers; every version folder has its SHA256SUMS line (right sum) and changelog entry."""
    assert sorted(p.name for p in corpus.iterdir() if not re.fullmatch(r"v\d+\.\d+\.\d+", p.name)) == sorted(
        CORPUS_FILES
    )
    assert all(p.name.startswith("v") for p in (corpus / "reports").iterdir())  # no report left half-written
    folders = sorted(p.name for p in corpus.iterdir() if p.name.startswith("v"))
    sums = sums_of(corpus)
    assert sorted(sums) == folders
    log = (corpus / "CHANGELOG.md").read_text(encoding="utf-8")
    for name in folders:
        assert sums[name] == hashlib.sha256((corpus / name / "manifest.json").read_bytes()).hexdigest()
        assert f"## [{name[1:]}] - " in log, name
    if shutil.which("sha256sum"):
        assert subprocess.run(["sha256sum", "--quiet", "-c", "SHA256SUMS"], cwd=corpus).returncode == 0


def edit_text(root: Path, version: str, old: str, new: str) -> None:
    """Edit a manifest's bytes as someone with an editor would: one field, nothing else."""
    path = root / "corpus" / f"v{version}" / "manifest.json"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def edit_json(root: Path, version: str, key: str, value: object) -> None:
    """A manifest with `key` set to `value` (None: removed)."""
    path = root / "corpus" / f"v{version}" / "manifest.json"
    body = json.loads(path.read_text(encoding="utf-8"))
    if value is None:
        del body[key]
    else:
        body[key] = value
    path.write_text(json.dumps(body, indent=2), encoding="utf-8")


def _rename_covered(root: Path) -> None:
    """v1.1.0 renamed to v2.0.0, SHA256SUMS and changelog made to match: only the version inside tells."""
    corpus = root / "corpus"
    (corpus / "v1.1.0").rename(corpus / "v2.0.0")
    set_sum(root, "1.1.0", None)
    set_sum(root, "2.0.0", hashlib.sha256((corpus / "v2.0.0" / "manifest.json").read_bytes()).hexdigest())
    log = corpus / "CHANGELOG.md"
    log.write_text(log.read_text().replace("## [1.1.0]", "## [2.0.0]"))


def _symlinked(root: Path) -> None:
    """v1.1.0 moved out of the corpus folder, a symlink left in its place."""
    corpus = root / "corpus"
    (corpus / "v1.1.0").rename(root / "elsewhere")
    (corpus / "v1.1.0").symlink_to(root / "elsewhere")


DAMAGES: dict[str, tuple[Callable[[Path], None], list[str]]] = {
    "version folder a symlink": (_symlinked, ["v1.1.0: a symlink; a version folder must be the folder itself"]),
    "manifest missing": (
        lambda root: (root / "corpus/v1.1.0/manifest.json").unlink(),
        ["v1.1.0: {corpus}/v1.1.0/manifest.json: missing"],
    ),
    "manifest not JSON": (
        lambda root: (root / "corpus/v1.1.0/manifest.json").write_text('{"version": "1.1.0", '),
        ["v1.1.0: {corpus}/v1.1.0/manifest.json: not a JSON manifest"],
    ),
    "manifest {}": (
        lambda root: (root / "corpus/v1.0.0/manifest.json").write_text("{}"),
        ["v1.0.0: {corpus}/v1.0.0/manifest.json: /outputs: missing or not a list"],
    ),
    # Found by tests/test_properties.py: a manifest without "version" (or "parent", "diff") was a
    # KeyError traceback in verify, check and release.
    "manifest without its version": (
        lambda root: edit_json(root, "1.0.0", "version", None),
        ["v1.0.0: {corpus}/v1.0.0/manifest.json: /version: missing or not a string (or null)"],
    ),
    "manifest whose diff is a list": (
        lambda root: edit_json(root, "1.1.0", "diff", []),
        ["v1.1.0: {corpus}/v1.1.0/manifest.json: /diff: missing or not an object (or null)"],
    ),
    # Found by a sweep: a manifest value the card shows, of another type or missing (its checksum
    # rewritten to match), was a KeyError, TypeError or AttributeError traceback in card, check and
    # release, the release after moving its version into place; markup in a count went into the card.
    "manifest whose dedup settings are a list, checksum to match": (
        lambda root: edit_manifest(root, "1.1.0", lambda b: b["config"].update(dedup=[]), update_sums=True),
        ["v1.1.0: {corpus}/v1.1.0/manifest.json: /config/dedup: missing or not an object"],
    ),
    "manifest whose document count is markup, checksum to match": (
        lambda root: edit_manifest(root, "1.0.0", lambda b: b["counts"].update(documents="<b>1</b>"), True),
        ["v1.0.0: {corpus}/v1.0.0/manifest.json: /counts/documents: not a whole number"],
    ),
    "manifest without its schema's $id, checksum to match": (
        lambda root: edit_manifest(root, "1.1.0", lambda b: b["schema"].pop("$id"), update_sums=True),
        ["v1.1.0: {corpus}/v1.1.0/manifest.json: /schema/$id: missing or not a string"],
    ),
    "folder renamed": (
        lambda root: (root / "corpus/v1.1.0").rename(root / "corpus/v1.2.0"),
        [
            "v1.1.0: listed in SHA256SUMS but its folder is missing",
            "v1.2.0: its manifest is of version '1.1.0' (folder renamed?)",
            "v1.2.0: no entry in {corpus}/CHANGELOG.md",
            "v1.2.0: manifest not covered by {corpus}/SHA256SUMS",
        ],
    ),
    "folder renamed, sums and changelog to match": (
        _rename_covered,
        ["v2.0.0: its manifest is of version '1.1.0' (folder renamed?)"],
    ),
    "licence edited": (
        lambda root: edit_text(root, "1.0.0", '"license": "unknown"', '"license": "CC0-1.0"'),
        ["v1.0.0: manifest.json differs from its checksum in SHA256SUMS (edited after release?)"],
    ),
    "counts edited": (
        lambda root: edit_text(root, "1.1.0", '"documents": 2,', '"documents": 2000,'),
        ["v1.1.0: manifest.json differs from its checksum in SHA256SUMS (edited after release?)"],
    ),
    "folder deleted": (
        lambda root: shutil.rmtree(root / "corpus/v1.1.0"),
        ["v1.1.0: listed in SHA256SUMS but its folder is missing"],
    ),
    "changelog entry removed": (
        lambda root: drop_changelog_entry(root, "1.0.0"),
        ["v1.0.0: no entry in {corpus}/CHANGELOG.md"],
    ),
    # A version of 5,000 digits was a ValueError traceback (int() takes at most 4,300) in verify,
    # check and release, and one with a leading zero a usage error: each is a malformed line.
    "SHA256SUMS line of a 5,000-digit version": (
        lambda root: add_sum_line(root, f"{'0' * 64}  v{'1' * 5000}.0.0/manifest.json"),
        ["SHA256SUMS:3: not a line `sha256  vX.Y.Z/manifest.json`"],
    ),
    "SHA256SUMS line of a version with a leading zero": (
        lambda root: add_sum_line(root, f"{'0' * 64}  v01.0.0/manifest.json"),
        ["SHA256SUMS:3: not a line `sha256  vX.Y.Z/manifest.json`"],
    ),
}


def add_sum_line(root: Path, line: str) -> None:
    with (root / "corpus" / "SHA256SUMS").open("a", encoding="utf-8") as f:
        f.write(line + "\n")


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_damaged_versions_are_reported_and_block_a_release(released: Path, tmp_path: Path, damage: str):
    mutate, messages = DAMAGES[damage]
    mutate(released)
    expected = [m.format(corpus=released / "corpus") for m in messages]
    before = tree(tmp_path)

    done = run_cli("verify", cwd=released, check=1)
    for message in expected:
        assert message in done.stdout, done.stdout
    assert len(done.stdout.splitlines()) == len(expected) + 1  # those problems and no other
    assert done.stdout.endswith(f"versions checked: {len(expected)} problems\n")
    done = run_cli("check", cwd=released, check=1)
    assert "released versions are damaged" in done.stderr
    assert all(message in done.stderr for message in expected), done.stderr
    # A release is blocked by damage; a version merely not covered (no checksum or entry yet) is not
    # damage: verify and check report it, and there is nothing new to release here.
    blocking = [m for m in expected if "no entry in" not in m and "not covered by" not in m]
    if blocking:
        done = run_cli(*RELEASE, cwd=released, check=1)
        assert "released versions are damaged; nothing was released" in done.stderr
        assert all(message in done.stderr for message in blocking), done.stderr
    else:
        assert "nothing to release" in run_cli(*RELEASE, cwd=released, check=2).stderr

    assert tree(tmp_path) == before


def test_no_version_goes_below_a_folder_whose_manifest_was_deleted(released: Path, tmp_path: Path):
    (released / "corpus/v1.1.0/manifest.json").unlink()  # and the traces of v1.1.0 with it
    set_sum(released, "1.1.0", None)
    drop_changelog_entry(released, "1.1.0")
    before = tree(tmp_path)
    done = run_cli("release", "-q", "--version", "1.0.1", "--date", DATE, "--workers", "1", cwd=released, check=1)
    assert "nothing was released" in done.stderr and "v1.1.0/manifest.json: missing" in done.stderr
    done = run_cli("release", "-q", "--version", "1.1.0", "--workers", "1", cwd=released, check=1)
    assert "v1.1.0/manifest.json: missing" in done.stderr
    assert tree(tmp_path) == before


def test_a_genuine_version_without_checksum_or_entry_is_restored_by_releasing_it_again(released: Path):
    set_sum(released, "1.1.0", None)
    drop_changelog_entry(released, "1.1.0")
    done = run_cli("verify", cwd=released, check=1)
    assert "v1.1.0: manifest not covered by" in done.stdout and "v1.1.0: no entry in" in done.stdout
    corpus = tree(released / "corpus")
    done = run_cli("release", "-q", "--version", "1.1.0", "--workers", "1", cwd=released, check=0)
    assert "rebuilds byte for byte" in done.stdout
    assert changed(corpus, tree(released / "corpus")) == {"SHA256SUMS", "CHANGELOG.md"}
    assert_settled(released / "corpus")
    run_cli("verify", cwd=released, check=0)


def test_releasing_an_existing_version_again_is_refused_while_another_is_damaged(released: Path, tmp_path: Path):
    edit_text(released, "1.0.0", '"documents": 1,', '"documents": 1001,')
    before = tree(tmp_path)
    done = run_cli("release", "-q", "--version", "1.1.0", "--workers", "1", cwd=released)
    assert "| 1.0.0 | 2026-11-28 | 1001 |" not in (released / "corpus/README.md").read_text()
    assert done.returncode == 1 and "v1.0.0: manifest.json differs from its checksum" in done.stderr
    assert tree(tmp_path) == before


def test_releasing_a_renamed_folder_again_is_refused(released: Path, tmp_path: Path):
    (released / "corpus/v1.1.0").rename(released / "corpus/v1.2.0")
    before = tree(tmp_path)
    done = run_cli("release", "-q", "--version", "1.2.0", "--workers", "1", cwd=released)
    assert changed(before, tree(tmp_path)) == set()
    assert done.returncode == 1 and "v1.2.0: its manifest is of version '1.1.0'" in done.stderr


def test_a_version_of_too_many_digits_is_no_version(released: Path, tmp_path: Path):
    """Each part has at most 9 digits, matched whole: a folder of more is no version folder (as `v1.0`
    is none), and an argument of more, or with a line break after it, is a usage error."""
    folder = released / "corpus" / f"v{'1' * 20}.0.0"
    shutil.copytree(released / "corpus" / "v1.1.0", folder)  # was the latest version, damaged
    before = tree(tmp_path)
    assert run_cli("verify", cwd=released, check=0).stdout.endswith("versions checked: ok\n")
    for argv in (
        ("diff", f"{'1' * 5000}.0.0", "1.1.0"),  # a ValueError traceback (int() of over 4,300 digits)
        ("diff", "1.0.0\n", "1.1.0"),  # was taken as 1.0.0
        ("verify", "1.0.0\n"),
        ("release", "-q", "--version", "1000000000.0.0", "--date", DATE),
    ):
        done = run_cli(*argv, cwd=released, check=2)
        assert "corpuspack: error: not a version: " in done.stderr, done.stderr
        assert "each part a number of at most 9 digits" in done.stderr
    assert tree(tmp_path) == before
    with pytest.raises(UsageError, match=r"1000000000\.0\.0: past the largest version part, 999999999"):
        Version(999_999_999, 5, 1).bump("major")  # a version no command could read back


# verify --rebuild on a manifest naming paths outside the rebuild folder


def _extra_seed(path: str) -> Callable[[dict], None]:
    def edit(body: dict) -> None:  # the real seed's sha256 and git blob: writable if it were let through
        body["inputs"]["seeds"].append({**body["inputs"]["seeds"][0], "path": path})

    return edit


def _seed_path(path: str) -> Callable[[dict], None]:
    def edit(body: dict) -> None:
        body["inputs"]["seeds"][0]["path"] = path

    return edit


def _schema_path(path: str) -> Callable[[dict], None]:
    def edit(body: dict) -> None:
        body["inputs"]["schema"]["path"] = path

    return edit


def _config_seeds(path: str) -> Callable[[dict], None]:
    def edit(body: dict) -> None:
        body["config"]["seeds"] = path

    return edit


# {victim}: an absolute folder outside everything; the rebuild's project folder is
# tmp/corpuspack-rebuild-*/project, so three `..` reach tmp_path.
HOSTILE_PATHS = {
    "seed absolute": (_extra_seed, "{victim}/pwned.txt", True),
    "seed absolute, sums not updated": (_extra_seed, "{victim}/pwned.txt", False),
    "seed climbing": (_seed_path, "../../../victim/pwned.txt", True),
    "seed climbing from inside seeds": (_extra_seed, "seeds/../../../../victim/pwned.txt", True),
    "schema absolute": (_schema_path, "{victim}/pwned.json", True),
    "schema climbing": (_schema_path, "../../../victim/pwned.json", True),
    "config.seeds absolute": (_config_seeds, "{victim}", True),
    "config.seeds climbing": (_config_seeds, "../../../victim", True),
}


@pytest.mark.parametrize("case", list(HOSTILE_PATHS))
def test_verify_rebuild_refuses_a_manifest_path_leading_outside(released: Path, tmp_path: Path, case: str):
    make_edit, path, update_sums = HOSTILE_PATHS[case]
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("mine\n")
    path = path.format(victim=victim)
    edit_manifest(released, "1.0.0", make_edit(path), update_sums=update_sums)
    before = tree(tmp_path)
    done = run_cli("verify", "--rebuild", "1.0.0", cwd=released, check=1)
    assert f"corpuspack: error: {path!r}: leads outside" in done.stderr, done.stderr
    assert tree(tmp_path) == before  # the temporary folder is gone, the victim untouched
    assert not list((tmp_path / "tmp").iterdir())


# Killed releases. A helper process runs the CLI and SIGKILLs itself at an exact point.

KILLER = r"""
import os, re, signal, sys
import corpuspack.releases as releases
from corpuspack.publish import integrity, layout
from corpuspack.cli import main

point, argv = sys.argv[1], sys.argv[2:]
die = lambda *a: os.kill(os.getpid(), signal.SIGKILL)
rename, replace, write_sums = os.rename, os.replace, integrity.write_sums

def hooked_rename(src, dst):
    into_place = re.fullmatch(r"v\d+\.\d+\.\d+", os.path.basename(dst)) is not None
    if into_place and point == "before rename":
        die()
    rename(src, dst)
    if into_place and point == "after rename":
        die()

def hooked_replace(src, dst):
    if point == "replacing SHA256SUMS" and os.path.basename(dst) == "SHA256SUMS":
        die()
    replace(src, dst)

def hooked_write_sums(*args):
    write_sums(*args)
    if point == "after SHA256SUMS":
        die()

if point == "building":
    releases.diff_versions = die
layout.os.rename, layout.os.replace, integrity.write_sums = hooked_rename, hooked_replace, hooked_write_sums
sys.exit(main(argv))
"""


def killed_release(project: Path, point: str) -> Path:
    """Add an article and run a release killed (SIGKILL) at `point`; returns the corpus folder."""
    write_article(project / "seeds", "late", [sentence(21), sentence(22)])
    done = subprocess.run(
        [sys.executable, "-c", KILLER, point, *RELEASE], cwd=project, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == -9, done.stderr
    corpus = project / "corpus"
    assert len(list(corpus.glob(".staging-*"))) == 1
    return corpus


@pytest.mark.parametrize("command", ["verify", "check", "release"])
def test_a_release_killed_after_the_rename_is_reported_then_finished_by_release(
    released: Path, tmp_path: Path, command: str
):
    """verify and check never write: they report the interrupted release (exit 1); the next
    release finishes it (and then has nothing new to publish)."""
    corpus = released / "corpus"
    kept = {v: tree(corpus / v) for v in ("v1.0.0", "v1.1.0")}
    killed_release(released, "after rename")
    assert (corpus / "v1.1.1" / "manifest.json").is_file() and "v1.1.1" not in sums_of(corpus)
    before = tree(tmp_path)
    if command != "release":
        done = run_cli(command, cwd=released, check=1)
        assert "v1.1.1: its release was interrupted" in done.stdout + done.stderr
        assert tree(tmp_path) == before  # nothing written by a gate
    done = run_cli(*RELEASE, cwd=released, check=2)
    assert "nothing to release" in done.stderr
    assert_settled(corpus)
    assert "## [1.1.1] - 2026-12-05" in (corpus / "CHANGELOG.md").read_text()
    assert "| 1.1.1 | 2026-12-05 |" in (corpus / "README.md").read_text()
    # the report the killed release had not written yet, and the card's figures from it
    assert (corpus / "reports" / "v1.1.1" / "report.html").is_file()
    assert "(reports/v1.1.1/sources.png)" in (corpus / "README.md").read_text()
    assert {v: tree(corpus / v) for v in kept} == kept
    allowed = {f"project/corpus/{n}" for n in CORPUS_FILES}
    moved = {p for p in changed(before, tree(tmp_path)) if not p.startswith("project/corpus/.staging-")}
    assert {p for p in moved if not p.startswith("project/corpus/reports/v1.1.1")} <= allowed
    run_cli("verify", cwd=released, check=0)


@pytest.mark.parametrize(("point", "command"), [("building", "check"), ("before rename", "verify")])
def test_a_release_killed_before_the_rename_never_happened(released: Path, tmp_path: Path, point: str, command: str):
    corpus = released / "corpus"
    published = {k: v for k, v in tree(corpus).items() if k.startswith("v1.")}  # the versions before
    killed_release(released, point)
    assert not (corpus / "v1.1.1").exists()
    before = tree(tmp_path)
    if command == "check":
        done = run_cli("check", "--released", cwd=released, check=1)
        assert "release a new version" in done.stderr and "added: seeds/late.txt" in done.stderr
    else:
        assert run_cli(command, cwd=released, check=0).stdout.endswith("2 versions checked: ok\n")
    assert tree(tmp_path) == before  # a gate writes nothing; the leftover staging folder is harmless
    assert "released v1.1.1" in run_cli(*RELEASE, cwd=released, check=0).stdout  # and clears it
    assert {k: v for k, v in tree(corpus).items() if k in published} == published
    assert_settled(corpus)


def test_a_release_killed_while_finishing_is_finished_by_the_next_release(released: Path):
    corpus = released / "corpus"
    killed_release(released, "after SHA256SUMS")
    assert "v1.1.1" in sums_of(corpus) and "## [1.1.1]" not in (corpus / "CHANGELOG.md").read_text()
    assert "nothing to release" in run_cli(*RELEASE, cwd=released, check=2).stderr  # after finishing v1.1.1
    assert_settled(corpus)
    assert "| 1.1.1 | 2026-12-05 |" in (corpus / "README.md").read_text()


def test_a_release_killed_while_replacing_sha256sums_leaves_no_stray_file(released: Path):
    corpus = released / "corpus"
    killed_release(released, "replacing SHA256SUMS")
    assert "its release was interrupted" in run_cli("verify", cwd=released, check=1).stdout
    run_cli(*RELEASE, cwd=released, check=2)
    assert_settled(corpus)


def test_a_planted_journal_does_not_get_an_edited_manifest_checksummed(released: Path, tmp_path: Path):
    """A pull request adds a staging journal naming a released version whose manifest it edited."""
    corpus = released / "corpus"
    edit_text(released, "1.1.0", '"documents": 2,', '"documents": 2000,')
    (corpus / ".staging-pr").mkdir()
    (corpus / ".staging-pr" / "release.json").write_text('{"version": "1.1.0"}')
    sums = (corpus / "SHA256SUMS").read_bytes()
    done = run_cli("check", cwd=released, check=1)
    assert "differs from its checksum" in done.stderr
    run_cli(*RELEASE, cwd=released, check=1)  # settles the journal without finishing, then refuses
    assert (corpus / "SHA256SUMS").read_bytes() == sums
    assert "differs from its checksum" in run_cli("verify", cwd=released, check=1).stdout


def test_the_kill_loop_with_four_releases(released: Path, monkeypatch: pytest.MonkeyPatch):
    spec = importlib.util.spec_from_file_location("kill_loop", REPO / "bench" / "kill_loop.py")
    kill_loop = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "kill_loop", kill_loop)  # its dataclass looks itself up there
    monkeypatch.setattr(sys, "dont_write_bytecode", True)  # no __pycache__ in bench/
    spec.loader.exec_module(kill_loop)
    lines: list[str] = []
    summary = kill_loop.kill_loop(released, 4, seed=3, measure_runs=1, log=lines.append)
    assert not summary.failures, summary.text()
    assert summary.before_rename + summary.after_rename + summary.completed == 4
    assert summary.next_commands == {"verify": 2, "check": 1, "release": 1}
    assert len(lines) == 4 and summary.versions[:2] == ["v1.0.0", "v1.1.0"]
    assert_settled(released / "corpus")


@pytest.mark.parametrize("damage", ["not UTF-8", "a symlink", "a FIFO"])
def test_a_changelog_that_cannot_be_the_changelog_stops_a_release_before_anything_is_written(
    released: Path, tmp_path: Path, damage: str
):
    """The changelog is written after the version is in place: a release reads it first, so one it
    cannot update leaves the corpus folder as it was; verify and check say what is wrong, no traceback."""
    log = released / "corpus" / "CHANGELOG.md"
    if damage == "not UTF-8":
        log.write_bytes(log.read_bytes() + b"\xff\xfe bad\n")
        said = "CHANGELOG.md: not valid UTF-8"
    elif damage == "a symlink":
        secret = tmp_path / "secret.md"
        secret.write_text("token-123\n")
        log.unlink()
        log.symlink_to(secret)
        said = "CHANGELOG.md: a symlink"
    else:
        log.unlink()
        os.mkfifo(log)
        said = "CHANGELOG.md: not a regular file"
    write_article(released / "seeds", "third", [sentence(21), sentence(22)])
    before = tree(released / "corpus")
    done = run_cli("release", "--version", "1.2.0", "--date", "2026-12-03", cwd=released, check=1)
    assert said in done.stderr
    assert tree(released / "corpus") == before and not (released / "corpus" / "v1.2.0").exists()
    assert said in run_cli("verify", cwd=released, check=1).stderr
    assert said in run_cli("check", cwd=released, check=1).stderr
    if damage == "a symlink":
        assert "token-123" not in "".join(p.read_text() for p in (released / "corpus").glob("*.md") if p != log)


@pytest.mark.parametrize(
    ("notes", "said"),
    [
        ("---\nlicense_name: x\n", "front matter opened by `---` is never closed"),
        ("---\na: [[[\n---\n", "CARD.md"),
        (None, "CARD.md: not a regular file"),
    ],
)
def test_card_notes_that_cannot_make_the_card_stop_a_release_before_anything_is_written(
    released: Path, notes: str | None, said: str
):
    """The card is written after the version is in place: a CARD.md it could not read (exit 3) left
    the new version moved in without its checksum, changelog entry or card (an interrupted release)."""
    path = released / "corpus" / "CARD.md"
    if notes is None:
        os.mkfifo(path)
    else:
        path.write_text(notes, encoding="utf-8")
    write_article(released / "seeds", "third", [sentence(21), sentence(22)])
    before = tree(released / "corpus")
    done = run_cli("release", "--version", "1.2.0", "--date", "2026-12-03", cwd=released, check=3)
    assert said in done.stderr
    assert tree(released / "corpus") == before and not (released / "corpus" / "v1.2.0").exists()


@pytest.mark.parametrize("name", ["README.md", "SHA256SUMS"])
def test_a_folder_where_a_release_writes_a_file_stops_it_before_anything_is_written(released: Path, name: str):
    """README.md or SHA256SUMS a folder was an IsADirectoryError traceback in `card` and in `release`,
    the release's after the new version was moved into place."""
    (released / "corpus" / name).unlink()
    (released / "corpus" / name).mkdir()
    write_article(released / "seeds", "third", [sentence(21), sentence(22)])
    before = tree(released / "corpus")
    said = f"{released / 'corpus' / name}: a folder where corpuspack writes a file"
    done = run_cli("release", "--version", "1.2.0", "--date", "2026-12-03", cwd=released, check=1)
    assert said in done.stderr
    if name == "README.md":
        assert said in run_cli("card", cwd=released, check=1).stderr
    assert tree(released / "corpus") == before and not (released / "corpus" / "v1.2.0").exists()


def test_diff_and_explain_read_only_the_listed_shards_and_say_when_one_does_not_read(released: Path):
    """A Parquet file slipped into a released table folder is not the version's: diff and explain
    give what they gave without it. A truncated or missing shard is a clear error, not a traceback."""
    args = ("diff", "1.0.0", "1.1.0", "--format", "json")
    diff = run_cli(*args, cwd=released, check=0).stdout
    doc = json.loads(diff)["ids"]["added"][0]
    explained = run_cli("explain", doc, cwd=released, check=0).stdout
    documents = released / "corpus" / "v1.1.0" / "documents"
    shard = sorted(documents.glob("*.parquet"))[0]
    extra = documents / "zz-extra.parquet"
    shutil.copy(shard, extra)
    shutil.copy(shard, released / "corpus" / "v1.1.0" / "paragraphs" / "zz-extra.parquet")
    assert run_cli(*args, cwd=released, check=0).stdout == diff
    assert run_cli("explain", doc, cwd=released, check=0).stdout == explained
    extra.unlink()
    body = shard.read_bytes()
    shard.write_bytes(body[:500])
    assert "cannot be read" in run_cli(*args, cwd=released, check=1).stderr
    assert "cannot be read" in run_cli("explain", doc, cwd=released, check=1).stderr
    shard.unlink()
    assert "listed in the manifest but missing" in run_cli(*args, cwd=released, check=1).stderr


@pytest.mark.parametrize("kind", ["numbers", "nested lists"])
def test_a_shard_of_another_schema_is_a_clear_error_in_diff_and_card(released: Path, kind: str):
    """A released shard swapped for Parquet of another schema (numbers or nested lists where strings
    were) was a TypeError traceback in diff and an ArrowInvalid one in card."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    for shard in (released / "corpus" / "v1.1.0").glob("*/*.parquet"):
        rows = pq.read_metadata(shard).num_rows
        names = pq.read_schema(shard).names
        values = list(range(rows)) if kind == "numbers" else [[[1]]] * rows
        pq.write_table(pa.table({name: values for name in names}), shard)
    done = run_cli("diff", "1.0.0", "1.1.0", cwd=released, check=1)
    assert f"{released / 'corpus/v1.1.0/documents'}: column id is " in done.stderr, done.stderr
    done = run_cli("card", cwd=released, check=1)
    assert f"{released / 'corpus/v1.1.0'}: " in done.stderr, done.stderr


def test_a_planted_journal_nested_thousands_deep_is_no_journal(released: Path):
    """JSON brackets nested past Python's recursion limit in the first 4 kB: a traceback before."""
    corpus = released / "corpus"
    (corpus / ".staging-pr").mkdir()
    (corpus / ".staging-pr" / "release.json").write_text("[" * 2048 + "]" * 2048)
    for command in (("check",), ("verify",)):
        done = run_cli(*command, cwd=released, check=0)
        assert "Traceback" not in done.stderr + done.stdout


def test_a_planted_journal_that_is_a_fifo_is_no_journal(released: Path):
    """A FIFO as a staging folder's journal made check, verify and release wait for ever on it."""
    corpus = released / "corpus"
    (corpus / ".staging-pr").mkdir()
    os.mkfifo(corpus / ".staging-pr" / "release.json")
    for command, code in ((("check",), 0), (("verify",), 0), (RELEASE, 2)):  # 2: nothing to release
        done = subprocess.run(
            [sys.executable, "-m", "corpuspack", *command], cwd=released, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == code and "Traceback" not in done.stderr, done.stderr
    assert not (corpus / ".staging-pr").exists()  # release removed the staging folder, as any other
    assert_settled(corpus)


@pytest.mark.parametrize(
    ("edit", "says"),
    [
        (lambda b: b["config"]["dedup"].pop("threshold"), "/config/dedup/threshold: not a number from 0 to 1"),
        (lambda b: b["config"]["dedup"].update(num_perm=10**400), "/config/dedup/num_perm: not a whole number"),
        (lambda b: b["counts"].update(dropped_by_reason=None), "/counts/dropped_by_reason: missing or not an object"),
        (lambda b: b["normalisation"].update(key=[1]), "/normalisation/key: missing or not a string"),
        (lambda b: b["outputs"][0].update(rows="many"), "/outputs/0/rows: not a whole number"),
    ],
)
def test_a_manifest_value_the_card_cannot_show_leaves_the_card_alone(released: Path, tmp_path: Path, edit, says: str):
    """Each was a traceback in `card` (KeyError, TypeError, AttributeError) before."""
    edit_manifest(released, "1.1.0", edit, update_sums=True)
    before = tree(tmp_path)
    done = run_cli("card", cwd=released, check=1)
    assert f"{released / 'corpus/v1.1.0/manifest.json'}: {says}" in done.stderr, done.stderr
    assert tree(tmp_path) == before


def test_card_notes_that_clash_with_the_new_data_stop_a_release_before_anything_is_written(released: Path):
    """A clash the notes make only with the new version's data (`license_name` set in CARD.md while
    the data brings a licence the Hub does not list) was found once the version was in place: an
    interrupted release. The card is made before the version is moved in."""
    (released / "corpus" / "CARD.md").write_text("---\nlicense_name: mine\n---\n\nNotes.\n", encoding="utf-8")
    run_cli("card", cwd=released, check=0)  # the released data alone: no clash
    write_article(released / "seeds", "third", [sentence(21), sentence(22)])
    (released / "seeds" / "third.meta.json").write_text('{"license": "LicenseRef-house"}', encoding="utf-8")
    before = tree(released / "corpus")
    done = run_cli("release", "--version", "1.2.0", "--date", "2026-12-03", cwd=released, check=3)
    assert "front matter sets license_name" in done.stderr and "Traceback" not in done.stderr
    assert tree(released / "corpus") == before and not (released / "corpus" / "v1.2.0").exists()
    (released / "corpus" / "CARD.md").write_text("Notes.\n", encoding="utf-8")
    run_cli("release", "--version", "1.2.0", "--date", "2026-12-03", cwd=released, check=0)

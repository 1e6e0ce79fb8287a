"""Releases: reproducible, immutable, atomic; and the CI gate around them."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import run_cli, sentence, write_article

from corpuspack import ConfigError, DataError, UsageError, build, check, load_config, release, verify
from corpuspack.publish.layout import release_lock


def digests(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_two_builds_in_different_folders_are_byte_identical(project: Path, tmp_path: Path):
    for i in range(3):
        write_article(project / "seeds", f"extra-{i}", [sentence(i), sentence(7)])
    a = build(out=tmp_path / "a", config=load_config(project), workers=1).out
    b = build(out=tmp_path / "deeper" / "b", config=load_config(project), workers=2).out
    assert digests(a) == digests(b)
    assert len(digests(a)) == 10


def test_build_refuses_a_non_empty_out(project: Path, tmp_path: Path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(UsageError, match="not empty"):
        build(out=tmp_path / "full", config=load_config(project))


def test_build_cli_prints_a_new_temporary_folder(project: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # the folder is made where the temp folder is: here
    done = run_cli("build", "--workers", "1", cwd=project, check=0)
    out = Path(done.stdout.strip())
    assert out.parent == tmp_path and out.name.startswith("corpuspack-build-")
    assert (out / "manifest.json").is_file() and not (project / "corpus").exists()
    assert "15 kept; dropped: boilerplate 3" in done.stderr


def test_check_passes_then_fails_after_a_seed_edit_until_released(git_project: Path):
    assert run_cli("check", cwd=git_project, check=0).stdout.count("ok:") == 4
    seed = git_project / "seeds" / "000_54be32d82c67160f.txt"
    seed.write_bytes(seed.read_bytes().replace(b"Recently,", b"Lately,"))
    pr_gate = run_cli("check", cwd=git_project, check=0)
    assert "1 changes since v1.0.0 await a release: changed: seeds/000_54be32d82c67160f.txt" in pr_gate.stdout
    done = run_cli("check", "--released", cwd=git_project, check=1)
    assert "release a new version" in done.stderr and "changed: seeds/000_54be32d82c67160f.txt" in done.stderr
    suggested = run_cli("release", "--date", "2026-12-01", cwd=git_project, check=2)
    assert "suggested version: 1.1.0" in suggested.stderr
    run_cli("release", "--bump", "minor", "--date", "2026-12-01", cwd=git_project, check=0)
    run_cli("check", "--released", cwd=git_project, check=0)
    # v1.0.0 still rebuilds byte for byte, from the seed version git holds
    assert run_cli("verify", "--rebuild", "1.0.0", cwd=git_project, check=0).stdout.endswith("ok\n")


def test_verify_rebuild_passes_and_verify_catches_tampering(git_project: Path):
    report = verify(["1.0.0"], rebuild=True, config=load_config(git_project))
    assert report.ok, report.problems
    shard = git_project / "corpus" / "v1.0.0" / "documents" / "train-00000-of-00001.parquet"
    shard.write_bytes(shard.read_bytes() + b"x")
    done = run_cli("verify", cwd=git_project, check=1)
    assert "v1.0.0: documents/train-00000-of-00001.parquet: checksum differs from the manifest" in done.stdout


def test_versions_are_immutable_and_strictly_increasing(git_project: Path):
    config = load_config(git_project)
    before = digests(git_project / "corpus")
    again = release(config=config, version="1.0.0", workers=1)
    assert not again.created and digests(git_project / "corpus") == before
    write_article(git_project / "seeds", "new-doc", [sentence(5)])
    with pytest.raises(DataError, match="seeds now build different bytes"):
        release(config=config, version="1.0.0", workers=1)
    release(config=config, version="2.0.0", date="2026-12-02", workers=1)
    with pytest.raises(UsageError, match=r"not above the latest release 2\.0\.0"):
        release(config=config, version="1.5.0", workers=1)
    assert digests(git_project / "corpus" / "v1.0.0") == {
        k.removeprefix("v1.0.0/"): v for k, v in before.items() if k.startswith("v1.0.0/")
    }


def test_a_release_dated_before_the_latest_is_refused_and_changes_nothing(git_project: Path):
    """v1.0.0 is dated 2026-11-28: a later version dated before it would list out of order."""
    config = load_config(git_project)
    write_article(git_project / "seeds", "new-doc", [sentence(5)])
    before = digests(git_project)
    with pytest.raises(UsageError, match=r"release date 2026-11-27 is before v1\.0\.0's \(2026-11-28\)"):
        release(config=config, version="1.1.0", date="2026-11-27", workers=1)
    assert digests(git_project) == before
    assert release(config=config, version="1.1.0", date="2026-11-28", workers=1).created


def test_a_second_concurrent_release_is_refused(git_project: Path):
    with release_lock(git_project / "corpus"), pytest.raises(UsageError, match="another release is running"):
        release(config=load_config(git_project), bump="patch", workers=1)


def test_release_killed_mid_write_leaves_corpus_unchanged(git_project: Path):
    write_article(git_project / "seeds", "late", [sentence(3)])
    corpus = git_project / "corpus"
    before = digests(corpus)
    for delay in (0.5, 1.5, 2.5):
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "corpuspack",
                "release",
                "--bump",
                "minor",
                "--date",
                "2026-12-03",
                "--workers",
                "1",
            ],
            cwd=git_project,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        visible = {k: v for k, v in digests(corpus).items() if not k.startswith(".staging-")}
        if visible != before:  # the version was moved into place before the kill
            checked = run_cli("verify", cwd=git_project)
            if checked.returncode != 0:  # killed before its checksum and entry: reported, never half-trusted
                assert checked.returncode == 1 and "release was interrupted" in checked.stdout, checked.stdout
                # the next release command settles it (and then finds nothing new to release)
                run_cli("release", "--bump", "minor", "--date", "2026-12-03", cwd=git_project)
            assert run_cli("verify", cwd=git_project, check=0)
            return
    run_cli("release", "--bump", "minor", "--date", "2026-12-03", cwd=git_project, check=0)
    assert not list(corpus.glob(".staging-*"))  # the next run cleared what the killed ones left


def test_diff_text_json_and_exit_code(git_project: Path):
    assert run_cli("diff", "--exit-code", cwd=git_project, check=0).stdout.startswith("v1.0.0 -> seeds")
    write_article(git_project / "seeds", "zz-new", [sentence(8)])
    done = run_cli("diff", "--format", "json", "--exit-code", cwd=git_project, check=1)
    data = json.loads(done.stdout)
    assert data["ids"]["added"] == ["zz-new"] and data["suggested_bump"] == "minor"


def test_check_refuses_a_repository_without_release(project: Path):
    with pytest.raises(DataError, match="no release yet"):
        check(config=load_config(project), released=True)
    assert check(config=load_config(project))[-1].startswith("no release yet")  # fine for a pull request


def test_bad_configuration_is_a_config_error(project: Path):
    with (project / "pyproject.toml").open("a") as f:
        f.write("colour = 'red'\n")
    with pytest.raises(ConfigError, match="unknown"):
        load_config(project)
    assert "unknown [tool.corpuspack] keys: colour" in run_cli("validate", cwd=project, check=3).stderr


def test_card_and_changelog_keep_ordinary_permissions(git_project: Path):
    assert (git_project / "corpus" / "README.md").stat().st_mode & 0o777 == 0o644 & ~_umask()
    assert (git_project / "corpus" / "CHANGELOG.md").stat().st_mode & 0o044 == 0o044
    assert (git_project / "corpus" / "SHA256SUMS").stat().st_mode & 0o044 == 0o044


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask

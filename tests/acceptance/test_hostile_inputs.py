"""Every hostile seed gets a finding naming its file (exit 1), never a traceback, a hang or unbounded
memory; `validate` and `build` agree on it. Each case runs through the CLI in a process whose peak
memory is measured."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from conftest import sentence

GOOD = {"title": "T", "source": "S", "date": "2024-01-01", "language": "en", "license": "CC0-1.0"}


def record(doc_id: str, **fields) -> dict:
    return {"id": doc_id, **GOOD, "text": sentence(1), **fields}


def _alias_bomb(seeds: Path) -> None:
    rows = ["title: &a [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 10):
        prev = chr(96 + i)
        rows.append(f"t{i}: &{chr(97 + i)} [" + ", ".join([f"*{prev}"] * 9) + "]")
    (seeds / "bomb.md").write_text("---\n" + "\n".join(rows) + "\nsource: x\ndate: 2024-01-01\n---\n\nBody.\n")


def _one_huge_line(seeds: Path) -> None:
    """1.5 GiB of one line, compressed to about 1.5 MB."""
    packer = zlib.compressobj(1, zlib.DEFLATED, 31)
    block = b"a" * (1 << 24)
    with (seeds / "huge.jsonl.gz").open("wb") as f:
        for _ in range(96):
            f.write(packer.compress(block))
        f.write(packer.flush())


def _many_bad_lines(seeds: Path) -> None:
    (seeds / "many.jsonl").write_text("x\n" * 300_000)


def _fifo(seeds: Path) -> None:
    os.mkfifo(seeds / "x.txt")


def _device(seeds: Path) -> None:
    try:
        os.mknod(seeds / "zero.txt", 0o644 | stat.S_IFCHR, os.makedev(1, 5))
    except PermissionError:
        pytest.skip("making a device node needs CAP_MKNOD")


def _write(name: str, text: str):
    return lambda seeds: (seeds / name).write_text(text, encoding="utf-8")


def _bad_name(seeds: Path) -> None:
    fd = os.open(os.fsencode(seeds) + b"/caf\xe9.txt", os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, b"Title\n\nWire Updated on 2024-01-01\n\nText.\n")
    os.close(fd)


def _symlink_loop(seeds: Path) -> None:
    (seeds / "a.txt").symlink_to(seeds / "b.txt")
    (seeds / "b.txt").symlink_to(seeds / "a.txt")


CASES = {
    "yaml alias bomb": (_alias_bomb, "aliases (*name) are not allowed"),
    "1.5 GiB line in 1.5 MB gzip": (_one_huge_line, "decompresses to over"),
    "300,000 bad lines": (_many_bad_lines, "more findings in this file"),
    "fifo named like a seed": (_fifo, "not a regular file (a FIFO)"),
    "device named like a seed": (_device, "not a regular file (a device)"),
    "30,000 tag objects": (_write("tags.json", json.dumps(record("t", tags=[{}] * 30_000))), "over the limit of"),
    "json nested 100,000 deep": (_write("deep.json", "[" * 100_000 + "]" * 100_000), "nested too deeply"),
    "5,000-digit integer": (_write("big.jsonl", '{"id": "a", "n": ' + "9" * 5000 + "}\n"), "thousands of digits"),
    "lone surrogate in text": (_write("s.jsonl", json.dumps(record("s", text="a \ud800 b")) + "\n"), "lone surrogate"),
    "lone surrogate in title": (_write("t.json", json.dumps(record("t", title="\udfff"))), "lone surrogate"),
    "yaml !!binary": (_write("b.md", "---\ntitle: !!binary aGVsbG8=\n---\n\nBody.\n"), "tag:yaml.org,2002:binary"),
    "yaml !!set": (_write("s.md", "---\ntitle: !!set {a, b}\n---\n\nBody.\n"), "tag:yaml.org,2002:set"),
    "file name not UTF-8": (_bad_name, "file name is not valid UTF-8"),
    "symlink loop": (_symlink_loop, "symlink loop"),
    "year 0": (_write("y.json", json.dumps(record("y", date="0000-01-01"))), "years run from 0001"),
    "zero-width body": (_write("z.json", json.dumps(record("z", text="\u200b\u200c \u2060"))), "no visible character"),
    "front matter id 5": (_write("n.md", "---\nid: 5\ntitle: T\nsource: S\ndate: 2024-01-01\n---\n\nBody.\n"), "is not a string id"),
    "id twice in one object": (_write("d.json", '{"id": "a", "id": "b", "text": "x"}'), "the key 'id' appears twice"),
    "empty list in .json": (_write("e.json", "[]"), "an empty list: no records"),
    "windows device id": (_write("CON.txt", "Title\n\nWire Updated on 2024-01-01\n\nText.\n"), "device name on Windows"),
    "12 MB title": (_write("l.json", json.dumps(record("l", title="x" * 12_000_000))), "characters)"),
    "dateline date in another format": (_write("w.txt", "Title\n\nWire Updated on January 29, 2024\n\nText.\n"), "/date"),
}  # fmt: skip


def run_measured(args: list[str], cwd: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    """The CLI in a child process; its peak resident memory in MB."""
    wrapper = (
        "import resource, subprocess, sys; "
        "done = subprocess.run(sys.argv[1:], capture_output=True, text=True, errors='replace', timeout=60); "
        "sys.stdout.write(done.stdout); sys.stderr.write(done.stderr); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(done.returncode)"
    )
    done = subprocess.run(
        [sys.executable, "-c", wrapper, sys.executable, "-m", "corpuspack", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    *rest, peak = done.stderr.rstrip("\n").rsplit("\n", 1)
    done.stderr = rest[0] if rest else ""
    return done, int(peak) / 1024


@pytest.mark.parametrize("case", list(CASES))
def test_a_hostile_seed_gets_a_finding(tmp_path: Path, case: str):
    make, says = CASES[case]
    root = tmp_path / "project"
    (root / "seeds").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[tool.corpuspack]\nlanguage = 'en'\nlicense = 'CC0-1.0'\n")
    make(root / "seeds")
    done, peak = run_measured(["validate", "-q"], root)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert says in done.stdout, done.stdout[-2000:]
    assert all(len(line) < 2000 for line in done.stdout.splitlines())
    assert peak < 500, f"{peak:.0f} MB"
    built, peak = run_measured(["build", "-q", "--out", str(tmp_path / "out")], root)
    assert built.returncode == 1 and "Traceback" not in built.stderr, built.stderr
    assert peak < 500, f"{peak:.0f} MB"
    assert not (tmp_path / "out").exists()


def test_a_missing_seeds_folder_is_a_usage_error(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text("[tool.corpuspack]\nseeds = 'nowhere'\n")
    for command in (["validate"], ["build", "--out", str(tmp_path / "out")]):
        done, _ = run_measured([*command, "-q"], tmp_path)
        assert done.returncode == 2 and "no seeds folder" in done.stderr, done.stderr


def test_a_deeply_nested_schema_is_a_config_error(tmp_path: Path):
    (tmp_path / "seeds").mkdir()
    (tmp_path / "schema").mkdir()
    (tmp_path / "pyproject.toml").write_text("[tool.corpuspack]\n")
    nested = '{"type": "object", "properties": {"a": ' * 5000 + "{}" + "}}" * 5000
    (tmp_path / "schema" / "document.schema.json").write_text(nested)
    done, _ = run_measured(["validate", "-q"], tmp_path)
    assert done.returncode == 3 and "schema" in done.stderr and "Traceback" not in done.stderr, done.stderr


def test_errors_have_one_prefix_and_help_names_version(tmp_path: Path):
    done, _ = run_measured(["release", "--bump", "sideways"], tmp_path)
    assert done.returncode == 2 and "corpuspack: error: release:" in done.stderr
    assert "corpuspack: error: corpuspack" not in done.stderr
    top, _ = run_measured(["validate", "--bogus"], tmp_path)
    assert top.returncode == 2 and "corpuspack: error: unrecognized arguments: --bogus" in top.stderr
    helped, _ = run_measured(["release", "--help"], tmp_path)
    assert "--version VERSION" in helped.stdout and "VERSION_" not in helped.stdout

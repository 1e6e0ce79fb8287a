"""`corpuspack report`: a self-contained HTML page and PNG figures of a version, made from its
published files. The page is opened in a real headless Chromium (Debian's package): every figure
must render at its full size with no console message; user strings are escaped; numeric columns
added to the documents table (signals) show up without any change to the report."""

from __future__ import annotations

import base64
import html
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from conftest import run, run_cli, sentence, tree, write_article

import corpuspack
from corpuspack import UsageError, load_config
from corpuspack.publish.figures import card_lines
from corpuspack.reporting.page import POLICY
from corpuspack.tables import DOCUMENTS

HOSTILE_SOURCE = "<img src=x onerror=alert(1)>$x$\u202e"
SCRIPTED = "<script>alert('p')</script> " + sentence(900, 30)  # recurs: among the most repeated paragraphs
# Appended to a copy of the page (the page itself has no script): the state of every image once loaded,
# and one console line that proves the console is read.
PROBE = (
    "<script>window.addEventListener('load', () => {document.body.setAttribute('data-check', JSON.stringify("
    "[...document.images].map(i => [i.dataset.figure || i.src.slice(0, 30), i.complete, i.naturalWidth, "
    "i.naturalHeight]))); console.log('probe-ok');});</script>"
)


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project released twice (v1.0.0, then v1.1.0 with a document added), with a hostile source
    and a paragraph of markup in several documents; shared by the tests (read only)."""
    root = tmp_path_factory.mktemp("report") / "small"
    seeds = root / "seeds"
    seeds.mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[tool.corpuspack]\nlanguage = "en"\nlicense = "CC-BY-4.0"\nboilerplate_min_docs = 3\n'
        "boilerplate_patterns = ['^Subscribe to our newsletter']\n",
        encoding="utf-8",
    )
    shutil.copytree(Path(__file__).resolve().parents[2] / "schema", root / "schema")
    base = sentence(20, 60)
    for d in range(8):
        paras = [sentence(100 + d * 3 + k) for k in range(3)] + ([SCRIPTED] if d % 2 else [])
        if d == 3:
            paras.append(" ".join([*base.split()[:30], "zebra", *base.split()[31:]]))  # a near duplicate
        write_article(seeds, f"doc{d}", [base if d == 0 else paras[0], *paras[1:], "Subscribe to our newsletter"])
    record = {"id": "evil", "title": "T", "source": HOSTILE_SOURCE, "date": "2023-05-06"}
    record["text"] = SCRIPTED + "\n\n" + sentence(555)
    (seeds / "evil.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    config = load_config(root)
    corpuspack.release(config=config, version="1.0.0", date="2026-12-01", workers=1)
    write_article(seeds, "doc9", [sentence(7001), sentence(7002)])
    corpuspack.release(config=config, version="1.1.0", date="2026-12-02", workers=1)
    return root


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip("no chromium on this machine (Debian: apt-get install chromium; .ci/run installs it as root)")
    return found


def _browse(page: str, tmp_path: Path) -> tuple[list[list], list[str]]:
    """Open `page` (HTML text) in headless Chromium: each image's (figure, complete, natural width,
    natural height) once loaded, and every console line but the probe's."""
    assert POLICY in page
    probe = page.replace(POLICY, POLICY + "; script-src 'unsafe-inline'").replace("</body>", PROBE + "</body>")
    copy = tmp_path / "probe.html"
    copy.write_text(probe, encoding="utf-8")
    done = subprocess.run(
        [_chromium(), "--headless", "--disable-gpu", "--no-sandbox", "--enable-logging=stderr", "--v=0",
         f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=10000", "--dump-dom", copy.as_uri()],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    found = re.search(r'data-check="([^"]*)"', done.stdout)
    assert found, done.stdout[-2000:] + done.stderr[-2000:]
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    assert sum("probe-ok" in line for line in console) == 1, done.stderr[-3000:]
    return json.loads(html.unescape(found.group(1))), [line for line in console if "probe-ok" not in line]


def _inlined(page: str) -> dict[str, bytes]:
    """The PNG bytes of each figure inlined in `page`, by figure name."""
    found = re.findall(r'<img src="data:image/png;base64,([^"]+)" alt="[^"]*" data-figure="([^"]+)"', page)
    return {name: base64.b64decode(data) for data, name in found}


def _valid_png(data: bytes) -> tuple[int, int]:
    from PIL import Image

    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(io.BytesIO(data)) as image:
        image.load()  # decodes every pixel: a truncated or corrupt file raises
        assert image.format == "PNG"
        return image.size


def test_release_writes_the_report_beside_the_version_and_the_page_renders_every_figure(released: Path, tmp_path: Path):
    folder = released / "corpus" / "reports" / "v1.1.0"
    page = (folder / "report.html").read_text(encoding="utf-8")
    pngs = {p.stem: p.read_bytes() for p in folder.glob("*.png")}
    core = {"sources", "months", "lengths", "removals", "similarity", "languages", "changes"}
    # and one figure per numeric signal column the documents table carries (output format 3)
    schema = pq.read_schema(next((released / "corpus" / "v1.1.0" / "documents").glob("*.parquet")))
    numeric = {
        f.name
        for f in schema
        if f.name not in DOCUMENTS.names
        and (pa.types.is_integer(f.type) or pa.types.is_floating(f.type) or pa.types.is_boolean(f.type))
    }
    assert numeric and set(pngs) == core | {f"signal-{name}" for name in numeric}
    assert _inlined(page) == pngs  # the page holds the very figures written beside it
    for data in pngs.values():
        width, height = _valid_png(data)
        assert width == 800 and height > 100
    images, console = _browse(page, tmp_path)
    assert console == []
    assert sorted(i[0] for i in images) == sorted(pngs)
    for name, complete, width, height in images:
        assert complete and (width, height) == _valid_png(pngs[name]), name
    # Self-contained: nothing to fetch, no script.
    assert "<script" not in page.lower() and not re.search(r'(src|href)="(?!data:)', page)
    # The version folder is what it was: verify (and the card, which links the figures) still pass.
    run_cli("verify", cwd=released, check=0)
    assert (released / "corpus" / "reports" / "v1.0.0" / "report.html").is_file()
    # The card shows the latest version's main figures, by paths that exist beside it.
    card = (released / "corpus" / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"!\[[^]]*\]\((reports/v1\.1\.0/[^)]+\.png)\)", card)
    assert "## v1.1.0 at a glance" in card and len(links) >= 3
    assert all((released / "corpus" / link).is_file() for link in links)
    run_cli("check", "--released", cwd=released, check=0)


def test_the_browser_check_fails_on_a_missing_figure_and_on_a_fetch(tmp_path: Path):
    """The check above can fail: a broken image and a fetch the policy refuses are both seen."""
    page = (
        f'<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="{POLICY}"></head><body>'
        '<img src="data:image/png;base64,iVBORw0KGgo=" data-figure="broken">'
        '<img src="http://127.0.0.1:9/x.png" data-figure="fetched"></body></html>'
    )
    images, console = _browse(page, tmp_path)
    assert {i[0]: i[2] for i in images} == {"broken": 0, "fetched": 0}
    assert any("Content Security Policy" in line or "Refused" in line for line in console), console


def test_page_shows_counts_changes_and_most_repeated_with_every_user_string_escaped(released: Path):
    page = (released / "corpus" / "reports" / "v1.1.0" / "report.html").read_text(encoding="utf-8")
    assert "<img src=x" not in page and "<script>alert" not in page and "\u202e" not in page
    assert html.escape("<img src=x onerror=alert(1)>$x$\\u202e") in page  # escaped, the mark shown as \u202e
    assert html.escape("<script>alert('p')</script>") in page  # in the most repeated paragraphs
    body = json.loads((released / "corpus" / "v1.1.0" / "manifest.json").read_text())
    assert body["diff"]["documents"]["added"] == 1
    assert "Since v1.0.0: suggested bump <b>minor</b>" in page
    first = (released / "corpus" / "reports" / "v1.0.0" / "report.html").read_text(encoding="utf-8")
    assert "No earlier version to compare with." in first and 'data-figure="changes"' not in first
    counts = body["counts"]
    assert f'<td class="n">{counts["documents"]:,}</td>' in page
    for reason, n in counts["dropped_by_reason"].items():
        assert f'<td>{reason}</td><td class="n">{n:,}</td>' in page


def test_numeric_columns_added_to_the_documents_table_get_a_figure_each(planted: Path, tmp_path: Path):
    """What a signals stage adds (words, shares ...) is shown whatever its names: each numeric
    column beyond the base schema gets its distribution, a boolean its share."""
    out = run(planted, tmp_path)
    table = pq.read_table(out / "documents")
    words = pc.add(pc.utf8_length(table.column("text")), 0).cast(pa.int64())
    share = pa.array(np.linspace(0.5, 1.0, table.num_rows))
    flagged = pa.array([i % 3 == 0 for i in range(table.num_rows)])
    table = table.append_column("words", words).append_column("alpha/share", share).append_column("redacted", flagged)
    for shard in (out / "documents").glob("*.parquet"):
        shard.unlink()
    pq.write_table(table, out / "documents" / "train-00000-of-00001.parquet")
    result = corpuspack.report(folder=out, into=tmp_path / "r")
    names = {p.stem for p in result.figures}
    assert {"signal-words", "signal-alpha_share", "signal-redacted"} <= names
    page = result.page.read_text(encoding="utf-8")
    assert f'<td>words</td><td class="n">{table.num_rows:,}</td>' in page
    assert f'<td>alpha/share</td><td class="n">{table.num_rows:,}</td><td>0.75</td>' in page
    for name in names:
        _valid_png((tmp_path / "r" / f"{name}.png").read_bytes())


def test_cli_report_writes_where_asked_replaces_only_an_earlier_report(released: Path, tmp_path: Path):
    before = tree(released / "corpus")
    done = run_cli("report", "1.0.0", "--to", str(tmp_path / "mine"), cwd=released, check=0)
    assert done.stdout.strip() == str(tmp_path / "mine" / "report.html")
    assert tree(released / "corpus") == before  # nothing else written
    first = tree(tmp_path / "mine")
    again = run_cli("report", "1.0.0", "--to", str(tmp_path / "mine"), cwd=released, check=0)
    assert again.stdout == done.stdout and len(first) == 1 + len(list((tmp_path / "mine").glob("*.png"))) > 8
    assert tree(tmp_path / "mine") == first  # replaced by the same bytes: a report is reproducible
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    refused = run_cli("report", "--to", str(tmp_path / "other"), cwd=released, check=2)
    assert "not a report" in refused.stderr and (tmp_path / "other" / "notes.txt").read_text() == "mine"
    inside = run_cli("report", "--to", str(released / "corpus" / "v1.1.0" / "figures"), cwd=released, check=2)
    assert "version folder" in inside.stderr
    assert tree(released / "corpus") == before
    with pytest.raises(UsageError):
        corpuspack.report("1.0.0", config=load_config(released), folder=released / "corpus" / "v1.0.0")


def test_report_of_a_build_folder_and_the_card_hook(released: Path, tmp_path: Path):
    out = tmp_path / "built"
    corpuspack.build(out=out, config=load_config(released), workers=1)
    done = run_cli("report", "--out", str(out), cwd=tmp_path, check=0)
    made = Path(done.stdout.strip())
    assert made.name == "report.html" and not made.is_relative_to(out)
    assert "a build (not released)" in made.read_text(encoding="utf-8")
    shutil.rmtree(made.parent)
    lines = card_lines(released / "corpus", "1.1.0")
    assert "![Documents and paragraphs per source](reports/v1.1.0/sources.png)" in lines
    assert all((released / "corpus" / m).is_file() for m in re.findall(r"\]\((reports/[^)]+)\)", "\n".join(lines)))
    assert card_lines(released / "corpus", "9.9.9") == []


def test_a_damaged_folder_is_a_clear_error(planted: Path, tmp_path: Path):
    out = run(planted, tmp_path)
    [shard] = (out / "paragraphs").glob("*.parquet")
    shard.write_bytes(shard.read_bytes()[: shard.stat().st_size // 2])
    done = run_cli("report", "--out", str(out), "--to", str(tmp_path / "r"), cwd=tmp_path, check=1)
    assert "the tables cannot be read" in done.stderr and not (tmp_path / "r").exists()
    (out / "manifest.json").unlink()
    done = run_cli("report", "--out", str(out), "--to", str(tmp_path / "r"), cwd=tmp_path, check=1)
    assert "manifest.json: missing" in done.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    run_cli("report", "--out", str(empty), cwd=tmp_path, check=1)


def test_a_planted_reports_symlink_is_not_followed(released: Path, tmp_path: Path):
    project = tmp_path / "p"
    shutil.copytree(released, project, symlinks=True)
    shutil.rmtree(project / "corpus" / "reports")
    (tmp_path / "elsewhere").mkdir()
    (project / "corpus" / "reports").symlink_to(tmp_path / "elsewhere")
    done = run_cli("report", cwd=project, check=2)
    assert "symlink" in done.stderr and list((tmp_path / "elsewhere").iterdir()) == []


def test_release_refuses_a_bad_reports_folder_before_it_publishes(released: Path, tmp_path: Path):
    # A planted corpus/reports (a symlink, or a file) once failed `release` after the version was
    # moved into place, leaving it half published until the folder was fixed.
    project = tmp_path / "p"
    shutil.copytree(released, project, symlinks=True)
    reports = project / "corpus" / "reports"
    shutil.rmtree(reports)
    write_article(project / "seeds", "added", [sentence(900, 20)])
    (tmp_path / "elsewhere").mkdir()
    for plant, said in [(lambda: reports.symlink_to(tmp_path / "elsewhere"), "a symlink"),
                        (lambda: reports.write_text("x"), "not a folder")]:  # fmt: skip
        plant()
        done = run_cli("release", "-q", "--version", "9.0.0", cwd=project, check=2)
        assert said in done.stderr and not (project / "corpus" / "v9.0.0").exists()
        assert list((tmp_path / "elsewhere").iterdir()) == []
        reports.unlink()
    reports.write_text("x")
    assert "not a folder" in run_cli("report", cwd=project, check=2).stderr


def test_the_facts_are_those_of_the_tables(planted: Path, tmp_path: Path):
    """Document lengths follow from the ledger (the documents' texts are not read) and equal the
    texts' lengths; months run without a gap from the first date to the last."""
    from collections import Counter

    from corpuspack.publish import manifest
    from corpuspack.reporting.facts import read_facts

    record = {"id": "older", "title": "T", "source": "S", "date": "2021-06-15", "text": sentence(4242)}
    (planted / "seeds" / "older.json").write_text(json.dumps(record), encoding="utf-8")
    out = run(planted, tmp_path)
    facts = read_facts(out, manifest.read(out))
    documents = pq.read_table(out / "documents", columns=["text", "date", "source"])
    assert facts.document_chars.tolist() == pc.utf8_length(documents.column("text")).to_pylist()
    rows = pq.read_table(out / "paragraphs", columns=["text", "kept", "similarity"]).to_pylist()
    for name, kept in (("kept", True), ("dropped", False)):
        assert sorted(facts.paragraph_chars[name].tolist()) == sorted(len(r["text"]) for r in rows if r["kept"] == kept)
    assert sorted(facts.similarity.tolist()) == sorted(r["similarity"] for r in rows if r["similarity"] is not None)
    by_month = Counter(d.isoformat()[:7] for d in documents.column("date").to_pylist())
    assert facts.months[0][0] == min(by_month) and facts.months[-1][0] == max(by_month)
    assert len(facts.months) == 7 + 12 * 2 + 1  # 2021-06 to 2024-01, the empty months too
    assert {m: n for m, n, _ in facts.months if n} == dict(by_month)
    assert sum(row[1] for row in facts.sources) == documents.num_rows


def test_release_settles_the_folders_of_a_report_killed_midway(released: Path, tmp_path: Path):
    project = tmp_path / "p"
    shutil.copytree(released, project, symlinks=True)
    reports = project / "corpus" / "reports"
    partial = reports / ".v1.1.0.partial-abcd_123"
    partial.mkdir()
    (partial / "report.html").write_text("half")
    (partial / "sources.png").write_bytes(b"\x89PNG")
    aside = reports / ".v1.0.0.old-zz99zz99" / "report"
    aside.mkdir(parents=True)
    (aside / "months.png").write_bytes(b"")
    foreign = reports / ".v1.0.0.partial-qqqqqqqq"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    done = run_cli("release", "--bump", "patch", cwd=project, check=2)  # settles first, then nothing to release
    assert "nothing to release" in done.stderr
    assert sorted(p.name for p in reports.iterdir()) == [".v1.0.0.partial-qqqqqqqq", "v1.0.0", "v1.1.0"]
    assert (foreign / "notes.txt").read_text() == "mine"  # not a file corpuspack writes: left alone


def test_a_versions_report_names_no_absolute_path_and_is_the_same_bytes_from_another_checkout(
    released: Path, tmp_path: Path
):
    """The report published beside a version says where the version is relative to the project, so
    a copy of the repository elsewhere reports it in the same bytes."""
    moved = tmp_path / "elsewhere" / "checkout"
    shutil.copytree(released, moved, symlinks=True)
    first = corpuspack.report("1.1.0", config=load_config(released), into=tmp_path / "a")
    again = corpuspack.report("1.1.0", config=load_config(moved), into=tmp_path / "b")
    page = first.page.read_text(encoding="utf-8")
    assert str(released) not in page and str(tmp_path) not in page
    assert "corpus/v1.1.0" in page
    assert first.page.read_bytes() == again.page.read_bytes()


def test_extreme_infinite_and_nan_signal_values_are_drawn_and_said(planted: Path, tmp_path: Path):
    out = run(planted, tmp_path)
    [shard] = (out / "documents").glob("*.parquet")
    table = pq.read_table(shard)
    extremes = [1e308, -1e308, float("nan"), float("inf"), 0.5]
    values = [extremes[i % len(extremes)] for i in range(table.num_rows)]
    pq.write_table(table.append_column("score", pa.array(values, pa.float64())), shard)
    done = run_cli("report", "--out", str(out), "--to", str(tmp_path / "r"), cwd=tmp_path, check=0)
    assert "Too many bins" not in done.stderr
    page = (tmp_path / "r" / "report.html").read_text(encoding="utf-8")
    bad = sum(1 for v in values if not np.isfinite(v))
    huge = sum(1 for v in values if np.isfinite(v) and abs(v) > 1e300)
    assert f"Distribution of score over documents ({bad:,} values not finite, not shown; {huge:,} values " in page
    assert f'<td>score</td><td class="n">{len(values) - bad:,}</td>' in page  # stats of the finite values
    assert "nan" not in re.search(r"<td>score</td>.*?</tr>", page).group(0)
    width, _ = _valid_png((tmp_path / "r" / "signal-score.png").read_bytes())
    assert width == 800


def _copy(released: Path, tmp_path: Path) -> Path:
    """A copy of the released project (its folder's name, which the card shows), to damage without
    affecting the other tests."""
    project = tmp_path / released.name
    shutil.copytree(released, project, symlinks=True)
    return project


def _edit_manifest(folder: Path, change) -> None:
    body = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    change(body)
    (folder / "manifest.json").write_text(json.dumps(body), encoding="utf-8")  # NaN written as NaN


@pytest.mark.parametrize(
    ("field", "change"),
    [
        ("/counts/documents", lambda b: b["counts"].update(documents="12")),
        ("/counts/dropped_by_reason/exact", lambda b: b["counts"]["dropped_by_reason"].update(exact=True)),
        ("/most_repeated/0/count", lambda b: b["most_repeated"][0].update(count="x")),
        ("/most_repeated", lambda b: b.update(most_repeated=[b["most_repeated"][0]] * 5000)),
        ("/diff/documents/added", lambda b: b["diff"]["documents"].update(added="lots")),
        ("/diff/documents/added", lambda b: b["diff"]["documents"].update(added=10**30)),
        ("/diff/paragraphs/removed", lambda b: b["diff"]["paragraphs"].update(removed=float("nan"))),
        ("/diff/inputs_changed", lambda b: b["diff"].update(inputs_changed=-1)),
        ("/config/dedup/threshold", lambda b: b["config"]["dedup"].update(threshold=float("nan"))),
        ("/config/dedup", lambda b: b["config"].update(dedup=[1])),
        ("/name", lambda b: b.update(name=["x"])),
    ],
)
def test_a_manifest_value_of_another_type_or_out_of_range_is_a_data_error_naming_the_field(
    released: Path, tmp_path: Path, field: str, change
):
    project = _copy(released, tmp_path)
    _edit_manifest(project / "corpus" / "v1.1.0", change)
    done = run_cli("report", "1.1.0", "--to", str(tmp_path / "r"), cwd=project, check=1)
    assert f"v1.1.0/manifest.json: {field}: not " in done.stderr or f"{field}: 5,000 entries" in done.stderr
    assert not (tmp_path / "r").exists()


def test_a_long_dataset_name_is_cut_in_the_title_and_heading(released: Path, tmp_path: Path):
    project = _copy(released, tmp_path)
    _edit_manifest(project / "corpus" / "v1.1.0", lambda b: b.update(name="n" * 100_000, release_date="d" * 10_000))
    page = corpuspack.report("1.1.0", config=load_config(project), into=tmp_path / "r").page.read_text("utf-8")
    title = re.search(r"<title>(.*?)</title>", page).group(1)
    heading = re.search(r"<h1>(.*?)</h1>", page).group(1)
    assert title == heading == "n" * 200 + "... (100000 characters) v1.1.0"
    assert "n" * 201 not in page and "d" * 201 not in page


def test_only_the_parquet_files_the_manifest_lists_are_read(released: Path, tmp_path: Path):
    project = _copy(released, tmp_path)
    folder = project / "corpus" / "v1.1.0"
    [shard] = (folder / "documents").glob("*.parquet")
    shutil.copy(shard, folder / "documents" / "zz-extra.parquet")
    [paragraphs] = (folder / "paragraphs").glob("*.parquet")
    shutil.copy(paragraphs, folder / "paragraphs" / "zz-extra.parquet")
    page = corpuspack.report("1.1.0", config=load_config(project), into=tmp_path / "r").page.read_text("utf-8")
    expected = (released / "corpus" / "reports" / "v1.1.0" / "report.html").read_text(encoding="utf-8")
    assert page == expected  # the same page as without the planted files: no document counted twice
    from corpuspack.publish import manifest
    from corpuspack.reporting.facts import read_facts

    facts = read_facts(folder, manifest.read(folder))
    assert sum(row[1] for row in facts.sources) == pq.read_metadata(shard).num_rows == len(facts.document_chars)
    listed = json.loads((folder / "manifest.json").read_text())["outputs"]
    entry = next(o for o in listed if o["path"].startswith("documents/"))
    for path in ("/etc/documents/x.parquet", "documents/../../outside.parquet", "documents/sub/x.parquet",
                 "croissant/x.parquet"):  # fmt: skip
        damaged = tmp_path / "d" / path.replace("/", "_")
        shutil.copytree(project, damaged, symlinks=True)
        _edit_manifest(damaged / "corpus" / "v1.1.0", lambda b, p=path: b["outputs"].append({**entry, "path": p}))
        done = run_cli("report", "1.1.0", "--to", str(tmp_path / "x"), cwd=damaged, check=1)
        assert f"v1.1.0/manifest.json: /outputs: {path}: " in done.stderr and not (tmp_path / "x").exists()


def test_a_build_folder_reads_the_parquet_files_its_manifest_lists(planted: Path, tmp_path: Path):
    out = run(planted, tmp_path)
    first = corpuspack.report(folder=out, into=tmp_path / "a").page.read_bytes()
    [shard] = (out / "documents").glob("*.parquet")
    shutil.copy(shard, out / "documents" / "another.parquet")
    assert corpuspack.report(folder=out, into=tmp_path / "b").page.read_bytes() == first


def test_report_is_not_written_in_the_corpus_folder_but_under_reports_nor_in_the_seeds(released: Path, tmp_path: Path):
    project = _copy(released, tmp_path)
    corpus, seeds = tree(project / "corpus"), tree(project / "seeds")
    for target in ("corpus/v2.0.0", "corpus/figures", "corpus", "corpus/reports", "seeds/r", "seeds", "."):
        done = run_cli("report", "--to", target, cwd=project, check=2)
        assert "corpus folder" in done.stderr or "seeds folder" in done.stderr or "version folder" in done.stderr
    built = tmp_path / "built"
    corpuspack.build(out=built, config=load_config(project), workers=1)
    for target in ("seeds/r", "corpus/v2.0.0"):  # a build's report, asked from elsewhere
        run_cli("report", "--out", str(built), "--to", str(project / target), cwd=tmp_path, check=2)
    assert tree(project / "corpus") == corpus and tree(project / "seeds") == seeds
    run_cli("check", cwd=project, check=0)
    # What was allowed still is: a folder of corpus/reports, another new folder, the default.
    run_cli("report", "1.0.0", "--to", "corpus/reports/mine", cwd=project, check=0)
    assert (project / "corpus" / "reports" / "mine" / "report.html").is_file()
    run_cli("report", "--to", str(tmp_path / "new"), cwd=project, check=0)
    run_cli("report", cwd=project, check=0)
    run_cli("verify", cwd=project, check=0)

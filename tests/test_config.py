"""`[tool.corpuspack]` and the overrides are checked against the settings' one declaration, which
also writes the README's table."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from conftest import REPO, run_cli, sentence, write_article

from corpuspack import Config, ConfigError, DedupConfig, load_config
from corpuspack.config import MAX_PYPROJECT_BYTES, settings_table
from corpuspack.settings import declared

LONG = "x" * 300

# (line in [tool.corpuspack], the value as the message shows it, what the message says is expected)
REFUSED = [
    ('workers = "two"', "workers = 'two'", "an integer from 0 to 4096"),
    ("seeds = 5", "seeds = 5", "a non-empty path or fsspec URL"),
    ('seed = "x"', "seed = 'x'", "an integer of at least 0"),
    ('near = "false"', "near = 'false'", "true or false"),
    ('strict = "no"', "strict = 'no'", "true or false"),
    ("strict = 1", "strict = 1", "true or false"),
    ("workers = true", "workers = True", "an integer from 0 to 4096"),
    ("num_perm = 64.0", "num_perm = 64.0", "an integer from 1 to 1024"),
    ("threshold = true", "threshold = True", "a number over 0 and at most 1"),
    ("max_bucket_pairs = 0", "max_bucket_pairs = 0", "an integer from 1 to 1024"),
    ("shard_bytes = -1", "shard_bytes = -1", "an integer number of bytes from 1048576 (1 MiB) to 17179869184 (16 GiB)"),
    ("max_file_bytes = 0", "max_file_bytes = 0", "an integer number of bytes from 1 to 1073741824 (1 GiB)"),
    ("partitions = -1", "partitions = -1", "an integer from 0 to 4096"),
    ("workers = -1", "workers = -1", "an integer from 0 to 4096"),
    ("workers = 4097", "workers = 4097", "an integer from 0 to 4096"),
    ("num_perm = 100000000", "num_perm = 100000000", "an integer from 1 to 1024"),
    ("threshold = 0", "threshold = 0", "a number over 0 and at most 1"),
    ("threshold = 1.5", "threshold = 1.5", "a number over 0 and at most 1"),
    ("threshold = nan", "threshold = nan", "a number over 0 and at most 1"),
    ("shingle_size = 33", "shingle_size = 33", "an integer from 1 to 32"),
    ("min_words = 1001", "min_words = 1001", "an integer from 1 to 1000"),
    ("boilerplate_min_docs = 1", "boilerplate_min_docs = 1", "an integer of at least 2"),
    ("seed = -1", "seed = -1", "an integer of at least 0"),
    ("bands = 0", "bands = 0", "an integer from 1 to 1024"),
    ('engine = "spark"', "engine = 'spark'", "one of 'local', 'ray'"),
    ('name = ""', "name = ''", "a non-empty string"),
    ("language = 5", "language = 5", "a string"),
    ('corpus = ""', "corpus = ''", "a non-empty path"),
    ("schema = []", "schema = []", "a non-empty path"),
    # A NUL character in a path was a ValueError traceback (embedded null byte) in validate and build.
    ('schema = "s\\u0000.json"', "schema = 's\\x00.json'", "a non-empty path; a path holds no NUL character"),
    ('seeds = "a\\u0000b"', "seeds = 'a\\x00b'", "a non-empty path or fsspec URL; a path holds no NUL character"),
    ('corpus = "c\\u0000"', "corpus = 'c\\x00'", "a non-empty path; a path holds no NUL character"),
    ('card = "C\\u0000.md"', "card = 'C\\x00.md'", "a non-empty path; a path holds no NUL character"),
    ('homepage = "example.org"', "homepage = 'example.org'", "an http or https URL"),
    ('homepage = "ftp://example.org/x"', "homepage = 'ftp://example.org/x'", "an http or https URL"),
    ('homepage = "https://"', "homepage = 'https://'", "an http or https URL"),
    ('homepage = "https://[x]/"', "homepage = 'https://[x]/'", "an http or https URL"),
    ('homepage = "https://example.org/a b"', "homepage = 'https://example.org/a b'", "an http or https URL"),
    (
        'homepage = "https://example.org/\\u001b[2J"',
        "homepage = 'https://example.org/\\x1b[2J'",
        "an http or https URL",
    ),
    ('creator = ""', "creator = ''", "a non-empty string"),
    ("citation = 1", "citation = 1", "a non-empty string"),
    (
        "boilerplate_patterns = [5]",
        "boilerplate_patterns = [5]",
        "a list of non-empty strings (RE2 patterns); 5 is not a non-empty string",
    ),
    (
        "boilerplate_patterns = ['^Ok', 2.5]",
        "boilerplate_patterns = ['^Ok', 2.5]",
        "a list of non-empty strings (RE2 patterns); 2.5 is not a non-empty string",
    ),
    ('boilerplate_patterns = "^Ad"', "boilerplate_patterns = '^Ad'", "a list of non-empty strings (RE2 patterns)"),
    (f'name = ["{LONG}"]', f"name = ['{'x' * 78}... (304 characters)", "a non-empty string"),
    # not a language code: it would filter out every document
    (
        "filter_languages = ['en', 'english']",
        "filter_languages = ['en', 'english']",
        "ISO 639 codes such as en or de; 'english' is none",
    ),
    (
        "filter_languages = []",
        "filter_languages = []",
        "at least one ISO 639 code (leave it out to keep every language)",
    ),
]


def _project(tmp_path: Path, *lines: str) -> Path:
    root = tmp_path / "project"
    root.mkdir(exist_ok=True)
    (root / "pyproject.toml").write_text("\n".join(["[tool.corpuspack]", *lines, ""]), encoding="utf-8")
    return root.resolve()


@pytest.mark.parametrize(("line", "shown", "expected"), REFUSED, ids=[r[0][:40] for r in REFUSED])
def test_a_bad_value_is_a_config_error_naming_file_key_value_and_expectation(
    tmp_path: Path, line: str, shown: str, expected: str
):
    root = _project(tmp_path, line)
    done = run_cli("validate", cwd=root, check=3)
    assert done.stderr == (
        f"corpuspack: error: {root / 'pyproject.toml'}: [tool.corpuspack] {shown}: expected {expected}\n"
    )


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("bands = 200", "need 1 <= bands (200) <= num_perm (128)"),
        ("min_words = 4", "min_words (4) must be at least shingle_size (5)"),
    ],
)
def test_settings_that_contradict_each_other_are_config_errors(tmp_path: Path, line: str, says: str):
    root = _project(tmp_path, line)
    done = run_cli("validate", cwd=root, check=3)
    assert f"{root / 'pyproject.toml'}: [tool.corpuspack] {says}" in done.stderr


def test_an_unknown_key_names_the_nearest_known_one(tmp_path: Path):
    root = _project(tmp_path, "treshold = 0.9", "boilerplate_pattern = ['^Ad']", "colour = 'red'")
    done = run_cli("validate", cwd=root, check=3)
    assert done.stderr == (
        f"corpuspack: error: {root / 'pyproject.toml'}: unknown [tool.corpuspack] keys: "
        "boilerplate_pattern (did you mean boilerplate_patterns?), colour, treshold (did you mean threshold?)\n"
    )


def test_the_output_format_is_no_setting(tmp_path: Path):
    """Builds write the current output format; only a rebuild takes an older one, from its manifest."""
    root = _project(tmp_path, "output_format = 1")
    with pytest.raises(ConfigError, match=r"unknown .* keys: output_format$"):
        load_config(root)
    assert load_config(_project(tmp_path)).output_format == 4


def test_many_unknown_keys_are_named_ten_at_most(tmp_path: Path):
    root = _project(tmp_path, *(f"key{i:02d} = 1" for i in range(30)))
    with pytest.raises(ConfigError, match=r"keys: key00, key01, .*, key09 and 20 more$"):
        load_config(root)


def test_an_empty_or_quoted_key_is_an_unknown_key(tmp_path: Path):
    """Found by tests/test_properties.py: `"" = false` passed the unknown-key check (its message was
    the empty string, which is false) and then crashed `Config(**table)` with a TypeError."""
    root = _project(tmp_path, '"" = false', '" " = 1', '"a b" = "x"')
    done = run_cli("validate", cwd=root, check=3)
    assert done.stderr == (
        f"corpuspack: error: {root / 'pyproject.toml'}: unknown [tool.corpuspack] keys: '', ' ', 'a b'\n"
    )


def test_a_table_that_is_not_a_table_is_a_config_error(tmp_path: Path):
    root = tmp_path / "project"
    root.mkdir()
    (root / "pyproject.toml").write_text("[tool]\ncorpuspack = 5\n", encoding="utf-8")
    done = run_cli("validate", cwd=root, check=3)
    assert "[tool.corpuspack] must be a table of settings" in done.stderr


def test_a_pyproject_nested_too_deeply_or_too_large_is_a_config_error(tmp_path: Path):
    """tomllib recurses: `x = [[[...` 100,000 deep was a RecursionError traceback in every command.
    The file is read bounded too: a pyproject.toml is a few KiB, not gigabytes."""
    root = _project(tmp_path, "workers = 2")
    pyproject = root / "pyproject.toml"
    pyproject.write_text(f"{pyproject.read_text()}x = {'[' * 100_000}{']' * 100_000}\n", encoding="utf-8")
    for command in ("validate", "check", "verify"):
        done = run_cli(command, cwd=root, check=3)
        assert (
            done.stderr == f"corpuspack: error: {pyproject}: nested too deeply to read (arrays or tables in arrays)\n"
        )
    with pytest.raises(ConfigError, match="nested too deeply"):
        load_config(root)
    pyproject.write_text("[tool.corpuspack]\n" + "#" * MAX_PYPROJECT_BYTES + "\n", encoding="utf-8")
    size = pyproject.stat().st_size
    with pytest.raises(ConfigError, match=rf"pyproject.toml: file of {size} bytes is over the limit of 1048576"):
        load_config(root)


def test_a_bad_command_line_override_is_a_config_error_saying_where_it_came_from(tmp_path: Path):
    root = _project(tmp_path, "workers = 2")
    done = run_cli("build", "--workers", "-1", "--partitions", "2", "-q", cwd=root, check=3)
    assert done.stderr == (
        "corpuspack: error: workers = -1: expected an integer from 0 to 4096 "
        "(given on the command line or by the caller, over pyproject.toml)\n"
    )
    with pytest.raises(ConfigError, match=r"partitions = -1: expected an integer from 0 to 4096 \(given on"):
        load_config(root, partitions=-1)
    with pytest.raises(ConfigError, match=r"workers = 'two': expected an integer"):
        load_config(root).replace(workers="two")
    with pytest.raises(ConfigError, match=r"near = 'no': expected true or false"):
        load_config(root).replace(near="no")
    with pytest.raises(ConfigError, match="unknown settings: treshold \\(did you mean threshold\\?\\)"):
        load_config(root, treshold=0.5)


def test_a_manifest_like_construction_is_checked_too():
    with pytest.raises(ConfigError, match="num_perm = 100000000"):
        DedupConfig(num_perm=100_000_000)
    with pytest.raises(ConfigError, match="shard_bytes = -1"):
        Config(shard_bytes=-1)


VALID = """
name = "news"
seeds = "data/seeds"
corpus = "released"
schema = "schema/document.schema.json"
language = "de"
license = ""
homepage = "https://example.org/news?v=1#top"
creator = "Example Newsroom"
citation = "@misc{news, title = {News}}"
max_file_bytes = 1073741824
strict = true
workers = 1
shard_bytes = 1048576
engine = "local"
ray_address = "127.0.0.1:6379"
partitions = 4096
boilerplate_patterns = ['^Subscribe', '^Related Pages$']
boilerplate_min_docs = 2
near = false
threshold = 1
num_perm = 1024
bands = 1024
shingle_size = 32
min_words = 1000
seed = 0
max_bucket_pairs = 1024
"""


def test_valid_values_of_every_kind_load_as_the_settings_hold_them(tmp_path: Path):
    root = _project(tmp_path, VALID)
    config = load_config(root)
    assert config.seeds == Path("data/seeds") and config.corpus == Path("released")
    assert config.schema == Path("schema/document.schema.json")
    assert (config.name, config.language, config.license, config.ray_address) == ("news", "de", "", "127.0.0.1:6379")
    assert config.publication() == {
        "homepage": "https://example.org/news?v=1#top",
        "creator": "Example Newsroom",
        "citation": "@misc{news, title = {News}}",
    }
    assert (config.max_file_bytes, config.shard_bytes, config.workers, config.partitions) == (2**30, 2**20, 1, 4096)
    assert config.strict is True and config.engine == "local"
    dedup = config.dedup
    assert dedup.boilerplate_patterns == ("^Subscribe", "^Related Pages$")
    assert dedup.near is False
    assert dedup.threshold == 1 and isinstance(dedup.threshold, int)  # recorded in the manifest as written
    assert (dedup.num_perm, dedup.bands, dedup.shingle_size, dedup.min_words) == (1024, 1024, 32, 1000)
    assert (dedup.boilerplate_min_docs, dedup.seed, dedup.max_bucket_pairs) == (2, 0, 1024)
    url = load_config(root, seeds="memory://bucket/seeds", workers=3, near=True)
    assert (url.seeds, url.workers, url.dedup.near) == ("memory://bucket/seeds", 3, True)
    changed = load_config(root).replace(threshold=0.5, bands=None).dedup
    assert (changed.threshold, changed.bands) == (0.5, None)


def test_a_project_with_valid_settings_validates_from_the_cli(tmp_path: Path):
    root = _project(
        tmp_path, 'seeds = "in"', "language = 'en'", "license = 'CC0-1.0'", "workers = 1", "strict = true", "seed = 7"
    )
    write_article(root / "in", "a", [sentence(1), sentence(2)])
    done = run_cli("validate", "-q", cwd=root, check=0)
    assert done.stdout.startswith("1 files, 1 documents: 0 errors"), done.stdout


def test_every_field_is_declared_and_defaults_are_unchanged():
    # The output format is not a setting: a build writes the current one, a rebuild its manifest's.
    for cls, skip in ((Config, {"root", "dedup", "output_format", "project_name"}), (DedupConfig, set())):
        assert set(declared(cls)) == {f.name for f in dataclasses.fields(cls)} - skip
    config = Config(root=Path("/nowhere"))
    assert (config.name, config.seeds, config.corpus, config.schema) == ("corpus", Path("seeds"), Path("corpus"), None)
    assert (config.max_file_bytes, config.shard_bytes, config.workers, config.partitions) == (64 << 20, 256 << 20, 0, 0)
    assert (config.strict, config.engine, config.language, config.license, config.ray_address) == (
        False,
        "local",
        None,
        None,
        None,
    )
    assert config.dedup.describe() == {
        "boilerplate_patterns": [],
        "boilerplate_min_docs": 10,
        "near": True,
        "threshold": 0.8,
        "num_perm": 128,
        "bands": 25,
        "rows": 5,
        "shingle_size": 5,
        "min_words": 8,
        "seed": 1,
        "max_bucket_pairs": 32,
        "rules": 2,
    }
    assert "rules" not in DedupConfig(rules=1).describe()  # as rules-1 manifests were written
    assert config.max_emptied_share == 0.5
    assert (config.pretty_name, config.card, config.hub_repo) == (None, None, None)
    assert (config.title, config.card_path) == ("nowhere", Path("/nowhere/corpus/CARD.md"))


def test_the_readme_table_is_the_generated_one():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("\n## Configuration\n") :]
    section = section[: section.index("\n## ", 1)]
    table = "".join(line + "\n" for line in section.splitlines() if line.startswith("|"))
    assert table == settings_table(), (
        "README.md's settings table is out of date; paste the output of\n"
        "python -c 'from corpuspack.config import settings_table; print(settings_table())'"
    )

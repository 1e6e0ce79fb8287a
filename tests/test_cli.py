"""Every command is documented in the README and is a thin call into the API function of its name."""

from __future__ import annotations

from conftest import REPO

import corpuspack
from corpuspack.cli import COMMANDS, build_parser


def test_every_command_is_in_the_readme_and_the_api():
    readme = (REPO / "README.md").read_text()
    for name in COMMANDS:
        assert f"corpuspack {name}" in readme, name
        assert callable(getattr(corpuspack, name)), name


def test_every_command_has_help():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert set(sub.choices) == set(COMMANDS)
    for name, command in sub.choices.items():
        assert command.format_help().strip(), name


def test_build_takes_every_setting_as_an_option_with_its_declared_help():
    from corpuspack.config import Config, DedupConfig
    from corpuspack.settings import declared

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    options = {a.dest: a for a in sub.choices["release"]._actions}
    for cls in (Config, DedupConfig):
        for key, (spec, _) in declared(cls).items():
            assert key in options, key
            assert spec.help.replace("%", "%%") in options[key].help, key


def test_a_setting_given_as_an_option_is_built_and_recorded_and_checked_like_pyproject(tmp_path):
    import json

    from conftest import run_cli, sentence, write_article

    (tmp_path / "pyproject.toml").write_text('[tool.corpuspack]\nlicense = "CC0-1.0"\nlanguage = "en"\n')
    for i in range(3):
        write_article(tmp_path / "seeds", f"d{i}", [sentence(i, 20), sentence(50 + i, 20)])
    run_cli("build", "-q", "--out", "out", "--threshold", "0.9", "--no-near", "--name", "mine", cwd=tmp_path, check=0)
    body = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert (body["config"]["dedup"]["threshold"], body["config"]["dedup"]["near"]) == (0.9, False)
    assert body["name"] == "mine"
    refused = run_cli("build", "-q", "--out", "bad", "--threshold", "2", cwd=tmp_path, check=3)
    assert "threshold = 2.0: expected a number over 0 and at most 1" in refused.stderr
    assert not (tmp_path / "bad").exists()


def test_an_empty_path_option_is_refused_not_taken_for_where_the_user_stands(tmp_path):
    # `--seeds ''` once resolved to the current folder, so a build read the whole project
    # (corpus/, schema/, pyproject.toml) as seeds; the declaration says "a non-empty path".
    from conftest import run_cli, sentence, write_article

    (tmp_path / "pyproject.toml").write_text('[tool.corpuspack]\nlicense = "CC0-1.0"\nlanguage = "en"\n')
    write_article(tmp_path / "seeds", "d0", [sentence(0, 20)])
    for option in ("--seeds", "--schema"):
        refused = run_cli("build", "-q", "--out", "bad", option, "", cwd=tmp_path, check=3)
        assert "expected a non-empty path" in refused.stderr, option
        assert not (tmp_path / "bad").exists()
    refused = run_cli("card", "--card", "", cwd=tmp_path, check=3)
    assert "card = '': expected a non-empty path" in refused.stderr

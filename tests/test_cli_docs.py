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

"""The documentation stays true: every command has help and appears in the README."""

from __future__ import annotations

import re

import click
import pytest
from conftest import ROOT

from medium_archive.cli import ExitCode, cli

README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_command_has_help_and_is_in_the_readme(name: str) -> None:
    command = cli.commands[name]
    assert command.help, f"{name} is missing its help"
    assert f"medium-archive {name}" in README, f"{name} is not shown in the README"


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_option_has_help(name: str) -> None:
    for param in cli.commands[name].params:
        if isinstance(param, click.Option) and not param.hidden:
            assert param.help, f"{name} {param.opts} has no help"


def test_readme_exit_code_table_matches_the_code() -> None:
    table = dict(re.findall(r"^\| (\d+) \| ([^|]+)\|", README, re.M))
    assert {int(k) for k in table} == {int(code) for code in ExitCode}


def test_readme_quick_start_comes_first_with_two_commands() -> None:
    start = README.index("## Quick start")
    blocks = re.findall(r"```sh\n(.*?)```", README[start:], re.S)[:2]
    assert "medium-archive archive fixtures/sample/sample-post.html" in blocks[0]
    assert "pytest" in blocks[1]
    assert (ROOT / "fixtures" / "sample" / "sample-post.html").is_file()

"""Every census command, walked from the typer app, run through ``scanner.cli:main`` with
malformed arguments against a database that is not one: whatever it says, it says it in
lines, not a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer

from scanner.cli.app import app
from tests.hostile.conftest import Census, assert_clean


def _leaves(command: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    subcommands = getattr(command, "commands", None)
    out: list[tuple[tuple[str, ...], Any]] = []
    if subcommands:
        if getattr(command, "invoke_without_command", False) and path:
            out.append((path, command))
        for name, sub in sorted(subcommands.items()):
            out += _leaves(sub, (*path, name))
        return out
    return [(path, command)]


COMMANDS = _leaves(typer.main.get_command(app))
GARBAGE = "[/]\x1b[2J\x00" + "长" * 300


def _options(command: Any) -> list[str]:
    return [
        p.opts[0]
        for p in command.params
        if p.param_type_name == "option" and not p.is_flag and p.opts[0] != "--help"
    ]


def _arguments(command: Any) -> int:
    return sum(1 for p in command.params if p.param_type_name != "option")


def _malformed(command: Any) -> list[list[str]]:
    """Ways to get a command wrong: an unknown option; garbage for every option and argument
    (and one too many); a huge negative number or a date no census has for every option."""
    options = _options(command)
    positional = [GARBAGE] * _arguments(command)

    def number_or_day(option: str) -> str:
        return "0001-01-01" if option in ("--at", "--as-of", "--date") else "-99999999999999999999"

    return [
        ["--no-such-option"],
        [*positional, *(x for o in options for x in (o, GARBAGE)), GARBAGE, "-5"],
        [*positional, *(x for o in options for x in (o, number_or_day(o)))],
    ]


def test_the_walk_finds_every_command() -> None:
    names = {" ".join(p) for p, _ in COMMANDS}
    assert {
        "scan",
        "score",
        "scorecard",
        "inspect",
        "sites import",
        "review confirm",
        "report supervision",
        "monitor run-nightly",
        "db upgrade",
        "demo",
    } <= names
    assert len(COMMANDS) >= 30


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_every_command_with_malformed_arguments_never_shows_a_traceback(
    census: Census, tmp_path: Path, path: tuple[str, ...], command: Any
) -> None:
    broken = tmp_path / "census.db"
    broken.write_bytes(b"not a database\n" * 100)
    census.env = {
        "CENSUS_DATABASE_URL": f"sqlite:///{broken}",
        "CENSUS_HOST_MAP": "x.gov.cn=127.0.0.1:9",
    }
    for args in _malformed(command):
        ran = census(*path, *args)
        assert_clean(ran)
        assert "Error" not in ran.err.replace("─ Error ─", "") or "Usage" in ran.err, ran.err
        assert ran.code != 70, ran.text  # never an internal error
        assert ran.code != 0 or "Usage" in ran.out, (args, ran.text)  # or it showed its help
    assert broken.read_bytes() == b"not a database\n" * 100

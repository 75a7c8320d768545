"""Docs that cannot fall behind: every command, setting and rule id is documented."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from scanner.cli.app import app
from scanner.settings import Settings

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _command_paths(command: Any, prefix: str = "census") -> list[str]:
    paths = [prefix]
    subcommands = getattr(command, "commands", None)  # a group (typer bundles its own click)
    if subcommands:
        for name, sub in subcommands.items():
            paths += _command_paths(sub, f"{prefix} {name}")
    return paths


def test_every_command_is_in_the_cli_docs() -> None:
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    missing = [p for p in _command_paths(typer.main.get_command(app)) if f"`{p}" not in text]
    assert missing == [], f"commands missing from docs/cli.md: {missing}"


def test_every_setting_is_in_the_settings_docs() -> None:
    text = (DOCS / "settings.md").read_text(encoding="utf-8")
    missing = [n for n in Settings.model_fields if f"CENSUS_{n.upper()}" not in text]
    assert missing == [], f"settings missing from docs/settings.md: {missing}"


def test_every_rule_id_is_in_the_scoring_docs() -> None:
    from scoring import RULE_IDS

    text = (DOCS / "scoring.md").read_text(encoding="utf-8")
    missing = [rule for rule in RULE_IDS if f"`{rule}`" not in text]
    assert missing == [], f"rule ids missing from docs/scoring.md: {missing}"

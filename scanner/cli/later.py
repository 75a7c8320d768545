"""Commands whose work lands in later issues: listed honestly, each says what it will do.

Each entry moves to its own module when its issue lands; until then it exits with code 3 and a
clear "not yet" message instead of pretending to work.
"""

from __future__ import annotations

import typer

from scanner.errors import NotYetAvailable

PENDING: dict[str, tuple[str, str, str]] = {
    # name: (help, panel, which piece of work brings it)
}


def _pending(name: str, which: str) -> typer.models.CommandFunctionType:
    def command(ctx: typer.Context) -> None:
        raise NotYetAvailable(f"'census {name}' arrives with {which}.")

    command.__name__ = name
    return command


def register(app: typer.Typer) -> None:
    for name, (help_text, panel, which) in PENDING.items():
        app.command(
            name,
            help=help_text,
            rich_help_panel=panel,
            context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
        )(_pending(name, which))

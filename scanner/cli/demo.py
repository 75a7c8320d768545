"""``census demo``: the whole pipeline on the built-in simulated sites, no server to start."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def demo(
    folder: Annotated[
        Path | None,
        typer.Option("--dir", help="Folder for the demo database; default a new temporary one."),
    ] = None,
) -> None:
    """Run the census on the built-in simulated government sites and print a summary."""
    raise NotImplementedError

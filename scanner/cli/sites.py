"""``census sites``: the register of sites (import from YAML/xlsx, list)."""

from __future__ import annotations

import typer

app = typer.Typer(help="Import and list the register of sites (网站基本信息).", no_args_is_help=True)

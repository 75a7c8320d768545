"""``census db``: create, upgrade and inspect the database."""

from __future__ import annotations

from typing import Annotated

import typer

from scanner.cli.context import open_database
from scanner.cli.output import console

app = typer.Typer(
    help="Create or upgrade the database (SQLite by default, PostgreSQL by URL).",
    no_args_is_help=True,
)

DatabaseOpt = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        envvar="CENSUS_DATABASE_URL",
        help="SQLAlchemy URL; default a SQLite file census.db.",
    ),
]


@app.command()
def upgrade(database_url: DatabaseOpt = None) -> None:
    """Create the database or bring it up to the newest schema."""
    from scanner.db.engine import current_revision

    db = open_database(database_url, check=False)
    db.upgrade()
    console.print(
        f"数据库已升级到最新版本 (revision {current_revision(db.engine)}): "
        f"{db.engine.url.render_as_string()}"
    )


@app.command()
def status(database_url: DatabaseOpt = None) -> None:
    """Show the schema revision of the database and the one the code expects."""
    from scanner.db.engine import current_revision, head_revision

    db = open_database(database_url, check=False)
    have = current_revision(db.engine)
    want = head_revision(db.url)
    console.print(f"database: {db.engine.url.render_as_string()}")
    console.print(f"revision: {have or '(empty)'}; code expects: {want}")
    if have != want:
        raise typer.Exit(1)

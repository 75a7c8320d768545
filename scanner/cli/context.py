"""What every command needs: settings and the database, built once from options and env.

Imported by every command module, so settings and the database (SQLAlchemy) are
loaded only when a command asks for them, not when the CLI starts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scanner.db import Database
    from scanner.settings import Settings


def settings_with(database_url: str | None = None) -> Settings:
    from scanner.settings import load_settings

    return load_settings(database_url=database_url)


def open_database(
    database_url: str | None = None, *, check: bool = True, settings: Settings | None = None
) -> Database:
    """The configured database (``settings``' when the command has loaded them already);
    refuses (with the fix in the message) when not upgraded."""
    from scanner.db import Database

    settings = settings or settings_with(database_url)
    db = Database(settings.database_url)
    if check:
        db.check_current()
    return db

"""What every command needs: settings and the database, built once from options and env."""

from __future__ import annotations

from scanner.db import Database
from scanner.settings import Settings, load_settings


def settings_with(database_url: str | None = None) -> Settings:
    return load_settings(database_url=database_url)


def open_database(database_url: str | None = None, *, check: bool = True) -> Database:
    """The configured database; refuses (with the fix in the message) when not upgraded."""
    settings = settings_with(database_url)
    db = Database(settings.database_url)
    if check:
        db.check_current()
    return db

"""Storage: SQLAlchemy models, the engine and Alembic migrations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scanner.db.engine import Database, upgrade

if TYPE_CHECKING:
    from scanner.db.models import Base

__all__ = ["Base", "Database", "upgrade"]


def __getattr__(name: str) -> Any:
    """``Base`` loads every model (see `scanner.db.models`); the engine alone loads none."""
    if name == "Base":
        from scanner.db.models import Base

        return Base
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

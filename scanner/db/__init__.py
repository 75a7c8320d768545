"""Storage: SQLAlchemy models, the engine and Alembic migrations."""

from scanner.db.engine import Database, upgrade
from scanner.db.models import Base

__all__ = ["Base", "Database", "upgrade"]

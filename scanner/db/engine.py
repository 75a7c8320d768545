"""Engines, sessions and migrations: the only place that knows which database is in use."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect, make_url, text
from sqlalchemy.exc import DatabaseError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from scanner.errors import StorageError

if TYPE_CHECKING:
    from alembic.config import Config

# The migration the code is written for. Commands compare the database with it without loading
# Alembic (≈ 10 MB and 0.1 s at every start); a test keeps it equal to Alembic's head.
SCHEMA_REVISION = "0011"


def migrations_dir() -> Path:
    """Where the Alembic scripts are: the installed package, or ``migrations/`` in a checkout."""
    spec = importlib.util.find_spec("census_migrations")
    if spec and spec.origin:
        return Path(spec.origin).parent
    return Path(__file__).resolve().parents[2] / "migrations"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _without_password(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (SQLAlchemyError, ValueError):
        return repr(url) if "@" not in url else "(unparsable URL)"


def _unusable(context: Any) -> None:
    """The database itself cannot be used (not a database, damaged, read-only, unreachable,
    locked): one StorageError naming it, instead of a driver traceback. Errors of a statement
    (integrity, programming) are left to the code that made it."""
    exc = context.sqlalchemy_exception
    if type(exc) not in (DatabaseError, OperationalError):
        return
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    url = context.engine.url.render_as_string() if context.engine is not None else "?"
    raise StorageError(
        f"数据库无法使用 (database unusable) {url}: {reason[0][:300] if reason else '?'}"
        " — check CENSUS_DATABASE_URL / --database-url"
    ) from None


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite") and ":memory:" not in url:
        db_file = url.split("///", 1)[-1]
        if db_file:
            Path(db_file).parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = create_engine(url, **kwargs)
    except (SQLAlchemyError, ValueError, ImportError) as exc:  # not a URL, or no such driver
        raise StorageError(
            "CENSUS_DATABASE_URL / --database-url: 不是可用的数据库地址 "
            f"(not a usable database URL) {_without_password(url)}: {exc}"
        ) from None
    event.listen(engine, "handle_error", _unusable)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Create or upgrade the database schema to ``revision``."""
    from alembic import command

    try:
        command.upgrade(alembic_config(url), revision)
    except SQLAlchemyError as exc:
        raise StorageError(f"could not upgrade the database at {url}: {exc}") from exc


def current_revision(engine: Engine) -> str | None:
    """The revision recorded in the database (None: never upgraded)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def head_revision(url: str) -> str | None:
    """The newest migration script, as Alembic sees it (``census db status``, tests)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()


def require_current(engine: Engine) -> None:
    """Refuse to work on a database that is missing or behind the code, with the fix in the text."""
    try:
        have = current_revision(engine)
    except SQLAlchemyError as exc:  # not a database, damaged, unreadable, unreachable
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:300]
        raise StorageError(
            f"无法使用数据库 (cannot use the database) {engine.url.render_as_string()}: {reason}"
            " — check CENSUS_DATABASE_URL / --database-url"
        ) from None
    want = SCHEMA_REVISION
    if have != want:
        state = "has no schema" if have is None else f"is at revision {have}, code wants {want}"
        raise StorageError(
            f"the database {engine.url.render_as_string()} {state}; run 'census db upgrade'"
        )


class Database:
    """An engine plus a session factory; sessions commit as a whole or not at all."""

    def __init__(self, url: str, **engine_kwargs: Any):
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed on success, rolled back entirely on any error."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def upgrade(self) -> None:
        upgrade(self.url)

    def check_current(self) -> None:
        try:
            require_current(self.engine)
        except BaseException:
            self.engine.dispose()  # the caller gives up on this database: close it now
            raise

    def dispose(self) -> None:
        self.engine.dispose()

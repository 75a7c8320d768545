"""The migrations build the schema the models describe, on SQLite and on a real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select

from scanner.db import Base, Database
from scanner.db.engine import SCHEMA_REVISION, alembic_config, current_revision, head_revision
from scanner.db.models import Organisation, OrgLevel, Site, SiteType
from scanner.errors import StorageError

EXPECTED_TABLES = {
    "organisations",
    "sites",
    "columns",
    "probe_rounds",
    "probe_results",
    "scans",
    "pages",
    "link_checks",
    "link_occurrences",
    "column_snapshots",
    "column_items",
    "messages",
    "findings",
    "finding_events",
    "scorecards",
}


def _check_schema(url: str) -> None:
    database = Database(url)
    database.upgrade()
    try:
        names = set(inspect(database.engine).get_table_names())
        assert names >= EXPECTED_TABLES
        assert current_revision(database.engine) == head_revision(url)
        # Commands check the database against this constant without loading Alembic.
        assert head_revision(url) == SCHEMA_REVISION, "bump SCHEMA_REVISION with a new migration"
        with database.engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
            )
        assert diff == [], f"models and migrations disagree: {diff}"
        # Down to nothing and back up: the downgrade path works too.
        command.downgrade(alembic_config(url), "base")
        assert set(inspect(database.engine).get_table_names()) <= {"alembic_version"}
        assert current_revision(database.engine) is None
        database.upgrade()
        assert set(inspect(database.engine).get_table_names()) >= EXPECTED_TABLES
    finally:
        database.dispose()


def test_migrations_match_models_on_sqlite(sqlite_url: str) -> None:
    _check_schema(sqlite_url)


@pytest.mark.postgres
def test_migrations_match_models_on_postgres(postgres_url: str) -> None:
    _check_schema(postgres_url)


def test_an_unmigrated_database_is_refused_with_the_fix(sqlite_url: str) -> None:
    database = Database(sqlite_url)
    with pytest.raises(StorageError, match="census db upgrade"):
        database.check_current()


def test_a_failed_unit_of_work_writes_nothing(db: Database) -> None:
    now = datetime.now(UTC)
    with pytest.raises(RuntimeError), db.session() as session:
        org = Organisation(code="110000", name="北京市", level=OrgLevel.PROVINCE)
        session.add(org)
        session.flush()
        session.add(
            Site(
                code="1100000088",
                name="首都之窗",
                url="http://www.beijing.gov.cn/",
                type=SiteType.PORTAL,
                organisation_id=org.id,
                created_at=now,
                updated_at=now,
            )
        )
        session.flush()
        raise RuntimeError("interrupted half-way")
    with db.session() as session:
        assert session.scalars(select(Organisation)).all() == []
        assert session.scalars(select(Site)).all() == []


@pytest.mark.parametrize(
    "url_fixture", ["sqlite_url", pytest.param("postgres_url", marks=pytest.mark.postgres)]
)
def test_foreign_keys_are_enforced(url_fixture: str, request: pytest.FixtureRequest) -> None:
    from sqlalchemy.exc import IntegrityError

    database = Database(request.getfixturevalue(url_fixture))
    database.upgrade()
    now = datetime.now(UTC)
    with pytest.raises(IntegrityError), database.session() as session:
        session.add(
            Site(
                code="1",
                name="x",
                url="http://a.gov.cn/",
                type=SiteType.PORTAL,
                organisation_id=999,
                created_at=now,
                updated_at=now,
            )
        )
    database.dispose()

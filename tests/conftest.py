"""Fixtures shared by every test: databases made by the real migrations, SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from scanner.db import Database
from tests.pgserver import PostgresServer, find_bin_dir
from tests.redisserver import RedisServer, find_redis_server

_counter = itertools.count()


@pytest.fixture(autouse=True)
def _no_stray_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests never read a developer's census.toml or CENSUS_* environment by accident."""
    for key in list(os.environ):
        if key.startswith("CENSUS_") and not key.startswith("CENSUS_TEST_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("CENSUS_CONFIG", str(tmp_path / "no-such-census.toml"))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'census.db'}"


def _upgraded(url: str) -> Iterator[Database]:
    """The database at ``url`` created by ``alembic upgrade head``, disposed after the test."""
    database = Database(url)
    database.upgrade()
    yield database
    database.dispose()


@pytest.fixture
def db(sqlite_url: str) -> Iterator[Database]:
    """A fresh SQLite database."""
    yield from _upgraded(sqlite_url)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL server started for this test session.

    Required when CENSUS_TEST_POSTGRES=required (the project's test command sets it), so CI can
    never pass by skipping; elsewhere a missing server skips with the reason.
    """
    required = os.environ.get("CENSUS_TEST_POSTGRES") == "required"
    bin_dir = find_bin_dir()
    if bin_dir is None:
        if required:
            pytest.fail("PostgreSQL server binaries not found; scripts/test installs them")
        pytest.skip("PostgreSQL server binaries not installed (scripts/test installs them)")
    server = PostgresServer(bin_dir)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """An empty database of its own on the session's PostgreSQL server."""
    return postgres_server.create_database(f"census_test_{os.getpid()}_{next(_counter)}")


@pytest.fixture
def postgres_db(postgres_url: str) -> Iterator[Database]:
    """``db`` on PostgreSQL."""
    yield from _upgraded(postgres_url)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_db(request: pytest.FixtureRequest) -> Database:
    """``db`` on SQLite, then on PostgreSQL: for a test whose SQL must mean the same on both."""
    fixture = "db" if request.param == "sqlite" else "postgres_db"
    database: Database = request.getfixturevalue(fixture)
    return database


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A real Redis server (the workers' broker) started for this test session; mandatory
    when CENSUS_TEST_POSTGRES=required, as scripts/test installs both servers."""
    binary = find_redis_server()
    if binary is None:
        if os.environ.get("CENSUS_TEST_POSTGRES") == "required":
            pytest.fail("redis-server not found; scripts/test installs it")
        pytest.skip("redis-server not installed (scripts/test installs it)")
    server = RedisServer(binary)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> Iterator[str]:
    """The session's Redis, emptied after each test."""
    import redis

    url = f"redis://127.0.0.1:{redis_server.port}/0"
    yield url
    redis.Redis.from_url(url).flushdb()

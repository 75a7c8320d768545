"""One demo farm for the column tests (today, China time) and the settings pointing at it."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from farm import FarmThread, midday_clock
from farm.builtin import scenario
from scanner.cli.app import app
from scanner.db import Database
from scanner.db.models import Site
from scanner.monitor.stats import CST
from scanner.registry import import_file

# The farm's today is the CLI's today (China time): `census columns read/discover` resolve
# year-less dates such as [03-02] against the real day, so the truth must be built for it too.
AT = datetime.now(CST).date()


@pytest.fixture(scope="session")
def farm() -> Iterator[FarmThread]:
    spec = dataclasses.replace(scenario("demo"), today=AT)
    with FarmThread(spec, now=midday_clock(AT)) as running:
        yield running


@pytest.fixture
def farm_env(farm: FarmThread, monkeypatch: pytest.MonkeyPatch) -> FarmThread:
    """CENSUS_* settings for the farm: its host map (exclusive: nothing else resolves), its CA."""
    monkeypatch.setenv("CENSUS_HOST_MAP", farm.host_map)
    monkeypatch.setenv("CENSUS_EXTRA_CA_FILE", str(farm.ca_pem))
    monkeypatch.setenv("CENSUS_PER_HOST_RATE", "50")
    return farm


@pytest.fixture
def registered(farm: FarmThread, db: Database, tmp_path: Path) -> Database:
    """A migrated database holding the farm's registry as exported by the farm."""
    path = tmp_path / "registry.yaml"
    path.write_text(farm.truth.registry_yaml(), encoding="utf-8")
    import_file(db, path, datetime.now(UTC))
    return db


def read_columns_cli(db: Database, *args: str) -> Any:
    return CliRunner().invoke(app, ["columns", "read", *args, "--database-url", db.url])


def site_by_code(session: Any, code: str) -> Site:
    site = session.scalar(select(Site).where(Site.code == code))
    assert site is not None
    return site

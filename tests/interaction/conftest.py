"""One farm (the demo sites plus 白山县 of the ``interaction`` scenario) and one database on which
``census check --all`` ran once; the tests compare what it stored with the farm's truth."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from farm import FarmThread, midday_clock
from farm.builtin import scenario
from farm.interaction import interaction
from farm.scenario import FarmSpec
from scanner.cli.app import app
from scanner.db import Database
from scanner.db.models import Column, Site
from scanner.monitor.stats import CST
from scanner.registry import import_file

# The farm's today is the CLI's today (China time): year-less dates resolve against it.
AT = datetime.now(CST).date()


def combined(today: date) -> FarmSpec:
    demo = scenario("demo")
    extra = interaction(today)
    codes = {o.code for o in demo.organisations}
    orgs = demo.organisations + tuple(o for o in extra.organisations if o.code not in codes)
    return dataclasses.replace(
        demo, sites=demo.sites + extra.sites, organisations=orgs, today=today
    )


@pytest.fixture(scope="session")
def farm() -> Iterator[FarmThread]:
    with FarmThread(combined(AT), now=midday_clock(AT)) as running:
        yield running


def farm_settings(farm: FarmThread) -> dict[str, str]:
    return {
        "CENSUS_HOST_MAP": farm.host_map,
        "CENSUS_EXTRA_CA_FILE": str(farm.ca_pem),
        "CENSUS_PER_HOST_RATE": "100",
        "CENSUS_PER_HOST_CONNECTIONS": "4",
    }


@dataclass
class Checked:
    db: Database
    output: str
    farm: FarmThread

    def site(self, session: Session, code: str) -> Site:
        site = session.scalar(select(Site).where(Site.code == code))
        assert site is not None
        return site

    def column(self, session: Session, code: str, name: str) -> Column:
        site = self.site(session, code)
        return next(c for c in site.columns if c.name == name)


def run_check(db: Database, farm: FarmThread, *args: str) -> str:
    saved = {k: os.environ.get(k) for k in farm_settings(farm)}
    os.environ.update(farm_settings(farm))
    try:
        result = CliRunner().invoke(app, ["check", *args, "--database-url", db.url])
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


@pytest.fixture(scope="session")
def checked(farm: FarmThread, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Checked]:
    """The whole farm registered and checked once (every check, --all)."""
    tmp: Path = tmp_path_factory.mktemp("checked")
    db = Database(f"sqlite:///{tmp / 'census.db'}")
    db.upgrade()
    registry = tmp / "registry.yaml"
    registry.write_text(farm.truth.registry_yaml(), encoding="utf-8")
    import_file(db, registry, datetime.now(UTC))
    output = run_check(db, farm, "--all")
    yield Checked(db, output, farm)
    db.dispose()

"""Registry test helpers: a migrated SQLite file copied per test, and a dump of its rows."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select
from typer.testing import CliRunner

from scanner.cli.app import app
from scanner.db import Database
from scanner.db.models import Column, Organisation, Site

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "registry" / "example.yaml"


@pytest.fixture(scope="session")
def _template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate once (alembic is the slow part); each test gets a copy of the file."""
    path = tmp_path_factory.mktemp("registry-template") / "template.db"
    database = Database(f"sqlite:///{path}")
    database.upgrade()
    database.dispose()
    return path


@pytest.fixture
def reg_db(_template_db: Path, tmp_path: Path) -> Iterator[Database]:
    path = tmp_path / "census.db"
    shutil.copy(_template_db, path)
    database = Database(f"sqlite:///{path}")
    yield database
    database.dispose()


@pytest.fixture
def example_data() -> dict[str, Any]:
    return yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))


@pytest.fixture
def run(reg_db: Database) -> Callable[..., Any]:
    """Run ``census …`` against the test database through typer's CliRunner."""
    runner = CliRunner()

    def invoke(*args: str) -> Any:
        return runner.invoke(app, [*args, "--database-url", reg_db.url])

    return invoke


def dump(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every registry row by natural key, ids and timestamps left out, for equality checks."""
    with db.session() as s:
        orgs = {o.id: o.code for o in s.scalars(select(Organisation))}
        sites = {x.id: x.code for x in s.scalars(select(Site))}
        return {
            "organisations": sorted(
                (o.code, o.name, o.level.value, orgs.get(o.parent_id) if o.parent_id else None)
                for o in s.scalars(select(Organisation))
            ),
            "sites": sorted(
                (
                    x.code,
                    x.name,
                    x.url,
                    x.host_org,
                    x.type.value,
                    orgs[x.organisation_id],
                    x.icp,
                    x.police,
                    x.status.value,
                    x.opened_on,
                    x.closed_on,
                    x.merged_on,
                    x.merged_into,
                    x.navigation_only,
                    tuple(x.own_hosts),
                )
                for x in s.scalars(select(Site))
            ),
            "columns": sorted(
                (
                    sites[c.site_id],
                    c.url,
                    c.name,
                    c.category.value,
                    c.exempt,
                    c.static,
                    c.selector or "",
                    c.source.value,
                )
                for c in s.scalars(select(Column))
            ),
        }


def write_yaml(path: Path, data: Any) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path

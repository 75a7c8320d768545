"""A hand-built province → city → county world with sites, scorecards and samplings.

Every figure the report tests expect is worked out by hand from the tables below (see the
comments in each test), never produced by the code under test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from scanner.cli.app import app
from scanner.db import Database
from scanner.db.models import (
    AccountabilityAction,
    Organisation,
    OrgLevel,
    SampledSite,
    Sampling,
    Scorecard,
    Site,
    SiteStatus,
    SiteType,
)

NOW = datetime(2026, 1, 20, 8, 0, tzinfo=UTC)
D = date.fromisoformat

ORGS = [  # code, name, level, parent
    ("440000", "广东省", OrgLevel.PROVINCE, None),
    ("440100", "广州市", OrgLevel.CITY, "440000"),
    ("440103", "荔湾区", OrgLevel.COUNTY, "440100"),
    ("440104", "越秀区", OrgLevel.COUNTY, "440100"),
    ("440200", "韶关市", OrgLevel.CITY, "440000"),
]

P, S, D_, CL, M = (
    SiteType.PORTAL,
    SiteType.SPECIAL,
    SiteType.DEPARTMENT,
    SiteStatus.CLOSED,
    SiteStatus.MERGED,
)
R = SiteStatus.RUNNING
SITES = [  # code, organisation, type, status, opened_on, closed_on, merged_on
    ("4400000001", "440000", P, R, None, None, None),
    ("4400000002", "440000", D_, R, None, None, None),
    ("4400000003", "440000", D_, R, None, None, None),
    ("4400000004", "440000", S, CL, None, "2025-02-15", None),  # closed in Q1
    ("4400000005", "440000", D_, CL, None, None, None),  # closed, no date: never counted
    ("4401000001", "440100", P, R, None, None, None),
    ("4401000002", "440100", D_, R, None, None, None),
    ("4401000003", "440100", D_, R, None, None, None),
    ("4401000004", "440100", D_, R, "2025-05-01", None, None),  # opened in Q2
    ("4401030001", "440103", P, R, None, None, None),
    ("4401030002", "440103", D_, M, None, None, "2025-04-10"),  # merged in Q2
    ("4401040001", "440104", P, R, None, None, None),
    ("4401040002", "440104", S, R, None, None, None),
    ("4402000001", "440200", P, R, None, None, None),
    ("4402000002", "440200", D_, CL, None, "2025-11-30", None),  # closed in Q4
]


def _day(text: str | None) -> date | None:
    return D(text) if text else None


def build_world(db: Database) -> None:
    with db.session() as s:
        orgs: dict[str, Organisation] = {}
        for code, name, level, parent in ORGS:
            org = Organisation(
                code=code, name=name, level=level, parent=orgs[parent] if parent else None
            )
            s.add(org)
            orgs[code] = org
        for code, org_code, kind, status, opened, closed, merged in SITES:
            s.add(
                Site(
                    code=code,
                    name=f"网站{code}",
                    url=f"http://s{code}.gov.cn/",
                    type=kind,
                    organisation=orgs[org_code],
                    status=status,
                    opened_on=_day(opened),
                    closed_on=_day(closed),
                    merged_on=_day(merged),
                    created_at=NOW,
                    updated_at=NOW,
                )
            )


def site_id(db: Database, code: str) -> int:
    with db.session() as s:
        return s.scalars(select(Site.id).where(Site.code == code)).one()


def org_id(db: Database, code: str) -> int:
    with db.session() as s:
        return s.scalars(select(Organisation.id).where(Organisation.code == code)).one()


def add_scorecard(
    db: Database,
    code: str,
    at: str,
    *,
    qualified: bool,
    provisional: bool = False,
    ruleset: str = "census-2015",
    computed_at: datetime = NOW,
) -> None:
    sid = site_id(db, code)
    with db.session() as s:
        s.add(
            Scorecard(
                site_id=sid,
                at=D(at),
                ruleset=ruleset,
                ruleset_version="1",
                qualified=qualified,
                provisional=provisional,
                total_deduction=0.0 if qualified else 45.0,
                body={},
                computed_at=computed_at,
            )
        )


def add_sampling(
    db: Database, org: str, year: int, quarter: int, at: str, codes: list[str], population: int = 0
) -> None:
    """A sampling written by hand (the report tests must not depend on the draw)."""
    oid = org_id(db, org)
    ids = [site_id(db, c) for c in codes]
    with db.session() as s:
        s.add(
            Sampling(
                year=year,
                quarter=quarter,
                organisation_id=oid,
                seed=1,
                drawn_at=NOW,
                monitoring_date=D(at),
                strata="",
                ratio=None,
                size=len(codes),
                min_per_stratum=False,
                population=population,
                sites=[SampledSite(site_id=i, stratum="all", at=D(at)) for i in ids],
            )
        )


def add_action(
    db: Database, org: str, target: str, form: str, on: str, quarter: int | None = None
) -> None:
    from scanner.db.models import AccountabilityForm

    oid = org_id(db, org)
    day = D(on)
    with db.session() as s:
        s.add(
            AccountabilityAction(
                year=day.year,
                quarter=quarter or (day.month - 1) // 3 + 1,
                organisation_id=oid,
                target=target,
                form=AccountabilityForm(form),
                taken_on=day,
                recorded_at=NOW,
            )
        )


@pytest.fixture(scope="session")
def _world_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate and build once; each test gets a copy of the file."""
    path = tmp_path_factory.mktemp("reports-template") / "template.db"
    database = Database(f"sqlite:///{path}")
    database.upgrade()
    build_world(database)
    database.dispose()
    return path


@pytest.fixture
def world(_world_template: Path, tmp_path: Path) -> Iterator[Database]:
    import shutil

    path = tmp_path / "census.db"
    shutil.copy(_world_template, path)
    database = Database(f"sqlite:///{path}")
    yield database
    database.dispose()


@pytest.fixture
def run(world: Database) -> Callable[..., Any]:
    """``census …`` against the world database through typer's CliRunner."""
    runner = CliRunner()

    def invoke(*args: str) -> Any:
        return runner.invoke(app, [*args, "--database-url", world.url])

    return invoke


def count_rows(db: Database) -> dict[str, int]:
    from sqlalchemy import func

    with db.session() as s:
        return {
            m.__tablename__: s.scalar(select(func.count()).select_from(m)) or 0
            for m in (Sampling, SampledSite, AccountabilityAction)
        }

"""A homepage drawn wholly by a script (an app shell) is read through the browser, and without
one it is unknown — never a homepage that published nothing, which is the 单项否决 of
veto.homepage_stale.

The farm's 山南县 site is served here with ``homepage_app``: its homepage body is an empty
``<div id="app">`` and one script that draws every block from an encoded string, so the static
markup holds no entry and no link.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from farm import FarmThread
from farm.builtin import JSDEMO, ORGS, jsdemo
from farm.scenario import FarmSpec
from scanner.clock import RealClock
from scanner.db import Database
from scanner.db.models import ColumnItem, HomepageSnapshot, Site
from scanner.registry import import_file
from scanner.render import CHROMIUM
from scanner.scorecards import score_sites
from scanner.settings import Settings
from scanner.snapshots import read_and_store, wanted_sites
from scoring import default_ruleset
from tests.columns.conftest import AT

CODE = "9101210009"


@pytest.fixture(scope="module")
def farm() -> Iterator[FarmThread]:
    site = dataclasses.replace(jsdemo(), homepage_app=True)
    spec = FarmSpec(sites=(site,), organisations=ORGS, name="app-homepage", today=AT)
    with FarmThread(spec) as running:
        yield running


def _read(farm: FarmThread, db: Database, tmp_path: Path, *, render_pages: bool) -> None:
    path = tmp_path / "registry.yaml"
    path.write_text(farm.truth.registry_yaml(), encoding="utf-8")
    import_file(db, path, datetime.now(UTC))
    settings = Settings(
        host_map=farm.host_map, extra_ca_file=str(farm.ca_pem), per_host_rate=50,
        render_pages=render_pages,
    )  # fmt: skip
    with db.session() as session:
        sites = wanted_sites(session)
    asyncio.run(read_and_store(db, settings, sites, as_of=AT, clock=RealClock()))


def _homepage(
    db: Database,
) -> tuple[HomepageSnapshot, set[tuple[str, str, date | None]], dict[str, Any]]:
    with db.session() as session:
        snap = session.scalar(select(HomepageSnapshot))
        assert snap is not None
        session.expunge(snap)
        rows = session.scalars(select(ColumnItem).where(ColumnItem.on_homepage.is_(True)))
        items = {(r.url, r.title, r.published_on) for r in rows}
        site = session.scalar(select(Site).where(Site.code == CODE))
        assert site is not None
        (scored,) = score_sites(session, [site.id], default_ruleset(), AT)
    return snap, items, scored.body


def test_the_farm_homepage_shows_nothing_without_a_browser(farm: FarmThread) -> None:
    """The ground truth of this test: the served markup itself has no entry in it."""
    ip, port = farm.address(JSDEMO)
    served = httpx.get(f"http://{ip}:{port}/", headers={"Host": JSDEMO}, timeout=30)
    html = served.content.decode("gbk")
    assert served.status_code == 200 and 'id="app"' in html
    shown = farm.truth.homepage_items(JSDEMO)
    assert len([s for s in shown if s.date is not None]) >= 10
    assert not any(s.title in html for s in shown)


def test_without_a_browser_the_homepage_is_unknown_not_stale(
    farm: FarmThread, db: Database, tmp_path: Path
) -> None:
    _read(farm, db, tmp_path, render_pages=False)
    snap, items, body = _homepage(db)
    assert not snap.readable and snap.error == "unrendered" and snap.navigation_only is None
    assert items == set()
    rule = body["rules"]["veto.homepage_stale"]
    assert not rule["holds"]
    assert body["provisional"]
    assert any("首页" in r and "脚本生成" in r for r in body["reasons"]), body["reasons"]


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no /usr/bin/chromium")
def test_with_the_browser_every_homepage_entry_is_read(
    farm: FarmThread, db: Database, tmp_path: Path
) -> None:
    _read(farm, db, tmp_path, render_pages=True)
    snap, items, body = _homepage(db)
    truth = {(s.url, s.title, s.date) for s in farm.truth.homepage_items(JSDEMO) if s.date}
    assert snap.readable and snap.dated_items == len(truth)
    assert items == truth
    assert not body["rules"]["veto.homepage_stale"]["holds"]

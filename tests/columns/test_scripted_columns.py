"""End to end on the farm's script-built lists: each is read the cheapest way that works.

The ``scripted`` scenario's site prints one list plainly, one as 大汉 jpage datastore records,
one as an empty list a script fills from ``data.json``, and one as ``document.write`` strings.
`census columns read` (``read_and_store``) must find every entry with its date as the farm's
truth has it, and record how: static, endpoint, browser.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from farm import FarmThread
from farm.builtin import JSDEMO, scenario
from scanner.clock import RealClock
from scanner.db import Database
from scanner.db.models import Column, ColumnItem, ColumnSnapshot
from scanner.registry import import_file
from scanner.render import CHROMIUM
from scanner.settings import Settings
from scanner.snapshots import read_and_store, wanted_sites
from tests.columns.conftest import AT

READ_VIA = {
    "工作动态": "static",
    "通知公告": "static",
    "政策文件": "endpoint",
    "部门动态": "browser",
}


@pytest.fixture(scope="module")
def farm() -> Iterator[FarmThread]:
    with FarmThread(dataclasses.replace(scenario("scripted"), today=AT)) as running:
        yield running


def _settings(farm: FarmThread, *, render_pages: bool = True) -> Settings:
    return Settings(
        host_map=farm.host_map,
        extra_ca_file=str(farm.ca_pem),
        per_host_rate=50,
        render_pages=render_pages,
    )


def _read(farm: FarmThread, db: Database, tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "registry.yaml"
    path.write_text(farm.truth.registry_yaml(), encoding="utf-8")
    import_file(db, path, datetime.now(UTC))
    with db.session() as session:
        sites = wanted_sites(session)
    asyncio.run(read_and_store(db, settings, sites, as_of=AT, clock=RealClock()))


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no /usr/bin/chromium")
def test_every_script_built_list_is_read_the_cheapest_way(
    farm: FarmThread, db: Database, tmp_path: Path
) -> None:
    _read(farm, db, tmp_path, _settings(farm))
    with db.session() as session:
        for column in session.scalars(select(Column)):
            truth = farm.truth.column(JSDEMO, column.name)
            snap = session.scalar(
                select(ColumnSnapshot).where(ColumnSnapshot.column_id == column.id)
            )
            assert snap is not None and snap.readable, column.name
            assert snap.read_via == READ_VIA[column.name], column.name
            assert snap.newest_date == truth.newest, column.name
            rows = session.scalars(select(ColumnItem).where(ColumnItem.column_id == column.id))
            assert {(r.url, r.published_on) for r in rows} == {
                (i.url, i.date) for i in truth.items
            }, column.name


def test_without_the_browser_a_document_write_list_reads_blank(
    farm: FarmThread, db: Database, tmp_path: Path
) -> None:
    _read(farm, db, tmp_path, _settings(farm, render_pages=False))
    with db.session() as session:
        snaps = {
            c.name: session.scalar(select(ColumnSnapshot).where(ColumnSnapshot.column_id == c.id))
            for c in session.scalars(select(Column))
        }
    assert snaps["部门动态"] is not None and snaps["部门动态"].item_count == 0
    assert snaps["部门动态"].read_via == "static"
    assert snaps["政策文件"] is not None and snaps["政策文件"].read_via == "endpoint"

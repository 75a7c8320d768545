"""End to end on the farm's CMS template shapes and script-built lists.

The ``scripted`` scenario's site (山南县, also in the demo) prints its columns the ways real
templates do: lists split over sibling ``<ul>``s under a 头条 card and a box header with 更多>>,
year-less ``[MM-DD]`` dates, a createPageHTML pager, redirect stubs (meta refresh, script), GBK
pages with no declared charset, homepage tab panes, and one list per way a script builds it —
大汉 jpage datastore records and an inline JSON array (static), ``fetch``/``$.getJSON`` of a JSON
endpoint (endpoint), ``document.write`` and rows decoded from an encoded string (browser only).
`census columns read` (``read_and_store``) must find every entry of each column's first page
with its date, as the farm's truth has it, and record how it read them; without a browser the
browser-only lists are unknown — never blank, never stale.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from farm import FarmThread
from farm.builtin import JSDEMO, scenario
from scanner.cli.app import app
from scanner.clock import RealClock
from scanner.db import Database
from scanner.db.models import Column, ColumnItem, ColumnSnapshot, Site
from scanner.registry import import_file
from scanner.render import CHROMIUM
from scanner.scorecards import score_sites
from scanner.settings import Settings
from scanner.snapshots import read_and_store, wanted_sites
from scoring import default_ruleset
from tests.columns.conftest import AT, read_columns_cli

# How each column can be read at the cheapest (worked out from farm/builtin.jsdemo's shapes).
READ_VIA = {
    "工作动态": "static",  # split <ul>s, 头条 card, box header, [MM-DD], createPageHTML
    "通知公告": "static",  # jpage datastore records
    "政策文件": "endpoint",  # fetch("data.json")
    "部门动态": "browser",  # document.write
    "乡镇动态": "static",  # inline JSON array
    "政策解读": "endpoint",  # $.getJSON("data.json"), epoch-millisecond dates
    "重点工作": "browser",  # rows decoded from an encoded string
    "人事信息": "static",  # meta-refresh stub in front of the list
    "规划计划": "static",  # script-redirect stub in front of the list
    "县长信箱": "static",
    "意见征集": "static",
    "在线访谈": "static",
    "办事指南": "static",
}
BROWSER_ONLY = {name for name, via in READ_VIA.items() if via == "browser"}
needs_chromium = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no /usr/bin/chromium")


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


def _register(farm: FarmThread, db: Database, tmp_path: Path) -> None:
    path = tmp_path / "registry.yaml"
    path.write_text(farm.truth.registry_yaml(), encoding="utf-8")
    import_file(db, path, datetime.now(UTC))


def _read(farm: FarmThread, db: Database, tmp_path: Path, settings: Settings) -> None:
    _register(farm, db, tmp_path)
    with db.session() as session:
        sites = wanted_sites(session)
    asyncio.run(read_and_store(db, settings, sites, as_of=AT, clock=RealClock()))


def _first_page(farm: FarmThread, name: str) -> set[tuple[str, str, object]]:
    """The truth's entries of a column's first list page (what one read of the column sees)."""
    truth = farm.truth.column(JSDEMO, name)
    spec = next(c for c in farm.spec.site(JSDEMO).columns if c.name == name)
    return {(i.url, i.title, i.date) for i in truth.items[: spec.page_size]}


def _snapshots(db: Database) -> dict[str, ColumnSnapshot]:
    with db.session() as session:
        out = {}
        for column in session.scalars(select(Column)):
            snap = session.scalar(
                select(ColumnSnapshot).where(ColumnSnapshot.column_id == column.id)
            )
            assert snap is not None, column.name
            session.expunge(snap)
            out[column.name] = snap
        return out


@needs_chromium
def test_every_shape_is_read_the_cheapest_way(
    farm: FarmThread, db: Database, tmp_path: Path
) -> None:
    _read(farm, db, tmp_path, _settings(farm))
    assert set(READ_VIA) == {c.name for c in farm.truth.columns(JSDEMO)}
    with db.session() as session:
        for column in session.scalars(select(Column)):
            truth = farm.truth.column(JSDEMO, column.name)
            snap = session.scalar(
                select(ColumnSnapshot).where(ColumnSnapshot.column_id == column.id)
            )
            assert snap is not None and snap.readable and not snap.blank, column.name
            assert snap.read_via == READ_VIA[column.name], column.name
            assert snap.newest_date == truth.newest, column.name
            rows = session.scalars(select(ColumnItem).where(ColumnItem.column_id == column.id))
            got = {(r.url, r.title, r.published_on) for r in rows}
            assert got == _first_page(farm, column.name), column.name


@needs_chromium
def test_the_scorecard_names_how_each_column_was_read(
    farm: FarmThread, db: Database, tmp_path: Path
) -> None:
    _read(farm, db, tmp_path, _settings(farm))
    with db.session() as session:
        site = session.scalar(select(Site).where(Site.code == "9101210009"))
        assert site is not None
        (scored,) = score_sites(session, [site.id], default_ruleset(), AT)
    body = json.loads(json.dumps(scored.body, ensure_ascii=False))
    reads = {c["name"]: (c["read_via"], c["read_via_label"]) for c in body["columns"]}
    labels = {"static": "静态", "endpoint": "数据接口", "browser": "浏览器渲染"}
    assert reads == {name: (via, labels[via]) for name, via in READ_VIA.items()}
    stale = body["rules"]["veto.columns_stale"]
    assert not stale["holds"]
    assert not [e for e in stale["evidence"] if e["kind"] in ("stale_column", "blank_column")]


def test_without_the_browser_a_browser_only_list_is_unknown_not_blank(
    farm: FarmThread, db: Database, tmp_path: Path
) -> None:
    _read(farm, db, tmp_path, _settings(farm, render_pages=False))
    snaps = _snapshots(db)
    for name in BROWSER_ONLY:
        snap = snaps[name]
        assert snap.read_via == "unrendered", name
        assert not snap.readable and not snap.blank and snap.item_count == 0, name
    for name, via in READ_VIA.items():  # the cheap paths need no browser
        if via != "browser":
            assert snaps[name].read_via == via and snaps[name].readable, name
    with db.session() as session:
        site = session.scalar(select(Site).where(Site.code == "9101210009"))
        assert site is not None
        (scored,) = score_sites(session, [site.id], default_ruleset(), AT)
    body = scored.body
    rule = body["rules"]["veto.columns_stale"]
    assert not rule["holds"]  # two unknown news columns are not two stale ones
    charged = {
        e["column"]
        for e in rule["evidence"]
        if e["kind"] in ("stale_column", "blank_column") and e["counted"]
    }
    assert not charged & BROWSER_ONLY
    assert body["provisional"]
    for name in BROWSER_ONLY:
        assert any(name in r and "脚本生成" in r for r in body["reasons"]), name
    unread = {c["name"] for c in body["columns"] if c["read_via"] == "unrendered"}
    assert unread == BROWSER_ONLY


def test_a_browser_that_cannot_start_leaves_the_list_unknown(
    farm: FarmThread, db: Database, tmp_path: Path
) -> None:
    """A Chromium that is not there (or crashes at launch) is the scanner's trouble."""
    missing = tmp_path / "no-chromium"
    missing.write_text("#!/bin/sh\nexit 1\n")
    missing.chmod(0o755)
    settings = _settings(farm).model_copy(update={"chromium_path": str(missing)})
    _read(farm, db, tmp_path, settings)
    snaps = _snapshots(db)
    assert {n for n, s in snaps.items() if s.read_via == "unrendered"} == BROWSER_ONLY
    assert not any(s.blank for s in snaps.values())


def test_columns_read_cli_says_how_it_read(
    farm: FarmThread, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _register(farm, db, tmp_path)
    monkeypatch.setenv("CENSUS_HOST_MAP", farm.host_map)
    monkeypatch.setenv("CENSUS_PER_HOST_RATE", "50")
    monkeypatch.setenv("CENSUS_RENDER_PAGES", "false")
    result = read_columns_cli(db, "9101210009", "--json")
    assert result.exit_code == 0, result.output
    (site,) = json.loads(result.output)
    vias = {c["name"]: c["read_via"] for c in site["columns"]}
    expected = {n: ("unrendered" if v == "browser" else v) for n, v in READ_VIA.items()}
    assert vias == expected
    newest = {c["name"]: c["newest_date"] for c in site["columns"]}
    for name, via in READ_VIA.items():
        truth = farm.truth.column(JSDEMO, name).newest
        assert newest[name] == (None if via == "browser" else truth.isoformat()), name
    listed = CliRunner().invoke(
        app, ["columns", "list", "9101210009", "--json", "--database-url", db.url]
    )
    assert listed.exit_code == 0, listed.output
    rows = {r["name"]: r for r in json.loads(listed.output)}
    for name in BROWSER_ONLY:
        assert rows[name]["read_via"] == "unrendered", name
        assert rows[name]["state"].startswith("未能判定"), rows[name]
    assert (
        rows["政策文件"]["read_via"] == "endpoint" and "经数据接口读取" in rows["政策文件"]["state"]
    )


@needs_chromium
def test_the_nightly_pass_reads_them_the_same_way(
    farm: FarmThread, db: Database, tmp_path: Path
) -> None:
    """The nightly pass's columns step shares one browser for the night (started on demand)."""
    from scanner.monitor.nightly import NightlyOptions, NightlyPass, shifted_clock

    _register(farm, db, tmp_path)
    settings = _settings(farm).model_copy(update={"database_url": db.url, "nightly_window": 0.0})
    options = dataclasses.replace(NightlyOptions.from_settings(settings), steps=("columns",))
    night = NightlyPass(db, settings, AT, options=options, clock=shifted_clock(AT, settings))
    outcome = asyncio.run(night.run())
    assert outcome.status == "done"
    snaps = _snapshots(db)
    assert {n: s.read_via for n, s in snaps.items()} == READ_VIA
    for name in BROWSER_ONLY:
        assert snaps[name].newest_date == farm.truth.column(JSDEMO, name).newest, name


@needs_chromium
def test_a_spent_render_budget_leaves_the_rest_unknown(
    farm: FarmThread, db: Database, tmp_path: Path
) -> None:
    """One page of budget for two browser-only lists: one is read, the other is unknown."""
    settings = _settings(farm).model_copy(update={"render_night_pages": 1})
    _read(farm, db, tmp_path, settings)
    snaps = _snapshots(db)
    vias = sorted(snaps[name].read_via for name in BROWSER_ONLY)
    assert vias == ["browser", "unrendered"]
    for name in BROWSER_ONLY:
        snap = snaps[name]
        if snap.read_via == "browser":
            assert snap.readable and snap.newest_date == farm.truth.column(JSDEMO, name).newest
        else:
            assert not snap.readable and not snap.blank

"""`census columns read`: snapshots and first-seen entries, judged against the farm truth."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from typer.testing import CliRunner

from farm import FarmThread
from farm.builtin import QINGSHAN
from probes.columns import PageRead
from probes.listpage import Item
from scanner.cli.app import app
from scanner.db import Database
from scanner.db.models import Column, ColumnItem, ColumnSnapshot
from scanner.snapshots import SiteReads, store_site_reads, wanted_sites
from tests.columns.conftest import read_columns_cli as _read
from tests.columns.conftest import site_by_code as _site


def test_read_one_site_matches_the_truth(farm_env: FarmThread, registered: Database) -> None:
    result = _read(registered, "9101210001")
    assert result.exit_code == 0, result.output
    assert "栏目名称" in result.output and "首页：注明日期的条目" in result.output
    qingshan = farm_env.truth.catalog.get(QINGSHAN)
    assert qingshan is not None
    page_size = {c.name: c.page_size for c in qingshan.spec.columns}
    with registered.session() as session:
        site = _site(session, "9101210001")
        for column in site.columns:
            truth = farm_env.truth.column(QINGSHAN, column.name)
            snaps = session.scalars(
                select(ColumnSnapshot).where(ColumnSnapshot.column_id == column.id)
            ).all()
            assert len(snaps) == 1 and snaps[0].readable, column.name
            if truth.category in ("guide", "online_system"):
                continue
            assert snaps[0].newest_date == truth.newest, column.name
            assert snaps[0].blank == truth.blank
            assert bool(snaps[0].exempt_note) == truth.exempt, column.name
            urls = set(
                session.scalars(select(ColumnItem.url).where(ColumnItem.column_id == column.id))
            )
            # Every entry of the first list page (the farm's truth lists all pages in order).
            first_page = truth.items[: page_size[column.name]]
            assert urls == {i.url for i in first_page}, column.name
        home = session.scalars(
            select(ColumnItem).where(ColumnItem.site_id == site.id, ColumnItem.on_homepage)
        ).all()
        want = {i.url for i in farm_env.truth.homepage_items(QINGSHAN) if i.date}
        assert {h.url for h in home} == want
        exempt = session.scalar(
            select(ColumnSnapshot).join(Column).where(Column.name == "财政预决算")
        )
        assert exempt is not None and "三定" in exempt.exempt_note


def test_read_twice_keeps_first_seen(farm_env: FarmThread, registered: Database) -> None:
    assert _read(registered, "9101210001").exit_code == 0
    with registered.session() as session:
        before = {r.url: r.first_seen_at for r in session.scalars(select(ColumnItem))}
    again = _read(registered, "9101210001", "--json")
    assert again.exit_code == 0, again.output
    data = json.loads(again.stdout)
    assert data[0]["site"] == "9101210001"
    assert all(c["new_items"] == 0 for c in data[0]["columns"])
    with registered.session() as session:
        rows = session.scalars(select(ColumnItem)).all()
        assert {r.url: r.first_seen_at for r in rows} == before  # no duplicates, same times
        assert session.scalar(select(func.count()).select_from(ColumnSnapshot)) == 2 * len(
            _site(session, "9101210001").columns
        )


def test_read_all_records_unreadable_sites(farm_env: FarmThread, registered: Database) -> None:
    result = _read(registered, "--all", "--json")
    assert result.exit_code == 0, result.output
    by_site = {s["site"]: s for s in json.loads(result.stdout)}
    assert by_site["9101020003"]["homepage"]["error"] == "tls"  # old.donghu: wrong certificate
    assert all(not c["ok"] for c in by_site["9101020003"]["columns"])
    fgw = {c["name"]: c for c in by_site["9101000002"]["columns"]}
    assert fgw["价格监测"]["state"] == "blank"
    assert fgw["网上申报系统"]["error"] == "http_status"
    with registered.session() as session:
        old = _site(session, "9101020003")
        snap = session.scalar(
            select(ColumnSnapshot).where(ColumnSnapshot.column_id == old.columns[0].id)
        )
        assert snap is not None and not snap.readable and snap.error == "tls"


def test_needs_a_site_or_all(registered: Database) -> None:
    for args in ((), ("9101210001", "--all")):
        result = _read(registered, *args)
        assert result.exit_code == 2, result.output
        assert "二者选一" in result.output


def test_new_entries_get_their_own_first_seen(registered: Database) -> None:
    """Entries that scroll on and off a page: new rows only for new URLs, old ones kept."""
    with registered.session() as session:
        site = wanted_sites(session, ["9101210001"])[0]
    column = site.columns[0]
    t1 = datetime(2026, 3, 1, 2, tzinfo=UTC)
    t2 = t1 + timedelta(days=1)

    def reads(*names: str) -> SiteReads:
        items = [Item(n, f"http://x/{n}.html", date(2026, 3, 1)) for n in names]
        page = PageRead(column.url, ok=True, items=items, newest=date(2026, 3, 1), state="ok")
        return SiteReads(
            site, PageRead(site.url, ok=False, error="connect"), {column.column_id: page}
        )

    with registered.session() as session:
        assert store_site_reads(session, reads("a", "b", "a"), t1).new_items[column.column_id] == 2
    with registered.session() as session:
        stored = store_site_reads(session, reads("b", "c"), t2)
        assert stored.new_items[column.column_id] == 1 and None not in stored.new_items
    with registered.session() as session:
        rows = {
            r.title: r
            for r in session.scalars(
                select(ColumnItem).where(ColumnItem.column_id == column.column_id)
            )
        }
        assert set(rows) == {"a", "b", "c"}
        assert rows["a"].last_seen_at.replace(tzinfo=UTC) == t1
        assert rows["b"].first_seen_at.replace(tzinfo=UTC) == t1
        assert rows["b"].last_seen_at.replace(tzinfo=UTC) == t2
        assert rows["c"].first_seen_at.replace(tzinfo=UTC) == t2


def test_list_shows_the_latest_read(farm_env: FarmThread, registered: Database) -> None:
    before = CliRunner().invoke(
        app, ["columns", "list", "9101000002", "--database-url", registered.url]
    )
    assert before.exit_code == 0, before.output
    assert "尚未读取" in before.output and "价格监测" in before.output
    assert _read(registered, "9101000002").exit_code == 0
    result = CliRunner().invoke(
        app, ["columns", "list", "9101000002", "--json", "--database-url", registered.url]
    )
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.stdout)}
    assert rows["价格监测"]["state"] == "空白栏目"
    assert rows["网上申报系统"]["state"].startswith("无法打开")
    news = farm_env.truth.column("fgw.linjiang.example.gov.cn", "工作动态")
    assert rows["工作动态"]["newest_date"] == news.newest.isoformat()  # type: ignore[union-attr]
    assert rows["工作动态"]["source"] == "config" and rows["工作动态"]["read_at"]
    missing = CliRunner().invoke(app, ["columns", "list", "nope", "--database-url", registered.url])
    assert missing.exit_code == 2 and "没有这个网站" in missing.output

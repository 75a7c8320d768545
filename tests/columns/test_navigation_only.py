"""Navigation-only homepages and the 2-week count of new dated homepage entries, on the farm."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select

from farm import FarmThread
from farm.builtin import QINGSHAN, ZWFW
from scanner.db import Database
from scanner.db.models import ColumnItem, HomepageSnapshot
from scanner.snapshots import homepage_navigation_only, homepage_read_days, new_homepage_items
from tests.columns.conftest import read_columns_cli as _read
from tests.columns.conftest import site_by_code as _site

ZWFW_CODE = "9101000003"
QINGSHAN_CODE = "9101210001"


def _set_navigation_only(db: Database, code: str, value: bool | None) -> None:
    with db.session() as session:
        _site(session, code).navigation_only = value


def _second_level_truth(farm: FarmThread) -> dict[str, date]:
    """Dated entries on the first page of every page the zwfw homepage links (its columns)."""
    want: dict[str, date] = {}
    for column in farm.truth.columns(ZWFW):
        if column.category == "online_system":
            continue
        path = column.url.split(ZWFW, 1)[1]
        rendered = farm.truth._rendered(ZWFW, path)
        for shown in rendered.items if rendered else []:
            if shown.date is not None:
                want.setdefault(shown.url, shown.date)
    return want


def test_detected_and_second_level_pages_read(farm_env: FarmThread, registered: Database) -> None:
    _set_navigation_only(registered, ZWFW_CODE, None)  # the registry says so; detect instead
    result = _read(registered, ZWFW_CODE, "--json")
    assert result.exit_code == 0, result.output
    home = json.loads(result.stdout)[0]["homepage"]
    assert home["ok"] and home["navigation_only"] and home["navigation_only_detected"]
    assert home["navigation_only_setting"] is None
    want = _second_level_truth(farm_env)
    assert home["second_level_items"] == len(want) > 0
    with registered.session() as session:
        site = _site(session, ZWFW_CODE)
        assert site.navigation_only is None  # the operator's setting is left alone
        snap = session.scalar(select(HomepageSnapshot).where(HomepageSnapshot.site_id == site.id))
        assert snap is not None and snap.readable and snap.navigation_only is True
        assert snap.dated_items == 0 and snap.second_level_items == len(want)
        rows = session.scalars(
            select(ColumnItem).where(ColumnItem.site_id == site.id, ColumnItem.second_level)
        ).all()
        assert {r.url: r.published_on for r in rows} == want
        assert not any(r.on_homepage for r in rows)
        # The 2-week count: second-level entries dated in [T − 14, T].
        today = farm_env.today
        start = today - timedelta(days=14)
        assert homepage_navigation_only(session, site, start, today)
        got = new_homepage_items(session, site, start, today)
        assert {i.url for i in got} == {u for u, d in want.items() if start <= d <= today}
        assert all(i.second_level for i in got)
        assert [i.published_on for i in got] == sorted((i.published_on for i in got), reverse=True)
    # Human output names the switch to second-level pages.
    table = _read(registered, ZWFW_CODE)
    assert "首页仅为导航（自动检测" in table.output and "改查二级页面" in table.output


def test_ordinary_homepage_counts_its_own_entries(
    farm_env: FarmThread, registered: Database
) -> None:
    _set_navigation_only(registered, QINGSHAN_CODE, None)
    result = _read(registered, QINGSHAN_CODE, "--json")
    assert result.exit_code == 0, result.output
    home = json.loads(result.stdout)[0]["homepage"]
    assert home["navigation_only"] is False and home["second_level"] == []
    today = farm_env.today
    start = today - timedelta(days=14)
    want = {
        i.url
        for i in farm_env.truth.homepage_items(QINGSHAN)
        if i.date is not None and start <= i.date <= today
    }
    with registered.session() as session:
        site = _site(session, QINGSHAN_CODE)
        assert not homepage_navigation_only(session, site, start, today)
        got = new_homepage_items(session, site, start, today)
        assert {i.url for i in got} == want and want
        assert not any(i.second_level for i in got)


def test_operator_setting_wins(farm_env: FarmThread, registered: Database) -> None:
    # The operator says the zwfw homepage has its own entries: no second-level pages are read,
    # though the detection is still recorded.
    _set_navigation_only(registered, ZWFW_CODE, False)
    home = json.loads(_read(registered, ZWFW_CODE, "--json").stdout)[0]["homepage"]
    assert home["navigation_only"] is False and home["navigation_only_detected"] is True
    assert home["second_level"] == []
    with registered.session() as session:
        site = _site(session, ZWFW_CODE)
        today = farm_env.today
        assert not homepage_navigation_only(session, site, today - timedelta(days=14), today)
        assert new_homepage_items(session, site, today - timedelta(days=14), today) == []


def test_window_rules(registered: Database) -> None:
    """Detection over the window's snapshots; publication date in the window, seen by its end."""
    t = date(2026, 3, 20)
    noon = datetime(2026, 3, 10, 4, tzinfo=UTC)  # 12:00 Beijing time
    with registered.session() as session:
        site = _site(session, QINGSHAN_CODE)
        site.navigation_only = None

        def snap(day: int, nav: bool | None, readable: bool = True) -> HomepageSnapshot:
            return HomepageSnapshot(
                site_id=site.id, taken_at=noon + timedelta(days=day), readable=readable,
                navigation_only=nav, dated_items=0 if nav else 5,
            )  # fmt: skip

        session.add_all([snap(-30, False), snap(0, True), snap(5, True), snap(6, None, False)])

        def item(url: str, published: date, seen: datetime, **kw: Any) -> ColumnItem:
            return ColumnItem(
                site_id=site.id, column_id=None, url=url, title=url, published_on=published,
                first_seen_at=seen, last_seen_at=seen, **kw,
            )  # fmt: skip

        session.add_all(
            [
                item("a", date(2026, 3, 8), noon, second_level=True),
                item("b", date(2026, 3, 5), noon, second_level=True),  # dated the window's eve
                item("c", date(2026, 3, 19), noon + timedelta(days=9), second_level=True),
                # first seen after T's Beijing day ended (T + 1 at 00:30 Beijing time)
                item(
                    "d",
                    date(2026, 3, 12),
                    datetime(2026, 3, 20, 16, 30, tzinfo=UTC),
                    second_level=True,
                ),
                item("e", date(2026, 3, 12), noon, on_homepage=True),
            ]
        )
        session.flush()
        start = t - timedelta(days=14)
        # Every readable snapshot of the window says navigation-only; the older one does not
        # count, nor does the unreadable one.
        assert homepage_navigation_only(session, site, start, t)
        got = new_homepage_items(session, site, start, t)
        assert [i.url for i in got] == ["c", "a"]
        # A window whose snapshots disagree is not navigation-only: the homepage's own count.
        assert not homepage_navigation_only(session, site, date(2026, 2, 1), t)
        assert [i.url for i in new_homepage_items(session, site, date(2026, 2, 1), t)] == ["e"]
        # No snapshot inside the window: the latest one before its end decides.
        assert homepage_navigation_only(session, site, date(2026, 4, 1), date(2026, 4, 14))


def test_every_run_stores_a_homepage_snapshot(farm_env: FarmThread, registered: Database) -> None:
    """Two runs, two snapshots (one per run, readable or not); entries once per URL."""
    for _ in range(2):
        assert _read(registered, QINGSHAN_CODE).exit_code == 0
    with registered.session() as session:
        site = _site(session, QINGSHAN_CODE)
        snaps = session.scalars(
            select(HomepageSnapshot).where(HomepageSnapshot.site_id == site.id)
        ).all()
        assert len(snaps) == 2 and all(s.readable and s.dated_items > 0 for s in snaps)
        assert not any(s.navigation_only for s in snaps)
        rows = session.scalars(
            select(ColumnItem).where(ColumnItem.site_id == site.id, ColumnItem.on_homepage)
        ).all()
        assert len(rows) == len({r.url for r in rows}) == snaps[0].dated_items
        taken = snaps[0].taken_at
        day = (
            (taken if taken.tzinfo else taken.replace(tzinfo=UTC))
            .astimezone(timezone(timedelta(hours=8)))
            .date()
        )
        assert homepage_read_days(session, site, day - timedelta(days=13), day) == {day}

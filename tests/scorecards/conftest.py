"""A hand-built database: three sites whose rows (and the facts they must map to) are written
out by hand in the tests, never derived from the mapping code."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from typer.testing import CliRunner

from scanner.cli.app import app
from scanner.db import Database
from scanner.db.models import (
    Activity,
    Column,
    ColumnCheck,
    ColumnItem,
    ColumnSnapshot,
    Finding,
    GuideAttachment,
    GuidePage,
    HomepageSnapshot,
    LinkCheck,
    LinkOccurrence,
    LinkVerdict,
    Message,
    Organisation,
    OrgLevel,
    ProbeResult,
    Scan,
    Site,
    SiteType,
)
from scanner.http import FailureKind

T = date(2026, 3, 1)
CST = timezone(timedelta(hours=8))


def cst(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    """A Beijing wall-clock time, stored (as the scanner does) in UTC."""
    return datetime(y, m, d, hh, mm, tzinfo=CST).astimezone(UTC)


@dataclass
class Built:
    db: Database
    ids: dict[str, int]  # name → row id (sites "A", "B", "C"; columns "c1" …)


def build(db: Database) -> Built:
    """Site A has a bit of everything; B was registered but never checked; C was read only."""
    ids: dict[str, int] = {}
    now = cst(2026, 3, 1, 12)
    with db.session() as s:
        org = Organisation(code="990000", name="测试省", level=OrgLevel.PROVINCE)
        s.add(org)
        s.flush()

        def site(key: str, code: str, name: str, host: str, **kw: Any) -> Site:
            row = Site(
                code=code,
                name=name,
                url=f"http://{host}/",
                type=SiteType.PORTAL,
                organisation_id=org.id,
                created_at=now,
                updated_at=now,
                **kw,
            )
            s.add(row)
            s.flush()
            ids[key] = row.id
            return row

        a = site("A", "9900000001", "甲市人民政府", "www.a.gov.cn", navigation_only=True)
        b = site("B", "9900000002", "乙县人民政府", "www.b.gov.cn")
        c = site("C", "9900000003", "丙局", "www.c.gov.cn")

        def column(key: str, owner: Site, name: str, path: str, category: str, **kw: Any) -> int:
            row = Column(
                site_id=owner.id, name=name, url=f"{owner.url}{path}/", category=category, **kw
            )
            s.add(row)
            s.flush()
            ids[key] = row.id
            return row.id

        c1 = column("c1", a, "工作动态", "gzdt", "news")
        column("c2", a, "通知公告", "tzgg", "notice", exempt=True)
        c3 = column("c3", a, "领导信箱", "ldxx", "consult")
        c4 = column("c4", a, "财政预决算", "czyjs", "other_info", static=True)
        c5 = column("c5", a, "意见征集", "yjzj", "survey")
        c6 = column("c6", a, "办事指南", "bszn", "guide")
        c7 = column("c7", a, "网上办事", "wsbs", "online_system")
        column("b1", b, "工作动态", "gzdt", "news")
        cc1 = column("cc1", c, "局动态", "jdt", "news")

        # -- probes of A: the week is 02-23 00:00 … 03-01 24:00 Beijing time
        def probe(when: datetime, ok: bool, **kw: Any) -> None:
            s.add(ProbeResult(site_id=a.id, started_at=when, ok=ok, **kw))

        probe(cst(2026, 2, 22, 23, 59), False, failure=FailureKind.TIMEOUT)  # before the week
        probe(cst(2026, 2, 23, 0, 10), True, total_ms=300.0, status_code=200)
        probe(cst(2026, 2, 28, 23, 30), True, valid=False, total_ms=200.0, status_code=200)
        probe(cst(2026, 3, 1, 9), True, total_ms=300.0, status_code=200)
        probe(cst(2026, 3, 1, 10), True, total_ms=16000.0, status_code=200)  # slow: a failure
        probe(cst(2026, 3, 1, 11), False, failure=FailureKind.TIMEOUT, total_ms=15000.0)
        probe(cst(2026, 3, 2, 0, 30), False, failure=FailureKind.CONNECT)  # after T

        # -- column snapshots: latest by the end of T counts
        def snap(col: int, when: datetime, **kw: Any) -> None:
            s.add(ColumnSnapshot(column_id=col, taken_at=when, **kw))

        snap(c1, cst(2026, 2, 20, 12), readable=False, error="timeout")
        snap(
            c1,
            cst(2026, 2, 28, 12),
            readable=True,
            item_count=3,
            newest_date=date(2026, 2, 27),
            newest_title="新闻1",
            newest_url="http://www.a.gov.cn/gzdt/n1.html",
        )
        snap(c1, cst(2026, 3, 2, 12), readable=False, error="after T")
        snap(
            c4,
            cst(2026, 2, 28, 12),
            readable=True,
            blank=False,  # as the reader stores an EXEMPT page
            exempt_note="本单位不产生此类信息",
        )
        snap(c3, cst(2026, 3, 5, 12), readable=True)  # after T: c3 unread at T
        snap(
            cc1,
            cst(2026, 2, 28, 12),
            readable=True,
            newest_date=date(2026, 2, 1),
            newest_title="旧闻",
            newest_url="http://www.c.gov.cn/jdt/1.html",
        )

        def item(
            owner: Site,
            col: int | None,
            url: str,
            title: str,
            day: date | None,
            seen: datetime = now,
        ) -> None:
            s.add(
                ColumnItem(
                    site_id=owner.id,
                    column_id=col,
                    on_homepage=col is None,
                    url=url,
                    title=title,
                    published_on=day,
                    first_seen_at=seen,
                    last_seen_at=seen,
                )
            )

        item(a, c1, "http://www.a.gov.cn/gzdt/n1.html", "新闻1", date(2026, 2, 27))
        item(a, c1, "http://www.a.gov.cn/gzdt/n2.html", "新闻2", date(2026, 2, 20))
        item(a, c1, "http://www.a.gov.cn/gzdt/old.html", "旧闻", date(2024, 1, 1))  # too old
        item(a, c1, "http://www.a.gov.cn/gzdt/nodate.html", "无日期", None)  # never counts
        item(
            a,
            c1,
            "http://www.a.gov.cn/gzdt/late.html",
            "后见",
            date(2026, 2, 28),
            seen=cst(2026, 3, 2, 8),
        )  # first seen after T
        item(a, None, "http://www.a.gov.cn/gzdt/n1.html", "新闻1", date(2026, 2, 27))

        # -- C's homepage reads: navigation-only detected in the 2-week window (an older read
        # saw dated entries); one second-level page entry; read on 1 of the window's 15 days.
        for when, nav in ((cst(2026, 2, 10, 2), False), (cst(2026, 2, 20, 2), True)):
            s.add(HomepageSnapshot(site_id=c.id, taken_at=when, readable=True, navigation_only=nav))
        s.add(HomepageSnapshot(site_id=c.id, taken_at=cst(2026, 2, 21, 2), readable=False))
        s.add(
            ColumnItem(
                site_id=c.id,
                column_id=None,
                second_level=True,
                url="http://www.c.gov.cn/tzgg/1.html",
                title="二级页面通知",
                published_on=date(2026, 2, 25),
                first_seen_at=cst(2026, 2, 26, 2),
                last_seen_at=cst(2026, 2, 26, 2),
            )
        )

        # -- crawls: the latest finished one by T counts
        def scan(started: datetime, status: str) -> int:
            row = Scan(site_id=a.id, started_at=started, status=status, stats={})
            s.add(row)
            s.flush()
            return row.id

        old = scan(cst(2026, 2, 25, 2), "done")
        latest = scan(cst(2026, 2, 28, 2), "done")
        scan(cst(2026, 3, 1, 2), "running")
        scan(cst(2026, 3, 3, 2), "done")  # after T

        def link(
            scan_id: int, target: str, verdict: LinkVerdict, pages: list[str], **kw: Any
        ) -> None:
            row = LinkCheck(scan_id=scan_id, target=target, verdict=verdict, **kw)
            s.add(row)
            s.flush()
            for p in pages:
                s.add(LinkOccurrence(link_id=row.id, page_url=p, tag="a", text="链接"))

        link(
            old,
            "http://www.a.gov.cn/gone.html",
            LinkVerdict.BROKEN,
            ["http://www.a.gov.cn/"],
            status_code=404,
            kind="not_found",
            confirmed_at=now,
        )
        link(
            latest,
            "http://www.a.gov.cn/dead.html",
            LinkVerdict.BROKEN,
            ["http://www.a.gov.cn/", "http://www.a.gov.cn/gzdt/"],
            status_code=404,
            kind="not_found",
            on_homepage=True,
            confirmed_at=cst(2026, 2, 28, 3),
        )
        link(
            latest,
            "http://www.a.gov.cn/soft.html",
            LinkVerdict.BROKEN,
            ["http://www.a.gov.cn/gzdt/"],
            status_code=200,
            kind="soft404",
            on_second_level=True,
        )
        link(latest, "http://www.a.gov.cn/ok.html", LinkVerdict.OK, ["http://www.a.gov.cn/"])
        link(
            latest,
            "http://www.a.gov.cn/waf.html",
            LinkVerdict.UNDETERMINED,
            ["http://www.a.gov.cn/"],
            status_code=403,
        )

        # -- findings: those found by the end of T
        s.add(
            Finding(
                site_id=a.id,
                kind="serious_error",
                status="confirmed",
                page_url="http://www.a.gov.cn/x.html",
                excerpt="错字",
                detail={"note": "领导人姓名写错"},
                found_at=cst(2026, 2, 20),
            )
        )
        s.add(
            Finding(
                site_id=a.id, kind="false_content", status="candidate", found_at=cst(2026, 3, 2)
            )
        )
        s.flush()
        ids["finding"] = s.query(Finding.id).filter(Finding.kind == "serious_error").scalar()

        # -- interaction and service checks
        def check(col: int, when: datetime, opens: bool) -> None:
            s.add(ColumnCheck(column_id=col, checked_at=when, opens=opens))

        check(c3, cst(2026, 2, 28, 13), True)
        check(c5, cst(2026, 2, 20, 13), True)
        check(c5, cst(2026, 2, 27, 13), False)  # latest: the survey column would not open
        check(c7, cst(2026, 2, 28, 13), False)

        def message(
            url: str,
            asked: date | None,
            answered: date | None,
            state: str,
            seen: datetime = now,
            valid: bool = True,
        ) -> None:
            s.add(
                Message(
                    column_id=c3,
                    url=url,
                    title=url.rsplit("/", 1)[-1],
                    asked_on=asked,
                    answered_on=answered,
                    state=state,
                    seen_at=seen,
                    valid=valid,
                )
            )

        message("http://www.a.gov.cn/ldxx/m1", date(2026, 1, 5), date(2026, 1, 10), "answered")
        message("http://www.a.gov.cn/ldxx/m2", date(2025, 10, 1), None, "open")
        message("http://www.a.gov.cn/ldxx/m3", date(2026, 2, 1), None, "answered", valid=False)
        message("http://www.a.gov.cn/ldxx/m4", date(2024, 1, 1), None, "open")  # too old
        message(
            "http://www.a.gov.cn/ldxx/m5", date(2026, 2, 1), None, "open", seen=cst(2026, 3, 3)
        )  # seen after T

        s.add(
            Activity(
                column_id=c5,
                url="http://www.a.gov.cn/yjzj/1.html",
                title="征集一",
                held_on=date(2026, 1, 15),
                first_seen_at=now,
                last_seen_at=now,
            )
        )
        s.add(
            Activity(
                column_id=c5,
                url="http://www.a.gov.cn/yjzj/2.html",
                title="征集二",
                held_on=None,
                first_seen_at=now,
                last_seen_at=now,
            )
        )
        guide = GuidePage(
            column_id=c6,
            url="http://www.a.gov.cn/bszn/1.html",
            title="事项一",
            present=["事项名称", "办理地点"],
            checked_at=now,
        )
        guide.attachments.append(
            GuideAttachment(name="申请表", url=None, offered=False, checked_at=now)
        )
        guide.attachments.append(
            GuideAttachment(
                name="承诺书",
                url="http://www.a.gov.cn/f.doc",
                offered=True,
                downloads_ok=False,
                checked_at=now,
            )
        )
        s.add(guide)
        s.add(
            GuidePage(
                column_id=c6,
                url="http://www.a.gov.cn/bszn/2.html",
                title="读不了",
                readable=False,
                checked_at=now,
            )
        )
    return Built(db, ids)


@pytest.fixture
def built(db: Database) -> Built:
    return build(db)


@pytest.fixture
def cli(built: Built) -> Callable[..., Any]:
    """``census …`` through typer's CliRunner against the hand-built database."""
    runner = CliRunner()

    def invoke(*args: str) -> Any:
        return runner.invoke(app, [*args, "--database-url", built.db.url])

    return invoke


@pytest.fixture
def pg_built(postgres_url: str) -> Iterator[Built]:
    db = Database(postgres_url)
    db.upgrade()
    yield build(db)
    db.dispose()

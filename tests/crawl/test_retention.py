"""Old crawls lose the rows no scorecard reads, and nothing else.

Two kinds of ground truth: scans written by hand, where which rows must stay follows from the
rule as the docs state it (a site's latest finished crawl whole; resumable scans whole; old
ended crawls keep broken and undetermined links with their evidence), and a real farm site
crawled on two nights, whose scorecard for the first night's day must read the same before and
after the first night is pruned.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update
from typer.testing import CliRunner

from farm import FarmThread, generated_farm
from scanner.cli.app import app
from scanner.clock import CST
from scanner.crawl.retention import PRUNED_MARK, prune_details
from scanner.db import Database
from scanner.db.models import (
    CrawlFrontier,
    LinkCheck,
    LinkOccurrence,
    LinkVerdict,
    Page,
    Scan,
)
from scanner.scorecards.compute import score_sites
from scoring import default_ruleset
from tests.crawl.conftest import fast_settings, scan
from tests.sites import add_sites

NOW = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
VERDICTS = (LinkVerdict.OK, LinkVerdict.BROKEN, LinkVerdict.UNDETERMINED, None)


def _scan(db: Database, site_id: int, status: str, days_ago: int) -> int:
    """A scan with 3 pages, 2 queued URLs and one link of each verdict, each found on 2 pages."""
    started = NOW - timedelta(days=days_ago)
    with db.session() as s:
        row = Scan(site_id=site_id, started_at=started, status=status, stats={"pages": 3})
        if status != "running":
            row.finished_at = started + timedelta(hours=1)
        s.add(row)
        s.flush()
        for i in range(3):
            s.add(
                Page(scan_id=row.id, url=f"http://x/{i}", status=200, depth=i, fetched_at=started)
            )
        for i in range(2):
            s.add(CrawlFrontier(scan_id=row.id, url=f"http://x/q{i}", depth=1))
        for i, verdict in enumerate(VERDICTS):
            check = LinkCheck(scan_id=row.id, target=f"http://x/t{i}", verdict=verdict)
            s.add(check)
            s.flush()
            for page in ("http://x/0", "http://x/1"):
                s.add(LinkOccurrence(link_id=check.id, page_url=page, tag="a"))
        return row.id


def _left(db: Database, scan_id: int) -> dict[str, Any]:
    with db.session() as s:
        checks = s.scalars(select(LinkCheck).where(LinkCheck.scan_id == scan_id)).all()
        occurrences = s.scalar(
            select(func.count())
            .select_from(LinkOccurrence)
            .join(LinkCheck, LinkCheck.id == LinkOccurrence.link_id)
            .where(LinkCheck.scan_id == scan_id)
        )
        row = s.get(Scan, scan_id)
        assert row is not None
        return {
            "pages": s.scalar(select(func.count()).where(Page.scan_id == scan_id)),
            "frontier": s.scalar(select(func.count()).where(CrawlFrontier.scan_id == scan_id)),
            "verdicts": sorted(str(c.verdict) for c in checks),
            "occurrences": occurrences,
            "marked": PRUNED_MARK in row.stats,
            "stats_pages": row.stats.get("pages"),
        }


WHOLE = {
    "pages": 3,
    "frontier": 2,
    "verdicts": sorted(str(v) for v in VERDICTS),
    "occurrences": 8,
    "marked": False,
    "stats_pages": 3,
}
PRUNED = {
    "pages": 0,
    "frontier": 0,
    "verdicts": sorted([str(LinkVerdict.BROKEN), str(LinkVerdict.UNDETERMINED)]),
    "occurrences": 4,
    "marked": True,
    "stats_pages": 3,
}


@pytest.fixture(params=["sqlite_url", pytest.param("postgres_url", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest) -> Iterator[Database]:
    database = Database(request.getfixturevalue(request.param))
    database.upgrade()
    yield database
    database.dispose()


def test_old_crawls_keep_what_scoring_reads(db: Database) -> None:
    ids = add_sites(db, ["a.example.gov.cn", "b.example.gov.cn"])
    a, b = ids["a.example.gov.cn"], ids["b.example.gov.cn"]
    a_old = _scan(db, a, "done", 40)
    a_mid = _scan(db, a, "done", 35)
    a_young = _scan(db, a, "done", 20)  # ended inside the 31 days: whole
    a_latest = _scan(db, a, "done", 1)
    b_latest = _scan(db, b, "done", 50)  # old, but b's latest finished crawl: whole
    b_resumable = _scan(db, b, "interrupted", 45)  # the next run resumes it: whole
    b_failed = _scan(db, b, "homepage_failed", 60)
    b_abandoned = _scan(db, b, "abandoned", 55)
    b_running = _scan(db, b, "running", 40)

    counted = prune_details(db, NOW, 31, dry_run=True)
    assert (counted.scans, counted.pages, counted.frontier) == (4, 12, 8)
    assert (counted.link_checks, counted.link_occurrences) == (8, 16)
    every = [a_old, a_mid, a_young, a_latest, b_latest, b_resumable, b_failed, b_abandoned]
    assert all(_left(db, i) == WHOLE for i in [*every, b_running])  # a dry run deletes nothing

    done = prune_details(db, NOW, 31)
    assert done == counted
    for scan_id in (a_old, a_mid, b_failed, b_abandoned):
        assert _left(db, scan_id) == PRUNED, scan_id
    for scan_id in (a_young, a_latest, b_latest, b_resumable, b_running):
        assert _left(db, scan_id) == WHOLE, scan_id
    assert prune_details(db, NOW, 31).scans == 0  # nothing twice
    assert prune_details(db, NOW + timedelta(days=365), 0).scans == 0  # 0 keeps everything


def test_a_failing_prune_leaves_the_scan_whole(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = add_sites(db, ["a.example.gov.cn"])["a.example.gov.cn"]
    old, newer = _scan(db, site, "done", 40), _scan(db, site, "done", 39)
    _scan(db, site, "done", 1)
    import scanner.crawl.retention as retention

    real = retention._prune_one
    calls = 0

    def second_fails(session: Any, scan_id: int, now: datetime, dry_run: bool) -> Any:
        nonlocal calls
        calls += 1
        got = real(session, scan_id, now, dry_run)  # its deletes are issued, then it fails
        if calls == 2:
            raise RuntimeError("disk full")
        return got

    monkeypatch.setattr(retention, "_prune_one", second_fails)
    with pytest.raises(RuntimeError):
        prune_details(db, NOW, 31)
    assert _left(db, old) == PRUNED  # committed before the failure
    assert _left(db, newer) == WHOLE  # rolled back whole
    monkeypatch.setattr(retention, "_prune_one", real)
    assert prune_details(db, NOW, 31).scans == 1  # the next run goes on
    assert _left(db, newer) == PRUNED


def _card(db: Database, site_id: int, day: Any) -> dict[str, Any]:
    with db.session() as s:
        [scored] = list(score_sites(s, [site_id], default_ruleset(), day))
    return scored.body


def test_a_pruned_night_scores_as_before(tmp_path: Path) -> None:
    spec = generated_farm(1, 40, big_sites=0, huge_site=False)
    with FarmThread(spec) as farm:
        db = Database(f"sqlite:///{tmp_path / 'census.db'}")
        db.upgrade()
        host = "s00000.gen.example.gov.cn"
        site = add_sites(db, [host])[host]
        settings = fast_settings(farm, db.url, link_recheck_delay=0.0)
        first, _ = scan(db, settings)
        second, _ = scan(db, settings)
        [night1], [night2] = first.values(), second.values()
        assert night1 != night2
        # Night 1 was forty days ago; its day's card reads night 1's broken links.
        ago = datetime.now(UTC) - timedelta(days=40)
        with db.session() as s:
            s.execute(
                update(Scan)
                .where(Scan.id == night1)
                .values(started_at=ago, finished_at=ago + timedelta(minutes=5))
            )
        day = (ago + timedelta(hours=1)).astimezone(CST).date()
        before = _card(db, site, day)
        broken = before["rules"]["availability.links"]["evidence"]
        assert any(e.get("kind") != "link_scan" for e in broken), broken  # not a vacuous card
        left_before = _left(db, night1)
        assert left_before["pages"] > 10

        result = CliRunner().invoke(
            app,
            ["db", "prune"],
            env={"CENSUS_DATABASE_URL": db.url, "CENSUS_CRAWL_DETAIL_DAYS": "31"},
        )
        assert result.exit_code == 0, result.output
        assert "已清理 1 次" in result.output
        left = _left(db, night1)
        assert left["pages"] == left["frontier"] == 0 and left["marked"]
        assert _left(db, night2)["pages"] > 10  # the latest night whole
        assert _card(db, site, day) == before
        db.dispose()

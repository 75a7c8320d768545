"""The nightly pass against the demo farm: every site's steps recorded, a failing or overrunning
site recorded with its reason while the others finish, scoring at T, interruption and resume."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from typer.testing import CliRunner

from farm import FarmThread
from farm.builtin import FGW, OLD
from scanner.cli.app import app
from scanner.crawl.retention import PRUNED_MARK
from scanner.db import Database
from scanner.db.models import (
    ColumnCheck,
    ColumnSnapshot,
    HomepageSnapshot,
    NightlyRun,
    NightlyRunSite,
    Page,
    Scan,
    Scorecard,
    Site,
)
from scanner.monitor.nightly import (
    NightlyBusy,
    NightlyPass,
    mark_interrupted,
    night_of,
    shifted_clock,
    site_order,
)
from scanner.scorecards.facts import running_site_ids
from scanner.settings import Settings
from tests.schedule.conftest import night_settings, registered_db

NIGHT = date(2026, 3, 1)
OLD_CODE = "9101020003"  # old.donghu: a certificate for another name


@pytest.fixture
def db(farm: FarmThread, tmp_path: Path) -> Iterator[Database]:
    database = registered_db(farm, tmp_path)
    yield database
    database.dispose()


def _pass(db: Database, settings: Settings, night: date = NIGHT, **kw: object) -> NightlyPass:
    return NightlyPass(db, settings, night, clock=shifted_clock(night, settings), **kw)  # type: ignore[arg-type]


def _steps(db: Database, run_id: int) -> dict[tuple[str, str], tuple[str, str]]:
    """(site URL, step) → (status, error)."""
    with db.session() as s:
        rows = s.execute(
            select(Site.url, NightlyRunSite.step, NightlyRunSite.status, NightlyRunSite.error)
            .join(Site, Site.id == NightlyRunSite.site_id)
            .where(NightlyRunSite.run_id == run_id)
        ).all()
    return {(r[0], r[1]): (r[2], r[3]) for r in rows}


def test_a_night_records_every_step_of_every_site_and_scores(
    farm: FarmThread, db: Database
) -> None:
    settings = night_settings(farm, db.url)
    with db.session() as s:  # a crawl of a year before, with a page: pruned after scoring
        first = s.scalars(select(Site.id).order_by(Site.id)).first()
        long_ago = datetime(2025, 1, 1, tzinfo=UTC)
        old_scan = Scan(site_id=first, started_at=long_ago, finished_at=long_ago, status="done")
        s.add(old_scan)
        s.flush()
        s.add(Page(scan_id=old_scan.id, url="http://x/", depth=0, fetched_at=long_ago))
    outcome = asyncio.run(_pass(db, settings).run())
    assert outcome.status == "done" and not outcome.already_done
    with db.session() as s:
        row = s.get(Scan, old_scan.id)
        assert row is not None and PRUNED_MARK in row.stats
        assert not s.scalars(select(Page).where(Page.scan_id == old_scan.id)).all()
        # This night is months before the real clock, yet its own failed crawl (not a 'done'
        # scan, so never its site's latest) keeps its homepage row: age counts from the night.
        failed_home = s.execute(
            select(Page.failure)
            .join(Scan, Scan.id == Page.scan_id)
            .join(Site, Site.id == Scan.site_id)
            .where(Site.code == OLD_CODE, Scan.status == "homepage_failed", Page.depth == 0)
        ).all()
        assert [f for (f,) in failed_home] == ["tls"], failed_home
    steps = _steps(db, outcome.run_id)
    with db.session() as s:
        running = running_site_ids(s)
        urls = {u for (u,) in s.execute(select(Site.url).where(Site.id.in_(running)))}
        run = s.get(NightlyRun, outcome.run_id)
        assert run is not None
        # Every running site has all three steps, each with a final result.
        assert {(u, st) for u in urls for st in ("crawl", "columns", "checks")} == set(steps)
        assert all(status in ("ok", "failed", "timeout") for status, _ in steps.values())
        # The site whose certificate names another host fails, with the reason; others go on.
        old = f"https://{OLD}/"
        assert steps[(old, "crawl")][0] == "failed"
        assert "首页无法打开" in steps[(old, "crawl")][1] and "tls" in steps[(old, "crawl")][1]
        assert steps[(old, "columns")] == ("failed", "首页无法打开：tls")
        for (url, _step), (status, _error) in steps.items():
            if url != old:
                assert status == "ok", (url, _step, _error)
        assert run.status == "done" and run.finished_at is not None
        assert run.sites_planned == len(urls)
        assert run.sites_failed == 1 and run.sites_done == len(urls) - 1
        # Scoring ran at T = the night: a stored card for every running site.
        assert run.scored_at == NIGHT and run.scorecards == len(urls)
        cards = s.scalar(select(func.count()).where(Scorecard.at == NIGHT))
        assert cards == len(urls)
        # Facts are dated inside the night, so the cards at T see them.
        started = s.scalar(select(func.min(Scan.started_at)).where(Scan.id != old_scan.id))
        assert started is not None
        assert night_of(started.replace(tzinfo=started.tzinfo or UTC), settings) == NIGHT


def test_a_step_that_overruns_is_a_timeout_and_the_others_finish(
    farm: FarmThread, db: Database
) -> None:
    # The FGW site links a page that stalls; with pages allowed 3 s, its crawl overruns 1 s.
    settings = night_settings(farm, db.url, page_timeout=3.0, nightly_crawl_timeout=1.0)
    outcome = asyncio.run(_pass(db, settings).run())
    assert outcome.status == "done"
    steps = _steps(db, outcome.run_id)
    status, error = steps[(f"http://{FGW}/", "crawl")]
    assert status == "timeout" and "超过 1 秒未完成" in error
    # The site's other steps still ran, and every site reached a final result for each step.
    assert steps[(f"http://{FGW}/", "columns")][0] in ("ok", "failed", "timeout")
    assert all(st in ("ok", "failed", "timeout") for st, _ in steps.values())
    with db.session() as s:
        run = s.get(NightlyRun, outcome.run_id)
        assert run is not None and run.status == "done" and run.sites_failed >= 1
        # The overrun crawl is kept resumable for the next night.
        fgw = s.scalar(select(Site.id).where(Site.url == f"http://{FGW}/"))
        kept = s.scalar(select(Scan.status).where(Scan.site_id == fgw).order_by(Scan.id.desc()))
        assert kept in ("running", "interrupted")


def _counts(db: Database) -> tuple[int, int, int, int, int]:
    with db.session() as s:
        return (
            s.scalar(select(func.count(Scan.id))) or 0,
            s.scalar(select(func.count(HomepageSnapshot.id))) or 0,
            s.scalar(select(func.count(ColumnSnapshot.id))) or 0,
            s.scalar(select(func.count(ColumnCheck.id))) or 0,
            s.scalar(select(func.count(Scorecard.id))) or 0,
        )


def test_an_interrupted_night_is_marked_and_resumed_without_duplicates(
    farm: FarmThread, db: Database
) -> None:
    settings = night_settings(farm, db.url, nightly_sites_at_once=1)

    async def interrupt() -> None:
        task = asyncio.create_task(_pass(db, settings).run())
        ok = select(func.count()).where(NightlyRunSite.status == "ok")
        while True:  # stop once a site has finished a step, before the night is over
            await asyncio.sleep(0.05)
            with db.session() as s:
                if (s.scalar(ok) or 0) >= 2:
                    break
            assert not task.done()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(interrupt())
    with db.session() as s:
        run = s.scalar(select(NightlyRun))
        assert run is not None and run.status == "interrupted" and run.finished_at is not None
        assert run.scorecards == 0
        assert s.scalar(select(func.count()).where(NightlyRunSite.status == "running")) == 0
    done_before = _steps(db, run.id)

    # A kill -9 leaves "running" behind: the next start marks it interrupted.
    with db.session() as s:
        s.execute(update(NightlyRun).values(status="running"))
    with pytest.raises(NightlyBusy):
        asyncio.run(_pass(db, settings).run())
    assert mark_interrupted(db, datetime.now(UTC)) == 1

    outcome = asyncio.run(_pass(db, settings).run())
    assert outcome.status == "done" and outcome.run_id == run.id
    steps = _steps(db, run.id)
    # Steps that had finished were not run again (same rows, same results).
    for key, value in done_before.items():
        if value[0] == "ok":
            assert steps[key] == value
    with db.session() as s:
        again = s.get(NightlyRun, run.id)
        assert again is not None and again.starts == 2 and again.status == "done"
        assert s.scalar(select(func.count(NightlyRun.id))) == 1
        n_sites = len(running_site_ids(s))
        n_columns = s.scalar(select(func.count(ColumnSnapshot.column_id.distinct())))
    scans, homes, snaps, _checks, cards = _counts(db)
    # One homepage snapshot per site, one snapshot per column, one card per site: no double count.
    assert homes == n_sites and snaps == n_columns and cards == n_sites
    assert scans == n_sites

    # A finished night is not run again.
    twice = asyncio.run(_pass(db, settings).run())
    assert twice.already_done and _counts(db) == (scans, homes, snaps, _checks, cards)


def test_run_nightly_and_status_commands(
    farm: FarmThread, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = night_settings(farm, db.url)
    for name, value in settings.model_dump().items():  # the small settings, as an operator would
        if value != Settings.model_fields[name].default:
            monkeypatch.setenv(f"CENSUS_{name.upper()}", str(value))
    monkeypatch.setenv("CENSUS_DATABASE_URL", db.url)
    runner = CliRunner()
    result = runner.invoke(app, ["monitor", "run-nightly", "--at", "2026-03-01", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["status"] == "done" and report["night"] == "2026-03-01"
    assert report["scored_at"] == "2026-03-01" and report["sites_failed"] == 1
    # The farm's one broken site (old.donghu, a certificate for another name) and nothing else.
    problems = [(p["code"], p["step"], p["status"], p["error"]) for p in report["problems"]]
    assert problems == [
        (OLD_CODE, "crawl", "failed", "首页无法打开：tls"),
        (OLD_CODE, "columns", "failed", "首页无法打开：tls"),
    ]

    again = runner.invoke(app, ["monitor", "run-nightly", "--at", "2026-03-01"])
    assert again.exit_code == 0, again.output
    assert "已完成，未重复运行" in again.output

    shown = runner.invoke(app, ["monitor", "status"])
    assert shown.exit_code == 0, shown.output
    for text in ("首页探测计划", "夜间运行", "2026-03-01", "已完成", "东湖区人民政府（旧版）",
                 "首页无法打开"):  # fmt: skip
        assert text in shown.output, text
    as_json = json.loads(runner.invoke(app, ["monitor", "status", "--json"]).output)
    assert as_json["nightly_runs"][0]["sites_planned"] == report["sites_planned"]
    assert "slot_jobs" in as_json["probe_schedule"]


@pytest.mark.postgres
def test_a_night_on_postgres(farm: FarmThread, postgres_url: str, tmp_path: Path) -> None:
    db = registered_db(farm, tmp_path, postgres_url)
    settings = night_settings(farm, postgres_url)
    outcome = asyncio.run(_pass(db, settings).run())
    assert outcome.status == "done"
    steps = _steps(db, outcome.run_id)
    assert steps[(f"https://{OLD}/", "columns")] == ("failed", "首页无法打开：tls")
    with db.session() as s:
        run = s.get(NightlyRun, outcome.run_id)
        assert run is not None and run.sites_failed == 1
        assert run.scorecards == run.sites_planned == len(running_site_ids(s))
    db.dispose()


def test_sites_start_in_a_stable_order_spread_over_the_window(
    farm: FarmThread, db: Database
) -> None:
    settings = night_settings(
        farm, db.url, nightly_steps="columns", nightly_window=1.6, nightly_sites_at_once=8
    )
    base = datetime.now(UTC)
    outcome = asyncio.run(_pass(db, settings, base=base).run())
    assert outcome.status == "done"
    with db.session() as s:
        rows = s.execute(
            select(Site.code, NightlyRunSite.started_at, NightlyRunSite.step)
            .join(Site, Site.id == NightlyRunSite.site_id)
            .where(NightlyRunSite.run_id == outcome.run_id)
        ).all()
    assert {r.step for r in rows} == {"columns"}  # only the steps asked for
    ordered = sorted(rows, key=lambda r: site_order(r.code))
    gap = 1.6 / len(rows)
    for i, row in enumerate(ordered):  # nobody starts before its slot in the window
        started = row.started_at.replace(tzinfo=row.started_at.tzinfo or UTC)
        assert (started - base).total_seconds() >= i * gap - 0.01, (i, row.code)

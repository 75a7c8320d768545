"""`census monitor`'s nightly job in-process: a night interrupted by a stop is marked, and the
next start resumes it to the end (steps done before are not run again)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, text

from farm import FarmThread
from scanner.db import Database
from scanner.db.models import HomepageSnapshot, NightlyRun, NightlyRunSite
from scanner.monitor.nightly import night_of, night_start
from scanner.monitor.scheduler import NIGHTLY_JOB, Monitor, Schedule
from scanner.monitor.stats import CST
from scanner.scorecards.facts import running_site_ids
from tests.schedule.conftest import night_settings, registered_db


async def _until(db: Database, query: object, at_least: int, timeout: float = 45.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        with db.session() as s:
            if (s.scalar(query) or 0) >= at_least:  # type: ignore[call-overload]
                return
        await asyncio.sleep(0.1)
    raise AssertionError(f"not reached in {timeout} s: {query}")


def test_monitor_stops_mid_night_and_resumes_on_restart(farm: FarmThread, tmp_path: Path) -> None:
    db = registered_db(farm, tmp_path)
    started = (datetime.now(CST) - timedelta(minutes=1)).strftime("%H:%M")
    settings = night_settings(
        farm, db.url, nightly_start=started, nightly_window=0.0, nightly_sites_at_once=1
    )
    now = datetime.now(UTC)
    night = night_of(now, settings)
    assert night_start(night, settings) <= now
    with db.session() as s:  # a night that a killed process left behind
        s.add(NightlyRun(night=night, started_at=now, status="running", steps=""))
    schedule = Schedule(every=3600, slots=1, misfire_grace=120)

    async def run_monitor(until: object, at_least: int) -> None:
        stop = asyncio.Event()
        mon = Monitor(db, settings, schedule, nightly=True)
        task = asyncio.create_task(mon.run(stop))
        try:
            await _until(db, until, at_least)
        finally:
            stop.set()
            await asyncio.wait_for(task, 30)

    some_ok = select(func.count()).where(NightlyRunSite.status == "ok")
    asyncio.run(run_monitor(some_ok, 2))
    with db.session() as s:
        run = s.scalar(select(NightlyRun))
        assert run is not None and run.status == "interrupted" and run.starts == 2
        homes_before = s.scalar(select(func.count(HomepageSnapshot.id)))
        jobs = [r[0] for r in s.execute(text("SELECT id FROM apscheduler_jobs"))]
    assert NIGHTLY_JOB in jobs

    finished = select(func.count()).where(NightlyRun.status == "done")
    asyncio.run(run_monitor(finished, 1))
    with db.session() as s:
        run = s.scalar(select(NightlyRun))
        assert run is not None and run.status == "done" and run.starts == 3
        sites = len(running_site_ids(s))
        assert run.sites_planned == sites and run.scorecards == sites
        homes = s.scalar(select(func.count(HomepageSnapshot.id)))
    assert homes_before is not None and homes_before <= homes == sites  # one read per site
    db.dispose()

"""A site unit redelivered after its worker died between finishing the site's scan and making
the crawl step's row final: the step adopts that scan instead of scanning the site again (no
second scan, no duplicate pages), and records what that scan found."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from farm import FarmThread, midday_clock
from farm.builtin import scenario
from scanner.crawl import Scanner, load_sites
from scanner.db.models import NightlyRunSite, Page, Scan
from scanner.monitor.nightly import NightlyOptions, NightlyPass, shifted_clock
from scanner.monitor.units import SiteSteps, site_unit, timeouts_of
from tests.schedule.conftest import night_settings, registered_db

NIGHT = date(2026, 3, 1)
SITES = {"9101020003": "failed", "9101000001": "ok"}  # old.donghu (bad certificate), 临江市


@pytest.fixture(scope="module")
def farm() -> Iterator[FarmThread]:
    with FarmThread(scenario("demo"), now=midday_clock()) as f:
        yield f


def test_a_redelivered_unit_adopts_the_scan_its_dead_worker_finished(
    farm: FarmThread, tmp_path: Path
) -> None:
    db = registered_db(farm, tmp_path)
    settings = night_settings(farm, db.url, nightly_steps="crawl")
    work = NightlyPass(db, settings, NIGHT, options=NightlyOptions.from_settings(settings))
    run_id, _ = work.open_run(len(SITES))
    clock = shifted_clock(NIGHT, settings)
    steps = SiteSteps(db, settings, run_id, NIGHT, timeouts_of(settings), clock)
    refs = {r.code: r for r in load_sites(db) if r.code in SITES}
    assert set(refs) == set(SITES)

    async def first_attempt() -> None:
        """The dead worker's part: the step begun, the scan finished, the row left running."""
        async with Scanner(db, settings, clock=clock) as scanner:
            for ref in refs.values():
                await asyncio.to_thread(steps._begin, ref.id, "crawl")
                await scanner.crawl_for(ref).run()

    asyncio.run(first_attempt())
    with db.session() as s:
        before = {
            code: s.scalar(select(func.count()).select_from(Page).join(Scan).where(
                Scan.site_id == ref.id))
            for code, ref in refs.items()
        }  # fmt: skip
        assert all(n and n > 0 for n in before.values())
        assert set(s.scalars(select(NightlyRunSite.status))) == {"running"}

    for ref in refs.values():  # the redelivered units
        result = site_unit(db, settings, run_id, ref.id)
        assert result.steps_run == ("crawl",)

    with db.session() as s:
        for code, ref in refs.items():
            scans = list(s.scalars(select(Scan).where(Scan.site_id == ref.id)))
            pages = s.scalar(
                select(func.count()).select_from(Page).join(Scan).where(Scan.site_id == ref.id)
            )
            row = s.scalar(
                select(NightlyRunSite).where(
                    NightlyRunSite.run_id == run_id, NightlyRunSite.site_id == ref.id
                )
            )
            assert len(scans) == 1, code  # adopted, not scanned again
            assert pages == before[code], code
            assert row is not None and row.status == SITES[code], (code, row and row.error)
    db.dispose()

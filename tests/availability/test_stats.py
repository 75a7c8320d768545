"""The week's window and per-day coverage against hand-computed expectations."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from scanner.clock import CST
from scanner.db import Database
from scanner.db.models import ProbeResult, ProbeRound, RoundStatus
from scanner.http import FailureKind
from scanner.monitor import week_bounds, week_stats
from scanner.registry.lookup import find_site
from tests.sites import add_sites

AT = date(2024, 3, 7)


def _probe(site_id: int, when: datetime, *, ok: bool = True, valid: bool = True) -> ProbeResult:
    return ProbeResult(
        site_id=site_id,
        started_at=when.astimezone(UTC),
        ok=ok,
        failure=None if ok else FailureKind.TIMEOUT,
        valid=valid,
        total_ms=15000.0 if not ok else 120.0,
    )


def test_window_is_the_seven_cst_days_ending_at_t() -> None:
    start, end = week_bounds(AT)
    assert start == datetime(2024, 3, 1, tzinfo=CST)
    assert end == datetime(2024, 3, 8, tzinfo=CST)
    assert start.tzinfo == UTC and start.hour == 16  # 00:00 CST is 16:00 UTC the day before


def test_counts_failures_ratio_and_short_days(db: Database) -> None:
    site_id = add_sites(db, ["www.stats.gov.cn"])["www.stats.gov.cn"]
    day1 = datetime(2024, 3, 1, tzinfo=CST)
    rows = [
        _probe(site_id, day1 - timedelta(seconds=1), ok=False),  # 02-29 23:59:59: outside
        _probe(site_id, day1 + timedelta(days=7), ok=False),  # 03-08 00:00: outside
    ]
    # Day 1 (03-01): 24 hourly probes, 2 failures, plus 3 invalid failures that must not count.
    rows += [_probe(site_id, day1 + timedelta(hours=h), ok=h not in (5, 6)) for h in range(24)]
    rows += [
        _probe(site_id, day1 + timedelta(hours=h, minutes=30), ok=False, valid=False)
        for h in range(3)
    ]
    # Day 2 (03-02): only 19 valid probes — flagged.
    rows += [_probe(site_id, day1 + timedelta(days=1, hours=h)) for h in range(19)]
    # Days 3–6: 20 each; day 7 (03-07): 20 with the last one at 23:59:59 CST, 1 failure.
    for d in range(2, 6):
        rows += [_probe(site_id, day1 + timedelta(days=d, hours=h)) for h in range(20)]
    last = day1 + timedelta(days=6)
    rows += [_probe(site_id, last + timedelta(hours=h)) for h in range(19)]
    rows.append(_probe(site_id, last + timedelta(hours=23, minutes=59, seconds=59), ok=False))
    with db.session() as session:
        session.add_all(rows)
        session.add(
            ProbeRound(
                scheduled_for=day1 + timedelta(days=2, hours=22),
                status=RoundStatus.MISSED,
                canary_results=[],
            )
        )
    with db.session() as session:
        stats = week_stats(session, find_site(session, "www.stats.gov.cn"), AT)
    assert [d.day for d in stats.days] == [date(2024, 3, i) for i in range(1, 8)]
    assert [d.valid for d in stats.days] == [24, 19, 20, 20, 20, 20, 20]
    assert [d.failures for d in stats.days] == [2, 0, 0, 0, 0, 0, 1]
    assert [d.invalid for d in stats.days] == [3, 0, 0, 0, 0, 0, 0]
    assert stats.probes == 143 and stats.failures == 3
    assert stats.ratio == 3 / 143
    assert stats.short_days == [date(2024, 3, 2)]
    assert stats.missed_rounds == 1
    assert stats.figure == "3 of 143 probes failed, 2.10 %"
    assert [f.started_at.astimezone(CST).hour for f in stats.failed] == [5, 6, 23]

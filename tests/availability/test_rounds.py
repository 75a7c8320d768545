"""Rounds: stored atomically and idempotently, invalid when the scanner itself is unhealthy."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from scanner.clock import CST, RealClock, SimulatedClock
from scanner.db import Database
from scanner.db.models import ProbeResult, ProbeRound, RoundStatus
from scanner.http import FailureKind
from scanner.monitor import load_targets, probe_and_store, run_simulated_days, week_stats
from scanner.registry.lookup import find_site
from tests.availability.conftest import SUFFIX, Loopback
from tests.sites import add_sites

T0 = datetime(2024, 3, 1, 10, 0, tzinfo=UTC)
CANARY = f"http://control.{SUFFIX}/"


def _counts(db: Database) -> tuple[int, int]:
    with db.session() as session:
        rounds = session.scalar(select(func.count(ProbeRound.id))) or 0
        results = session.scalar(select(func.count(ProbeResult.id))) or 0
    return rounds, results


async def test_a_round_stores_every_site_once_and_a_rerun_is_a_no_op(
    db: Database, loopback: Loopback
) -> None:
    add_sites(db, [f"a.{SUFFIX}", f"unavailable.{SUFFIX}", "closed.other.gov.cn"])
    clock = SimulatedClock(T0)
    settings = loopback.settings(page_timeout=30.0)
    outcome, round_id = await probe_and_store(
        db, settings, clock=clock, scheduled_for=T0, canaries=[CANARY]
    )
    assert round_id is not None and outcome.valid and outcome.canaries_ok
    assert [r.failure for _, r in outcome.results] == [
        None,
        FailureKind.HTTP_STATUS,
        FailureKind.CONNECT,
    ]
    assert _counts(db) == (1, 3)
    _, again_id = await probe_and_store(
        db, settings, clock=clock, scheduled_for=T0, canaries=[CANARY]
    )
    assert again_id is None
    assert _counts(db) == (1, 3)
    with db.session() as session:
        stored = session.scalar(select(ProbeRound))
        assert stored is not None
        assert stored.status is RoundStatus.DONE
        assert stored.canary_results[0]["ok"] is True


async def test_a_failing_canary_makes_the_round_invalid_and_excluded(
    db: Database, loopback: Loopback
) -> None:
    add_sites(db, [f"a.{SUFFIX}", f"unavailable.{SUFFIX}"])
    clock = SimulatedClock(T0)
    outcome, _ = await probe_and_store(
        db,
        loopback.settings(),
        clock=clock,
        scheduled_for=T0,
        canaries=[CANARY, "http://closed.other.gov.cn/"],
    )
    assert outcome.status is RoundStatus.INVALID
    assert "canary failed: http://closed.other.gov.cn/ connect" in outcome.invalid_reason
    with db.session() as session:
        results = session.scalars(select(ProbeResult)).all()
        assert len(results) == 2 and not any(r.valid for r in results)
        stats = week_stats(session, find_site(session, f"http://unavailable.{SUFFIX}/"), T0.date())
    assert stats.probes == 0 and stats.failures == 0 and stats.invalid == 1


async def test_a_late_event_loop_makes_the_round_invalid(db: Database, loopback: Loopback) -> None:
    """In real time, a blocking call in the scanner's process (0.3 s) voids the round."""
    add_sites(db, [f"a.{SUFFIX}", f"block.{SUFFIX}"])
    outcome, _ = await probe_and_store(
        db, loopback.settings(), clock=RealClock(), scheduled_for=T0, canaries=[CANARY]
    )
    assert outcome.status is RoundStatus.INVALID
    assert outcome.loop_lag_ms >= 250
    assert "event loop late" in outcome.invalid_reason


async def test_a_simulated_round_is_never_late(db: Database, loopback: Loopback) -> None:
    """The same blocking call under a simulated clock: the simulation's loop is not late, so a
    busy machine cannot void a simulated week; the probes are kept and counted."""
    add_sites(db, [f"a.{SUFFIX}", f"block.{SUFFIX}"])
    outcome, _ = await probe_and_store(
        db, loopback.settings(), clock=SimulatedClock(T0), scheduled_for=T0, canaries=[CANARY]
    )
    assert outcome.status is RoundStatus.DONE, outcome.invalid_reason
    assert outcome.loop_lag_ms == 0
    with db.session() as session:
        assert all(r.valid for r in session.scalars(select(ProbeResult)))


@pytest.mark.timeout(900)  # 168 real rounds: a hang guard sized for a loaded 2-core machine
async def test_a_compressed_week_gives_exactly_the_scenario_failures(
    db: Database, loopback: Loopback
) -> None:
    """Site X is down 10 h 05 min of the 168 h week (6.0 %): the hourly rounds that fall in its
    down windows, and only those, fail."""
    start = datetime(2024, 3, 1, tzinfo=CST)
    clock = SimulatedClock(start.astimezone(UTC))
    loopback.farm.now = clock.now
    down = [
        (
            start + timedelta(days=1, hours=3, minutes=30),
            start + timedelta(days=1, hours=8, minutes=30),
        ),
        (start + timedelta(days=4, hours=12), start + timedelta(days=4, hours=17, minutes=5)),
    ]
    loopback.farm.down[f"x.{SUFFIX}"] = down
    downtime = sum((b - a for a, b in down), timedelta())
    assert round(downtime / timedelta(days=7), 3) == 0.060
    ids = add_sites(db, [f"x.{SUFFIX}", f"y.{SUFFIX}"])
    outcomes = await run_simulated_days(
        db, loopback.settings(), clock, days=7, canaries=[CANARY], targets=load_targets(db)
    )
    assert len(outcomes) == 168 and all(o.valid for o in outcomes)
    ticks = [start + timedelta(hours=h) for h in range(168)]
    expected = sum(1 for t in ticks if any(a <= t < b for a, b in down))
    assert expected == 11
    with db.session() as session:
        x = find_site(session, f"http://x.{SUFFIX}/")
        assert x.id == ids[f"x.{SUFFIX}"]
        stats = week_stats(session, x, date(2024, 3, 7))
        other = week_stats(session, find_site(session, f"http://y.{SUFFIX}"), date(2024, 3, 7))
    assert stats.probes == 168 and stats.failures == expected
    assert {f.failure for f in stats.failed} == {FailureKind.HTTP_STATUS}
    assert [d.valid for d in stats.days] == [24] * 7 and stats.short_days == []
    assert [d.failures for d in stats.days] == [0, 5, 0, 0, 6, 0, 0]
    assert stats.figure == "11 of 168 probes failed, 6.55 %"
    assert other.failures == 0 and other.probes == 168

"""The monitor: grid of slot times, missed rounds, and surviving kill -9 without loss or
duplicates — the real ``census monitor`` in a subprocess against the loopback farm."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from scanner.db import Database
from scanner.db.models import ProbeResult, ProbeRound, RoundStatus
from scanner.errors import ConfigError
from scanner.monitor.rounds import utc
from scanner.monitor.scheduler import ANCHOR, Monitor, Schedule
from tests.availability.conftest import SUFFIX, Loopback
from tests.sites import add_sites

CENSUS = str(Path(sys.executable).parent / "census")


def test_each_slot_has_its_own_stable_offset_in_the_hour() -> None:
    schedule = Schedule()  # every 60 min, 60 slots
    now = datetime(2024, 3, 1, 10, 30, 30, tzinfo=UTC)
    assert schedule.due(0, now) == datetime(2024, 3, 1, 10, 0, tzinfo=UTC)
    assert schedule.due(7, now) == datetime(2024, 3, 1, 10, 7, tzinfo=UTC)
    assert schedule.due(45, now) == datetime(2024, 3, 1, 9, 45, tzinfo=UTC)
    times = schedule.between(7, now - timedelta(hours=3), now)
    assert [t.hour for t in times] == [8, 9, 10] and {t.minute for t in times} == {7}
    assert 24 * 3600 / schedule.every >= 20


def test_a_grace_longer_than_half_the_interval_is_refused() -> None:
    with pytest.raises(ConfigError):
        Schedule(every=60, slots=1, misfire_grace=31)


def test_rounds_due_while_stopped_are_recorded_missed_once(db: Database) -> None:
    from scanner.settings import load_settings

    schedule = Schedule(every=3600, slots=2, misfire_grace=60)
    last = schedule.first(1) + timedelta(days=8766)  # a grid time of slot 1, in 2024
    with db.session() as session:
        session.add(
            ProbeRound(scheduled_for=last, status=RoundStatus.DONE, slot=1, canary_results=[])
        )
    monitor = Monitor(db, load_settings(), schedule)
    assert monitor.fill_missed(1, last + timedelta(hours=3, minutes=10)) == 3
    assert monitor.fill_missed(1, last + timedelta(hours=3, minutes=10)) == 0
    assert monitor.fill_missed(0, last + timedelta(hours=3)) == 0  # never ran: nothing missed
    with db.session() as session:
        missed = session.scalars(
            select(ProbeRound.scheduled_for).where(ProbeRound.status == RoundStatus.MISSED)
        ).all()
    assert [utc(m) - last for m in missed] == [timedelta(hours=h) for h in (1, 2, 3)]
    assert ANCHOR.tzinfo is UTC


async def _wait_for(db: Database, predicate_sql: object, at_least: int, timeout: float) -> int:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    count = 0
    while loop.time() < deadline:
        with db.session() as session:
            count = session.scalar(predicate_sql) or 0  # type: ignore[call-overload]
        if count >= at_least:
            return count
        await asyncio.sleep(0.2)
    raise AssertionError(f"only {count} after {timeout} s")


def _killed_earlier(db: Database, *, every: timedelta, missed_at_least: int) -> timedelta:
    """Move every stored round back on the grid, as if the monitor had been killed that much
    earlier: rounds fall due while nobody runs without the test waiting for them in real time.
    Returns the shift, a whole number of intervals longer than the stored span (so no two
    rounds ever share a time, even midway)."""
    with db.session() as session:
        stored = session.scalars(select(ProbeRound)).all()
        times = [utc(r.scheduled_for) for r in stored]
        gap = (max(times) - min(times)) + every * missed_at_least
        for r in stored:
            r.scheduled_for = utc(r.scheduled_for) - gap
    return gap


async def test_kill_9_loses_nothing_duplicates_nothing_and_records_missed(
    db: Database, loopback: Loopback, sqlite_url: str
) -> None:
    add_sites(db, [f"a.{SUFFIX}", f"b.{SUFFIX}"])
    env = {
        **os.environ,
        "CENSUS_DATABASE_URL": sqlite_url,
        "CENSUS_HOST_MAP": loopback.host_map(),
        "CENSUS_EXTRA_CA_FILE": loopback.ca_file,
    }
    args = [
        CENSUS,
        "monitor",
        "--every",
        "2",
        "--slots",
        "1",
        "--misfire-grace",
        "1",
        "--canary",
        f"http://control.{SUFFIX}/",
    ]
    # Rounds that ran: done, or invalid when a busy machine made the real event loop late
    # (both store their results; only the missed ones have none).
    done = select(func.count(ProbeRound.id)).where(
        ProbeRound.status.in_([RoundStatus.DONE, RoundStatus.INVALID])
    )

    first = await asyncio.create_subprocess_exec(
        *args, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )
    try:
        await _wait_for(db, done, 2, timeout=90)  # a hang guard
    finally:
        first.send_signal(signal.SIGKILL)
        await first.wait()
    with db.session() as session:
        kept = session.scalar(select(func.count(ProbeResult.id)))
        before = session.scalar(done)
    gap = _killed_earlier(db, every=timedelta(seconds=2), missed_at_least=3)

    second = await asyncio.create_subprocess_exec(
        *args, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )
    try:
        await _wait_for(db, done, (before or 0) + 2, timeout=90)
    finally:
        second.send_signal(signal.SIGTERM)
        await asyncio.wait_for(second.wait(), timeout=60)
    assert second.returncode == 0

    with db.session() as session:
        rounds = session.execute(
            select(ProbeRound.scheduled_for, ProbeRound.status, ProbeRound.id).order_by(
                ProbeRound.scheduled_for
            )
        ).all()
        results = session.scalar(select(func.count(ProbeResult.id))) or 0
        per_round = dict(
            session.execute(
                select(ProbeResult.round_id, func.count(ProbeResult.id)).group_by(
                    ProbeResult.round_id
                )
            ).all()
        )
    times = [utc(r.scheduled_for) for r in rounds]
    # One row per grid time, none twice, no hole between the first and the last round.
    assert len(set(times)) == len(times)
    assert all(b - a == timedelta(seconds=2) for a, b in itertools.pairwise(times))
    statuses = [r.status for r in rounds]
    assert statuses.count(RoundStatus.MISSED) >= gap // timedelta(seconds=2) - 1
    assert statuses[-1] is not RoundStatus.MISSED
    assert results >= (kept or 0)
    for r in rounds:
        expected = 0 if r.status is RoundStatus.MISSED else 2
        assert per_round.get(r.id, 0) == expected, (r, per_round)

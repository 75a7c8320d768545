"""Time as a dependency: real for production, simulated for tests and the demo.

This is the only module that reads the real clock (a test holds every other module of
``scanner``, ``probes`` and ``scoring`` to that). Two kinds of time are read here:

- **calendar time** through a ``Clock`` (``now``, ``monotonic``, ``sleep``): when a fact happened,
  when a round is due, how long a host is held back. Probes, the scheduler, the crawl, the
  nightly pass and the farm all take a ``Clock``, so a monitoring week runs in seconds and the
  farm's down periods follow the same clock as the probes;
- **stopwatch time** through ``stopwatch()``: how long real I/O took (a fetch's phases, pacing of
  real requests, progress rates). A simulated calendar does not make the network faster, so
  these are real seconds in every mode.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta, timezone
from typing import Protocol

# Beijing time: the census counts days, weeks and deadlines in it.
CST = timezone(timedelta(hours=8), "CST")


def stopwatch() -> float:
    """Real seconds on a steady counter, for timing real work; differences only."""
    return time.perf_counter()


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...

    def monotonic(self) -> float:
        """Seconds on this clock's steady counter (differences only): holds, lateness."""
        ...

    async def sleep(self, seconds: float) -> None: ...


class RealClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.perf_counter()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class ShiftedClock(RealClock):
    """Real time moved by a fixed offset: a past night's facts dated inside that night while the
    pass itself runs (and waits) in real time."""

    def __init__(self, starts_at: datetime):
        if starts_at.tzinfo is None:
            raise ValueError("ShiftedClock needs a timezone-aware start time")
        self.offset = datetime.now(UTC) - starts_at

    def now(self) -> datetime:
        return datetime.now(UTC) - self.offset


class SimulatedClock:
    """A clock that only moves when told to (``advance``/``set``) or when slept on.

    ``sleep`` advances simulated time at once, so code that waits an hour between probe rounds
    runs instantly while seeing the same timestamps it would in production.
    """

    def __init__(self, start: datetime):
        if start.tzinfo is None:
            raise ValueError("SimulatedClock needs a timezone-aware start time")
        self._now = start

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        # Moves only with simulated time: in a simulated run the event loop is never "late",
        # whatever the real machine is doing, so a busy host cannot void a simulated round.
        return self._now.timestamp()

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("SimulatedClock needs timezone-aware times")
        self._now = when

    def advance(self, seconds: float = 0.0, **kwargs: float) -> datetime:
        self._now += timedelta(seconds=seconds, **kwargs)
        return self._now

    async def sleep(self, seconds: float) -> None:
        self.advance(seconds)
        await asyncio.sleep(0)

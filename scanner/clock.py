"""Time as a dependency: real for production, simulated for tests and the demo.

Probes, the scheduler and the farm all read time through a ``Clock`` so that a monitoring week
can run in seconds and the farm's down periods follow the same clock as the probes.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta, timezone
from typing import Protocol

# Beijing time: the census counts days, weeks and deadlines in it.
CST = timezone(timedelta(hours=8), "CST")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...

    async def sleep(self, seconds: float) -> None: ...


class RealClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    def monotonic(self) -> float:
        return time.monotonic()


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

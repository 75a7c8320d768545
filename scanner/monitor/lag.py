"""Measuring how late the event loop is, so a busy scanner never blames a site.

A probe's timing is only as good as the loop that notices its bytes arriving: when the loop is
late (CPU starved, a blocking call, a GC pause), every probe in flight looks slower than the
site was. A ticker that expects to wake every ``interval`` seconds measures that lateness
directly; the round marks its probes invalid when the worst lateness passes a limit.

The meter reads the round's ``Clock``: a simulated round is never late (its clock only moves
when the simulation says so), so a busy test machine cannot void a simulated week.
"""

from __future__ import annotations

import asyncio

from scanner.clock import Clock


class LagMeter:
    """The worst lateness (ms) of a periodic wake-up and of probe starts while it runs."""

    def __init__(self, clock: Clock, interval: float = 0.02):
        self.clock = clock
        self.interval = interval
        self.max_lag_ms = 0.0
        self._handle: asyncio.TimerHandle | None = None
        self._expected = 0.0

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._expected = self.clock.monotonic() + self.interval
        self._handle = loop.call_later(self.interval, self._tick)

    def _tick(self) -> None:
        now = self.clock.monotonic()
        self.note(now - self._expected)
        self._expected = now + self.interval
        self._handle = asyncio.get_running_loop().call_later(self.interval, self._tick)

    def note(self, late_seconds: float) -> None:
        """Record a lateness seen elsewhere (a probe that started after its planned time)."""
        self.max_lag_ms = max(self.max_lag_ms, late_seconds * 1000)

    def stop(self) -> float:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        return self.max_lag_ms

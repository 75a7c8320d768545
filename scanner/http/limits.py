"""Politeness per host: a cap on open connections, a request rate, and back-off that only
ever slows a host down (429/503 with Retry-After), never speeds it up."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from asyncio_throttle import Throttler

from scanner.clock import Clock, RealClock


def retry_after_seconds(
    value: str | None, *, default: float, now: datetime, cap: float = 3600.0
) -> float:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date after ``now``)."""
    if not value:
        return default
    value = value.strip()
    if value.isdigit():
        return min(float(value), cap)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    if when.tzinfo is None:  # "-0000": a date in UTC by RFC 5322
        when = when.replace(tzinfo=UTC)
    return max(0.0, min((when - now).total_seconds(), cap))


def host_of(url: str) -> str:
    """The host a URL's request goes to, as the limiter keys it (the stdlib parse: httpx's own
    URL parser costs ≈ 60 µs a request and the crawl makes thousands a second)."""
    return (urlsplit(url).hostname or "").lower()


# A rate this high is no limit at all (benchmarks on one's own server): the connection cap
# alone holds, and no throttler bookkeeping is paid per request.
UNLIMITED_RATE = 10_000.0


class _HostState:
    def __init__(self, connections: int, rate: float):
        self.semaphore = asyncio.Semaphore(connections)
        self.throttler: Throttler | None
        # asyncio-throttle counts whole requests per period: express fractional rates via period.
        if rate >= UNLIMITED_RATE:
            self.throttler = None
        elif rate >= 1:
            self.throttler = Throttler(rate_limit=int(rate), period=1.0)
        else:
            self.throttler = Throttler(rate_limit=1, period=1.0 / rate)
        self.not_before = 0.0  # monotonic time before which no request may start
        self.free = list(range(connections - 1, -1, -1))  # slot numbers not in use


class HostLimiter:
    """Hands out request slots per host; shared by every task that talks to that host.

    ``foreign`` and ``share`` serve a scan split over ``share`` processes: a host the predicate
    calls foreign (not one of this process's own sites' hosts, so other processes may reach it
    too) gets a ``share``-th of the limits (``max(1, connections // share)``, ``rate / share``),
    and all the processes together stay within the per-host limits.
    """

    def __init__(
        self,
        connections_per_host: int = 2,
        requests_per_second: float = 4.0,
        *,
        clock: Clock | None = None,
        foreign: Callable[[str], bool] | None = None,
        share: int = 1,
    ):
        if connections_per_host < 1 or requests_per_second <= 0 or share < 1:
            raise ValueError("per-host connections must be ≥ 1, the rate > 0 and the share ≥ 1")
        self.clock: Clock = clock or RealClock()  # holds are real time unless a test simulates
        self.connections = connections_per_host
        self.rate = requests_per_second
        self.foreign = foreign
        self.share = share
        self._hosts: dict[str, _HostState] = {}

    def limits(self, host: str) -> tuple[int, float]:
        """The (connections, rate) this limiter allows the host (a share of them if foreign)."""
        if self.share == 1 or self.foreign is None or not self.foreign(host):
            return self.connections, self.rate
        rate = self.rate if self.rate >= UNLIMITED_RATE else self.rate / self.share
        return max(1, self.connections // self.share), rate

    def _state(self, host: str) -> _HostState:
        state = self._hosts.get(host)
        if state is None:
            state = self._hosts[host] = _HostState(*self.limits(host))
        return state

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[int]:
        """Hold one of the host's slots; yields its number (0 … connections − 1), which the
        client uses to keep each slot on its own connection."""
        state = self._state(host.lower())
        async with state.semaphore:
            number = state.free.pop()
            try:
                delay = state.not_before - self.clock.monotonic()
                if delay > 0:
                    await self.clock.sleep(delay)
                if state.throttler is not None:
                    await state.throttler.acquire()
                yield number
            finally:
                state.free.append(number)

    def back_off(self, host: str, seconds: float) -> None:
        """Hold the host for ``seconds`` from now; a shorter hold never shortens a longer one."""
        state = self._state(host.lower())
        state.not_before = max(state.not_before, self.clock.monotonic() + seconds)

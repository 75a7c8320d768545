"""Politeness per host: a cap on open connections, a request rate, and back-off that only
ever slows a host down (429/503 with Retry-After), never speeds it up."""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
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


class Held:
    """A slot `HostLimiter.take` handed out: its number, and what `HostLimiter.give` frees."""

    __slots__ = ("fd", "number", "state")

    def __init__(self, state: _HostState, number: int, fd: int):
        self.state, self.number, self.fd = state, number, fd


class _FileSlots:
    """A host's connections counted over every process of a split run: one lock file per
    connection in a folder the processes share, held with flock — the kernel frees a dead
    holder's, so a killed process never keeps a slot."""

    def __init__(self, folder: Path, host: str, count: int, clock: Clock):
        digest = hashlib.sha256(host.encode()).hexdigest()[:24]
        self.paths = [folder / f"{digest}.{i}" for i in range(count)]
        self.clock = clock

    async def take(self) -> int:
        """An open descriptor holding one of the slots (waits, polling, while all are held)."""
        while True:
            for path in self.paths:
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    os.close(fd)
                    continue
                return fd
            await self.clock.sleep(0.01)

    @staticmethod
    def give(fd: int) -> None:
        os.close(fd)  # closing the descriptor releases its lock


class HostLimiter:
    """Hands out request slots per host; shared by every task that talks to that host.

    ``foreign`` and ``share`` serve a scan split over ``share`` processes: a host the predicate
    calls foreign (not one of this process's own sites' hosts, so other processes may reach it
    too) gets a ``share``-th of the limits (``max(1, connections // share)``, ``rate / share``),
    and all the processes together stay within the per-host limits. When ``share`` exceeds
    the connections (2 connections a host, 4 processes), 1 each would be too many together:
    given ``slots_dir``, a folder all the processes share, such a host's connections are then
    counted over all of them through lock files (`_FileSlots`).
    """

    def __init__(
        self,
        connections_per_host: int = 2,
        requests_per_second: float = 4.0,
        *,
        clock: Clock | None = None,
        foreign: Callable[[str], bool] | None = None,
        share: int = 1,
        slots_dir: Path | None = None,
    ):
        if connections_per_host < 1 or requests_per_second <= 0 or share < 1:
            raise ValueError("per-host connections must be ≥ 1, the rate > 0 and the share ≥ 1")
        self.clock: Clock = clock or RealClock()  # holds are real time unless a test simulates
        self.connections = connections_per_host
        self.rate = requests_per_second
        self.foreign = foreign
        self.share = share
        self.slots_dir = slots_dir
        self._hosts: dict[str, _HostState] = {}
        self._file_slots: dict[str, _FileSlots | None] = {}

    def limits(self, host: str) -> tuple[int, float]:
        """The (connections, rate) this limiter allows the host (a share of them if foreign)."""
        if self.share == 1 or self.foreign is None or not self.foreign(host):
            return self.connections, self.rate
        rate = self.rate if self.rate >= UNLIMITED_RATE else self.rate / self.share
        return max(1, self.connections // self.share), rate

    def _shared(self, host: str) -> _FileSlots | None:
        """The run-wide slots of a foreign host whose 1/share of the connections is under 1."""
        if host not in self._file_slots:
            folder, foreign, slots = self.slots_dir, self.foreign, None
            over = self.share > self.connections
            if folder is not None and foreign is not None and over and foreign(host):
                slots = _FileSlots(folder, host, self.connections, self.clock)
            self._file_slots[host] = slots
        return self._file_slots[host]

    def _state(self, host: str) -> _HostState:
        state = self._hosts.get(host)
        if state is None:
            state = self._hosts[host] = _HostState(*self.limits(host))
        return state

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[int]:
        """Hold one of the host's slots; yields its number (0 … connections − 1), which the
        client uses to keep each slot on its own connection."""
        held = await self.take(host)
        try:
            yield held.number
        finally:
            self.give(held)

    async def take(self, host: str) -> Held:
        """`slot` without the context manager (the crawl's hot path): a slot held until
        `give` — which the caller must call, whatever happens."""
        host = host.lower()
        state = self._hosts.get(host)
        if state is None:
            state = self._state(host)
        shared = self._file_slots[host] if host in self._file_slots else self._shared(host)
        semaphore = state.semaphore
        await semaphore.acquire()
        number = state.free.pop()
        fd = -1
        try:
            if shared is not None:
                fd = await shared.take()
            delay = state.not_before - self.clock.monotonic()
            if delay > 0:
                await self.clock.sleep(delay)
            if state.throttler is not None:
                await state.throttler.acquire()
        except BaseException:
            if fd >= 0:
                _FileSlots.give(fd)
            state.free.append(number)
            semaphore.release()
            raise
        return Held(state, number, fd)

    @staticmethod
    def give(held: Held) -> None:
        """Hand back a slot from `take`."""
        if held.fd >= 0:
            _FileSlots.give(held.fd)
        held.state.free.append(held.number)
        held.state.semaphore.release()

    def back_off(self, host: str, seconds: float) -> None:
        """Hold the host for ``seconds`` from now; a shorter hold never shortens a longer one."""
        state = self._state(host.lower())
        state.not_before = max(state.not_before, self.clock.monotonic() + seconds)

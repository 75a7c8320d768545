"""Politeness across machines: per-host connection and rate limits shared by every worker
through Redis (the broker's server), so N workers visiting one host — a site's own, or an
external host many sites link to (www.gov.cn) — still make at most ``per_host_connections``
requests at once and ``per_host_rate`` a second to it, all workers together.

Each request takes, in one Lua script run atomically by Redis on Redis's own clock (so the
machines' clocks never matter):

- a connection token: a member of the sorted set ``census:host:<host>:conn`` whose score is
  its expiry (a token of a worker killed mid-request frees itself after ``hold_seconds``);
- its turn at the host's rate: starts spaced ``1/rate`` seconds apart (so never more than
  ``rate`` in any one second; the in-process limiter allows the same count but in bursts),
  later still while the host asked us to back off (429/503 with
  Retry-After, ``census:host:<host>:hold``).

When Redis cannot be reached the limiter waits and tries again (with a growing pause, logged):
a broker outage delays requests, it never lets them through unlimited, never raises into the
crawl and so never turns into a failure of the site.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import redis
import redis.asyncio

from scanner.clock import Clock
from scanner.http.limits import HostLimiter

log = logging.getLogger(__name__)

PREFIX = "census:host:"
POLL = 0.02  # seconds between looks at a host whose connections are all taken
OUTAGE_PAUSES = (0.5, 1.0, 2.0, 5.0)  # seconds between tries while Redis is unreachable

# KEYS: conn set, next start, hold. ARGV: connections, interval, token ttl, token.
# Returns {1, wait} (token taken; start after ``wait`` seconds) or {0, 0} (no connection free).
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  return {0, '0'}
end
local interval = tonumber(ARGV[2])
local nxt = tonumber(redis.call('GET', KEYS[2]) or '0')
local hold = tonumber(redis.call('GET', KEYS[3]) or '0')
local start = math.max(now, nxt, hold)
local ttl = tonumber(ARGV[3])
redis.call('SET', KEYS[2], string.format('%.6f', start + interval), 'EX',
  math.ceil(start + interval - now + 60))
redis.call('ZADD', KEYS[1], start + ttl, ARGV[4])
redis.call('EXPIRE', KEYS[1], math.ceil(start - now + ttl + 60))
return {1, string.format('%.6f', start - now)}
"""

# KEYS: hold. ARGV: seconds. Extends the hold to now + seconds (never shortens it).
_HOLD = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local until_ = now + tonumber(ARGV[1])
local hold = tonumber(redis.call('GET', KEYS[1]) or '0')
if until_ > hold then
  redis.call('SET', KEYS[1], string.format('%.6f', until_), 'EX', math.ceil(ARGV[1] + 60))
end
return 1
"""


class SharedHostLimiter(HostLimiter):
    """`HostLimiter` whose limits hold across processes and machines (see the module doc).

    The process's own per-host semaphore still numbers the slots (the client keeps each slot on
    its own connection pool) and keeps a process from queueing more Redis calls for a host
    than it could use; the limits themselves are Redis's.
    """

    def __init__(
        self,
        url: str,
        connections_per_host: int = 2,
        requests_per_second: float = 4.0,
        *,
        hold_seconds: float = 120.0,
        prefix: str = PREFIX,
        clock: Clock | None = None,
    ):
        super().__init__(connections_per_host, requests_per_second, clock=clock)
        self.redis = redis.asyncio.Redis.from_url(
            url, socket_timeout=5.0, socket_connect_timeout=5.0
        )
        self.hold_seconds = hold_seconds
        self.prefix = prefix
        self.interval = 1.0 / requests_per_second
        self._take = self.redis.register_script(_TAKE)
        self._hold = self.redis.register_script(_HOLD)
        self.outages = 0  # Redis calls that failed (each was waited out, none let through)
        self._pending: set[asyncio.Task[None]] = set()  # back-offs on their way to Redis

    def _keys(self, host: str) -> list[str]:
        base = self.prefix + host
        return [base + ":conn", base + ":rate", base + ":hold"]

    async def _outage(self, tries: int, exc: BaseException) -> None:
        self.outages += 1
        pause = OUTAGE_PAUSES[min(tries, len(OUTAGE_PAUSES) - 1)]
        if tries == 0:
            log.warning("per-host limiter: Redis unreachable (%s), waiting", exc)
        await self.clock.sleep(pause)

    async def _acquire(self, host: str) -> str:
        """Wait for a connection token and the request's turn; the token."""
        token = secrets.token_hex(8)
        keys = self._keys(host)
        args: list[str | int | float] = [self.connections, self.interval, self.hold_seconds, token]
        tries = 0
        while True:
            try:
                taken, wait = await self._take(keys=keys, args=args)
            except (redis.RedisError, OSError) as exc:
                await self._outage(tries, exc)
                tries += 1
                continue
            tries = 0
            if int(taken):
                delay = float(wait)
                if delay > 0:
                    await self.clock.sleep(delay)
                return token
            await self.clock.sleep(POLL)

    async def _release(self, host: str, token: str) -> None:
        # Best effort: a token not removed expires after hold_seconds.
        with contextlib.suppress(redis.RedisError, OSError):
            await self.redis.zrem(self._keys(host)[0], token)

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[int]:
        host = host.lower()
        state = self._state(host)
        async with state.semaphore:
            number = state.free.pop()
            token: str | None = None
            try:
                delay = state.not_before - self.clock.monotonic()  # this process's own hold
                if delay > 0:
                    await self.clock.sleep(delay)
                token = await self._acquire(host)
                yield number
            finally:
                if token is not None:
                    await asyncio.shield(self._release(host, token))
                state.free.append(number)

    def back_off(self, host: str, seconds: float) -> None:
        """Hold the host for every worker (and this process at once, whatever Redis does)."""
        super().back_off(host, seconds)
        task = asyncio.get_running_loop().create_task(self._back_off(host, seconds))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _back_off(self, host: str, seconds: float) -> None:
        with contextlib.suppress(redis.RedisError, OSError):
            await self._hold(keys=[self._keys(host.lower())[2]], args=[seconds])

    async def aclose(self) -> None:
        await self.redis.aclose()

"""The shared per-host limiter when Redis cannot be reached: requests wait (never raise into the
crawl, never pass unlimited) and go on once Redis answers again."""

from __future__ import annotations

import asyncio
import threading

import pytest

from scanner.workers.limiter import SharedHostLimiter
from tests.redisserver import RedisServer, find_redis_server


def test_requests_wait_out_a_redis_outage_and_go_on_after_it() -> None:
    binary = find_redis_server()
    if binary is None:
        pytest.skip("redis-server not installed (scripts/test installs it)")
    server = RedisServer(binary)  # its port chosen, nothing listening there yet
    up = threading.Event()

    def start_later() -> None:
        up.wait(1.0)  # Redis "comes back" after a second of outage
        server.start()
        up.set()

    limiter = SharedHostLimiter(f"redis://127.0.0.1:{server.port}/0", 1, 50.0)
    starter = threading.Thread(target=start_later)

    async def request() -> tuple[bool, int]:
        starter.start()
        async with limiter.slot("www.gov.cn") as number:
            granted = up.is_set(), number
        await limiter.aclose()
        return granted

    try:
        redis_was_up, number = asyncio.run(request())
        starter.join()
        # The slot was granted only once Redis answered, after failed tries that were waited
        # out; nothing was raised to the caller.
        assert redis_was_up and number == 0
        assert limiter.outages >= 1

        # Back to normal: the host's one connection is really shared through Redis (two
        # limiters: two workers).
        async def two_at_once() -> int:
            one = SharedHostLimiter(f"redis://127.0.0.1:{server.port}/0", 1, 50.0)
            other = SharedHostLimiter(f"redis://127.0.0.1:{server.port}/0", 1, 50.0)
            held = asyncio.Event()
            release = asyncio.Event()
            order: list[str] = []

            async def first() -> None:
                async with one.slot("www.gov.cn"):
                    order.append("first in")
                    held.set()
                    await release.wait()
                    order.append("first out")

            async def second() -> None:
                await held.wait()
                async with other.slot("www.gov.cn"):
                    order.append("second in")

            task_a = asyncio.create_task(first())
            task_b = asyncio.create_task(second())
            await held.wait()
            await asyncio.sleep(0.3)  # the second limiter polls meanwhile: it must not get in
            release.set()
            await asyncio.gather(task_a, task_b)
            await other.aclose()
            await one.aclose()
            assert order == ["first in", "first out", "second in"]
            return len(order)

        assert asyncio.run(two_at_once()) == 3
    finally:
        server.stop()

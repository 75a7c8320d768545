"""Politeness across workers: two real worker processes (`census worker --concurrency 2`, as an
office starts them) crawling sites that all link to the same two external hosts keep, together,
to one host's connection and rate limits — counted by the server itself (requests in flight per
Host, and their start times)."""

from __future__ import annotations

import asyncio
import itertools
import json
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import psutil
import pytest
from aiohttp import web
from sqlalchemy import select

from scanner.db import Database
from scanner.db.models import Lease, NightlyRun, Organisation, OrgLevel, Site, SiteType
from scanner.monitor.nightly import get_run
from tests.workers.processes import CENSUS, start_worker

NIGHT = date(2026, 3, 1)

SUFFIX = "count.example.gov.cn"
SLOW = f"slow.{SUFFIX}"  # answers after a pause: its connection limit binds
FAST = f"fast.{SUFFIX}"  # answers at once: its rate limit binds
SITES, PAGES = 6, 12
CONNECTIONS, RATE = 2, 10.0


class CountingServer:
    """Every host of the test on one port; counts requests in flight per host (the peak) and
    records when each request arrived."""

    def __init__(self) -> None:
        self.in_flight: dict[str, int] = {}
        self.peak: dict[str, int] = {}
        self.arrivals: dict[str, list[float]] = {}
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.ServerRunner | None = None

    async def _handle(self, request: web.BaseRequest) -> web.Response:
        host = request.host.split(":")[0].lower()
        self.arrivals.setdefault(host, []).append(time.monotonic())
        self.in_flight[host] = self.in_flight.get(host, 0) + 1
        self.peak[host] = max(self.peak.get(host, 0), self.in_flight[host])
        try:
            await asyncio.sleep(0.15 if host == SLOW else 0.005)
            return self._page(host, request.path)
        finally:
            self.in_flight[host] -= 1

    @staticmethod
    def _page(host: str, path: str) -> web.Response:
        if host in (SLOW, FAST):
            return web.Response(text="<html><body>文件</body></html>", content_type="text/html")
        if path == "/robots.txt" or not (path == "/" or path.startswith("/p")):
            return web.Response(status=404, text="not found")
        site = host.split(".")[0]
        index = 0 if path == "/" else int(path[2:].split(".")[0])
        links = [f'<a href="/p{i}.html">第{i}页</a>' for i in range(1, PAGES)]
        links += [
            f'<a href="http://{SLOW}/{site}/{index}.html">慢</a>',
            f'<a href="http://{FAST}/{site}/{index}.html">快</a>',
        ]
        body = f"<html><head><title>{site}</title></head><body>{''.join(links)}</body></html>"
        return web.Response(text=body, content_type="text/html")

    def __enter__(self) -> CountingServer:
        self._thread.start()

        async def start() -> int:
            self._runner = web.ServerRunner(web.Server(self._handle))
            await self._runner.setup()
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            await site.start()
            server = site._server
            assert server is not None
            return int(server.sockets[0].getsockname()[1])  # type: ignore[attr-defined]

        self.port = asyncio.run_coroutine_threadsafe(start(), self._loop).result(timeout=30)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()


@pytest.fixture
def server() -> Iterator[CountingServer]:
    with CountingServer() as s:
        yield s


def _register(db: Database) -> None:
    now = datetime.now(UTC)
    with db.session() as s:
        org = Organisation(code="410000", name="模拟省", level=OrgLevel.PROVINCE)
        s.add(org)
        s.flush()
        for i in range(SITES):
            host = f"s{i}.{SUFFIX}"
            s.add(
                Site(
                    code=f"41{i:08d}",
                    name=host,
                    url=f"http://{host}/",
                    type=SiteType.DEPARTMENT,
                    organisation_id=org.id,
                    created_at=now,
                    updated_at=now,
                )
            )


def _most_in_one_window(times: list[float], window: float) -> int:
    times = sorted(times)
    most, first = 0, 0
    for last, t in enumerate(times):
        while t - times[first] >= window:
            first += 1
        most = max(most, last - first + 1)
    return most


def test_two_workers_keep_one_hosts_limits_together(
    server: CountingServer, tmp_path: Path, postgres_url: str, redis_url: str
) -> None:
    db = Database(postgres_url)
    db.upgrade()
    _register(db)
    env = {
        "PATH": "/usr/bin:/bin",
        "CENSUS_CONFIG": str(tmp_path / "no-such-census.toml"),
        "CENSUS_DATABASE_URL": postgres_url,
        "CENSUS_BROKER_URL": redis_url,
        "CENSUS_HOST_MAP": f"*.{SUFFIX}=127.0.0.1:{server.port}",
        "CENSUS_PER_HOST_CONNECTIONS": str(CONNECTIONS),
        "CENSUS_PER_HOST_RATE": str(RATE),
        "CENSUS_NIGHTLY_STEPS": "crawl",
        "CENSUS_NIGHTLY_WINDOW": "0",
        "CENSUS_NIGHTLY_SITES_AT_ONCE": "3",
        "CENSUS_LINK_RECHECK_DELAY": "0.2",
        "CENSUS_LINK_RECHECK_WAIT": "3",
    }
    workers = start_worker(  # two processes under one `census worker`
        env, tmp_path / "workers.log", "--concurrency", "2", "--loglevel", "INFO"
    )
    try:
        queued = subprocess.run(
            [*CENSUS, "monitor", "run-nightly", "--at", NIGHT.isoformat(), "--no-wait", "--json"],
            env=env,
            capture_output=True,
            timeout=300,
            check=True,
        )
        assert json.loads(queued.stdout)["units_enqueued"] == SITES
        with db.session() as s:
            run_id = s.scalar(select(NightlyRun.id))
        assert run_id is not None
        both_at_once = False  # both processes held site units at the same moment
        deadline = time.monotonic() + 300
        while get_run(db, run_id).status == "running":
            assert time.monotonic() < deadline, (tmp_path / "workers.log").read_text()[-3000:]
            with db.session() as s:
                holders = s.scalars(
                    select(Lease.holder).where(Lease.name.like("nightly-site:%"))
                ).all()
            both_at_once |= len({h.split(":")[1] for h in holders}) >= 2
            time.sleep(0.05)
        assert get_run(db, run_id).status == "done"
    finally:
        pool = psutil.Process(workers.pid).children()
        workers.terminate()
        assert workers.wait(timeout=120) == 0
        _gone, alive = psutil.wait_procs(pool, timeout=30)  # SIGTERM was passed on to both
        assert len(pool) == 2 and not alive
        db.dispose()

    assert both_at_once
    # Every site was crawled and every page's two external links were checked.
    for i in range(SITES):
        assert len(server.arrivals[f"s{i}.{SUFFIX}"]) >= PAGES
    assert len(server.arrivals[SLOW]) >= SITES * PAGES
    assert len(server.arrivals[FAST]) >= SITES * PAGES
    # The connection limit held for the two workers together, and was reached (it binds).
    assert server.peak[SLOW] == CONNECTIONS, server.peak
    assert all(n <= CONNECTIONS for n in server.peak.values()), server.peak
    # The rate held for both together: over the whole run no faster than RATE, and never more
    # than 2 × RATE in two seconds (requests leave a loaded machine up to ~0.1 s after their
    # turn: two of slack). Each worker on its own limits would allow twice as many.
    fast = sorted(server.arrivals[FAST])
    gaps = [round(b - a, 3) for a, b in itertools.pairwise(fast)]
    assert (len(fast) - 1) / (fast[-1] - fast[0]) <= RATE * 1.05, gaps
    assert _most_in_one_window(fast, 2.0) <= 2 * RATE + 2, gaps

"""One worker process's engine: an asyncio loop in a thread of its own on which every unit of
the process runs, with one scanner, client, browser and per-host limiter per night — the
in-process pass's arrangement — so that a worker holds ``CENSUS_NIGHTLY_SITES_AT_ONCE`` sites
in flight (Celery's thread pool takes that many units; each thread hands its unit to the loop
and waits).

Every unit stays a unit of one site: acknowledged late and redelivered alone when the worker
dies. Inside a process the same site never runs twice at once (a copy redelivered to the
process still running the first is told LeaseBusy and retried later): the database leases are
per process and would let the copy through.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Coroutine, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from scanner.crawl import Scanner
from scanner.crawl.progress import SiteRef
from scanner.db import Database
from scanner.db.models import NightlyRun
from scanner.errors import LeaseBusy
from scanner.http import HostLimiter, build_client
from scanner.monitor.units import SiteSteps, load_checker, timeouts_of
from scanner.settings import Settings
from scanner.snapshots import WantedSite, browser_for

if TYPE_CHECKING:
    from scanner.workers.render_budget import SharedRenderBudget

T = TypeVar("T")


@dataclass
class _Night:
    """The pieces one night's units share in this process."""

    run_id: int
    steps: SiteSteps
    scanner: Scanner
    client: httpx.AsyncClient
    browser: contextlib.AsyncExitStack  # the night's browser (started when a page needs it)
    users: int = 0


def make_limiter(settings: Settings) -> HostLimiter:
    """The per-host limiter of a worker: shared across workers through Redis when a broker is
    set, else this process's own."""
    if not settings.broker_url:
        return HostLimiter(settings.per_host_connections, settings.per_host_rate)
    from scanner.workers.limiter import SharedHostLimiter

    return SharedHostLimiter(
        settings.broker_url,
        settings.per_host_connections,
        settings.per_host_rate,
        hold_seconds=max(60.0, 2 * (settings.page_timeout + settings.connect_timeout)),
    )


def make_render_budget(settings: Settings, run_id: int) -> SharedRenderBudget | None:
    """The night's render budget on workers: shared by every process through Redis when a
    broker is set (else None: the browser's own budget, as in process)."""
    if not settings.broker_url:
        return None
    from scanner.workers.render_budget import SharedRenderBudget

    return SharedRenderBudget(
        page_seconds=settings.render_page_seconds,
        night_pages=settings.render_night_pages,
        night_seconds=settings.render_night_seconds,
        max_rss_mb=settings.render_max_rss_mb,
        url=settings.broker_url,
        run_id=run_id,
    )


class WorkerRuntime:
    """The loop, the nights' shared pieces and the sites in flight of one worker process."""

    def __init__(self, db: Database, settings: Settings):
        self.db = db
        self.settings = settings
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="census-units", daemon=True
        )
        self._thread.start()
        self._guard = threading.Lock()
        self._busy: set[tuple[int, int]] = set()
        self._nights: dict[int, _Night] = {}
        self._limiter: HostLimiter | None = None
        self._opening: asyncio.Lock | None = None

    # -- called from the pool's threads ---------------------------------------------------------
    def call(self, work: Coroutine[Any, Any, T]) -> T:
        """Run ``work`` on the process's loop; block this thread until it is done."""
        future: Future[T] = asyncio.run_coroutine_threadsafe(work, self.loop)
        return future.result()

    @contextlib.contextmanager
    def claim(self, run_id: int, site_id: int) -> Iterator[None]:
        """This process works on the site of the run; LeaseBusy if it already does."""
        key = (run_id, site_id)
        with self._guard:
            if key in self._busy:
                raise LeaseBusy(f"网站 {site_id} 的夜间运行正由本进程进行 (run {run_id})")
            self._busy.add(key)
        try:
            yield
        finally:
            with self._guard:
                self._busy.discard(key)

    def in_flight(self) -> int:
        with self._guard:
            return len(self._busy)

    def run_site(
        self, run: NightlyRun, todo: Sequence[str], ref: SiteRef, site: WantedSite | None
    ) -> None:
        """`units.SiteRunner`: the site's steps on this process's loop and shared pieces."""
        self.call(self._site(run, todo, ref, site))

    def run_recheck(self, run: NightlyRun) -> None:
        """`units.SiteRunner`: the night's re-check of earlier broken links, likewise."""
        self.call(self._recheck(run))

    def close(self) -> None:
        """Close the nights' clients and stop the loop (the worker is shutting down)."""
        with contextlib.suppress(Exception):
            self.call(self._close_all())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)

    # -- on the loop ----------------------------------------------------------------------------
    def limiter(self) -> HostLimiter:
        if self._limiter is None:
            self._limiter = make_limiter(self.settings)
        return self._limiter

    async def _night(self, run: NightlyRun) -> _Night:
        if self._opening is None:
            self._opening = asyncio.Lock()
        async with self._opening:
            night = self._nights.get(run.id)
            if night is None:
                from scanner.monitor.nightly import shifted_clock

                clock = shifted_clock(run.night, self.settings)
                scanner = Scanner(self.db, self.settings, clock=clock)
                scanner.limiter = self.limiter()  # before entering: its link checker takes it
                await scanner.__aenter__()
                steps = [x for x in run.steps.split(",") if x]
                unit = SiteSteps(
                    self.db,
                    self.settings,
                    run.id,
                    run.night,
                    timeouts_of(self.settings),
                    clock,
                    checker=load_checker(steps),
                )
                browser = contextlib.AsyncExitStack()
                budget = make_render_budget(self.settings, run.id)
                if budget is not None:
                    browser.callback(budget.close)
                unit.render = await browser.enter_async_context(browser_for(self.settings, budget))
                night = _Night(run.id, unit, scanner, build_client(self.settings), browser)
                self._nights[run.id] = night
            night.users += 1
            return night

    async def _done_with(self, night: _Night) -> None:
        """One unit fewer on the night; nights of other runs with no unit left are closed."""
        night.users -= 1
        for other in [n for n in self._nights.values() if n.users == 0 and n is not night]:
            del self._nights[other.run_id]
            await self._close(other)

    async def _site(
        self, run: NightlyRun, todo: Sequence[str], ref: SiteRef, site: WantedSite | None
    ) -> None:
        night = await self._night(run)
        try:
            await night.steps.run(todo, ref, site, night.scanner, night.client, self.limiter())
        finally:
            await self._done_with(night)

    async def _recheck(self, run: NightlyRun) -> None:
        night = await self._night(run)
        try:
            await night.steps.recheck(night.scanner)
        finally:
            await self._done_with(night)

    @staticmethod
    async def _close(night: _Night) -> None:
        with contextlib.suppress(Exception):
            await night.browser.aclose()
        with contextlib.suppress(Exception):
            await night.client.aclose()
        with contextlib.suppress(Exception):
            await night.scanner.__aexit__(None, None, None)

    async def _close_all(self) -> None:
        for night in list(self._nights.values()):
            await self._close(night)
        self._nights.clear()
        close = getattr(self._limiter, "aclose", None)
        if close is not None:
            with contextlib.suppress(Exception):
                await close()

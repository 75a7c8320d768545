"""A small pool of headless Chromium pages for lists that only a browser can see.

Used only when a static read finds no entries on a page that looks script-built (or a column
is set to render), so its cost stays rare. Three limits keep it so:

- **per page**: a page gets ``page_seconds`` to load and settle, then its DOM is taken as it
  stands. It has settled when no request of its own has been in flight, and no list-like node
  (a link, ``li``, ``tr``) has been added, for `QUIET_SECONDS`; nodes added without a network
  request (a ticker, a carousel) hold a page at most `SETTLE_SECONDS` after its ``load``;
- **per night**: at most ``night_pages`` pages and ``night_seconds`` of rendering; past either,
  `render` raises `RenderBudgetSpent` and the caller keeps its static reading;
- **memory**: after each page the browser's processes are measured; above ``max_rss_mb`` less
  `PAGE_HEADROOM_MB` for each slot (room for the peak of the pages rendering next) the
  page's lane (below) is closed first, and a browser still above it is retired: the old one is
  closed when the last page still rendering in it ends (never under another slot's page), and
  the next page starts a fresh one only then, so two browsers never live at once.
  ``concurrency`` pages render at once (`DEFAULT_SLOTS`: one, which keeps the peak under a
  400 MB cap; two did not, see `DEFAULT_SLOTS`).

**Every request the browser makes goes through the project's HTTP client** (a Playwright route
on the whole context fulfils each request with the client's answer), so the browser obeys the
same host map and address policy as every other request: with an exclusive host map (tests, the
farm, the demo) a host outside the map is refused before any socket opens. Chromium itself is
started with every host name resolving to nothing and a dead proxy for non-loopback addresses,
so a request that escaped the route (a WebSocket, say) could not leave the machine either.
Images, media, fonts and stylesheets are not fetched at all (`SKIPPED_TYPES`): a list is read
from the DOM, which they do not change, and each would cost the site a request. Chromium's
address-bar popup, a WebUI it preloads in a renderer of its own, is switched off
(`DISABLED_FEATURES`).

**Speed** (docs/dates-and-lists.md): the browser starts once per renderer (`start`, timed apart
as ``launch_ms``) and each slot keeps one context and page (a *lane*) across renders; between
renders the lane goes to ``about:blank`` and its cookies and every origin's storage it touched
are cleared, so no render sees what an earlier one left. A lane that failed is closed, and one
is replaced after `LANE_PAGES` renders.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
import psutil

from scanner.clock import stopwatch
from scanner.errors import RenderBudgetSpent, RenderFailed

if TYPE_CHECKING:
    from playwright.async_api import (
        Browser,
        BrowserContext,
        CDPSession,
        Page,
        Playwright,
        Request,
        Route,
    )

    from scanner.settings import Settings

CHROMIUM = "/usr/bin/chromium"
# Playwright 1.65's own ``--disable-features`` list (chromiumSwitches.ts), repeated below because
# a switch given twice keeps its last value: ours must carry theirs (without "HttpsUpgrades" and
# the like the route misses navigations). tests/render/test_browser.py checks it against the
# installed driver, so an upgrade that changes Playwright's list fails there, not in a night.
PLAYWRIGHT_DISABLED_FEATURES = (
    "AvoidUnnecessaryBeforeUnloadCheckSync", "DestroyProfileOnBrowserClose", "HttpsUpgrades",
    "HttpsFirstBalancedModeAutoEnable", "LensOverlay", "MediaRouter", "PaintHolding",
    "ThirdPartyStoragePartitioning", "AvoidCorsURLLoaderRestartOnRedirect",
    "TcpPortRandomizationWin", "OptimizationHints", "NetworkTimeServiceQuerying", "AimEnabled",
    "PreconnectToSearch", "msForceBrowserSignIn", "msEdgeUpdateLaunchServicesPreferredVersion",
)  # fmt: skip
# Ours: Chromium 156 preloads the address bar's popup (chrome://omnibox-popup.top-chrome/ and its
# AI-mode page) as a WebUI in a renderer process of its own for every window, headless too, that
# no page read needs: that renderer is ≈ 85 MB PSS (≈ 50 MB of it private), and switching it off
# lowers the whole tree's PSS by ≈ 50 MB (an idle browser after `Renderer.start`: 355 → 307 MB;
# its share of the pages it mapped with the others is then counted in theirs).
DISABLED_FEATURES = ("WebUIOmniboxPopup", "WebUIOmniboxAimPopup")
CHROMIUM_ARGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-extensions", "--disable-dev-shm-usage", "--renderer-process-limit=2",
    # Defence in depth behind the route: no name resolves, non-loopback goes to a dead proxy.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost",
    "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
    # The network service inside the browser process: one process fewer, ≈ 25 MB. As for
    # --disable-features, this repeats the two features Playwright itself enables (1.65:
    # new-surface screenshots, no Google account probe).
    "--enable-features=NetworkServiceInProcess2,CDPScreenshotNewSurface,"
    "SkipListAccountsWithoutGaiaCookies",
    "--disable-features=" + ",".join(PLAYWRIGHT_DISABLED_FEATURES + DISABLED_FEATURES),
)  # fmt: skip
_INTERNAL_SCHEMES = frozenset({"data", "blob", "about"})
_HOP_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding", "connection"})
_MAX_RESOURCE_BYTES = 8 * 1024 * 1024
# Resource types never fetched: they do not change the DOM a list is read from.
SKIPPED_TYPES = frozenset({"image", "media", "font", "stylesheet"})
QUIET_SECONDS = 0.2  # settled: this long with no request in flight and no list-like node added
SETTLE_SECONDS = 1.0  # after load, DOM changes alone (no request pending) hold a page this long
LANE_PAGES = 50  # a lane's context and page are replaced after this many renders
# Pages rendering at once in one browser (``Renderer(concurrency=…)``, setting ``render_slots``).
# One: with two, two pages' renderers alive at once put the peak over a 400 MB cap whatever the
# memory at rest (400–416 MB on the corpus, however often the browser restarts), while one slot
# peaks at ≈ 365 MB. Two keeping one browser (a cap of 480 MB) read ≈ 1.6× the pages a second
# (docs/dates-and-lists.md, "Render memory with two slots").
DEFAULT_SLOTS = 1
# Kept free under ``max_rss_mb`` after a page, for each slot: a page grows the browser while it
# renders (its renderer, the next one started beside it) by ≈ 10–30 MB on the corpus, so a
# browser left at the cap at rest went past it during the next page (411 MB peak against a 400 MB
# cap); with N slots N pages may grow it at once (`RenderBudget.rest_mb`).
PAGE_HEADROOM_MB = 40.0
_POLL_SECONDS = 0.025
# Installed in every frame before the page's scripts: counts the page's fetch/XHR calls from the
# moment they are made (before the route sees them) and notes when list-like nodes are added.
_WATCH_JS = """(() => {
  if (window.__census) return;
  const s = window.__census = {pending: 0, last: performance.now()};
  const touch = () => { s.last = performance.now(); };
  const done = () => { s.pending -= 1; touch(); };
  const fetch0 = window.fetch;
  if (fetch0) window.fetch = function () {
    s.pending += 1; touch();
    let p;
    try { p = fetch0.apply(this, arguments); } catch (e) { done(); throw e; }
    p.then(done, done);
    return p;
  };
  const send0 = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.send = function () {
    s.pending += 1; touch();
    this.addEventListener('loadend', done);
    try { return send0.apply(this, arguments); } catch (e) { done(); throw e; }
  };
  const listy = (n) => n.nodeType === 1 &&
    (n.matches('a[href],li,tr,dd') || n.querySelector('a[href],li,tr') !== null);
  new MutationObserver((records) => {
    for (const r of records) for (const n of r.addedNodes) if (listy(n)) { touch(); return; }
  }).observe(document, {childList: true, subtree: true});
  s.quiet = (q, cap) => new Promise((resolve) => {
    const end = performance.now() + cap;
    const tick = () => {
      const now = performance.now();
      if ((s.pending <= 0 && now - s.last >= q) || now >= end) resolve(now - s.last);
      else setTimeout(tick, 25);
    };
    tick();
  });
})();"""
_QUIET_JS = "([q, cap]) => window.__census ? window.__census.quiet(q, cap) : q"


@dataclass(frozen=True, slots=True)
class RenderedPage:
    """A page's DOM after its scripts ran, and what it cost."""

    url: str
    final_url: str
    html: str
    ms: float
    rss_mb: float  # the browser's memory after the page, its lane emptied (`browser_rss_mb`)
    refused: tuple[str, ...]  # requests the address policy refused
    skipped: tuple[str, ...] = ()  # requests never made (`SKIPPED_TYPES`)


@dataclass(slots=True)
class RenderBudget:
    page_seconds: float = 8.0
    night_pages: int = 300
    night_seconds: float = 900.0
    max_rss_mb: float = 400.0
    headroom_mb: float = PAGE_HEADROOM_MB
    pages: int = 0
    seconds: float = 0.0

    def check(self) -> None:
        if self.pages >= self.night_pages or self.seconds >= self.night_seconds:
            raise RenderBudgetSpent(
                f"渲染预算已用完：{self.pages} 页 / {self.seconds:.0f} 秒"
                f"（上限 {self.night_pages} 页 / {self.night_seconds:.0f} 秒）"
            )

    def reserve(self) -> None:
        """Take one page of the budget before rendering it, so pages rendered at once cannot
        overrun it together (raises RenderBudgetSpent when none is left)."""
        self.check()
        self.pages += 1

    def spend(self, seconds: float) -> None:
        self.seconds += seconds

    def rest_mb(self, slots: int = 1) -> float:
        """Memory a browser may keep after a page (its lane emptied): the cap less the room
        each of ``slots`` pages rendering at once may take while it renders (`PAGE_HEADROOM_MB`
        each)."""
        return self.max_rss_mb - self.headroom_mb * slots


@dataclass(slots=True)
class _PageLog:
    """What one render's requests did; the route of its lane writes here."""

    refused: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    origins: set[str] = field(default_factory=set)  # whose storage to clear afterwards
    in_flight: int = 0
    last_activity: float = 0.0  # stopwatch() when a request last started or ended


@dataclass(slots=True)
class _Lane:
    """One context and page kept across renders (one render at a time)."""

    context: BrowserContext
    page: Page
    cdp: CDPSession
    log: _PageLog = field(default_factory=_PageLog)
    renders: int = 0


@dataclass(slots=True)
class _Generation:
    """One launched browser, the pages rendering in it now and its idle lanes."""

    browser: Browser
    pages: int = 0
    idle: list[_Lane] = field(default_factory=list)


def browser_rss_mb() -> float:
    """Memory of the Chromium processes this process started (MB): their proportional set
    size, so the libraries and shared memory they all map are counted once, not per process
    (resident size where the system does not tell PSS)."""
    total = 0
    with contextlib.suppress(psutil.Error):
        for child in psutil.Process(os.getpid()).children(recursive=True):
            with contextlib.suppress(psutil.Error):
                if "chrom" in child.name().lower():
                    info = child.memory_full_info()
                    total += getattr(info, "pss", info.rss)
    return total / (1024 * 1024)


class Renderer:
    """Renders pages in a shared headless Chromium; use as ``async with Renderer(client)``.

    ``client`` is the project's HTTP client (`scanner.http.build_client`, preferably with
    ``follow_redirects=False`` so the browser sees redirects as a browser would).
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        budget: RenderBudget | None = None,
        concurrency: int = DEFAULT_SLOTS,
        executable: str = CHROMIUM,
        owns_client: bool = False,
        skip_types: frozenset[str] = SKIPPED_TYPES,
    ) -> None:
        self.client = client
        self._owns_client = owns_client
        self.budget = budget or RenderBudget()
        self.executable = executable
        self.skip_types = skip_types
        self.lanes_opened = 0  # contexts made: reuse keeps this at one per slot and browser
        self.slots = concurrency
        self._slots = asyncio.Semaphore(concurrency)
        self._lock = asyncio.Lock()
        self._retired_closed = asyncio.Condition(self._lock)
        self._retiring = 0  # browsers retired but not closed yet (a page still renders in one)
        self._playwright: Playwright | None = None
        self._current: _Generation | None = None
        self._launched: list[_Generation] = []  # browsers not closed yet, retired ones included
        self.launch_ms: list[float] = []  # each browser start (with its first lane): not a page's

    async def __aenter__(self) -> Renderer:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        generations, self._launched, self._current = self._launched, [], None
        for generation in generations:
            with contextlib.suppress(Exception):
                await generation.browser.close()
        playwright, self._playwright = self._playwright, None
        if playwright is not None:
            with contextlib.suppress(Exception):
                await playwright.stop()
        if self._owns_client:
            await self.client.aclose()

    async def start(self) -> None:
        """Start the browser and one lane now, before any page needs them (a night that will
        render, a bench), so the first page does not pay for them; timed in ``launch_ms``."""
        async with self._slots:
            generation = await self._enter_browser()
            try:
                if not generation.idle:
                    started = stopwatch()
                    generation.idle.append(await self._new_lane(generation.browser))
                    self.launch_ms[-1] += (stopwatch() - started) * 1000
            finally:
                await self._leave_browser(generation, over_memory=False)

    async def _enter_browser(self) -> _Generation:
        """The current browser (launched if none is), with this page counted in it. A new
        browser is launched only once every retired one has closed, so two never live at once
        (the memory cap is for all the processes under this renderer)."""
        async with self._lock:
            current = self._current
            if current is None or not current.browser.is_connected():
                self._current = None  # a replaced browser is retired: it never comes back
                if current is not None and current.pages == 0:  # died idle: no page closes it
                    self._launched.remove(current)
                    with contextlib.suppress(Exception):
                        await current.browser.close()
                await self._retired_closed.wait_for(self._none_retired)
                current = self._current  # another slot may have launched one meanwhile
            if current is None or not current.browser.is_connected():
                started = stopwatch()
                if self._playwright is None:
                    from playwright.async_api import async_playwright

                    self._playwright = await async_playwright().start()
                try:
                    browser = await self._playwright.chromium.launch(
                        executable_path=self.executable, args=list(CHROMIUM_ARGS)
                    )
                except Exception as exc:
                    raise RenderFailed(f"无法启动浏览器 {self.executable}：{exc}") from exc
                self.launch_ms.append((stopwatch() - started) * 1000)
                current = self._current = _Generation(browser)
                self._launched.append(current)
            current.pages += 1
            return current

    def _none_retired(self) -> bool:
        """No browser but the current one is open or closing (called under ``_lock``)."""
        return self._retiring == 0 and all(g is self._current for g in self._launched)

    async def _leave_browser(self, generation: _Generation, *, over_memory: bool) -> None:
        """Count this page out; a browser past the memory cap is retired, and a retired one
        closes once no page renders in it."""
        async with self._lock:
            generation.pages -= 1
            if over_memory and self._current is generation:
                self._current = None
            closing = generation is not self._current and generation.pages == 0
            if closing:
                self._launched.remove(generation)
                self._retiring += 1
        if closing:
            try:
                with contextlib.suppress(Exception):
                    await generation.browser.close()
            finally:
                async with self._lock:
                    self._retiring -= 1
                    self._retired_closed.notify_all()

    async def _route(self, route: Route, request: Request, log: _PageLog) -> None:
        """Answer one browser request through the project's client, or refuse or skip it."""
        parts = urlsplit(request.url)
        scheme = parts.scheme.lower()
        if scheme in _INTERNAL_SCHEMES:
            await route.continue_()
            return
        if scheme not in ("http", "https"):
            log.refused.append(request.url)
            await route.abort("blockedbyclient")
            return
        if request.resource_type in self.skip_types:
            log.skipped.append(request.url)
            await route.abort("blockedbyclient")
            return
        log.origins.add(f"{scheme}://{parts.netloc}")
        log.in_flight += 1
        log.last_activity = stopwatch()
        try:
            await self._answer(route, request, log)
        finally:
            log.in_flight -= 1
            log.last_activity = stopwatch()

    async def _answer(self, route: Route, request: Request, log: _PageLog) -> None:
        headers = {k: v for k, v in request.headers.items() if not k.startswith(":")}
        for name in ("host", "user-agent"):  # the client's own User-Agent, as for every request
            headers.pop(name, None)
        try:
            response = await self.client.request(
                request.method, request.url, headers=headers, content=request.post_data_buffer
            )
        except httpx.HTTPError:
            log.refused.append(request.url)
            await route.abort("addressunreachable")
            return
        body = response.content[:_MAX_RESOURCE_BYTES]
        kept = {k: v for k, v in response.headers.items() if k.lower() not in _HOP_HEADERS}
        await route.fulfill(status=response.status_code, headers=kept, body=body)

    async def render(self, url: str) -> RenderedPage:
        """Load ``url``, let its scripts run within the page budget, return the DOM."""
        self.budget.reserve()
        async with self._slots:
            generation = await self._enter_browser()
            try:
                page = await self._render_in(generation, url)
            except BaseException:
                await self._leave_browser(generation, over_memory=False)
                raise
            await self._leave_browser(
                generation, over_memory=page.rss_mb > self.budget.rest_mb(self.slots)
            )
            return page

    async def _new_lane(self, browser: Browser) -> _Lane:
        context = await browser.new_context(java_script_enabled=True, service_workers="block")
        self.lanes_opened += 1
        try:
            await context.add_init_script(_WATCH_JS)
            page = await context.new_page()
            lane = _Lane(context, page, await context.new_cdp_session(page))

            async def handler(route: Route, request: Request) -> None:
                await self._route(route, request, lane.log)  # the render under way now

            await context.route("**/*", handler)
        except BaseException:
            with contextlib.suppress(Exception):
                await context.close()
            raise
        return lane

    async def _render_in(self, generation: _Generation, url: str) -> RenderedPage:
        started = stopwatch()
        deadline = started + self.budget.page_seconds
        lane = generation.idle.pop() if generation.idle else None
        kept = False
        try:
            if lane is None:
                try:
                    lane = await self._new_lane(generation.browser)
                except Exception as exc:  # Chromium died between its start and this page
                    raise RenderFailed(f"页面渲染失败：{type(exc).__name__}") from exc
            log = lane.log = _PageLog()
            lane.renders += 1
            try:
                await lane.page.goto(url, wait_until="load", timeout=self._ms_left(deadline))
                await self._settle(lane.page, log, deadline)
                html = await lane.page.content()
                final_url = lane.page.url
            except Exception as exc:  # a page that did not load, or Chromium died under it
                detail = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
                raise RenderFailed(f"页面渲染失败：{detail}") from exc
            kept = lane.renders < LANE_PAGES and await self._reset(lane)
            # Memory at rest, the page emptied, against the cap less the next page's headroom
            # (`RenderBudget.rest_mb`), so the peak while a page renders stays under the cap
            # (bench/bench_realpages.py --render samples it). Over it, the lane goes first (its
            # renderer holds what its pages left); a new lane costs far less than a new
            # browser, which `render` starts only if still over.
            rss = browser_rss_mb()
            if kept and rss > self.budget.rest_mb(self.slots):
                kept = False
                with contextlib.suppress(Exception):
                    await lane.context.close()
                rss = browser_rss_mb()
        finally:
            if lane is not None:
                if kept:
                    generation.idle.append(lane)
                else:
                    with contextlib.suppress(Exception):
                        await lane.context.close()
            elapsed = stopwatch() - started
            self.budget.spend(elapsed)  # a page that failed took its time too
        return RenderedPage(
            url, final_url, html, elapsed * 1000, rss, tuple(log.refused), tuple(log.skipped)
        )

    @staticmethod
    def _ms_left(deadline: float) -> float:
        return max((deadline - stopwatch()) * 1000, 1.0)

    async def _settle(self, page: Page, log: _PageLog, deadline: float) -> None:
        """Wait until the page has settled (module docstring), within ``deadline``: no request
        through the route for `QUIET_SECONDS`, then none started by the page's scripts and no
        list-like node added for as long (the latter at most `SETTLE_SECONDS` after load)."""
        loaded = stopwatch()
        log.last_activity = max(log.last_activity, loaded)
        dom_end = loaded + SETTLE_SECONDS
        while (now := stopwatch()) < deadline:
            wait = QUIET_SECONDS - (now - log.last_activity)
            if log.in_flight > 0 or wait > 0:
                await asyncio.sleep(min(max(wait, _POLL_SECONDS), deadline - now))
                continue
            cap = max(min(dom_end, deadline) - now, 0.0) * 1000
            try:
                await page.evaluate(_QUIET_JS, [QUIET_SECONDS * 1000, cap])
            except Exception:  # the page navigated on (a script redirect): wait for the next
                with contextlib.suppress(Exception):
                    await page.wait_for_load_state("load", timeout=self._ms_left(deadline))
                log.last_activity = max(log.last_activity, stopwatch())
                continue
            if log.in_flight == 0 and stopwatch() - log.last_activity >= QUIET_SECONDS:
                return

    async def _reset(self, lane: _Lane) -> bool:
        """Empty the lane for the next render: no window the page opened, a blank page, no
        cookies, and no storage left in any origin this render touched. False: the lane is not
        fit to keep."""
        try:
            for other in lane.context.pages:  # windows the page opened
                if other is not lane.page:
                    await other.close()
            await lane.page.goto("about:blank", timeout=5000)
            await lane.context.clear_cookies()
            for origin in sorted(lane.log.origins):
                await lane.cdp.send(
                    "Storage.clearDataForOrigin", {"origin": origin, "storageTypes": "all"}
                )
        except Exception:
            return False
        return True


def renderer_for(settings: Settings, **kwargs: Any) -> Renderer:
    """A renderer whose requests go through a client built from ``settings`` (its host map),
    with the budget and browser the settings name unless given."""
    from scanner.http import build_client

    kwargs.setdefault(
        "budget",
        RenderBudget(
            page_seconds=settings.render_page_seconds,
            night_pages=settings.render_night_pages,
            night_seconds=settings.render_night_seconds,
            max_rss_mb=settings.render_max_rss_mb,
        ),
    )
    kwargs.setdefault("executable", settings.chromium_path)
    kwargs.setdefault("concurrency", settings.render_slots)
    return Renderer(build_client(settings, follow_redirects=False), owns_client=True, **kwargs)

"""A small pool of headless Chromium pages for lists that only a browser can see.

Used only when a static read finds no entries on a page that looks script-built (or a column
is set to render), so its cost stays rare. Three limits keep it so:

- **per page**: a page gets ``page_seconds`` to load and settle (network idle), then its DOM is
  taken as it stands;
- **per night**: at most ``night_pages`` pages and ``night_seconds`` of rendering; past either,
  `render` raises `RenderBudgetSpent` and the caller keeps its static reading;
- **memory**: after each page the browser's processes are measured; a browser above
  ``max_rss_mb`` is retired: the next page starts a fresh one, and the old one is closed when
  the last page still rendering in it ends (never under another slot's page).

**Every request the browser makes goes through the project's HTTP client** (a Playwright route
on the whole context fulfils each request with the client's answer), so the browser obeys the
same host map and address policy as every other request: with an exclusive host map (tests, the
farm, the demo) a host outside the map is refused before any socket opens. Chromium itself is
started with every host name resolving to nothing and a dead proxy for non-loopback addresses,
so a request that escaped the route (a WebSocket, say) could not leave the machine either.
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
    from playwright.async_api import Browser, Playwright, Request, Route

    from scanner.settings import Settings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-extensions", "--disable-dev-shm-usage", "--renderer-process-limit=2",
    # Defence in depth behind the route: no name resolves, non-loopback goes to a dead proxy.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost",
    "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
)  # fmt: skip
_INTERNAL_SCHEMES = frozenset({"data", "blob", "about"})
_HOP_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding", "connection"})
_MAX_RESOURCE_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class RenderedPage:
    """A page's DOM after its scripts ran, and what it cost."""

    url: str
    final_url: str
    html: str
    ms: float
    rss_mb: float  # the browser's resident memory after the page
    refused: tuple[str, ...]  # requests the address policy refused


@dataclass(slots=True)
class RenderBudget:
    page_seconds: float = 8.0
    night_pages: int = 300
    night_seconds: float = 900.0
    max_rss_mb: float = 400.0
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


@dataclass(slots=True)
class _Generation:
    """One launched browser and the pages rendering in it now."""

    browser: Browser
    pages: int = 0


@dataclass(slots=True)
class _PageLog:
    refused: list[str] = field(default_factory=list)


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
        concurrency: int = 2,
        executable: str = CHROMIUM,
        owns_client: bool = False,
    ) -> None:
        self.client = client
        self._owns_client = owns_client
        self.budget = budget or RenderBudget()
        self.executable = executable
        self._slots = asyncio.Semaphore(concurrency)
        self._lock = asyncio.Lock()
        self._playwright: Playwright | None = None
        self._current: _Generation | None = None
        self._launched: list[_Generation] = []  # browsers not closed yet, retired ones included

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

    async def _enter_browser(self) -> _Generation:
        """The current browser (launched if none is), with this page counted in it."""
        async with self._lock:
            current = self._current
            if current is None or not current.browser.is_connected():
                self._current = None  # a replaced browser is retired: it never comes back
                if self._playwright is None:
                    from playwright.async_api import async_playwright

                    self._playwright = await async_playwright().start()
                try:
                    browser = await self._playwright.chromium.launch(
                        executable_path=self.executable, args=list(CHROMIUM_ARGS)
                    )
                except Exception as exc:
                    raise RenderFailed(f"无法启动浏览器 {self.executable}：{exc}") from exc
                current = self._current = _Generation(browser)
                self._launched.append(current)
            current.pages += 1
            return current

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
        if closing:
            with contextlib.suppress(Exception):
                await generation.browser.close()

    async def _route(self, route: Route, request: Request, log: _PageLog) -> None:
        """Answer one browser request through the project's client, or refuse it."""
        scheme = urlsplit(request.url).scheme.lower()
        if scheme in _INTERNAL_SCHEMES:
            await route.continue_()
            return
        if scheme not in ("http", "https"):
            log.refused.append(request.url)
            await route.abort("blockedbyclient")
            return
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
                page = await self._render_in(generation.browser, url)
            except BaseException:
                await self._leave_browser(generation, over_memory=False)
                raise
            await self._leave_browser(generation, over_memory=page.rss_mb > self.budget.max_rss_mb)
            return page

    async def _render_in(self, browser: Browser, url: str) -> RenderedPage:
        started = stopwatch()
        log = _PageLog()
        try:
            context = await browser.new_context(java_script_enabled=True, service_workers="block")
        except Exception as exc:  # Chromium died between its start and this page
            raise RenderFailed(f"页面渲染失败：{type(exc).__name__}") from exc
        try:

            async def handler(route: Route, request: Request) -> None:
                await self._route(route, request, log)

            await context.route("**/*", handler)
            page = await context.new_page()
            timeout_ms = self.budget.page_seconds * 1000
            await page.goto(url, wait_until="load", timeout=timeout_ms)
            remaining = timeout_ms - (stopwatch() - started) * 1000
            with contextlib.suppress(Exception):  # a page that never settles is read as is
                await page.wait_for_load_state("networkidle", timeout=max(remaining, 1))
            html = await page.content()
            final_url = page.url
        except Exception as exc:  # a page that did not load, or Chromium died under it
            detail = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
            raise RenderFailed(f"页面渲染失败：{detail}") from exc
        finally:
            with contextlib.suppress(Exception):
                await context.close()
            elapsed = stopwatch() - started
            self.budget.spend(elapsed)  # a page that failed took its time too
        rss = browser_rss_mb()
        return RenderedPage(url, final_url, html, elapsed * 1000, rss, tuple(log.refused))


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
    return Renderer(build_client(settings, follow_redirects=False), owns_client=True, **kwargs)

# ruff: noqa: E501  (the test pages keep one statement a line)
"""The headless browser: it builds script-made lists, and it cannot reach past the host map.

A small aiohttp server on 127.0.0.1 plays a site whose list is filled by a script from a JSON
endpoint; the renderer reaches it only through the project's HTTP client and its exclusive host
map, like every other request in tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import psutil
import pytest
from aiohttp import web

from probes.page import summarize_page
from scanner.render import CHROMIUM, SKIPPED_TYPES, RenderBudget, RenderBudgetSpent, renderer_for
from scanner.render.browser import PLAYWRIGHT_DISABLED_FEATURES
from scanner.settings import Settings

HOST = "www.jsfarm.example.gov.cn"
ENTRIES = [
    ("关于做好2024年春季森林防火工作的通知", "/art/2024/2/27/art_5_901.html", "2024-02-27"),
    ("关于开展安全生产大检查的通知", "/art/2024/2/20/art_5_900.html", "2024-02-20"),
    ("关于春节期间值班安排的公告", "/art/2024/1/31/art_5_899.html", "2024-01-31"),
]
LIST_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>通知公告</title></head>
<body><div class="main"><h2>通知公告</h2><ul id="list" class="news-list"></ul></div>
<script>fetch('/api/list.json').then(function (r) { return r.json(); }).then(function (d) {
  document.getElementById('list').innerHTML = d.rows.map(function (e) {
    return '<li><a href="' + e.u + '">' + e.t + '</a><span>' + e.d + '</span></li>'; }).join('');
});</script></body></html>"""
ESCAPE_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>外部请求</title></head>
<body><div id="out"></div><img src="http://10.9.8.7/logo.png"><script src="http://10.9.8.7/count.js"></script>
<script>
function note(t) { document.getElementById('out').insertAdjacentHTML('beforeend', '<p>' + t + '</p>'); }
fetch('http://93.184.216.34/steal').then(function () { note('reached-ip'); }, function () { note('blocked-ip'); });
fetch('http://www.not-in-the-map.example.com/').then(function () { note('reached-host'); }, function () { note('blocked-host'); });
fetch('/api/list.json').then(function () { note('reached-own'); }, function () { note('blocked-own'); });
</script></body></html>"""

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no /usr/bin/chromium")


SLOW_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>慢页面</title></head>
<body><ul class="news-list"><li><a href="/art/1.html">一条</a><span>2024-02-01</span></li></ul>
<script src="/slow.js"></script></body></html>"""
SLOW: dict[str, asyncio.Event] = {}  # "started": the server saw the slow script's request;
# "release": the test lets that script answer. Made afresh by each test's site fixture.
# A script that fills the list only after two requests (the second named by the first's answer).
CHAINED_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>通知公告</title></head>
<body><ul id="list" class="news-list"></ul>
<script>fetch('/api/config.json').then(function (r) { return r.json(); }).then(function (c) {
  return fetch(c.list); }).then(function (r) { return r.json(); }).then(function (d) {
  document.getElementById('list').innerHTML = d.rows.map(function (e) {
    return '<li><a href="' + e.u + '">' + e.t + '</a><span>' + e.d + '</span></li>'; }).join('');
});</script></body></html>"""
# The same list asked for by a timer after the page's load event, from a slow endpoint.
LATE_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>通知公告</title></head>
<body><ul id="list" class="news-list"></ul>
<script>window.addEventListener('load', function () { setTimeout(function () {
  var x = new XMLHttpRequest(); x.open('GET', '/api/slow-list.json');
  x.onload = function () { var d = JSON.parse(x.responseText);
    document.getElementById('list').innerHTML = d.rows.map(function (e) {
      return '<li><a href="' + e.u + '">' + e.t + '</a><span>' + e.d + '</span></li>'; }).join(''); };
  x.send(); }, 50); });</script></body></html>"""
# What a page keeps in the browser: a cookie and local storage, shown before being set.
KEEPER_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>存储</title></head>
<body><p id="seen"></p><script>
document.getElementById('seen').textContent = 'cookie=[' + document.cookie + '] stored=[' + (localStorage.getItem('k') || '') + ']';
document.cookie = 'visited=1; path=/'; localStorage.setItem('k', 'v');
window.open('/col/col5/index.html');
</script></body></html>"""


@pytest.fixture
async def site() -> AsyncIterator[tuple[int, list[str]]]:
    seen: list[str] = []
    SLOW.update(started=asyncio.Event(), release=asyncio.Event())

    async def page(request: web.Request) -> web.Response:
        seen.append(request.path)
        if request.path == "/slow.js":
            SLOW["started"].set()
            await SLOW["release"].wait()
            return web.Response(text="", content_type="application/javascript")
        if request.path == "/slow.html":
            return web.Response(text=SLOW_PAGE, content_type="text/html", charset="utf-8")
        if request.path == "/api/config.json":
            return web.json_response({"list": "/api/list.json"})
        if request.path in ("/api/list.json", "/api/slow-list.json"):
            if request.path == "/api/slow-list.json":
                await asyncio.sleep(1.5)  # longer than the renderer's settle cap
            rows = [{"t": t, "u": u, "d": d} for t, u, d in ENTRIES]
            return web.Response(text=json.dumps({"rows": rows}), content_type="application/json")
        pages = {
            "/escape.html": ESCAPE_PAGE,
            "/chained.html": CHAINED_PAGE,
            "/late.html": LATE_PAGE,
            "/keeper.html": KEEPER_PAGE,
        }
        body = pages.get(request.path, LIST_PAGE)
        return web.Response(text=body, content_type="text/html", charset="utf-8")

    app = web.Application()
    app.router.add_get("/{tail:.*}", page)
    runner = web.AppRunner(app)
    await runner.setup()
    server = web.TCPSite(runner, "127.0.0.1", 0)
    await server.start()
    port = runner.addresses[0][1]
    yield port, seen
    await runner.cleanup()


def _settings(port: int) -> Settings:
    return Settings(host_map=f"{HOST}=127.0.0.1:{port}")


async def test_a_script_built_list_is_read_after_rendering(site: tuple[int, list[str]]) -> None:
    port, seen = site
    url = f"http://{HOST}/col/col5/index.html"
    static = summarize_page(LIST_PAGE, url, as_of=date(2024, 3, 1))
    assert static["items"] == []  # nothing to read without a browser
    async with renderer_for(_settings(port)) as renderer:
        page = await renderer.render(url)
    summary = summarize_page(page.html, url, final_url=page.final_url, as_of=date(2024, 3, 1))
    assert [(i["title"], i["url"], i["date"]) for i in summary["items"]] == [
        (t, f"http://{HOST}{u}", d) for t, u, d in ENTRIES
    ]
    assert summary["kind"] == "list"
    assert seen == ["/col/col5/index.html", "/api/list.json"]
    assert page.refused == ()
    assert page.rss_mb > 0  # the browser's memory is measured after every page


@pytest.mark.parametrize("fetch_images", [False, True])
async def test_the_browser_cannot_reach_past_the_host_map(
    site: tuple[int, list[str]], fetch_images: bool
) -> None:
    """Images are not fetched at all by default; asked for (``skip_types`` empty), the image
    goes through the client like every request and the address policy refuses it."""
    port, seen = site
    skip = frozenset() if fetch_images else SKIPPED_TYPES
    async with renderer_for(_settings(port), skip_types=skip) as renderer:
        page = await renderer.render(f"http://{HOST}/escape.html")
    image = "http://10.9.8.7/logo.png"
    assert set(page.refused) == {
        "http://10.9.8.7/count.js",
        "http://93.184.216.34/steal",
        "http://www.not-in-the-map.example.com/",
        *([image] if fetch_images else []),
    }
    assert page.skipped == (() if fetch_images else (image,))
    notes = re.findall(r"<p>([a-z-]+)</p>", page.html)  # what the page's own scripts saw
    assert sorted(notes) == ["blocked-host", "blocked-ip", "reached-own"]
    assert seen == ["/escape.html", "/api/list.json"]


def _items(html: str, url: str) -> list[tuple[str, str, str | None]]:
    summary = summarize_page(html, url, as_of=date(2024, 3, 1))
    return [(i["title"], i["url"], i["date"]) for i in summary["items"]]


@pytest.mark.parametrize("path", ["/chained.html", "/late.html"])
async def test_the_page_settles_after_its_scripts_requests(
    site: tuple[int, list[str]], path: str
) -> None:
    """The render waits for a list that needs two requests in a row, and for one asked for by a
    timer after the load event from an endpoint slower than the settle cap."""
    port, _ = site
    url = f"http://{HOST}{path}"
    async with renderer_for(_settings(port)) as renderer:
        page = await renderer.render(url)
    assert _items(page.html, url) == [(t, f"http://{HOST}{u}", d) for t, u, d in ENTRIES]


async def test_a_kept_page_shows_nothing_an_earlier_render_left(
    site: tuple[int, list[str]],
) -> None:
    """Renders share one context and page (the lane), emptied between renders: the second
    render of a page that sets a cookie and local storage sees neither, and the window the page
    opened is closed."""
    port, _ = site
    async with renderer_for(_settings(port)) as renderer:
        first = await renderer.render(f"http://{HOST}/keeper.html")
        second = await renderer.render(f"http://{HOST}/keeper.html")
        opened = renderer.lanes_opened
        (lane,) = [lane for browser in renderer._launched for lane in browser.idle]
        windows = [page.url for page in lane.context.pages]
    assert opened == 1  # the same lane rendered both
    assert windows == ["about:blank"]
    for page in (first, second):
        assert "cookie=[] stored=[]" in page.html


async def test_the_night_budget_stops_rendering(site: tuple[int, list[str]]) -> None:
    port, _ = site
    budget = RenderBudget(night_pages=1)
    async with renderer_for(_settings(port), budget=budget) as renderer:
        await renderer.render(f"http://{HOST}/col/col5/index.html")
        with pytest.raises(RenderBudgetSpent):
            await renderer.render(f"http://{HOST}/col/col5/index.html")
    assert budget.pages == 1


async def test_a_restart_past_the_memory_cap_waits_for_the_other_slots_page(
    site: tuple[int, list[str]],
) -> None:
    """A browser over the memory cap is closed only when no page renders in it: the slot that
    finished first must not close it under the page still loading in the other slot."""
    port, _ = site
    budget = RenderBudget(max_rss_mb=0.0)  # every page ends over the cap
    async with renderer_for(_settings(port), budget=budget, concurrency=2) as renderer:
        slow = asyncio.create_task(renderer.render(f"http://{HOST}/slow.html"))
        await asyncio.wait_for(SLOW["started"].wait(), 30)
        fast = await renderer.render(f"http://{HOST}/col/col5/index.html")
        SLOW["release"].set()
        slowed = await slow
        again = await renderer.render(f"http://{HOST}/col/col5/index.html")  # a fresh browser
    assert "一条" in slowed.html
    for page in (fast, again):
        assert 'href="/art/2024/2/27/art_5_901.html"' in page.html


def _browser_processes() -> int:
    """Chromium main processes under this test process (its children have a ``--type=``). A
    process whose command line reads empty is exiting (its memory already released): seen as
    a second "browser" in one run of many, parented by the old browser's zygote."""
    count = 0
    for child in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            args = child.cmdline()
            if (
                args
                and "chrom" in child.name().lower()
                and not any(arg.startswith("--type=") for arg in args)
            ):
                count += 1
    return count


async def test_a_retired_browser_is_closed_before_the_next_one_starts(
    site: tuple[int, list[str]],
) -> None:
    """The cap is for every process under the renderer, so two browsers never live at once: a
    page after a retirement waits until the page still rendering in the old browser has ended
    and the old browser has closed."""
    port, _ = site
    url = f"http://{HOST}/col/col5/index.html"
    budget = RenderBudget(max_rss_mb=0.0)  # every page ends over the cap
    async with renderer_for(_settings(port), budget=budget, concurrency=2) as renderer:
        slow = asyncio.create_task(renderer.render(f"http://{HOST}/slow.html"))
        await asyncio.wait_for(SLOW["started"].wait(), 30)
        await renderer.render(url)  # over the cap: the browser is retired, the slow page in it
        after = asyncio.create_task(renderer.render(url))
        most = _browser_processes()
        for _ in range(30):  # 3 s: a second browser would have started and read the page
            await asyncio.sleep(0.1)
            most = max(most, _browser_processes())
        waited = not after.done()
        SLOW["release"].set()
        slowed = await slow
        page = await after
        launches = len(renderer.launch_ms)
    assert most == 1
    assert waited
    assert "一条" in slowed.html
    assert 'href="/art/2024/2/27/art_5_901.html"' in page.html
    assert launches == 2


async def test_the_headroom_is_kept_for_every_slot(site: tuple[int, list[str]]) -> None:
    """With N slots (setting ``render_slots``) N pages may grow the browser at once, so the
    after-page check keeps the headroom N times: half the cap as headroom keeps the one browser
    with one slot and leaves nothing with two, retiring it after each page."""
    port, _ = site
    url = f"http://{HOST}/col/col5/index.html"
    launches = {}
    for slots in (1, 2):
        budget = RenderBudget(max_rss_mb=100_000.0, headroom_mb=50_000.0)
        settings = Settings(host_map=f"{HOST}=127.0.0.1:{port}", render_slots=slots)
        async with renderer_for(settings, budget=budget) as renderer:
            for _ in range(2):
                page = await renderer.render(url)
                assert 'href="/art/2024/2/27/art_5_901.html"' in page.html
            launches[slots] = len(renderer.launch_ms)
    assert launches == {1: 1, 2: 2}


async def test_the_headroom_under_the_cap_is_kept_after_each_page(
    site: tuple[int, list[str]],
) -> None:
    """The after-page check is against the cap less the next page's headroom: a headroom as
    large as the cap retires the browser after every page, none keeps the one browser."""
    port, _ = site
    url = f"http://{HOST}/col/col5/index.html"
    launches = {}
    for headroom in (0.0, 100_000.0):
        budget = RenderBudget(max_rss_mb=100_000.0, headroom_mb=headroom)
        async with renderer_for(_settings(port), budget=budget) as renderer:
            for _ in range(2):
                page = await renderer.render(url)
                assert 'href="/art/2024/2/27/art_5_901.html"' in page.html
            launches[headroom] = (len(renderer.launch_ms), renderer.lanes_opened)
    assert launches == {0.0: (1, 1), 100_000.0: (2, 2)}


async def test_the_browser_runs_no_page_of_its_own(site: tuple[int, list[str]]) -> None:
    """Chromium preloads its address bar's popup as a WebUI page in a renderer of its own
    (≈ 85 MB PSS, ≈ 50 MB of it private); with it switched off the only target is the lane's page."""
    port, _ = site
    async with renderer_for(_settings(port)) as renderer:
        await renderer.start()
        assert renderer._current is not None
        cdp = await renderer._current.browser.new_browser_cdp_session()
        targets = (await cdp.send("Target.getTargets"))["targetInfos"]
    assert [(t["type"], t["url"]) for t in targets] == [("page", "about:blank")]


def test_our_disabled_features_carry_playwrights_own() -> None:
    """Our --disable-features replaces Playwright's (the last of a repeated switch wins), so it
    must hold every feature the installed driver disables (read from its bundled source)."""
    import playwright

    lib = Path(playwright.__file__).parent / "driver" / "package" / "lib"
    found: set[str] = set()
    for source in lib.rglob("*.js"):
        text = source.read_text(encoding="utf-8", errors="replace")
        block = re.search(r"disabledFeatures = \[(.*?)\]", text, re.S)
        if block:
            lines = [ln.split("//")[0] for ln in block.group(1).splitlines()]
            found |= set(re.findall(r'"([A-Za-z0-9]+)"', "\n".join(lines)))
    assert "HttpsUpgrades" in found  # the list was found at all
    assert found <= set(PLAYWRIGHT_DISABLED_FEATURES), found - set(PLAYWRIGHT_DISABLED_FEATURES)

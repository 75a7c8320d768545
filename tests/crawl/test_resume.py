"""Interrupted scans resume without counting anything twice; --restart starts over; a link
that works again on its re-check is not charged."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest
from aiohttp import web
from sqlalchemy import select

from farm import FarmThread
from farm.builtin import FGW, QINGSHAN
from scanner.crawl import Scanner, load_sites
from scanner.crawl import site as site_module
from scanner.crawl.store import Batch
from scanner.db import Database
from scanner.db.models import LinkCheck, LinkOccurrence, LinkVerdict, Page, Scan
from scanner.settings import Settings, load_settings
from tests.crawl.conftest import fast_settings, registered_db, scan
from tests.crawl.test_politeness import _register

CODE = "9101210001"  # 青山县人民政府
FGW_CODE = "9101000002"  # 临江市发展和改革委员会: broken links of every kind


def _interrupt_after(db: Database, settings: Settings, pages: int, code: str = CODE) -> int:
    async def go() -> int:
        async with Scanner(db, settings) as scanner:
            job = asyncio.create_task(scanner.scan(load_sites(db, [code])))
            await asyncio.sleep(0)  # let the scan register its progress
            while scanner.progress[code].pages < pages:
                assert not job.done(), "the scan ended before it could be interrupted"
                await asyncio.sleep(0.005)
            job.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await job
            scan_id = scanner.progress[code].scan_id
            assert scan_id is not None
            return scan_id

    return asyncio.run(go())


def _snapshot(db: Database, scan_id: int) -> tuple[list[str], dict[str, tuple[str, int]]]:
    with db.session() as s:
        pages = sorted(s.scalars(select(Page.url).where(Page.scan_id == scan_id)))
        links = {
            c.target: (c.verdict.value if c.verdict else "", c.occurrences)
            for c in s.scalars(select(LinkCheck).where(LinkCheck.scan_id == scan_id))
        }
    return pages, links


def test_an_interrupted_scan_resumes_to_the_same_result(farm: FarmThread, tmp_path: Path) -> None:
    db = registered_db(farm, tmp_path)
    settings = fast_settings(farm, db.url, per_host_rate=300.0)
    first = _interrupt_after(db, settings, 70)
    with db.session() as s:
        interrupted = s.get(Scan, first)
        assert interrupted is not None and interrupted.status == "interrupted"
        stored = len(s.scalars(select(Page.id).where(Page.scan_id == first)).all())
    assert 0 < stored < 126

    resumed, scanner = scan(db, settings, [CODE])
    assert resumed[CODE] == first and scanner.progress[CODE].resumed
    pages, links = _snapshot(db, first)
    assert len(pages) == len(set(pages))

    fresh, _ = scan(db, settings, [CODE])  # the previous scan is done: this one is new
    assert fresh[CODE] != first
    fresh_pages, fresh_links = _snapshot(db, fresh[CODE])
    assert pages == fresh_pages, set(pages) ^ set(fresh_pages)
    diff = {k for k in links.keys() | fresh_links.keys() if links.get(k) != fresh_links.get(k)}
    assert not diff, diff
    truth = farm.truth.links(QINGSHAN)
    assert len(links) >= len(truth.verdicts)
    db.dispose()


def test_restart_abandons_the_unfinished_scan(farm: FarmThread, tmp_path: Path) -> None:
    db = registered_db(farm, tmp_path)
    settings = fast_settings(farm, db.url, per_host_rate=300.0)
    first = _interrupt_after(db, settings, 20)
    again, _ = scan(db, settings, [CODE], restart=True)
    assert again[CODE] != first
    with db.session() as s:
        assert s.get(Scan, first).status == "abandoned"  # type: ignore[union-attr]
        assert s.get(Scan, again[CODE]).status == "done"  # type: ignore[union-attr]
    db.dispose()


async def test_a_link_that_works_on_its_recheck_is_not_charged(db: Database) -> None:
    calls: dict[str, int] = {}

    async def handle(request: web.BaseRequest) -> web.Response:
        calls[request.path] = calls.get(request.path, 0) + 1
        if request.path == "/":
            body = '<a href="/flaky.html">时好时坏</a><a href="/gone.html">已删除</a>'
            return web.Response(text=f"<title>首页</title>{body}", content_type="text/html")
        if request.path == "/flaky.html" and calls[request.path] == 1:
            return web.Response(status=500)
        if request.path == "/gone.html":
            return web.Response(status=404)
        return web.Response(text="<title>正常</title>正文", content_type="text/html")

    runner = web.ServerRunner(web.Server(handle), access_log=None)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    port = tcp._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        settings = load_settings(
            database_url=db.url,
            host_map=f"www.polite.example.gov.cn=127.0.0.1:{port}",
            per_host_rate=100.0,
            link_recheck_delay=0.2,
        )
        async with Scanner(db, settings) as scanner:
            await scanner.scan([_register(db)])
    finally:
        await runner.cleanup()
    with db.session() as s:
        checks = {c.target.rsplit("/", 1)[-1]: c for c in s.scalars(select(LinkCheck))}
    flaky, gone = checks["flaky.html"], checks["gone.html"]
    assert flaky.verdict == LinkVerdict.OK and flaky.kind.startswith("recovered")
    assert flaky.confirmed_at is None
    assert gone.verdict == LinkVerdict.BROKEN and gone.confirmed_at is not None
    assert calls["/flaky.html"] == 2 and calls["/gone.html"] == 2


async def test_a_site_that_goes_away_mid_crawl_is_paused_not_blamed(db: Database) -> None:
    state = {"down": False}

    async def handle(request: web.BaseRequest) -> web.Response:
        if state["down"] and request.path != "/":
            assert request.transport is not None
            request.transport.abort()  # the site stops answering
            raise ConnectionResetError("gone")
        if request.path == "/":
            state["down"] = True
            links = "".join(f'<a href="/p{i}.html">第{i}篇</a>' for i in range(30))
            return web.Response(text=f"<title>首页</title>{links}", content_type="text/html")
        return web.Response(text="<title>正文</title>正文", content_type="text/html")

    runner = web.ServerRunner(web.Server(handle), access_log=None)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    port = tcp._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    settings = load_settings(
        database_url=db.url,
        host_map=f"www.polite.example.gov.cn=127.0.0.1:{port}",
        per_host_rate=200.0,
        link_recheck_delay=0.1,
    )
    site = _register(db)
    try:
        async with Scanner(db, settings) as scanner:
            first = await scanner.scan([site])
        with db.session() as s:
            paused = s.get(Scan, first[site.code])
            assert paused is not None and paused.status == "interrupted"
            assert "无法打开" in paused.error
        state["down"] = False  # back again: the next run resumes and finishes
        async with Scanner(db, settings) as scanner:
            again = await scanner.scan([site])
    finally:
        await runner.cleanup()
    assert again == first
    with db.session() as s:
        done = s.get(Scan, first[site.code])
        pages = s.scalars(select(Page).where(Page.scan_id == first[site.code])).all()
        broken = s.scalars(select(LinkCheck).where(LinkCheck.verdict != LinkVerdict.OK)).all()
    assert done is not None and done.status == "done"
    assert len(pages) == 31 and all(p.status == 200 for p in pages)
    assert broken == []


def test_a_scan_killed_as_soon_as_it_began_resumes_from_the_homepage(
    farm: FarmThread, tmp_path: Path
) -> None:
    """A scan's row and its homepage's frontier row are written together: killed right after
    ``open_scan`` (before a page was fetched), the scan resumes and crawls the whole site. With
    the two in separate transactions a kill between them left a scan with nothing queued that
    ended 'done' with no page — a clean bill for a site never looked at."""
    from datetime import UTC, datetime

    from scanner.crawl.store import ScanStore
    from scanner.crawl.urls import normalize_url

    db = registered_db(farm, tmp_path)
    settings = fast_settings(farm, db.url, per_host_rate=300.0)
    site = load_sites(db, [CODE])[0]
    home = normalize_url(site.url)
    assert home is not None
    killed, resumed = ScanStore(db).open_scan(site.id, home, restart=False, now=datetime.now(UTC))
    assert not resumed
    again, scanner = scan(db, settings, [CODE])
    assert again[CODE] == killed and scanner.progress[CODE].resumed
    with db.session() as s:
        assert s.get(Scan, killed).status == "done"  # type: ignore[union-attr]
        pages = s.scalars(select(Page.url).where(Page.scan_id == killed)).all()
    assert len(pages) == len(set(pages)) > 100  # the whole site, each page once
    db.dispose()


def test_a_resumed_night_keeps_the_evidence_of_the_pages_it_replayed(
    farm: FarmThread, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The evidence of a night's unchanged pages is held in memory until the links are judged
    (`SiteCrawl.deferred`), so a night killed midway loses it with the process. The resumed
    night chooses it again from the pages' memos: every broken link still names the pages the
    farm links it from."""
    # Batches of 10 pages, replayed or read, so that the kill finds replayed pages stored.
    monkeypatch.setattr(site_module, "_BATCH_PAGES", 10)
    monkeypatch.setattr(site_module, "_BATCH_MAX", 10)
    monkeypatch.setattr(Batch, "work", lambda batch: len(batch.pages))
    db = registered_db(farm, tmp_path)
    day = 86400.0
    settings = fast_settings(
        farm, db.url, per_host_rate=300.0, link_verdict_reuse=day, crawl_page_reuse=day
    )
    night1, _ = scan(db, settings, [FGW_CODE])  # every page read, its memo stored
    second = _interrupt_after(db, settings, 40, FGW_CODE)
    with db.session() as s:
        replayed = s.scalars(select(Page.url).where(Page.scan_id == second, Page.reuse != ""))
        assert len(replayed.all()) >= 20  # killed after replaying pages, their evidence held
    resumed, _ = scan(db, settings, [FGW_CODE])
    assert resumed[FGW_CODE] == second

    # Night 1 read every page (its evidence was never held back): the pages to find again.
    before, after = _found_on(db, night1[FGW_CODE]), _found_on(db, second)
    truth = farm.truth.links(FGW)
    cap = settings.link_max_occurrences
    assert truth.broken
    for url, pages in truth.broken.items():
        assert after.get(url, set()) >= pages or len(after.get(url, ())) >= cap, url
        if len(before[url]) < cap:
            assert after[url] == before[url], url
        else:
            assert len(after[url]) >= cap, url


def _found_on(db: Database, scan_id: int) -> dict[str, set[str]]:
    """Each target of a scan, with the pages its evidence names."""
    found: dict[str, set[str]] = {}
    with db.session() as s:
        for target, page in s.execute(
            select(LinkCheck.target, LinkOccurrence.page_url)
            .join(LinkCheck, LinkCheck.id == LinkOccurrence.link_id)
            .where(LinkCheck.scan_id == scan_id)
        ):
            found.setdefault(target, set()).add(page)
    return found

"""Politeness as the server sees it: at most 2 connections at once, and Retry-After honoured."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
from aiohttp import web
from sqlalchemy import select

from scanner.crawl import Scanner, SiteRef
from scanner.db import Database
from scanner.db.models import Organisation, OrgLevel, Page, Site, SiteType
from scanner.http import build_client
from scanner.settings import load_settings

HOST = "www.polite.example.gov.cn"


class Watcher:
    """A small site that records, per request, when it started and how many were in flight."""

    def __init__(self) -> None:
        self.active = 0
        self.most = 0
        self.starts: list[float] = []
        self.refused_at: float | None = None

    async def handle(self, request: web.BaseRequest) -> web.StreamResponse:
        self.active += 1
        self.most = max(self.most, self.active)
        self.starts.append(time.monotonic())
        try:
            await asyncio.sleep(0.02)
            path = request.path
            if path == "/busy.html" and self.refused_at is None:
                self.refused_at = time.monotonic()
                return web.Response(status=429, headers={"Retry-After": "1"})
            if path == "/":
                links = "".join(f'<a href="/p{i}.html">第{i}页</a>' for i in range(24))
                body = f'<a href="/busy.html">忙</a>{links}<img src="/logo.png">'
            else:
                body = '<a href="/">首页</a>'
            html = f"<html><head><title>{path}</title></head><body>{body}</body></html>"
            return web.Response(text=html, content_type="text/html")
        finally:
            self.active -= 1


def _register(db: Database) -> SiteRef:
    now = datetime.now(UTC)
    with db.session() as s:
        org = Organisation(code="990000", name="测试省", level=OrgLevel.PROVINCE)
        s.add(org)
        s.flush()
        site = Site(
            code="9900000001",
            name="礼貌测试站",
            url=f"http://{HOST}/",
            type=SiteType.PORTAL,
            organisation_id=org.id,
            created_at=now,
            updated_at=now,
        )
        s.add(site)
        s.flush()
        return SiteRef(site.id, site.code, site.name, site.url)


async def test_two_connections_at_most_and_retry_after_is_honoured(db: Database) -> None:
    watcher = Watcher()
    runner = web.ServerRunner(web.Server(watcher.handle), access_log=None)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    port = tcp._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        settings = load_settings(
            database_url=db.url,
            host_map=f"{HOST}=127.0.0.1:{port}",
            per_host_connections=2,
            per_host_rate=50.0,
            link_recheck_delay=0.1,
        )
        site = _register(db)
        async with Scanner(db, settings) as scanner:
            await scanner.scan([site])
    finally:
        await runner.cleanup()
    assert len(watcher.starts) >= 26  # homepage, 24 pages, the busy page, the logo
    assert watcher.most <= 2
    assert watcher.refused_at is not None
    # After the 429, no new request to the host until its Retry-After (1 s) has passed; only
    # the other connection's request, already on its way when the 429 went out, may arrive in
    # the hold. (A busy machine can only make requests later, never earlier.)
    after = [t - watcher.refused_at for t in watcher.starts if t > watcher.refused_at]
    assert after, "nothing was requested after the 429"
    assert len([t for t in after if t < 0.9]) <= 1, after


async def test_the_crawl_never_downloads_a_file_whole(db: Database) -> None:
    """A page-like URL that turns out to be a 10 MB file: the crawl reads its first 16 KB."""
    read = {"chunks": 0}

    class Endless(httpx.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            for _ in range(160):
                read["chunks"] += 1
                yield b"PK\x03\x04" + b"\0" * 65532

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/":
            html = '<title>首页</title><a href="/download.jsp?id=5">下载</a>'
            return httpx.Response(200, headers={"content-type": "text/html"}, content=html.encode())
        return httpx.Response(200, headers={"content-type": "application/zip"}, stream=Endless())

    settings = load_settings(database_url=db.url, per_host_rate=100.0, link_recheck_delay=0)
    client = build_client(settings, transport=httpx.MockTransport(handler))
    async with client, Scanner(db, settings, client=client) as scanner:
        await scanner.scan([_register(db)])
    assert not [p.error for p in scanner.progress.values() if p.error]
    with db.session() as s:
        sizes = dict(s.execute(select(Page.url, Page.bytes)).all())
    assert sizes.get(f"http://{HOST}/download.jsp?id=5") == settings.link_check_bytes, sizes
    assert read["chunks"] <= 2

"""Running the interaction, service and content probes over one site's registered columns.

Which probe a column gets follows its category: consult and report columns are read as
message lists, survey and interview columns as dated activity lists, guide columns page by
page (elements, then every offered form downloaded), online systems opened. The content
checks read the text of the pages already fetched plus the first entries of the information
columns. Nothing here writes: `scanner.checks.store` does, one transaction per site.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import httpx

from probes.columns import PageRead, read_page
from probes.content import ContentChecker, ContentHit
from probes.guides import (
    DownloadCheck,
    GuideRead,
    SystemCheck,
    check_download,
    check_system,
    read_guide,
)
from probes.listpage import read_list, visible_text
from probes.messages import MessageRead, read_messages
from scanner.http import FetchFailed, HostLimiter, fetch
from scanner.settings import Settings
from scanner.snapshots import WantedColumn, WantedSite

__all__ = [
    "CHECKS", "ColumnGuides", "GuideResult", "PageHits", "SiteChecks", "check_site",
]  # fmt: skip

CHECKS = ("messages", "channels", "guides", "systems", "content")
MESSAGE_CATEGORIES = frozenset({"consult", "report"})
CHANNEL_CATEGORIES = frozenset({"survey", "interview"})
CONTENT_CATEGORIES = frozenset({"news", "notice", "policy", "personnel", "planning", "other_info"})


@dataclass(slots=True)
class GuideResult:
    url: str
    title: str
    readable: bool
    read: GuideRead | None = None
    downloads: dict[str, DownloadCheck] = field(default_factory=dict)  # url → check


@dataclass(slots=True)
class ColumnGuides:
    """A guide column: did its page open, and each guide page it lists."""

    ok: bool
    error: str = ""
    guides: list[GuideResult] = field(default_factory=list)


@dataclass(slots=True)
class PageHits:
    url: str
    hits: list[ContentHit]


@dataclass(slots=True)
class SiteChecks:
    """Everything one run found for one site, keyed by column id."""

    site: WantedSite
    as_of: date
    messages: dict[int, MessageRead] = field(default_factory=dict)
    channels: dict[int, PageRead] = field(default_factory=dict)
    guides: dict[int, ColumnGuides] = field(default_factory=dict)
    systems: dict[int, SystemCheck] = field(default_factory=dict)
    content: list[PageHits] = field(default_factory=list)
    pages_read: int = 0  # pages whose text the content checks saw


class _Runner:
    def __init__(
        self,
        client: httpx.AsyncClient,
        settings: Settings,
        limiter: HostLimiter,
        as_of: date,
        checker: ContentChecker | None,
        articles_per_column: int,
    ) -> None:
        self.client = client
        self.settings = settings
        self.limiter = limiter
        self.as_of = as_of
        self.checker = checker
        self.articles = articles_per_column
        self.texts: dict[str, str] = {}  # url → visible text, for the content checks

    @property
    def _opts(self) -> dict[str, object]:
        return {
            "deadline": self.settings.page_timeout,
            "max_bytes": self.settings.max_body_bytes,
            "limiter": self.limiter,
        }

    async def _html(self, url: str) -> tuple[str, str] | None:
        """(final url, html) of a page that opened, else None; its text kept for content."""
        try:
            got = await fetch(self.client, url, **self._opts)  # type: ignore[arg-type]
        except FetchFailed:
            return None
        if got.status >= 400 or not got.content.strip():
            return None
        html, _ = got.text()
        if self.checker is not None and "html" in (got.content_type or "text/html"):
            self.texts.setdefault(got.final_url, visible_text(html))
        return got.final_url, html

    async def guides(self, column: WantedColumn) -> ColumnGuides:
        page = await self._html(column.url)
        if page is None:
            return ColumnGuides(ok=False, error="unreadable")
        final, html = page
        own = read_guide(html, final)
        if len(own.present) >= 4:  # the column's page is itself one guide
            targets = [(final, own.title)]
        else:
            items = read_list(html, final, as_of=self.as_of, selector=column.selector)
            targets = list(dict.fromkeys((it.url, it.title) for it in items))
        out = ColumnGuides(ok=True)

        async def one(url: str, title: str) -> GuideResult:
            got = await self._html(url)
            if got is None:
                return GuideResult(url, title, readable=False)
            read = read_guide(got[1], got[0])
            return GuideResult(url, read.title or title, readable=True, read=read)

        out.guides = list(await asyncio.gather(*(one(u, t) for u, t in targets)))
        wanted = {
            a.url for g in out.guides if g.read for a in g.read.attachments if a.url is not None
        }
        checks = await asyncio.gather(
            *(check_download(self.client, u, **self._opts) for u in sorted(wanted))  # type: ignore[arg-type]
        )
        by_url = {c.url: c for c in checks}
        for g in out.guides:
            if g.read is not None:
                g.downloads = {
                    a.url: by_url[a.url] for a in g.read.attachments if a.url is not None
                }
        return out

    async def content_pages(self, site: WantedSite) -> None:
        """The homepage, the information columns and their first entries, for the text."""
        urls = [site.url] + [c.url for c in site.columns if c.category in CONTENT_CATEGORIES]
        pages = await asyncio.gather(*(self._html(u) for u in urls))
        entries: list[str] = []
        for got in pages[1:]:
            if got is not None:
                items = read_list(got[1], got[0], as_of=self.as_of)
                entries += [it.url for it in items[: self.articles]]
        await asyncio.gather(*(self._html(u) for u in dict.fromkeys(entries)))


async def check_site(
    client: httpx.AsyncClient,
    site: WantedSite,
    settings: Settings,
    *,
    as_of: date,
    limiter: HostLimiter,
    checker: ContentChecker | None = None,
    only: Sequence[str] = CHECKS,
    articles_per_column: int = 10,
) -> SiteChecks:
    """Run the wanted checks over one site; failures to open are facts, never exceptions."""
    run = _Runner(client, settings, limiter, as_of, checker, articles_per_column)
    out = SiteChecks(site, as_of)
    opts = run._opts
    tasks: list[asyncio.Task[None]] = []

    async def messages(c: WantedColumn) -> None:
        out.messages[c.column_id] = await read_messages(
            client,
            c.url,
            as_of=as_of,
            selector=c.selector,
            **opts,  # type: ignore[arg-type]
        )

    async def channel(c: WantedColumn) -> None:
        out.channels[c.column_id] = await read_page(
            client,
            c.url,
            as_of=as_of,
            selector=c.selector,
            open_undated=0,
            **opts,  # type: ignore[arg-type]
        )

    async def guides(c: WantedColumn) -> None:
        out.guides[c.column_id] = await run.guides(c)

    async def system(c: WantedColumn) -> None:
        out.systems[c.column_id] = await check_system(client, c.url, **opts)  # type: ignore[arg-type]

    async with asyncio.TaskGroup() as group:
        for c in site.columns:
            if c.category in MESSAGE_CATEGORIES and "messages" in only:
                tasks.append(group.create_task(messages(c)))
            elif c.category in CHANNEL_CATEGORIES and "channels" in only:
                tasks.append(group.create_task(channel(c)))
            elif c.category == "guide" and ("guides" in only or "content" in only):
                if "guides" in only:
                    tasks.append(group.create_task(guides(c)))
            elif c.category == "online_system" and "systems" in only:
                tasks.append(group.create_task(system(c)))
        if checker is not None and "content" in only:
            tasks.append(group.create_task(run.content_pages(site)))
    if checker is not None and "content" in only:
        for url, text in run.texts.items():
            hits = checker.check(text)
            if hits:
                out.content.append(PageHits(url, hits))
        out.pages_read = len(run.texts)
    return out


async def check_sites(
    settings: Settings,
    sites: Sequence[WantedSite],
    *,
    as_of: date,
    checker: ContentChecker | None,
    only: Sequence[str] = CHECKS,
    client: httpx.AsyncClient | None = None,
) -> list[SiteChecks]:
    """Check several sites a few at a time through one client and one per-host limiter."""
    from scanner.http import build_client

    limiter = HostLimiter(settings.per_host_connections, settings.per_host_rate)
    gate = asyncio.Semaphore(8)

    async def one(c: httpx.AsyncClient, site: WantedSite) -> SiteChecks:
        async with gate:
            return await check_site(
                c, site, settings, as_of=as_of, limiter=limiter, checker=checker, only=only
            )

    if client is not None:
        return list(await asyncio.gather(*(one(client, s) for s in sites)))
    async with build_client(settings) as own:
        return list(await asyncio.gather(*(one(own, s) for s in sites)))

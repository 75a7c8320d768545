"""Scanning many sites at once: one client, one per-host limiter, one link checker for the run.

Sites are crawled interleaved (``crawl_sites_at_once`` at a time); every request to a host,
whichever site's scan makes it, goes through the same `HostLimiter`, so a host shared by many
sites (www.gov.cn) still sees at most its connection and rate limits.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Self

import httpx
from sqlalchemy import func, select

from scanner.clock import Clock, RealClock
from scanner.crawl.checker import LinkChecker, recheck_rows
from scanner.crawl.progress import ScanProgress, SiteRef, hosts_of
from scanner.crawl.site import SiteCrawl
from scanner.crawl.store import ScanStore
from scanner.db import Database
from scanner.db.models.crawl import LinkCheck, LinkVerdict, Page, Scan
from scanner.db.models.registry import Site, SiteStatus
from scanner.errors import LeaseBusy
from scanner.http import HostLimiter, build_client
from scanner.settings import Settings

__all__ = ["ScanSummary", "Scanner", "load_sites", "scan_summary"]


def load_sites(db: Database, keys: list[str] | None = None) -> list[SiteRef]:
    """The running sites to scan: all of them, or those named by 网站标识码 or URL."""
    from scanner.registry.lookup import find_site

    with db.session() as s:
        if keys:
            rows = [find_site(s, k) for k in keys]
        else:
            rows = list(
                s.scalars(select(Site).where(Site.status == SiteStatus.RUNNING).order_by(Site.id))
            )
        return [SiteRef(r.id, r.code, r.name, r.url, tuple(r.own_hosts or ())) for r in rows]


def registered_hosts(db: Database) -> tuple[str, ...]:
    """Every host the registry names: sites' homepage hosts and their ``own_hosts``."""
    hosts: set[str] = set()
    with db.session() as s:
        for url, own in s.execute(select(Site.url, Site.own_hosts)):
            hosts |= hosts_of(url, own or ())
    return tuple(sorted(hosts))


class Scanner:
    """``async with Scanner(db, settings) as scanner: await scanner.scan(sites)``."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        client: httpx.AsyncClient | None = None,
        clock: Clock | None = None,
        own_hosts: frozenset[str] | None = None,
        share: int = 1,
        slots_dir: Path | None = None,
    ):
        """``own_hosts``/``share``: this process scans one of ``share`` parts of a run split by
        host (`scan_in_processes`); hosts outside ``own_hosts`` get a share of the limits, counted
        over the processes through ``slots_dir`` where a share would be under 1 connection."""
        self.db = db
        self.settings = settings
        self.clock: Clock = clock or RealClock()
        self._own_client = client is None
        # Our own client is built on entering, once the registry's hosts are known.
        self._client = client
        mine = own_hosts or frozenset()
        self.limiter = HostLimiter(
            settings.per_host_connections,
            settings.per_host_rate,
            foreign=lambda host: host not in mine,
            share=share if own_hosts is not None else 1,
            slots_dir=slots_dir,
        )
        self.store = ScanStore(db)
        self.checker: LinkChecker | None = None
        self.progress: dict[str, ScanProgress] = {}

    @property
    def client(self) -> httpx.AsyncClient:
        assert self._client is not None, "use 'async with Scanner(...)'"
        return self._client

    def _build_client(self, trusted: tuple[str, ...]) -> httpx.AsyncClient:
        return build_client(
            self.settings,
            max_connections=max(16, 400 // self.settings.per_host_connections),
            shards=self.settings.per_host_connections,
            trusted_hosts=trusted,
            engine="lean",
        )

    async def __aenter__(self) -> Self:
        if self._own_client:
            # The registry is the operator's input: its sites' hosts may be reached at any
            # address (an intranet or loopback site), for their re-checks and as other sites'
            # links; hosts that only pages name stay under the address policy.
            trusted = await self.store.run(registered_hosts, self.db)
            self._client = self._build_client(trusted)
        since = self.clock.now() - timedelta(seconds=self.settings.link_cache_ttl)
        cache = await self.store.run(self.store.load_cache, since)
        self.checker = LinkChecker(self.client, self.limiter, self.settings, self.clock, cache)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._own_client and self._client is not None:
            await self._client.aclose()
            self._client = None

    def crawl_for(self, site: SiteRef) -> SiteCrawl:
        """One site's scan, sharing the run's client, limiter and link checker."""
        assert self.checker is not None, "use 'async with Scanner(...)'"
        progress = self.progress.setdefault(site.code, ScanProgress(site.code, site.name))
        return SiteCrawl(
            site,
            settings=self.settings,
            client=self.client,
            limiter=self.limiter,
            checker=self.checker,
            store=self.store,
            clock=self.clock,
            progress=progress,
            own_client=self._own_client,
        )

    async def scan(self, sites: list[SiteRef], *, restart: bool = False) -> dict[str, int]:
        """Scan the sites (resuming unfinished scans unless ``restart``); 标识码 → scan id."""
        for site in sites:
            self.progress.setdefault(site.code, ScanProgress(site.code, site.name))
        gate = asyncio.Semaphore(self.settings.crawl_sites_at_once)
        out: dict[str, int] = {}

        async def one(site: SiteRef) -> None:
            async with gate:
                try:
                    out[site.code] = await self.crawl_for(site).run(restart=restart)
                except LeaseBusy as exc:  # another process scans it now: its scan, not ours
                    p = self.progress[site.code]
                    p.phase = "跳过"
                    p.note = str(exc)
                except Exception as exc:  # recorded on the scan; the other sites go on
                    p = self.progress[site.code]
                    p.phase = "出错"
                    p.error = p.error or f"{type(exc).__name__}: {exc}"
                    if p.scan_id:
                        out[site.code] = p.scan_id

        await asyncio.gather(*(one(s) for s in sites))
        return out

    async def recheck_due(self) -> int:
        """Re-check every broken link (of any scan) whose re-check is due now."""
        assert self.checker is not None
        due = self.clock.now()
        rows = await self.store.run(lambda: self.store.broken_unconfirmed(due_before=due))
        if not rows:
            return 0
        updates = await recheck_rows(self.checker, rows, self.settings.link_recheck_delay)
        await self.store.run(self.store.save_results, updates)
        entries = self.checker.take_new_cache()
        if entries:
            await self.store.run(self.store.save_cache, entries)
        return len(updates)


@dataclass(frozen=True)
class ScanSummary:
    """What one scan found, as the census counts links (distinct targets)."""

    scan_id: int
    status: str
    pages: int
    page_errors: int
    links: int
    broken_home: int  # confirmed, on the homepage
    broken_second: int  # confirmed, on a second-level page (counts as homepage if nav-only)
    broken_other: int  # confirmed, elsewhere
    pending: int  # broken, waiting for the confirming re-check
    undetermined: int
    unchecked: int
    recheck_due: datetime | None


def scan_summary(db: Database, scan_id: int) -> ScanSummary:
    with db.session() as s:
        scan = s.get(Scan, scan_id)
        assert scan is not None
        pages = s.scalar(select(func.count()).where(Page.scan_id == scan_id)) or 0
        page_errors = (
            s.scalar(
                select(func.count()).where(
                    Page.scan_id == scan_id, (Page.failure != "") | (Page.status >= 400)
                )
            )
            or 0
        )
        rows = s.execute(
            select(
                LinkCheck.verdict,
                LinkCheck.confirmed_at.is_not(None),
                LinkCheck.on_homepage,
                LinkCheck.on_second_level,
                func.count(),
                func.min(LinkCheck.recheck_due),
            )
            .where(LinkCheck.scan_id == scan_id)
            .group_by(
                LinkCheck.verdict,
                LinkCheck.confirmed_at.is_not(None),
                LinkCheck.on_homepage,
                LinkCheck.on_second_level,
            )
        ).all()
    counts = {"home": 0, "second": 0, "other": 0, "pending": 0, "und": 0, "none": 0, "all": 0}
    due: datetime | None = None
    for verdict, confirmed, home, second, n, first_due in rows:
        counts["all"] += n
        if verdict is None:
            counts["none"] += n
        elif verdict == LinkVerdict.UNDETERMINED:
            counts["und"] += n
        elif verdict == LinkVerdict.BROKEN and not confirmed:
            counts["pending"] += n
            if first_due is not None:
                first_due = first_due if first_due.tzinfo else first_due.replace(tzinfo=UTC)
                due = first_due if due is None else min(due, first_due)
        elif verdict == LinkVerdict.BROKEN:
            counts["home" if home else "second" if second else "other"] += n
    return ScanSummary(
        scan_id=scan_id,
        status=scan.status,
        pages=pages,
        page_errors=page_errors,
        links=counts["all"],
        broken_home=counts["home"],
        broken_second=counts["second"],
        broken_other=counts["other"],
        pending=counts["pending"],
        undetermined=counts["und"],
        unchecked=counts["none"],
        recheck_due=due,
    )

"""Column snapshots over time: read every registered column (and the homepage), store the facts.

Freshness rules need history, not one look: "no update within 2 weeks" and "N new dated homepage
items in 2 weeks" are counted from entries seen over time. Each read stores one
``ColumnSnapshot`` per column and the entries as ``ColumnItem`` rows, once per (column, URL),
keeping when each was first and last seen; the homepage's entries are stored with no column
and ``on_homepage`` set. One site's reads land in one transaction.

``census columns read`` and ``census demo`` call this; the crawl can pass its ``scan_id``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from probes.columns import PageRead, read_page
from probes.listpage import Item
from scanner.db import Database
from scanner.db.models import ColumnItem, ColumnSnapshot, Site, SiteStatus
from scanner.http import HostLimiter, build_client
from scanner.settings import Settings

SITES_AT_ONCE = 16  # sites read concurrently; each host stays within its own limiter


@dataclass(frozen=True, slots=True)
class WantedColumn:
    column_id: int
    name: str
    category: str
    url: str
    selector: str | None


@dataclass(frozen=True, slots=True)
class WantedSite:
    """What a read needs from the registry, detached from any session."""

    site_id: int
    code: str
    name: str
    url: str
    columns: tuple[WantedColumn, ...]


@dataclass(slots=True)
class SiteReads:
    site: WantedSite
    homepage: PageRead
    columns: dict[int, PageRead] = field(default_factory=dict)  # column id → read


@dataclass(slots=True)
class Stored:
    """What one site's store wrote: snapshots, and entries new to the registry's history."""

    snapshots: int = 0
    new_items: dict[int | None, int] = field(default_factory=dict)  # column id (None: home)

    @property
    def new_total(self) -> int:
        return sum(self.new_items.values())


def wanted_sites(session: Session, codes: Sequence[str] | None = None) -> list[WantedSite]:
    """Running sites (all, or these codes) with their registered columns."""
    query = select(Site).where(Site.status == SiteStatus.RUNNING).order_by(Site.code)
    if codes is not None:
        query = select(Site).where(Site.code.in_(list(codes))).order_by(Site.code)
    return [
        WantedSite(
            s.id,
            s.code,
            s.name,
            s.url,
            tuple(
                WantedColumn(c.id, c.name, c.category.value, c.url, c.selector) for c in s.columns
            ),
        )
        for s in session.scalars(query)
    ]


async def read_site(
    client: httpx.AsyncClient,
    site: WantedSite,
    settings: Settings,
    *,
    as_of: date,
    limiter: HostLimiter,
    open_undated: int = 3,
) -> SiteReads:
    """Open the homepage and every registered column of one site."""

    async def one(url: str, selector: str | None = None) -> PageRead:
        return await read_page(
            client,
            url,
            as_of=as_of,
            deadline=settings.page_timeout,
            max_bytes=settings.max_body_bytes,
            limiter=limiter,
            selector=selector,
            open_undated=open_undated,
        )

    home, *reads = await asyncio.gather(
        one(site.url), *(one(c.url, c.selector) for c in site.columns)
    )
    return SiteReads(site, home, {c.column_id: r for c, r in zip(site.columns, reads, strict=True)})


def _unique(items: Sequence[Item]) -> list[Item]:
    """One entry per URL, the first as shown (pages repeat an entry in a 'hot' box)."""
    seen: dict[str, Item] = {}
    for item in items:
        seen.setdefault(item.url, item)
    return list(seen.values())


def _store_items(
    session: Session,
    site_id: int,
    column_id: int | None,
    items: Sequence[Item],
    taken_at: datetime,
) -> int:
    """Upsert entries by URL; a new row keeps ``taken_at`` as its first-seen time forever."""
    query = select(ColumnItem).where(ColumnItem.site_id == site_id)
    query = query.where(
        ColumnItem.column_id.is_(None) if column_id is None else ColumnItem.column_id == column_id
    )
    known = {row.url: row for row in session.scalars(query)}
    new = 0
    for item in _unique(items):
        row = known.get(item.url)
        if row is None:
            session.add(
                ColumnItem(
                    site_id=site_id,
                    column_id=column_id,
                    on_homepage=column_id is None,
                    url=item.url,
                    title=item.title,
                    published_on=item.date,
                    first_seen_at=taken_at,
                    last_seen_at=taken_at,
                )
            )
            new += 1
            continue
        row.last_seen_at = taken_at
        row.title = item.title or row.title
        if item.date is not None:
            row.published_on = item.date
    return new


def store_site_reads(
    session: Session, reads: SiteReads, taken_at: datetime, *, scan_id: int | None = None
) -> Stored:
    """Write one site's reads in the caller's session (the caller's transaction commits)."""
    stored = Stored()
    site_id = reads.site.site_id
    if reads.homepage.ok:
        dated = [it for it in reads.homepage.items if it.date is not None]
        stored.new_items[None] = _store_items(session, site_id, None, dated, taken_at)
    for column_id, read in reads.columns.items():
        newest = read.newest_item
        session.add(
            ColumnSnapshot(
                column_id=column_id,
                scan_id=scan_id,
                taken_at=taken_at,
                readable=read.ok,
                blank=read.state == "blank",
                exempt_note=read.exempt_note,
                item_count=len(read.items),
                newest_date=read.newest,
                newest_title=newest.title if newest else "",
                newest_url=newest.url if newest else "",
                error=read.error,
            )
        )
        stored.snapshots += 1
        if read.ok:
            stored.new_items[column_id] = _store_items(
                session, site_id, column_id, read.items, taken_at
            )
    session.flush()
    return stored


async def read_and_store(
    db: Database,
    settings: Settings,
    sites: Sequence[WantedSite],
    *,
    as_of: date,
    now: Callable[[], datetime],
    on_site: Callable[[SiteReads, Stored], None] | None = None,
    open_undated: int = 3,
) -> list[tuple[SiteReads, Stored]]:
    """Read the sites a few at a time and store each as soon as it is read (one transaction)."""
    limiter = HostLimiter(settings.per_host_connections, settings.per_host_rate)
    gate = asyncio.Semaphore(SITES_AT_ONCE)
    out: list[tuple[SiteReads, Stored]] = []
    async with build_client(settings) as client:

        async def one(site: WantedSite) -> None:
            async with gate:
                reads = await read_site(
                    client, site, settings, as_of=as_of, limiter=limiter, open_undated=open_undated
                )
            with db.session() as session:
                stored = store_site_reads(session, reads, now())
            out.append((reads, stored))
            if on_site is not None:
                on_site(reads, stored)

        await asyncio.gather(*(one(s) for s in sites))
    out.sort(key=lambda pair: pair[0].site.code)
    return out

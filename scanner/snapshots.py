"""Column snapshots over time: read every registered column (and the homepage), store the facts.

Freshness rules need history, not one look: "no update within 2 weeks" and "N new dated homepage
items in 2 weeks" are counted from entries seen over time. Each read stores one
``ColumnSnapshot`` per column and the entries as ``ColumnItem`` rows, once per (column, URL),
keeping when each was first and last seen; the homepage's entries are stored with no column
and ``on_homepage`` set. One site's reads land in one transaction.

``census columns read`` and ``census demo`` call this; the crawl can pass its ``scan_id``.

Every read also stores a `HomepageSnapshot`: whether the homepage opened, how many dated entries
it showed, and whether it is navigation-only (no dated entries of its own). For a
navigation-only homepage (the operator's ``Site.navigation_only``, or detected when that is
null) the pages it links to on its own site are read too, and their dated entries stored as
``second_level`` rows: the census counts those instead (首页仅为导航的检查二级页面).
`new_homepage_items` counts the new dated entries of any window from these rows.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from probes.columns import UNRENDERED, PageRead, Render, column_key, read_page
from probes.listpage import Item
from scanner.clock import CST, Clock
from scanner.db import Database
from scanner.db.models import ColumnItem, ColumnSnapshot, HomepageSnapshot, Site, SiteStatus
from scanner.http import HostLimiter, build_client
from scanner.settings import Settings

if TYPE_CHECKING:
    from scanner.render import RenderBudget

SITES_AT_ONCE = 16  # sites read concurrently; each host stays within its own limiter
MAX_SECOND_LEVEL = 40  # pages read behind a navigation-only homepage


@dataclass(frozen=True, slots=True)
class WantedColumn:
    column_id: int
    name: str
    category: str
    url: str
    selector: str | None
    render: bool = False  # always read through the headless browser


@dataclass(frozen=True, slots=True)
class WantedSite:
    """What a read needs from the registry, detached from any session."""

    site_id: int
    code: str
    name: str
    url: str
    columns: tuple[WantedColumn, ...]
    navigation_only: bool | None = None  # the operator's setting; None: detect
    own_hosts: tuple[str, ...] = ()


@dataclass(slots=True)
class SiteReads:
    site: WantedSite
    homepage: PageRead
    columns: dict[int, PageRead] = field(default_factory=dict)  # column id → read
    # URL → read of each page a navigation-only homepage links to (registered columns' reads
    # are reused, not fetched twice); empty when the homepage has entries of its own.
    second_level: dict[str, PageRead] = field(default_factory=dict)

    @property
    def navigation_only(self) -> bool | None:
        """What counts: the operator's setting when set, else what this read detected."""
        if self.site.navigation_only is not None:
            return self.site.navigation_only
        return self.homepage.navigation_only

    @property
    def second_level_items(self) -> list[Item]:
        """Dated entries of the second-level pages, one per URL, in reading order."""
        dated = [it for r in self.second_level.values() if r.ok for it in r.items if it.date]
        return _unique(dated)


@dataclass(slots=True)
class Stored:
    """What one site's store wrote: snapshots, and entries new to the registry's history."""

    snapshots: int = 0
    new_items: dict[int | None, int] = field(default_factory=dict)  # column id (None: home)
    new_second_level: int = 0  # new dated entries of a navigation-only homepage's pages


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
                WantedColumn(c.id, c.name, c.category.value, c.url, c.selector, bool(c.render))
                for c in s.columns
            ),
            s.navigation_only,
            tuple(s.own_hosts or ()),
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
    render: Render | None = None,
) -> SiteReads:
    """Open the homepage and every registered column of one site.

    When the homepage is navigation-only (set by the operator, or detected: no dated entries),
    the same-site pages it links to are read as well, up to `MAX_SECOND_LEVEL`. ``render``
    (a browser) reads script-built pages and the columns set to render.
    """

    async def one(
        url: str, selector: str | None = None, links: bool | None = False, force: bool = False
    ) -> PageRead:
        return await read_page(
            client,
            url,
            as_of=as_of,
            deadline=settings.page_timeout,
            max_bytes=settings.max_body_bytes,
            limiter=limiter,
            selector=selector,
            open_undated=open_undated,
            homepage_links=links,
            hosts=site.own_hosts,
            render=render,
            force_render=force and render is not None,
        )

    # Links are wanted when the operator says navigation-only; when unset, only when the read
    # finds no dated entries; never when the operator says the homepage has its own.
    links = None if site.navigation_only is None else site.navigation_only
    home, *reads = await asyncio.gather(
        one(site.url, links=links),
        *(one(c.url, c.selector, force=c.render) for c in site.columns),
    )
    out = SiteReads(site, home, {c.column_id: r for c, r in zip(site.columns, reads, strict=True)})
    if home.ok and out.navigation_only:
        registered = {column_key(c.url): out.columns[c.column_id] for c in site.columns}
        urls = home.links[:MAX_SECOND_LEVEL]
        fresh = [u for u in urls if column_key(u) not in registered]
        opened = dict(zip(fresh, await asyncio.gather(*(one(u) for u in fresh)), strict=True))
        out.second_level = {u: opened.get(u) or registered[column_key(u)] for u in urls}
    return out


@contextlib.asynccontextmanager
async def browser_for(
    settings: Settings, budget: RenderBudget | None = None
) -> AsyncIterator[Render | None]:
    """A render function over one shared browser (started only when a page needs it), or None
    when rendering is off (``render_pages``) or no Chromium is installed. ``budget``: the
    night's, when it is shared beyond this browser (workers); else the settings' own."""
    if not settings.render_pages or not Path(settings.chromium_path).exists():
        yield None
        return
    from scanner.render import renderer_for

    extra = {} if budget is None else {"budget": budget}
    async with renderer_for(settings, **extra) as renderer:

        async def render(url: str) -> tuple[str, str]:
            page = await renderer.render(url)
            return page.html, page.final_url

        yield render


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
    *,
    second_level: bool = False,
) -> int:
    """Upsert entries by URL; a new row keeps ``taken_at`` as its first-seen time forever.

    Three pools per site, each deduplicated on its own: a column's entries, the homepage's
    (``column_id`` null), and a navigation-only homepage's second-level ones (``second_level``).
    """
    query = select(ColumnItem).where(ColumnItem.site_id == site_id)
    query = query.where(
        ColumnItem.column_id.is_(None) if column_id is None else ColumnItem.column_id == column_id
    )
    if column_id is None:
        query = query.where(ColumnItem.second_level.is_(second_level))
    known = {row.url: row for row in session.scalars(query)}
    new = 0
    for item in _unique(items):
        row = known.get(item.url)
        if row is None:
            session.add(
                ColumnItem(
                    site_id=site_id,
                    column_id=column_id,
                    on_homepage=column_id is None and not second_level,
                    second_level=second_level,
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
    home = reads.homepage
    second = reads.second_level_items
    session.add(
        HomepageSnapshot(
            site_id=site_id,
            scan_id=scan_id,
            taken_at=taken_at,
            # a homepage drawn wholly by scripts no browser could render shows nothing: its
            # entries are unknown, so it is not read — never a homepage with no new entries
            readable=home.ok and not home.uncertain,
            error=UNRENDERED if home.uncertain else home.error,
            dated_items=home.dated,
            navigation_only=None if home.uncertain else home.navigation_only,
            second_level_pages=sum(1 for r in reads.second_level.values() if r.ok),
            second_level_items=len(second),
        )
    )
    if home.ok and not home.uncertain:
        dated = [it for it in home.items if it.date is not None]
        stored.new_items[None] = _store_items(session, site_id, None, dated, taken_at)
    if second:
        stored.new_second_level = _store_items(
            session, site_id, None, second, taken_at, second_level=True
        )
    for column_id, read in reads.columns.items():
        newest = read.newest_item
        session.add(
            ColumnSnapshot(
                column_id=column_id,
                scan_id=scan_id,
                taken_at=taken_at,
                # a script-built list no browser could render is unknown: not judged, not blank
                readable=read.ok and not read.uncertain,
                blank=read.state == "blank" and not read.uncertain,
                exempt_note=read.exempt_note,
                item_count=len(read.items),
                newest_date=read.newest,
                newest_title=newest.title if newest else "",
                newest_url=newest.url if newest else "",
                error=read.error,
                read_via=read.read_via,
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
    clock: Clock,
    on_site: Callable[[SiteReads, Stored], None] | None = None,
    open_undated: int = 3,
) -> list[tuple[SiteReads, Stored]]:
    """Read the sites a few at a time and store each as soon as it is read (one transaction)."""
    limiter = HostLimiter(settings.per_host_connections, settings.per_host_rate)
    gate = asyncio.Semaphore(SITES_AT_ONCE)
    out: list[tuple[SiteReads, Stored]] = []
    async with build_client(settings) as client, browser_for(settings) as render:

        async def one(site: WantedSite) -> None:
            async with gate:
                reads = await read_site(
                    client, site, settings, as_of=as_of, limiter=limiter,
                    open_undated=open_undated, render=render,
                )  # fmt: skip
            with db.session() as session:
                stored = store_site_reads(session, reads, clock.now())
            out.append((reads, stored))
            if on_site is not None:
                on_site(reads, stored)

        await asyncio.gather(*(one(s) for s in sites))
    out.sort(key=lambda pair: pair[0].site.code)
    return out


# ---------------------------------------------------------------- counting over a window


@dataclass(frozen=True, slots=True)
class HomepageItem:
    """A dated homepage entry (or a second-level one) as the 2-week count sees it."""

    url: str
    title: str
    published_on: date
    first_seen_at: datetime
    second_level: bool


def _day_end(day: date) -> datetime:
    """The first instant after ``day`` in Beijing time, in UTC (SQLite keeps wall times only)."""
    return datetime.combine(day + timedelta(days=1), time(0), CST).astimezone(UTC)


def homepage_read_days(session: Session, site: Site, start: date, end: date) -> set[date]:
    """The Beijing days of [start, end] with a readable homepage snapshot.

    The homepage shows a few entries per block and busy sites push them off within days, so
    the 2-week count is complete only if the homepage was read every day: a scorer can call a
    window with missing days provisional.
    """
    taken = session.scalars(
        select(HomepageSnapshot.taken_at).where(
            HomepageSnapshot.site_id == site.id,
            HomepageSnapshot.readable.is_(True),
            HomepageSnapshot.taken_at >= _day_end(start - timedelta(days=1)),
            HomepageSnapshot.taken_at < _day_end(end),
        )
    )
    return {(t if t.tzinfo else t.replace(tzinfo=UTC)).astimezone(CST).date() for t in taken}


def homepage_navigation_only(session: Session, site: Site, start: date, end: date) -> bool:
    """Is the homepage navigation-only for the window [start, end] (days, Beijing time)?

    The operator's ``Site.navigation_only`` when set. Otherwise detected: every readable
    homepage snapshot taken in the window showed no dated entry; with none in the window, the
    latest readable one before its end decides; with none at all, it is not.
    """
    if site.navigation_only is not None:
        return site.navigation_only
    base = select(HomepageSnapshot.navigation_only).where(
        HomepageSnapshot.site_id == site.id,
        HomepageSnapshot.readable.is_(True),
        HomepageSnapshot.taken_at < _day_end(end),
    )
    inside = list(
        session.scalars(base.where(HomepageSnapshot.taken_at >= _day_end(start - timedelta(1))))
    )
    if inside:
        return all(bool(v) for v in inside)
    latest = session.scalar(
        base.order_by(HomepageSnapshot.taken_at.desc(), HomepageSnapshot.id.desc()).limit(1)
    )
    return bool(latest)


def new_homepage_items(session: Session, site: Site, start: date, end: date) -> list[HomepageItem]:
    """The homepage's new dated entries of the window [start, end], newest first.

    An entry counts when its *publication date* is within [start, end] and it had been seen by
    the end of ``end`` (Beijing time): the census counts what the pages date, not when a scan
    happened to notice it, and an entry dated in the window but first seen later (back-dated)
    was not on the homepage by T. Entries without a date never count (未注明发布时间的视为不更新).
    Each URL counts once. For a navigation-only homepage (`homepage_navigation_only`) the
    second-level pages' entries count instead. ``update.homepage_volume`` uses
    [T − 14 days, T].
    """
    nav = homepage_navigation_only(session, site, start, end)
    pool = ColumnItem.second_level.is_(True) if nav else ColumnItem.on_homepage.is_(True)
    rows = session.scalars(
        select(ColumnItem)
        .where(
            ColumnItem.site_id == site.id,
            ColumnItem.column_id.is_(None),
            pool,
            ColumnItem.published_on.is_not(None),
            ColumnItem.published_on >= start,
            ColumnItem.published_on <= end,
            ColumnItem.first_seen_at < _day_end(end),
        )
        .order_by(ColumnItem.published_on.desc(), ColumnItem.id)
    )
    out: dict[str, HomepageItem] = {}
    for row in rows:
        assert row.published_on is not None
        out.setdefault(
            row.url,
            HomepageItem(row.url, row.title, row.published_on, row.first_seen_at, nav),
        )
    return list(out.values())

"""Database rows → ``scoring.SiteFacts``: what the scanner knew about each site at T.

Read in bulk: one query per fact table for a chunk of sites (not one per site), so scoring a
province's or a country's sites is bounded by the table scans, not by round trips. Raw driver
values are read where SQLAlchemy's per-row type processing would dominate (SQLite datetimes).

A check the scanner has not run yet for a site (no column read, no finished crawl, interaction
and service checks not built) is reported in ``SiteInput.not_run``; ``scanner.scorecards.compute``
then leaves its rules unjudged and makes the card provisional instead of deducting for facts that
were never collected.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import String, and_, case, func, or_, select, type_coerce
from sqlalchemy.orm import Session

from scanner.clock import CST
from scanner.db.models import (
    Activity,
    Column,
    ColumnCheck,
    ColumnItem,
    ColumnSnapshot,
    Finding,
    GuideAttachment,
    GuidePage,
    HomepageSnapshot,
    LinkCheck,
    LinkOccurrence,
    LinkVerdict,
    Message,
    ProbeResult,
    Scan,
    Site,
    SiteStatus,
)
from scoring.facts import (
    Attachment,
    BrokenLink,
    Channel,
    DatedItem,
    Guide,
    Homepage,
    OnlineSystem,
    PageItems,
    Probe,
    SiteFacts,
)
from scoring.facts import Column as ColumnFact
from scoring.facts import Finding as FindingFact
from scoring.facts import Message as MessageFact

CHUNK = 500  # sites per bulk query: well inside SQLite's bound-parameter limit
ITEM_LOOKBACK = relativedelta(years=2)  # dated entries older than this judge no window
# Columns the interaction/service check opens (the column reader only reads lists).
INTERACTIVE = ("consult", "report", "survey", "interview", "guide", "online_system")

# Checks the scanner runs, the rules that stand on their facts, and what the card says while a
# check has not run for a site.
COLUMNS = "columns"
LINKS = "links"
INTERACTION = "interaction"
CHECKS: dict[str, tuple[str, tuple[str, ...]]] = {
    COLUMNS: (
        "栏目更新检查尚未运行",
        (
            "veto.homepage_stale",
            "veto.columns_stale",
            "update.homepage_volume",
            "update.basic_info",
        ),
    ),
    LINKS: ("链接检查尚未运行", ("availability.links",)),
    INTERACTION: (
        "互动/服务类检查尚未运行",
        (
            "veto.unanswered",
            "interaction.consult",
            "interaction.survey",
            "interaction.interview",
            "service.guide",
            "service.attachments",
            "service.online_systems",
        ),
    ),
}


@dataclass(frozen=True, slots=True)
class SiteInput:
    """One site's facts at T, and which checks have not run for it (never charged for)."""

    site_id: int
    facts: SiteFacts
    not_run: frozenset[str] = frozenset()
    reasons: tuple[str, ...] = ()  # coverage gaps the engine cannot see (provisional)


@dataclass(frozen=True, slots=True)
class Window:
    """The instants facts are read for: probes in [probe_start, end), everything else < end."""

    at: date
    probe_start: datetime
    end: datetime  # the first instant after T's local day
    tz: timezone
    probe_days: int = 7
    timeout_ms: float = 15_000.0  # a visit that loads this slowly counts as a failure
    oldest: date | None = None  # dated entries before this judge no window (None: 2 years)
    homepage_window: date | None = None  # first day of the 2-week homepage window

    @property
    def homepage_start(self) -> date:
        return self.homepage_window or self.at - timedelta(days=14)

    @property
    def homepage_days(self) -> int:
        return (self.at - self.homepage_start).days + 1

    @property
    def since(self) -> date:
        return self.oldest or self.at - ITEM_LOOKBACK

    def days(self) -> list[date]:
        """The local days of the probe week, T − (probe_days − 1) … T."""
        return [self.at - timedelta(days=i) for i in range(self.probe_days - 1, -1, -1)]

    @classmethod
    def of(
        cls,
        at: date,
        *,
        probe_days: int = 7,
        tz: timezone | None = None,
        timeout_ms: float = 15_000.0,
        oldest: date | None = None,
        homepage_window: date | None = None,
    ) -> Window:
        tz = tz or CST
        first = at - timedelta(days=probe_days - 1)
        return cls(
            at,
            datetime.combine(first, time(0), tz).astimezone(UTC),
            datetime.combine(at + timedelta(days=1), time(0), tz).astimezone(UTC),
            tz,
            probe_days,
            timeout_ms,
            oldest,
            homepage_window,
        )


def _dt(value: Any) -> datetime | None:
    """A driver datetime: SQLite hands back naive UTC text, PostgreSQL aware datetimes."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _rows(session: Session, statement: Any) -> Sequence[Any]:
    """All rows at once through the session's connection: Core rows (not the ORM's per-row
    loading) fetched in one ``fetchall``, several times cheaper per row on big reads."""
    return session.connection().execute(statement).all()


def _raw(session: Session, statement: Any) -> list[tuple[Any, ...]]:
    """The driver's own tuples, for the biggest reads: no per-row ``Row`` or type processing
    (values come as the driver gives them: ``_dt``/``_day``/``bool`` take both SQLite's text and
    integers and PostgreSQL's objects)."""
    result = session.connection().execute(statement)
    try:
        return list(result.cursor.fetchall())
    finally:
        result.close()


def _day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value[:10])


def _chunks(ids: Sequence[int], size: int = CHUNK) -> Iterator[list[int]]:
    for i in range(0, len(ids), size):
        yield list(ids[i : i + size])


def running_site_ids(session: Session) -> list[int]:
    return list(
        session.scalars(
            select(Site.id).where(Site.status == SiteStatus.RUNNING).order_by(Site.code)
        )
    )


def iter_site_inputs(
    session: Session,
    site_ids: Sequence[int],
    window: Window,
    *,
    chunk: int = CHUNK,
) -> Iterator[SiteInput]:
    """Facts for the sites, in the order given, read ``chunk`` sites per query per table."""
    for ids in _chunks(site_ids, chunk):
        with _no_gc():
            loaded = _load_chunk(session, ids, window)
        yield from loaded


@contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cycle collector while a chunk is read: tens of thousands of small acyclic
    records would otherwise trigger repeated full collections (a third of the read time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_site_inputs(session: Session, site_ids: Sequence[int], window: Window) -> list[SiteInput]:
    return list(iter_site_inputs(session, site_ids, window))


def _load_chunk(session: Session, ids: list[int], w: Window) -> list[SiteInput]:
    sites = {
        r.id: r
        for r in _rows(
            session,
            select(Site.id, Site.code, Site.name, Site.url, Site.type, Site.navigation_only).where(
                Site.id.in_(ids)
            ),
        )
    }
    probes = _probes(session, ids, w)
    columns, read_sites = _columns(session, ids, w)
    home_items, second_items, column_items = _items(session, ids, w)
    reads = _homepage_reads(session, ids, w)
    links, crawled = _links(session, ids, w)
    findings = _findings(session, ids, w)
    interaction = interaction_facts(session, ids, w)

    out: list[SiteInput] = []
    for sid in ids:
        site = sites.get(sid)
        if site is None:
            continue
        cols = tuple(
            _column_fact(c, snap, column_items.get(c.id, ())) for c, snap in columns.get(sid, ())
        )
        read = reads.get(sid)
        # The operator's setting wins; else what the homepage reads detected.
        nav = site.navigation_only
        if nav is None:
            nav = bool(read and read.detected)
        second: tuple[PageItems, ...] = ()
        if nav:  # 二级页面: the pages read from the homepage's links, and the columns
            second = (
                PageItems(site.url, tuple(second_items.get(sid, ()))),
                *(PageItems(c.url, c.items) for c in cols if c.readable),
            )
        # Every read in the window failed: the homepage's updates are unknown, not absent.
        unread = read is not None and read.any and not read.days
        homepage = Homepage(
            site.url, tuple(home_items.get(sid, ())), nav, second, readable=not unread
        )
        not_run: set[str] = set()
        reasons: tuple[str, ...] = ()
        if sid not in read_sites and not home_items.get(sid) and read is None:
            not_run.add(COLUMNS)
        elif read is not None and len(read.days) < w.homepage_days:
            reasons = (
                f"首页读取不足：{w.homepage_start.isoformat()} 至 {w.at.isoformat()} 共 "
                f"{w.homepage_days} 天，读取到首页的 {len(read.days)} 天，首页新增信息可能漏计",
            )
        if sid not in crawled:
            not_run.add(LINKS)
        extra = interaction.get(sid)
        if extra is None:
            not_run.add(INTERACTION)
            extra = {}
        facts = SiteFacts(
            code=site.code,
            name=site.name,
            url=site.url,
            site_type=str(getattr(site.type, "value", site.type)),
            homepage=homepage,
            probes=tuple(probes.get(sid, ())),
            columns=cols,
            broken_links=tuple(links.get(sid, ())),
            findings=tuple(findings.get(sid, ())),
            **extra,
        )
        out.append(SiteInput(sid, facts, frozenset(not_run), reasons))
    return out


def _probes(session: Session, ids: list[int], w: Window) -> dict[int, list[Probe]]:
    """The probe week: every failed or invalid probe as stored, the plain successes counted.

    Rules only count successful visits per Beijing day (their times are not evidence), so the
    database counts them per site and day and each day's successes share one record stamped at
    the day's local noon. Failures (and loads of ``timeout`` or more) and invalid probes are read
    row by row, since their times, kinds and durations are the evidence. Scoring is unchanged;
    reading a week of 168 probes per site is ~20 times faster.
    """
    days = w.days()
    edges = [datetime.combine(d + timedelta(days=1), time(0), w.tz).astimezone(UTC) for d in days]
    day_of = case(
        *((ProbeResult.started_at < edge, i) for i, edge in enumerate(edges)), else_=len(edges)
    )
    plain = and_(
        ProbeResult.ok.is_(True),
        ProbeResult.valid.is_(True),
        or_(ProbeResult.total_ms.is_(None), ProbeResult.total_ms < w.timeout_ms),
    )
    where = (
        ProbeResult.site_id.in_(ids),
        ProbeResult.started_at >= w.probe_start,
        ProbeResult.started_at < w.end,
    )
    out: dict[int, list[Probe]] = defaultdict(list)
    noon = [datetime.combine(d, time(12), w.tz).astimezone(UTC) for d in days]
    shared: dict[tuple[int, int], Probe] = {}
    for sid, day, n in _rows(
        session,
        select(ProbeResult.site_id, day_of.label("day"), func.count())
        .where(*where, plain)
        .group_by(ProbeResult.site_id, "day")
        .order_by(ProbeResult.site_id, "day"),
    ):
        if day >= len(days):
            continue
        probe = shared.setdefault((day, 200), Probe(noon[day], True, None, True, None, 200))
        out[sid].extend([probe] * n)
    for sid, started, ok, failure, valid, total_ms, status in _rows(
        session,
        select(
            ProbeResult.site_id,
            type_coerce(ProbeResult.started_at, String),
            ProbeResult.ok,
            type_coerce(ProbeResult.failure, String),
            ProbeResult.valid,
            ProbeResult.total_ms,
            ProbeResult.status_code,
        )
        .where(*where, ~plain)
        .order_by(ProbeResult.site_id, ProbeResult.started_at),
    ):
        out[sid].append(
            Probe(_dt(started), bool(ok), failure or None, bool(valid), total_ms, status)  # type: ignore[arg-type]
        )
    return out


def _columns(
    session: Session, ids: list[int], w: Window
) -> tuple[dict[int, list[tuple[Any, Any]]], set[int]]:
    """Each site's columns with the latest snapshot taken by the end of T (or None)."""
    cols = _rows(
        session,
        select(
            Column.id,
            Column.site_id,
            Column.name,
            Column.url,
            type_coerce(Column.category, String),
            Column.exempt,
            Column.static,
        )
        .where(Column.site_id.in_(ids))
        .order_by(Column.site_id, Column.id),
    )
    latest = (
        select(ColumnSnapshot.column_id, func.max(ColumnSnapshot.taken_at).label("taken"))
        .join(Column, Column.id == ColumnSnapshot.column_id)
        .where(Column.site_id.in_(ids), ColumnSnapshot.taken_at < w.end)
        .group_by(ColumnSnapshot.column_id)
        .subquery()
    )
    snaps: dict[int, Any] = {}
    for snap in _rows(
        session,
        select(
            ColumnSnapshot.id,
            ColumnSnapshot.column_id,
            ColumnSnapshot.readable,
            ColumnSnapshot.blank,
            ColumnSnapshot.exempt_note,
            ColumnSnapshot.item_count,
            type_coerce(ColumnSnapshot.newest_date, String).label("newest_date"),
            ColumnSnapshot.newest_title,
            ColumnSnapshot.newest_url,
        )
        .join(
            latest,
            and_(
                latest.c.column_id == ColumnSnapshot.column_id,
                latest.c.taken == ColumnSnapshot.taken_at,
            ),
        )
        .order_by(ColumnSnapshot.id),
    ):
        snaps[snap.column_id] = snap  # ties on taken_at: the last written wins
    out: dict[int, list[tuple[Any, Any]]] = defaultdict(list)
    read_sites: set[int] = set()
    for c in cols:
        snap = snaps.get(c.id)
        if snap is not None:
            read_sites.add(c.site_id)
        out[c.site_id].append((c, snap))
    return out, read_sites


def _column_fact(c: Any, snap: Any, items: Iterable[DatedItem]) -> ColumnFact:
    category = c[4]
    if snap is None:  # never read by T: not judged, and the card is provisional
        return ColumnFact(
            c.id,
            c.name,
            c.url,
            category,
            exempt=bool(c.exempt),
            static=bool(c.static),
            readable=False,
        )
    return ColumnFact(
        c.id,
        c.name,
        c.url,
        category,
        exempt=bool(c.exempt),
        static=bool(c.static),
        readable=bool(snap.readable),
        # The reader files a page without entries that explains why as EXEMPT, not blank; for
        # the table it is a blank column with an explanation (counted nowhere).
        blank=bool(snap.blank) or (bool(snap.exempt_note) and not snap.item_count),
        exempt_note=snap.exempt_note or "",
        newest_date=_day(snap.newest_date),
        newest_title=snap.newest_title or "",
        newest_url=snap.newest_url or "",
        items=tuple(items),
    )


def _items(
    session: Session, ids: list[int], w: Window
) -> tuple[dict[int, list[DatedItem]], dict[int, list[DatedItem]], dict[int, list[DatedItem]]]:
    """Dated entries seen by the end of T: the homepage's own and its second-level pages' (read
    when the homepage is navigation-only) by site, column ones by column.

    Undated entries never count as updates, and entries older than every window only matter as
    a column's newest item, which its snapshot keeps; both are left in the database.
    """
    rows = _raw(
        session,
        select(
            ColumnItem.site_id,
            ColumnItem.column_id,
            ColumnItem.url,
            ColumnItem.title,
            type_coerce(ColumnItem.published_on, String),
            ColumnItem.second_level,
        )
        .where(
            ColumnItem.site_id.in_(ids),
            ColumnItem.published_on.is_not(None),
            ColumnItem.published_on >= w.since,
            ColumnItem.first_seen_at < w.end,
        )
        .order_by(ColumnItem.id),
    )
    home: dict[int, list[DatedItem]] = defaultdict(list)
    second: dict[int, list[DatedItem]] = defaultdict(list)
    cols: dict[int, list[DatedItem]] = defaultdict(list)
    for sid, cid, url, title, published, second_level in rows:
        item = DatedItem(url, title or "", _day(published))
        if cid is not None:
            cols[cid].append(item)
        elif second_level:
            second[sid].append(item)
        else:
            home[sid].append(item)
    return home, second, cols


@dataclass(frozen=True, slots=True)
class HomepageReads:
    """A site's homepage snapshots by the end of T: navigation-only or not, and read days."""

    detected: bool | None  # None: no readable snapshot at all
    days: frozenset[date]  # Beijing days of the homepage window with a readable snapshot
    any: bool  # a snapshot (readable or not) exists: the homepage read has run


def _homepage_reads(session: Session, ids: list[int], w: Window) -> dict[int, HomepageReads]:
    """Detection as ``scanner.snapshots.homepage_navigation_only``, for many sites at once:
    every readable snapshot in the homepage window detected it; with none in the window, the
    latest readable one before the end of T decides. The window's reads are grouped by site and
    Beijing day in the database (a daily read makes 15 rows a site, a year of them 365)."""
    days = [w.homepage_start + timedelta(days=i) for i in range(w.homepage_days)]
    edges = [datetime.combine(d + timedelta(days=1), time(0), w.tz).astimezone(UTC) for d in days]
    start = datetime.combine(w.homepage_start, time(0), w.tz).astimezone(UTC)
    snap = HomepageSnapshot
    day_of = case(*((snap.taken_at < edge, i) for i, edge in enumerate(edges)), else_=len(edges))
    detected_all = func.min(case((snap.navigation_only.is_(True), 1), else_=0))
    inside: dict[int, tuple[set[date], bool]] = {}
    for sid, day, nav in _rows(
        session,
        select(snap.site_id, day_of.label("day"), detected_all)
        .where(
            snap.site_id.in_(ids),
            snap.readable.is_(True),
            snap.taken_at >= start,
            snap.taken_at < w.end,
        )
        .group_by(snap.site_id, "day"),
    ):
        seen, nav_all = inside.setdefault(sid, (set(), True))
        if day < len(days):
            seen.add(days[day])
        inside[sid] = (seen, nav_all and bool(nav))
    latest_any = {
        sid: taken
        for sid, taken in _rows(
            session,
            select(snap.site_id, func.max(snap.taken_at))
            .where(snap.site_id.in_(ids), snap.taken_at < w.end)
            .group_by(snap.site_id),
        )
    }
    before: dict[int, bool] = {}
    rest = [sid for sid in latest_any if sid not in inside]
    if rest:
        last = (
            select(snap.site_id, func.max(snap.taken_at).label("taken"))
            .where(snap.site_id.in_(rest), snap.readable.is_(True), snap.taken_at < start)
            .group_by(snap.site_id)
            .subquery()
        )
        for sid, nav in _rows(
            session,
            select(snap.site_id, snap.navigation_only)
            .join(last, and_(last.c.site_id == snap.site_id, last.c.taken == snap.taken_at))
            .where(snap.readable.is_(True))
            .order_by(snap.id),
        ):
            before[sid] = bool(nav)  # ties on taken_at: the last written wins
    out: dict[int, HomepageReads] = {}
    for sid in latest_any:
        if sid in inside:
            seen, nav_all = inside[sid]
            out[sid] = HomepageReads(nav_all, frozenset(seen), True)
        else:
            out[sid] = HomepageReads(before.get(sid), frozenset(), True)
    return out


def _links(
    session: Session, ids: list[int], w: Window
) -> tuple[dict[int, list[BrokenLink]], set[int]]:
    """Broken targets of each site's latest finished crawl by T; confirmed = re-check failed."""
    latest = (
        select(Scan.site_id, func.max(Scan.id).label("scan_id"))
        .where(Scan.site_id.in_(ids), Scan.status == "done", Scan.started_at < w.end)
        .group_by(Scan.site_id)
    )
    scans = {scan_id: sid for sid, scan_id in _rows(session, latest)}
    out: dict[int, list[BrokenLink]] = defaultdict(list)
    if not scans:
        return out, set()
    checks = _rows(
        session,
        select(
            LinkCheck.id,
            LinkCheck.scan_id,
            LinkCheck.target,
            LinkCheck.on_homepage,
            LinkCheck.on_second_level,
            LinkCheck.status_code,
            LinkCheck.kind,
            LinkCheck.failure,
            LinkCheck.confirmed_at,
        )
        .where(LinkCheck.scan_id.in_(list(scans)), LinkCheck.verdict == LinkVerdict.BROKEN)
        .order_by(LinkCheck.id),
    )
    pages: dict[int, list[str]] = defaultdict(list)
    for part in _chunks([c.id for c in checks], 900):
        for link_id, page in _rows(
            session,
            select(LinkOccurrence.link_id, LinkOccurrence.page_url)
            .where(LinkOccurrence.link_id.in_(part))
            .order_by(LinkOccurrence.id),
        ):
            if page not in pages[link_id]:
                pages[link_id].append(page)
    for c in checks:
        out[scans[c.scan_id]].append(
            BrokenLink(
                c.target,
                on_homepage=bool(c.on_homepage),
                on_second_level=bool(c.on_second_level),
                pages=tuple(pages.get(c.id, ())),
                status_code=c.status_code,
                kind=c.kind or c.failure or "",
                confirmed=c.confirmed_at is not None,
            )
        )
    return out, set(scans.values())


def _findings(session: Session, ids: list[int], w: Window) -> dict[int, list[FindingFact]]:
    rows = _rows(
        session,
        select(
            Finding.id,
            Finding.site_id,
            Finding.kind,
            type_coerce(Finding.status, String),
            Finding.page_url,
            Finding.excerpt,
            Finding.detail,
        )
        .where(Finding.site_id.in_(ids), Finding.found_at < w.end)
        .order_by(Finding.id),
    )
    out: dict[int, list[FindingFact]] = defaultdict(list)
    for r in rows:
        note = r.detail.get("note", "") if isinstance(r.detail, dict) else ""
        out[r.site_id].append(
            FindingFact(r.kind, r[3], r.page_url or "", r.excerpt or "", str(note), r.id)
        )
    return out


def interaction_facts(session: Session, ids: list[int], w: Window) -> dict[int, dict[str, Any]]:
    """Messages, surveys, interviews, guides, attachments and online systems, per checked site.

    A site is checked when one of its columns has a ``ColumnCheck`` by the end of T (the
    interaction/service check writes one per consult, survey, interview, guide and online
    system column it opens), or when it registers no such column and its columns were read (then
    there is nothing to open, and a missing channel is what the registry shows). A site missing
    from the result is left unjudged by those rules ("互动/服务类检查尚未运行").
    """
    cols = _rows(
        session,
        select(
            Column.id,
            Column.site_id,
            Column.name,
            Column.url,
            type_coerce(Column.category, String),
        )
        .where(Column.site_id.in_(ids), type_coerce(Column.category, String).in_(INTERACTIVE))
        .order_by(Column.id),
    )
    by_id = {c.id: c for c in cols}
    has_interactive = {c.site_id for c in cols}
    checks: dict[int, Any] = {}  # column id → latest check by T
    for row in _rows(
        session,
        select(ColumnCheck.column_id, ColumnCheck.opens, ColumnCheck.checked_at, ColumnCheck.id)
        .join(Column, Column.id == ColumnCheck.column_id)
        .where(Column.site_id.in_(ids), ColumnCheck.checked_at < w.end)
        .order_by(ColumnCheck.checked_at, ColumnCheck.id),
    ):
        checks[row.column_id] = row
    checked = {by_id[cid].site_id for cid in checks if cid in by_id}
    read = {
        sid
        for (sid,) in _rows(
            session,
            select(Column.site_id)
            .join(ColumnSnapshot, ColumnSnapshot.column_id == Column.id)
            .where(Column.site_id.in_(ids), ColumnSnapshot.taken_at < w.end)
            .distinct(),
        )
    }
    sites = checked | (read - has_interactive)
    if not sites:
        return {}
    oldest = w.since

    messages: dict[int, list[MessageFact]] = defaultdict(list)
    for m in _rows(
        session,
        select(
            Message.column_id,
            Message.url,
            Message.title,
            type_coerce(Message.asked_on, String).label("asked_on"),
            type_coerce(Message.answered_on, String).label("answered_on"),
            Message.state,
            Message.valid,
        )
        .join(Column, Column.id == Message.column_id)
        .where(
            Column.site_id.in_(ids),
            Message.seen_at < w.end,
            or_(Message.asked_on.is_(None), Message.asked_on >= oldest),
        )
        .order_by(Message.id),
    ):
        col = by_id.get(m.column_id)
        if col is None:
            continue
        messages[col.site_id].append(
            MessageFact(
                m.column_id,
                m.url,
                m.title or "",
                _day(m.asked_on),
                _day(m.answered_on),
                answered=m.state == "answered",
                valid=bool(m.valid),
            )
        )

    activities: dict[int, list[DatedItem]] = defaultdict(list)
    for a in _rows(
        session,
        select(
            Activity.column_id,
            Activity.url,
            Activity.title,
            type_coerce(Activity.held_on, String).label("held_on"),
        )
        .join(Column, Column.id == Activity.column_id)
        .where(
            Column.site_id.in_(ids),
            Activity.first_seen_at < w.end,
            Activity.held_on.is_not(None),
            Activity.held_on >= oldest,
        )
        .order_by(Activity.id),
    ):
        activities[a.column_id].append(DatedItem(a.url, a.title or "", _day(a.held_on)))

    guides: dict[int, list[Guide]] = defaultdict(list)
    guide_urls: dict[int, tuple[int, str]] = {}
    for g in _rows(
        session,
        select(GuidePage.id, GuidePage.column_id, GuidePage.url, GuidePage.title, GuidePage.present)
        .join(Column, Column.id == GuidePage.column_id)
        .where(Column.site_id.in_(ids), GuidePage.readable.is_(True), GuidePage.checked_at < w.end)
        .order_by(GuidePage.id),
    ):
        col = by_id.get(g.column_id)
        if col is None:
            continue
        guide_urls[g.id] = (col.site_id, g.url)
        guides[col.site_id].append(Guide(g.url, g.title or "", frozenset(g.present or ())))
    attachments: dict[int, list[Attachment]] = defaultdict(list)
    for part in _chunks(list(guide_urls), 900):
        for att in _rows(
            session,
            select(
                GuideAttachment.guide_id,
                GuideAttachment.name,
                GuideAttachment.url,
                GuideAttachment.offered,
                GuideAttachment.downloads_ok,
            )
            .where(GuideAttachment.guide_id.in_(part))
            .order_by(GuideAttachment.id),
        ):
            sid, guide_url = guide_urls[att.guide_id]
            attachments[sid].append(
                Attachment(
                    att.name,
                    guide_url,
                    att.url or "",
                    mentioned=True,
                    offered=bool(att.offered),
                    downloads_ok=None if att.downloads_ok is None else bool(att.downloads_ok),
                )
            )

    site_cols: dict[int, list[Any]] = defaultdict(list)
    for c in cols:
        site_cols[c.site_id].append(c)
    out: dict[int, dict[str, Any]] = {}
    for sid in sites:
        mine = site_cols.get(sid, [])
        systems = tuple(
            OnlineSystem(c.name, c.url, bool(checks[c.id].opens))
            for c in mine
            if c[4] == "online_system" and c.id in checks
        )
        out[sid] = {
            "messages": tuple(messages.get(sid, ())),
            "surveys": _channel([c for c in mine if c[4] == "survey"], checks, activities),
            "interviews": _channel([c for c in mine if c[4] == "interview"], checks, activities),
            "guides": tuple(guides.get(sid, ())),
            "attachments": tuple(attachments.get(sid, ())),
            "online_systems": systems,
        }
    return out


def _channel(
    cols: list[Any], checks: dict[int, Any], activities: dict[int, list[DatedItem]]
) -> Channel:
    """Survey or interview columns merged: usable when one of them opened at its latest check."""
    if not cols:
        return Channel(exists=False)
    opened = [checks[c.id].opens for c in cols if c.id in checks]
    items = tuple(a for c in cols for a in activities.get(c.id, ()))
    return Channel(
        exists=True,
        usable=any(opened) if opened else True,
        activities=items,
        url=cols[0].url,
    )

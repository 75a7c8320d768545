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

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import String, and_, func, select, type_coerce
from sqlalchemy.orm import Session

from scanner.db.models import (
    Column,
    ColumnItem,
    ColumnSnapshot,
    Finding,
    LinkCheck,
    LinkOccurrence,
    LinkVerdict,
    ProbeResult,
    Scan,
    Site,
    SiteStatus,
)
from scoring.facts import BrokenLink, DatedItem, Homepage, PageItems, Probe, SiteFacts
from scoring.facts import Column as ColumnFact
from scoring.facts import Finding as FindingFact

CHUNK = 500  # sites per bulk query: well inside SQLite's bound-parameter limit
ITEM_LOOKBACK = relativedelta(years=2)  # dated entries older than this judge no window

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


@dataclass(frozen=True, slots=True)
class Window:
    """The instants facts are read for: probes in [probe_start, end), everything else < end."""

    at: date
    probe_start: datetime
    end: datetime  # the first instant after T's local day
    tz: timezone

    @classmethod
    def of(cls, at: date, *, probe_days: int = 7, tz: timezone | None = None) -> Window:
        tz = tz or timezone(timedelta(hours=8))
        first = at - timedelta(days=probe_days - 1)
        return cls(
            at,
            datetime.combine(first, time(0), tz).astimezone(UTC),
            datetime.combine(at + timedelta(days=1), time(0), tz).astimezone(UTC),
            tz,
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
        yield from _load_chunk(session, ids, window)


def load_site_inputs(session: Session, site_ids: Sequence[int], window: Window) -> list[SiteInput]:
    return list(iter_site_inputs(session, site_ids, window))


def _load_chunk(session: Session, ids: list[int], w: Window) -> list[SiteInput]:
    sites = {
        r.id: r
        for r in session.execute(
            select(Site.id, Site.code, Site.name, Site.url, Site.type, Site.navigation_only).where(
                Site.id.in_(ids)
            )
        )
    }
    probes = _probes(session, ids, w)
    columns, read_sites = _columns(session, ids, w)
    home_items, column_items = _items(session, ids, w)
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
        nav = bool(site.navigation_only)
        second = tuple(PageItems(c.url, c.items) for c in cols if c.readable) if nav else ()
        homepage = Homepage(site.url, tuple(home_items.get(sid, ())), nav, second)
        not_run: set[str] = set()
        if sid not in read_sites and not home_items.get(sid):
            not_run.add(COLUMNS)
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
        out.append(SiteInput(sid, facts, frozenset(not_run)))
    return out


def _probes(session: Session, ids: list[int], w: Window) -> dict[int, list[Probe]]:
    """Valid and invalid probes of the probe week (invalid ones are excluded by the engine)."""
    rows = session.execute(
        select(
            ProbeResult.site_id,
            type_coerce(ProbeResult.started_at, String),
            ProbeResult.ok,
            type_coerce(ProbeResult.failure, String),
            ProbeResult.valid,
            ProbeResult.total_ms,
            ProbeResult.status_code,
        )
        .where(
            ProbeResult.site_id.in_(ids),
            ProbeResult.started_at >= w.probe_start,
            ProbeResult.started_at < w.end,
        )
        .order_by(ProbeResult.site_id, ProbeResult.started_at)
    )
    out: dict[int, list[Probe]] = defaultdict(list)
    for sid, started, ok, failure, valid, total_ms, status in rows:
        out[sid].append(
            Probe(_dt(started), bool(ok), failure or None, bool(valid), total_ms, status)  # type: ignore[arg-type]
        )
    return out


def _columns(
    session: Session, ids: list[int], w: Window
) -> tuple[dict[int, list[tuple[Any, Any]]], set[int]]:
    """Each site's columns with the latest snapshot taken by the end of T (or None)."""
    cols = session.execute(
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
        .order_by(Column.site_id, Column.id)
    ).all()
    latest = (
        select(ColumnSnapshot.column_id, func.max(ColumnSnapshot.taken_at).label("taken"))
        .join(Column, Column.id == ColumnSnapshot.column_id)
        .where(Column.site_id.in_(ids), ColumnSnapshot.taken_at < w.end)
        .group_by(ColumnSnapshot.column_id)
        .subquery()
    )
    snaps: dict[int, Any] = {}
    for snap in session.execute(
        select(
            ColumnSnapshot.id,
            ColumnSnapshot.column_id,
            ColumnSnapshot.readable,
            ColumnSnapshot.blank,
            ColumnSnapshot.exempt_note,
            ColumnSnapshot.newest_date,
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
        .order_by(ColumnSnapshot.id)
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
            c.id, c.name, c.url, category, exempt=bool(c.exempt), static=bool(c.static),
            readable=False,
        )  # fmt: skip
    return ColumnFact(
        c.id,
        c.name,
        c.url,
        category,
        exempt=bool(c.exempt),
        static=bool(c.static),
        readable=bool(snap.readable),
        blank=bool(snap.blank),
        exempt_note=snap.exempt_note or "",
        newest_date=_day(snap.newest_date),
        newest_title=snap.newest_title or "",
        newest_url=snap.newest_url or "",
        items=tuple(items),
    )


def _items(
    session: Session, ids: list[int], w: Window
) -> tuple[dict[int, list[DatedItem]], dict[int, list[DatedItem]]]:
    """Dated entries seen by the end of T: homepage ones by site, column ones by column.

    Undated entries never count as updates, and entries older than every window only matter as
    a column's newest item, which its snapshot keeps; both are left in the database.
    """
    rows = session.execute(
        select(
            ColumnItem.site_id,
            ColumnItem.column_id,
            ColumnItem.url,
            ColumnItem.title,
            ColumnItem.published_on,
            type_coerce(ColumnItem.first_seen_at, String),
        )
        .where(
            ColumnItem.site_id.in_(ids),
            ColumnItem.published_on.is_not(None),
            ColumnItem.published_on >= w.at - ITEM_LOOKBACK,
            ColumnItem.first_seen_at < w.end,
        )
        .order_by(ColumnItem.id)
    )
    home: dict[int, list[DatedItem]] = defaultdict(list)
    cols: dict[int, list[DatedItem]] = defaultdict(list)
    for sid, cid, url, title, published, first_seen in rows:
        seen = _dt(first_seen)
        item = DatedItem(
            url, title or "", _day(published), seen.astimezone(w.tz).date() if seen else None
        )
        if cid is None:
            home[sid].append(item)
        else:
            cols[cid].append(item)
    return home, cols


def _links(
    session: Session, ids: list[int], w: Window
) -> tuple[dict[int, list[BrokenLink]], set[int]]:
    """Broken targets of each site's latest finished crawl by T; confirmed = re-check failed."""
    latest = (
        select(Scan.site_id, func.max(Scan.id).label("scan_id"))
        .where(Scan.site_id.in_(ids), Scan.status == "done", Scan.started_at < w.end)
        .group_by(Scan.site_id)
    )
    scans = {scan_id: sid for sid, scan_id in session.execute(latest)}
    out: dict[int, list[BrokenLink]] = defaultdict(list)
    if not scans:
        return out, set()
    checks = session.execute(
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
        .order_by(LinkCheck.id)
    ).all()
    pages: dict[int, list[str]] = defaultdict(list)
    for part in _chunks([c.id for c in checks], 900):
        for link_id, page in session.execute(
            select(LinkOccurrence.link_id, LinkOccurrence.page_url)
            .where(LinkOccurrence.link_id.in_(part))
            .order_by(LinkOccurrence.id)
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
    rows = session.execute(
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
        .order_by(Finding.id)
    )
    out: dict[int, list[FindingFact]] = defaultdict(list)
    for r in rows:
        note = r.detail.get("note", "") if isinstance(r.detail, dict) else ""
        out[r.site_id].append(
            FindingFact(r.kind, r[3], r.page_url or "", r.excerpt or "", str(note), r.id)
        )
    return out


def interaction_facts(session: Session, ids: list[int], w: Window) -> dict[int, dict[str, Any]]:
    """Messages, surveys, interviews, guides, attachments and online systems per site.

    TODO(interaction checks): the scanner does not collect these yet. A site missing from the
    result has not had them checked, so its interaction and service rules are left unjudged and
    its card is provisional ("互动/服务类检查尚未运行"). When the checks land, return for each
    checked site the ``SiteFacts`` keyword arguments (messages, surveys, interviews, guides,
    attachments, online_systems) built from their tables, one query per table for ``ids``.
    """
    return {}

"""Column facts: each column's latest read and dated items, homepage items and reads."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import String, and_, case, func, select, type_coerce
from sqlalchemy.orm import Session

from scanner.db.models import (
    Column,
    ColumnItem,
    ColumnSnapshot,
    HomepageSnapshot,
)
from scanner.scorecards.facts.rows import (
    as_day,
    core_rows,
    driver_rows,
)
from scanner.scorecards.facts.window import (
    Window,
)
from scoring.facts import Column as ColumnFact
from scoring.facts import (
    DatedItem,
)


def column_facts(
    session: Session, ids: list[int], w: Window
) -> tuple[dict[int, list[tuple[Any, Any]]], set[int]]:
    """Each site's columns with the latest snapshot taken by the end of T (or None)."""
    cols = core_rows(
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
    for snap in core_rows(
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
            ColumnSnapshot.read_via,
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


def column_fact(c: Any, snap: Any, items: Iterable[DatedItem]) -> ColumnFact:
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
            read_via="",
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
        newest_date=as_day(snap.newest_date),
        newest_title=snap.newest_title or "",
        newest_url=snap.newest_url or "",
        items=tuple(items),
        read_via=snap.read_via or "static",
    )


def item_facts(
    session: Session, ids: list[int], w: Window
) -> tuple[dict[int, list[DatedItem]], dict[int, list[DatedItem]], dict[int, list[DatedItem]]]:
    """Dated entries seen by the end of T: the homepage's own and its second-level pages' (read
    when the homepage is navigation-only) by site, column ones by column.

    Undated entries never count as updates, and entries older than every window only matter as
    a column's newest item, which its snapshot keeps; both are left in the database.
    """
    rows = driver_rows(
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
        item = DatedItem(url, title or "", as_day(published))
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


def homepage_reads(session: Session, ids: list[int], w: Window) -> dict[int, HomepageReads]:
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
    for sid, day, nav in core_rows(
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
        for sid, taken in core_rows(
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
        for sid, nav in core_rows(
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

"""What a finished crawl keeps once it is old: the rows a scorecard can still read.

A night's crawl stores every page, every queued URL and a verdict with its evidence pages for
every distinct link — 86 % of the database's bytes (docs/scale.md), and at the country's scale
terabytes a year. Scoring reads only the *broken* links of a site's latest finished crawl by a
day T (with the pages they were found on), and the crawl's stats; the next night reuses the
'ok' verdicts and pages of the latest finished crawl alone. So once a crawl is older than
`crawl_detail_days` and is not its site's latest finished one, its pages, its frontier and its
'ok' (and never-checked) link rows go; its broken and undetermined links, their evidence pages
and the scan row with its stats stay, so a scorecard for any past day scores exactly as before.

Each scan is pruned in one transaction and marked in its stats (``details_pruned_at``): a
killed run leaves every scan either whole or pruned, and running it again goes on.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, func, or_, select
from sqlalchemy.orm import Session

from scanner.db import Database
from scanner.db.models.crawl import (
    CrawlFrontier,
    LinkCheck,
    LinkOccurrence,
    LinkVerdict,
    Page,
    Scan,
)

__all__ = ["PRUNED_MARK", "Pruned", "prunable_scans", "prune_details"]

PRUNED_MARK = "details_pruned_at"  # key in Scan.stats
_ENDED = ("done", "homepage_failed", "abandoned")  # a resumable scan keeps everything


@dataclass
class Pruned:
    """Rows removed (or, in a dry run, that would be)."""

    scans: int = 0
    pages: int = 0
    frontier: int = 0
    link_checks: int = 0
    link_occurrences: int = 0

    def add(self, other: Pruned) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


def prunable_scans(session: Session, before: datetime) -> list[int]:
    """Ended scans started before ``before``, not yet pruned, that are not their site's latest
    finished (``done``) scan — oldest first."""
    latest = (
        select(func.max(Scan.id)).where(Scan.status == "done").group_by(Scan.site_id)
    ).scalar_subquery()
    rows = session.execute(
        select(Scan.id, Scan.stats)
        .where(Scan.status.in_(_ENDED), Scan.started_at < before, Scan.id.not_in(latest))
        .order_by(Scan.id)
    ).all()
    return [scan_id for scan_id, stats in rows if PRUNED_MARK not in (stats or {})]


def _dropped_checks(scan_id: int) -> ColumnElement[bool]:
    return and_(
        LinkCheck.scan_id == scan_id,
        or_(LinkCheck.verdict == LinkVerdict.OK, LinkCheck.verdict.is_(None)),
    )


def _prune_one(session: Session, scan_id: int, now: datetime, dry_run: bool) -> Pruned:
    dropped = _dropped_checks(scan_id)
    ids = select(LinkCheck.id).where(dropped)
    counts = Pruned(
        scans=1,
        pages=session.scalar(select(func.count()).where(Page.scan_id == scan_id)) or 0,
        frontier=session.scalar(select(func.count()).where(CrawlFrontier.scan_id == scan_id)) or 0,
        link_checks=session.scalar(select(func.count()).where(dropped)) or 0,
        link_occurrences=session.scalar(select(func.count()).where(LinkOccurrence.link_id.in_(ids)))
        or 0,
    )
    if dry_run:
        return counts
    # Occurrences first, by name (not left to ON DELETE CASCADE): the counts are what went.
    session.execute(delete(LinkOccurrence).where(LinkOccurrence.link_id.in_(ids)))
    session.execute(delete(LinkCheck).where(dropped))
    session.execute(delete(Page).where(Page.scan_id == scan_id))
    session.execute(delete(CrawlFrontier).where(CrawlFrontier.scan_id == scan_id))
    scan = session.get(Scan, scan_id)
    assert scan is not None
    scan.stats = {**(scan.stats or {}), PRUNED_MARK: now.isoformat()}
    return counts


def prune_details(
    db: Database, now: datetime, days: int, *, dry_run: bool = False, limit: int | None = None
) -> Pruned:
    """Prune the details of every scan started more than ``days`` ago that is not its site's
    latest finished one; ``days`` 0 keeps everything. One transaction per scan."""
    total = Pruned()
    if days <= 0:
        return total
    with db.session() as s:
        todo = prunable_scans(s, now - timedelta(days=days))
    for scan_id in todo[:limit] if limit is not None else todo:
        with db.session() as s:  # committed per scan: a kill leaves whole or pruned scans
            total.add(_prune_one(s, scan_id, now, dry_run))
    return total

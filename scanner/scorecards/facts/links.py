"""Link facts: the broken links of each site's latest finished crawl by T."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scanner.db.models import (
    LinkCheck,
    LinkOccurrence,
    LinkVerdict,
    Scan,
)
from scanner.scorecards.facts.rows import (
    chunks,
    core_rows,
)
from scanner.scorecards.facts.window import (
    Window,
)
from scoring.facts import (
    BrokenLink,
    LinkScan,
)


def link_scans(session: Session, scans: dict[int, int]) -> dict[int, LinkScan]:
    """How each of these crawls (scan id → site id) was made: what it reused (its stats)."""
    out: dict[int, LinkScan] = {}
    for part in chunks(list(scans), 900):
        for scan_id, started, stats in core_rows(
            session,
            select(Scan.id, Scan.started_at, Scan.stats).where(Scan.id.in_(part)),
        ):
            out[scans[scan_id]] = _link_scan(_utc(started), stats or {})
    return out


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _link_scan(started: datetime, stats: dict[str, Any]) -> LinkScan:
    def num(key: str) -> int:
        value = stats.get(key)
        return value if isinstance(value, int) else 0

    def secs(key: str) -> float:
        value = stats.get(key)
        return float(value) if isinstance(value, int | float) else 0.0

    since: datetime | None = None
    raw = stats.get("reused_since")
    if isinstance(raw, str):
        try:
            since = _utc(datetime.fromisoformat(raw))
        except ValueError:
            since = None
    return LinkScan(
        started_at=started,
        pages=num("pages"),
        not_modified=num("not_modified"),
        same_body=num("same_body"),
        pages_kept=num("pages_kept"),
        links_checked=num("checked"),
        verdicts_reused=num("reused_verdicts"),
        confirmed_earlier=num("confirmed_earlier"),
        reused_since=since,
        verdict_reuse_s=secs("verdict_reuse_s"),
        page_reuse_s=secs("page_reuse_s"),
    )


def link_facts(
    session: Session, ids: list[int], w: Window
) -> tuple[dict[int, list[BrokenLink]], dict[int, LinkScan]]:
    """Broken targets of each site's latest finished crawl by T (confirmed = re-check
    failed), and per crawled site how that crawl was made."""
    latest = (
        select(Scan.site_id, func.max(Scan.id).label("scan_id"))
        .where(Scan.site_id.in_(ids), Scan.status == "done", Scan.started_at < w.end)
        .group_by(Scan.site_id)
    )
    scans = {scan_id: sid for sid, scan_id in core_rows(session, latest)}
    out: dict[int, list[BrokenLink]] = defaultdict(list)
    if not scans:
        return out, {}
    checks = core_rows(
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
            LinkCheck.occurrences,
        )
        .where(LinkCheck.scan_id.in_(list(scans)), LinkCheck.verdict == LinkVerdict.BROKEN)
        .order_by(LinkCheck.id),
    )
    pages: dict[int, list[str]] = defaultdict(list)
    for part in chunks([c.id for c in checks], 900):
        for link_id, page in core_rows(
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
                occurrences=c.occurrences or 0,
            )
        )
    return out, link_scans(session, scans)

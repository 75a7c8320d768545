"""Link facts: the broken links of each site's latest finished crawl by T."""

from __future__ import annotations

from collections import defaultdict

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
)


def link_facts(
    session: Session, ids: list[int], w: Window
) -> tuple[dict[int, list[BrokenLink]], set[int]]:
    """Broken targets of each site's latest finished crawl by T; confirmed = re-check failed."""
    latest = (
        select(Scan.site_id, func.max(Scan.id).label("scan_id"))
        .where(Scan.site_id.in_(ids), Scan.status == "done", Scan.started_at < w.end)
        .group_by(Scan.site_id)
    )
    scans = {scan_id: sid for sid, scan_id in core_rows(session, latest)}
    out: dict[int, list[BrokenLink]] = defaultdict(list)
    if not scans:
        return out, set()
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
            )
        )
    return out, set(scans.values())

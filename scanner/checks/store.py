"""Storing one site's check run, in the caller's transaction (all of a site or nothing).

- messages: once per (column, URL), refreshed on every read (a reply that appears later
  updates ``answered_on``/``state``); ``seen_at`` keeps the first sighting, ``last_seen_at``
  the latest;
- one `ColumnCheck` per checked column and run: opened or not (可用), why not, how many entries;
- survey/interview activities: once per (column, URL), with the list's date;
- guides: once per (column, URL), elements present as of the latest read; the guide's
  attachments are replaced by the latest read's;
- content hits: candidate findings for 人工复核, once per (site, page, kind, words) — a hit
  a reviewer already dismissed is not queued again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from probes.content import FORBIDDEN_WORD
from probes.guides import ELEMENTS
from scanner.checks.run import SiteChecks
from scanner.db.models import Activity, ColumnCheck, GuideAttachment, GuidePage, Message
from scanner.review.queue import fingerprint, propose

__all__ = ["StoredChecks", "store_site_checks"]


@dataclass(slots=True)
class StoredChecks:
    messages: int = 0
    new_messages: int = 0
    column_checks: int = 0
    activities: int = 0
    guides: int = 0
    attachments: int = 0
    new_findings: int = 0


def _messages(session: Session, checks: SiteChecks, at: datetime, out: StoredChecks) -> None:
    for column_id, read in checks.messages.items():
        session.add(
            ColumnCheck(
                column_id=column_id,
                checked_at=at,
                opens=read.ok,
                failure=read.error,
                status_code=read.status_code,
                item_count=len(read.messages),
                detail={"list_pages": read.list_pages, "opened": read.opened},
            )
        )
        out.column_checks += 1
        known = {
            m.url: m for m in session.scalars(select(Message).where(Message.column_id == column_id))
        }
        for m in read.messages:
            row = known.get(m.url)
            if row is None:
                row = Message(column_id=column_id, url=m.url, seen_at=at)
                session.add(row)
                out.new_messages += 1
            row.title = m.title
            row.asked_on = m.asked_on or row.asked_on
            row.answered_on = m.answered_on or row.answered_on
            row.state = m.state if m.state != "unknown" or row.state is None else row.state
            row.status_text = m.status_text[:40]
            row.valid = m.valid
            row.last_seen_at = at
            out.messages += 1


def _channels(session: Session, checks: SiteChecks, at: datetime, out: StoredChecks) -> None:
    for column_id, read in checks.channels.items():
        session.add(
            ColumnCheck(
                column_id=column_id,
                checked_at=at,
                opens=read.ok,
                failure=read.error,
                item_count=len(read.items),
                detail={"state": read.state, "newest": read.newest.isoformat()
                        if read.newest else None},
            )
        )  # fmt: skip
        out.column_checks += 1
        if not read.ok:
            continue
        known = {
            a.url: a
            for a in session.scalars(select(Activity).where(Activity.column_id == column_id))
        }
        for item in read.items:
            row = known.get(item.url)
            if row is None:
                row = Activity(column_id=column_id, url=item.url, first_seen_at=at)
                session.add(row)
                known[item.url] = row
            row.title = item.title
            row.held_on = item.date or row.held_on
            row.last_seen_at = at
            out.activities += 1


def _guides(session: Session, checks: SiteChecks, at: datetime, out: StoredChecks) -> None:
    for column_id, col in checks.guides.items():
        session.add(
            ColumnCheck(
                column_id=column_id,
                checked_at=at,
                opens=col.ok,
                failure=col.error,
                item_count=len(col.guides),
            )
        )
        out.column_checks += 1
        known = {
            g.url: g
            for g in session.scalars(select(GuidePage).where(GuidePage.column_id == column_id))
        }
        for g in col.guides:
            row = known.get(g.url)
            if row is None:
                row = GuidePage(column_id=column_id, url=g.url)
                session.add(row)
                known[g.url] = row
            row.title = g.title
            row.readable = g.readable
            row.checked_at = at
            out.guides += 1
            if g.read is None:
                continue  # an unreadable guide keeps what was last seen
            row.present = [e for e in ELEMENTS if e in g.read.present]
            row.labels = dict(g.read.present)
            row.attachments.clear()
            for ref in g.read.attachments:
                check = g.downloads.get(ref.url) if ref.url else None
                row.attachments.append(
                    GuideAttachment(
                        name=ref.name,
                        url=ref.url,
                        offered=ref.offered,
                        downloads_ok=check.ok if check is not None else None,
                        failure=check.failure if check is not None else "",
                        status_code=check.status_code if check is not None else None,
                        checked_at=at,
                    )
                )
                out.attachments += 1


def _systems(session: Session, checks: SiteChecks, at: datetime, out: StoredChecks) -> None:
    for column_id, sys_check in checks.systems.items():
        session.add(
            ColumnCheck(
                column_id=column_id,
                checked_at=at,
                opens=sys_check.opens,
                failure=sys_check.failure,
                status_code=sys_check.status_code,
                detail={"title": sys_check.title},
            )
        )
        out.column_checks += 1


def _content(session: Session, checks: SiteChecks, at: datetime, out: StoredChecks) -> None:
    site_id = checks.site.site_id
    for page in checks.content:
        for hit in page.hits:
            if hit.kind == FORBIDDEN_WORD:
                note = f"自动发现：页面含禁用词「{hit.matched}」（{hit.expected}）"
            else:
                note = (
                    f"自动发现：疑似领导人姓名写错「{hit.matched}」，应为「{hit.expected}」"
                    f"（上下文：{hit.context}）"
                )
            found = propose(
                session,
                site_id,
                kind="serious_error",
                page_url=page.url,
                excerpt=hit.excerpt,
                detail={
                    "check": hit.kind,
                    "matched": hit.matched,
                    "expected": hit.expected,
                    "context": hit.context,
                },
                key=fingerprint(page.url, hit.kind, hit.matched),
                at=at,
                comment=note,
            )
            out.new_findings += found is not None


def store_site_checks(session: Session, checks: SiteChecks, at: datetime) -> StoredChecks:
    """Write one site's run in the caller's session (the caller's transaction commits)."""
    out = StoredChecks()
    _messages(session, checks, at, out)
    _channels(session, checks, at, out)
    _guides(session, checks, at, out)
    _systems(session, checks, at, out)
    _content(session, checks, at, out)
    session.flush()
    return out

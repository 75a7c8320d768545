"""Interaction and service facts: messages, surveys, interviews, guides, attachments, systems."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import String, or_, select, type_coerce
from sqlalchemy.orm import Session

from scanner.db.models import (
    Activity,
    Column,
    ColumnCheck,
    ColumnSnapshot,
    GuideAttachment,
    GuidePage,
    Message,
)
from scanner.scorecards.facts.rows import (
    as_day,
    chunks,
    core_rows,
)
from scanner.scorecards.facts.window import (
    Window,
)
from scoring.facts import (
    Attachment,
    Channel,
    DatedItem,
    Guide,
    OnlineSystem,
)
from scoring.facts import Message as MessageFact

INTERACTIVE = ("consult", "report", "survey", "interview", "guide", "online_system")


def interaction_facts(session: Session, ids: list[int], w: Window) -> dict[int, dict[str, Any]]:
    """Messages, surveys, interviews, guides, attachments and online systems, per checked site.

    A site is checked when one of its columns has a ``ColumnCheck`` by the end of T (the
    interaction/service check writes one per consult, survey, interview, guide and online
    system column it opens), or when it registers no such column and its columns were read (then
    there is nothing to open, and a missing channel is what the registry shows). A site missing
    from the result is left unjudged by those rules ("互动/服务类检查尚未运行").
    """
    cols = core_rows(
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
    for row in core_rows(
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
        for (sid,) in core_rows(
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
    for m in core_rows(
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
                as_day(m.asked_on),
                as_day(m.answered_on),
                answered=m.state == "answered",
                valid=bool(m.valid),
            )
        )

    activities: dict[int, list[DatedItem]] = defaultdict(list)
    for a in core_rows(
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
        activities[a.column_id].append(DatedItem(a.url, a.title or "", as_day(a.held_on)))

    guides: dict[int, list[Guide]] = defaultdict(list)
    guide_urls: dict[int, tuple[int, str]] = {}
    for g in core_rows(
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
    for part in chunks(list(guide_urls), 900):
        for att in core_rows(
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

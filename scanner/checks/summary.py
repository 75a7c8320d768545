"""What the stored interaction and service facts say about a site at a monitoring point.

This is the operator's view (``census check``) of the rules' inputs — valid messages in the
past year, messages left unanswered for more than three calendar months, activities, missing
guide elements, attachments, online systems — computed the way rules-2015.md counts them, with
the windows and categories of the ruleset's ``veto.unanswered`` rule, so an official can compare
it with the scorecard. Scoring itself reads the same rows through its
own facts (``scoring.facts.Message``, ``Channel``, ``Guide``, ``Attachment``, ``OnlineSystem``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from probes.guides import ELEMENTS
from scanner.db.models import (
    Activity,
    Column,
    ColumnCategory,
    ColumnCheck,
    Finding,
    FindingStatus,
    GuidePage,
    Message,
    Site,
)
from scoring import Ruleset, default_ruleset
from scoring.params import Period
from scoring.rules.veto import UnansweredParams

__all__ = [
    "Overdue",
    "SiteSummary",
    "latest_check",
    "overdue_state",
    "summarize",
    "unanswered_params",
]


def unanswered_params(ruleset: Ruleset | None = None) -> UnansweredParams:
    """Lookback, answer deadline and categories of the table's 互动回应差 veto."""
    params = (ruleset or default_ruleset()).rule("veto.unanswered").params
    assert isinstance(params, UnansweredParams)
    return params


def overdue_state(
    asked: date, answered_on: date | None, answered: bool, at: date, *, within: Period
) -> str | None:
    """answered_late | open | answered_undated, or None when answered in time / not yet due.

    "More than 3 months": a reply on the day three calendar months after asking is in time.
    A reply dated after ``at`` did not exist at ``at``.
    """
    deadline = within.after(asked)
    if answered_on is not None and answered_on <= at:
        return "answered_late" if answered_on > deadline else None
    if answered and answered_on is None:
        return "answered_undated" if at > deadline else None
    return "open" if at > deadline else None


@dataclass(frozen=True, slots=True)
class Overdue:
    column: str
    url: str
    title: str
    asked_on: date
    answered_on: date | None
    state: str  # answered_late | open | answered_undated


@dataclass(slots=True)
class SiteSummary:
    code: str
    name: str
    at: date
    consult_columns: int = 0
    valid_messages: int = 0  # in consult columns, asked within the year
    messages_total: int = 0
    overdue: list[Overdue] = field(default_factory=list)
    undated_replies: list[Overdue] = field(default_factory=list)
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)  # survey / interview
    guides: list[dict[str, Any]] = field(default_factory=list)
    attachments_not_offered: list[dict[str, Any]] = field(default_factory=list)
    attachments_broken: list[dict[str, Any]] = field(default_factory=list)
    systems: list[dict[str, Any]] = field(default_factory=list)
    findings: dict[str, int] = field(default_factory=dict)  # status → count

    def to_json(self) -> dict[str, Any]:
        def od(o: Overdue) -> dict[str, Any]:
            return {
                "column": o.column, "url": o.url, "title": o.title,
                "asked_on": o.asked_on.isoformat(),
                "answered_on": o.answered_on.isoformat() if o.answered_on else None,
                "state": o.state,
            }  # fmt: skip

        return {
            "code": self.code,
            "name": self.name,
            "at": self.at.isoformat(),
            "consult_columns": self.consult_columns,
            "messages_total": self.messages_total,
            "valid_messages_past_year": self.valid_messages,
            "unanswered_over_3_months": [od(o) for o in self.overdue],
            "answered_without_date": [od(o) for o in self.undated_replies],
            "channels": self.channels,
            "guides": self.guides,
            "attachments_not_offered": self.attachments_not_offered,
            "attachments_broken": self.attachments_broken,
            "online_systems": self.systems,
            "findings": self.findings,
        }


def latest_check(session: Session, column_id: int) -> ColumnCheck | None:
    query = select(ColumnCheck).where(ColumnCheck.column_id == column_id)
    return session.scalar(query.order_by(ColumnCheck.checked_at.desc(), ColumnCheck.id.desc()))


def summarize(
    session: Session, site: Site, at: date, ruleset: Ruleset | None = None
) -> SiteSummary:
    """The rules' inputs for one site at monitoring point ``at``, from the stored facts."""
    out = SiteSummary(site.code, site.name, at)
    rule = unanswered_params(ruleset)
    start = rule.lookback.start(at)  # the past year, as the interaction rules count it too
    for column in site.columns:
        cat = column.category
        if cat in (ColumnCategory.CONSULT, ColumnCategory.REPORT):
            _messages(session, column, at, rule, out)
        elif cat in (ColumnCategory.SURVEY, ColumnCategory.INTERVIEW):
            check = latest_check(session, column.id)
            held = session.scalars(
                select(Activity).where(
                    Activity.column_id == column.id,
                    Activity.held_on >= start,
                    Activity.held_on <= at,
                )
            ).all()
            entry = out.channels.setdefault(
                cat.value, {"columns": [], "usable": False, "activities": 0}
            )
            entry["columns"].append(column.name)
            entry["usable"] = entry["usable"] or bool(check and check.opens)
            entry["activities"] += len(held)
            entry["checked"] = entry.get("checked", False) or check is not None
        elif cat == ColumnCategory.GUIDE:
            _guides(session, column, out)
        elif cat == ColumnCategory.ONLINE_SYSTEM:
            check = latest_check(session, column.id)
            out.systems.append(
                {
                    "name": column.name,
                    "url": column.url,
                    "opens": None if check is None else check.opens,
                    "failure": "" if check is None else check.failure,
                    "status_code": None if check is None else check.status_code,
                }
            )
    for f in session.scalars(select(Finding).where(Finding.site_id == site.id)):
        status = f.status.value if isinstance(f.status, FindingStatus) else str(f.status)
        out.findings[status] = out.findings.get(status, 0) + 1
    return out


def _messages(
    session: Session, column: Column, at: date, rule: UnansweredParams, out: SiteSummary
) -> None:
    rows = session.scalars(select(Message).where(Message.column_id == column.id)).all()
    out.messages_total += len(rows)
    if column.category not in rule.categories:  # report/survey/interview are exempt
        return
    start = rule.lookback.start(at)
    out.consult_columns += 1
    for m in rows:
        if m.asked_on is None or not start <= m.asked_on <= at:
            continue
        out.valid_messages += m.valid
        state = overdue_state(
            m.asked_on, m.answered_on, m.state == "answered", at, within=rule.answer_within
        )
        if state is None:
            continue
        entry = Overdue(column.name, m.url, m.title, m.asked_on, m.answered_on, state)
        (out.undated_replies if state == "answered_undated" else out.overdue).append(entry)


def _guides(session: Session, column: Column, out: SiteSummary) -> None:
    for g in session.scalars(select(GuidePage).where(GuidePage.column_id == column.id)):
        missing = [e for e in ELEMENTS if e not in (g.present or [])]
        out.guides.append(
            {"title": g.title, "url": g.url, "readable": g.readable, "missing": missing,
             "labels": g.labels}
        )  # fmt: skip
        for a in g.attachments:
            entry = {"name": a.name, "url": a.url, "guide_url": g.url, "failure": a.failure}
            if not a.offered:
                out.attachments_not_offered.append(entry)
            elif a.downloads_ok is False:
                out.attachments_broken.append(entry)

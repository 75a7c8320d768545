"""The JSON API under /api (OpenAPI at /api/openapi.json): the same scope and role rules as the
pages; a site outside the scope answers 404 exactly like a missing one."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel

from scanner.db.models import FindingStatus
from scanner.scorecards import card_at
from scanner.web.deps import DbSession, UserScope, state
from scanner.web.queries import (
    finding_in_scope,
    findings_in_scope,
    list_sites,
    overview,
)
from scanner.web.routes.common import Filters, card_point, point, site_or_404

router = APIRouter(prefix="/api", tags=["API"])


class SiteOut(BaseModel):
    code: str
    name: str
    url: str
    organisation: str
    verdict: str | None  # qualified | unqualified | None (no stored card at T)
    provisional: bool | None
    total_deduction: float | None
    vetoes: list[str]


class SitesOut(BaseModel):
    at: str | None
    total: int
    page: int
    sites: list[SiteOut]


@router.get("/sites", response_model=SitesOut)
def api_sites(
    request: Request,
    session: DbSession,
    scope: UserScope,
    f: Filters,
    at: str | None = None,
    paged: bool = False,
) -> SitesOut:
    """The sites the user may see, with their verdict at T (default: the newest T); all of
    them, or 50 a page with ``paged=true``."""
    rules = state(request).ruleset
    when = point(session, scope, rules.id, at)
    rows, total = list_sites(session, scope, rules.id, when, f, page_size=50 if paged else None)
    return SitesOut(
        at=when.isoformat() if when else None,
        total=total,
        page=f.page,
        sites=[
            SiteOut(
                code=r.code, name=r.name, url=r.url, organisation=r.org_name,
                verdict=None if r.qualified is None
                else "qualified" if r.qualified else "unqualified",
                provisional=r.provisional, total_deduction=r.total, vetoes=list(r.vetoes),
            )
            for r in rows
        ],
    )  # fmt: skip


@router.get("/sites/{code}/scorecard")
def api_scorecard(
    request: Request, session: DbSession, scope: UserScope, code: str, at: str | None = None
) -> dict[str, Any]:
    """Exactly the JSON of ``census scorecard CODE --at T --json``."""
    rules = state(request).ruleset
    site = site_or_404(session, scope, code)
    when = card_point(request, session, site, at)
    body, _ = card_at(session, site, rules, when)
    return body


@router.get("/overview")
def api_overview(
    request: Request, session: DbSession, scope: UserScope, at: str | None = None
) -> dict[str, Any]:
    rules = state(request).ruleset
    data = overview(session, scope, rules.id, point(session, scope, rules.id, at))
    return {
        "at": data.at.isoformat() if data.at else None,
        "sites": data.sites,
        "scored": data.scored,
        "qualified": data.qualified,
        "unqualified": data.unqualified,
        "provisional": data.provisional,
        "qualified_rate": data.rate,
        "vetoes": data.vetoes,
        "deductions": {k: {"sites": n, "points": p} for k, (n, p) in data.deductions.items()},
        "organisations": [b.__dict__ for b in data.bars],
        "trend": [
            {"at": t.isoformat(), "qualified": q, "unqualified": u, "provisional": p}
            for t, q, u, p in data.trend
        ],
    }


def _finding_json(f: Any, site: Any) -> dict[str, Any]:
    return {
        "id": f.id, "site": site.code, "kind": f.kind, "status": f.status.value,
        "page_url": f.page_url, "excerpt": f.excerpt, "found_at": f.found_at.isoformat(),
        "reviewer": f.reviewer, "comment": f.comment,
    }  # fmt: skip


@router.get("/findings")
def api_findings(
    session: DbSession, scope: UserScope, status: str = "candidate"
) -> list[dict[str, Any]]:
    statuses = [FindingStatus(status)] if status in {s.value for s in FindingStatus} else None
    return [_finding_json(f, s) for f, s in findings_in_scope(session, scope, statuses)]


@router.get("/findings/{finding_id}")
def api_finding(session: DbSession, scope: UserScope, finding_id: int) -> dict[str, Any]:
    f = finding_in_scope(session, scope, finding_id)
    if f is None:
        raise HTTPException(404, "没有这条发现 (no such finding)")
    from scanner.db.models import Site

    site = session.get(Site, f.site_id)
    return _finding_json(f, site)

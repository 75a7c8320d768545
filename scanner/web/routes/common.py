"""Helpers the routers share: the monitoring point asked for, the site-list filters of the
query string, and the 404 of the scope."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scanner.clock import CST
from scanner.db.models import Scorecard as StoredCard
from scanner.db.models import Site
from scanner.web.deps import Scope, now, state
from scanner.web.queries import SiteFilters, latest_point, site_in_scope

NOT_FOUND = "没有这个网站 (no such site)"


def parse_day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise HTTPException(400, f"日期格式应为 YYYY-MM-DD：{value!r}") from None


def site_filters(
    org: str = "",
    verdict: str = "",
    veto: str = "",
    provisional: str = "",
    q: str = "",
    page: int = 1,
) -> SiteFilters:
    """The list's filters as the page and the API both take them from the query string."""
    return SiteFilters(org, verdict, veto, provisional, q[:100], max(1, page))


Filters = Annotated[SiteFilters, Depends(site_filters)]


def point(session: Session, scope: Scope, ruleset: str, at: str | None) -> date | None:
    """T asked for, else the newest monitoring point with stored cards in the scope."""
    return parse_day(at) or latest_point(session, scope, ruleset)


def card_point(request: Request, session: Session, site: Site, at: str | None) -> date:
    """T of a site's card: asked for, else its newest stored card's, else today (Beijing)."""
    asked = parse_day(at)
    if asked is not None:
        return asked
    newest = session.scalar(
        select(func.max(StoredCard.at)).where(
            StoredCard.site_id == site.id, StoredCard.ruleset == state(request).ruleset.id
        )
    )
    return newest or now(request).astimezone(CST).date()


def site_or_404(session: Session, scope: Scope, code: str) -> Site:
    """Outside the scope answers exactly like a site that does not exist."""
    site = site_in_scope(session, scope, code)
    if site is None:
        raise HTTPException(404, NOT_FOUND)
    return site

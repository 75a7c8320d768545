"""Helpers the routers share: the monitoring point asked for, and the 404 of the scope."""

from __future__ import annotations

from datetime import date

from fastapi import HTTPException
from sqlalchemy.orm import Session

from scanner.db.models import Site
from scanner.web.deps import Scope
from scanner.web.queries import latest_point, site_in_scope

NOT_FOUND = "没有这个网站 (no such site)"


def parse_day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise HTTPException(400, f"日期格式应为 YYYY-MM-DD：{value!r}") from None


def point(session: Session, scope: Scope, ruleset: str, at: str | None) -> date | None:
    """T asked for, else the newest monitoring point with stored cards in the scope."""
    return parse_day(at) or latest_point(session, scope, ruleset)


def site_or_404(session: Session, scope: Scope, code: str) -> Site:
    """Outside the scope answers exactly like a site that does not exist."""
    site = site_in_scope(session, scope, code)
    if site is None:
        raise HTTPException(404, NOT_FOUND)
    return site

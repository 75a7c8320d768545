"""总览: the region at a monitoring point."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from scanner.web.app import render
from scanner.web.charts import org_bars, trend_line
from scanner.web.deps import DbSession, UserScope, state
from scanner.web.queries import monitoring_points, overview
from scanner.web.routes.common import point

router = APIRouter(tags=["总览"])


@router.get("/")
def overview_page(
    request: Request, session: DbSession, scope: UserScope, at: str | None = None
) -> Response:
    rules = state(request).ruleset
    when = point(session, scope, rules.id, at)
    data = overview(session, scope, rules.id, when)
    names = {r.id: r.name for r in rules.rules}
    return render(
        request,
        "overview.html",
        scope.user,
        title="总览",
        data=data,
        names=names,
        points=monitoring_points(session, scope, rules.id)[:60],
        bars_svg=org_bars(data.bars),
        trend_svg=trend_line(data.trend),
    )

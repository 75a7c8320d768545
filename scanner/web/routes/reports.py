"""抽查 and 问责: the quarter's sample drawn, 问责 recorded, the 监管年度报表 downloaded — all
through scanner.reports, for the user's own organisation and what lies below it."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from scanner.clock import CST
from scanner.errors import CensusError
from scanner.reports.accountability import FORM_COLUMNS, FORM_LABEL, NewAction, actions_in
from scanner.reports.accountability import add_action as store_action
from scanner.reports.common import percent, quarter_of, ratio
from scanner.reports.sampling import DrawRequest, draw_sampling, parse_ratio, samplings_in
from scanner.reports.supervision import supervision
from scanner.web.app import render
from scanner.web.deps import CsrfChecked, DbSession, ReviewerScope, UserScope, now, state
from scanner.web.queries import site_in_scope
from scanner.web.routes.auth import client_of
from scanner.web.routes.common import parse_day
from scanner.web.security import audit

router = APIRouter(tags=["抽查与问责"])


def _year(request: Request, year: int | None) -> int:
    return year or now(request).astimezone(CST).year


@router.get("/reports")
def reports_page(
    request: Request, session: DbSession, scope: UserScope, year: int | None = None
) -> Response:
    y = _year(request, year)
    if not 2000 <= y <= 2100:
        raise HTTPException(400, "年份应在 2000–2100 之间")
    ids = set(scope.org_ids)
    samplings = samplings_in(session, ids, y)
    report = supervision(session, scope.user.org_code, y, state(request).ruleset.id)
    today = now(request).astimezone(CST).date()
    return render(
        request,
        "reports.html",
        scope.user,
        title="抽查与问责",
        year=y,
        samplings=samplings,
        actions=actions_in(session, ids, y),
        report=report,
        percent=percent,
        ratio=ratio,
        forms=[(f.value, FORM_LABEL[f]) for f in FORM_COLUMNS],
        form_label=FORM_LABEL,
        quarter=quarter_of(today) if today.year == y else 4,
        today=today,
    )


@router.post("/reports/sampling")
def draw(
    request: Request,
    session: DbSession,
    user: CsrfChecked,
    scope: ReviewerScope,
    year: Annotated[int, Form()],
    quarter: Annotated[int, Form()],
    ratio_text: Annotated[str, Form(alias="ratio")] = "",
    size: Annotated[str, Form()] = "",
    at: Annotated[str, Form()] = "",
    replace: Annotated[str, Form()] = "",
) -> Response:
    try:
        request_ = DrawRequest(
            year=year, quarter=quarter, organisation=user.org_code,
            ratio=parse_ratio(ratio_text) if ratio_text.strip() else None,
            size=int(size) if size.strip() else None,
            at=parse_day(at), replace=bool(replace),
        )  # fmt: skip
        outcome = draw_sampling(session, request_, now(request))
    except (CensusError, ValueError) as exc:
        raise HTTPException(400, f"抽查未能完成：{exc}") from None
    audit(
        session, now(request), user.username, "sampling_draw", f"{year}Q{quarter}",
        client=client_of(request), seed=outcome.sampling.seed,
        sites=len(outcome.sampling.sites),
    )  # fmt: skip
    session.commit()
    return RedirectResponse(f"/reports?year={year}", status_code=303)


@router.post("/reports/accountability")
def add_action(
    request: Request,
    session: DbSession,
    user: CsrfChecked,
    scope: ReviewerScope,
    target: Annotated[str, Form(max_length=200)],
    form: Annotated[str, Form()],
    taken_on: Annotated[str, Form()],
    site: Annotated[str, Form()] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    if site.strip() and site_in_scope(session, scope, site.strip()) is None:
        raise HTTPException(404, "没有这个网站 (no such site)")
    day = parse_day(taken_on)
    if day is None:
        raise HTTPException(400, "请填写问责日期")
    try:
        action = store_action(
            session,
            NewAction(user.org_code, target, form, day, site=site.strip() or None, note=note),
            now(request),
        )
    except CensusError as exc:
        raise HTTPException(400, f"问责未能记录：{exc}") from None
    audit(
        session, now(request), user.username, "accountability_add", action.target,
        client=client_of(request), form=action.form.value, year=action.year,
    )  # fmt: skip
    session.commit()
    return RedirectResponse(f"/reports?year={action.year}", status_code=303)


@router.get("/reports/supervision.xlsx")
def supervision_xlsx(
    request: Request, session: DbSession, scope: UserScope, year: int | None = None
) -> Response:
    from scanner.reports.xlsx import write_supervision

    y = _year(request, year)
    report = supervision(session, scope.user.org_code, y, state(request).ruleset.id)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "report.xlsx"
        write_supervision(report, path, filled_on=now(request).astimezone(CST).date())
        data = path.read_bytes()
    name = quote(f"政府网站监管年度报表_{report.organisation_name}_{y}.xlsx")
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}"},
    )

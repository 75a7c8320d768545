"""人工复核: the queue of the scope's findings, one finding in context with its audit trail, and
confirm / dismiss with a reason — the site re-scored at its newest monitoring point."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from scanner.db.models import FindingStatus, Role, Site
from scanner.errors import CensusError
from scanner.review import events, transition
from scanner.scorecards import score_and_store
from scanner.web.app import render
from scanner.web.deps import CsrfChecked, DbSession, ReviewerScope, UserScope, now, state
from scanner.web.queries import finding_in_scope, findings_in_scope, verdict_history
from scanner.web.routes.auth import client_of
from scanner.web.security import audit

router = APIRouter(tags=["人工复核"])
STATUS_WORDS = {"candidate": FindingStatus.CANDIDATE, "confirmed": FindingStatus.CONFIRMED,
                "dismissed": FindingStatus.DISMISSED}  # fmt: skip
DECISIONS = {"confirm": FindingStatus.CONFIRMED, "dismiss": FindingStatus.DISMISSED}
NOT_FOUND = "没有这条发现 (no such finding)"


@router.get("/review")
def queue(
    request: Request, session: DbSession, scope: UserScope, status: str = "candidate"
) -> Response:
    statuses = [STATUS_WORDS[status]] if status in STATUS_WORDS else None
    rows = findings_in_scope(session, scope, statuses)
    return render(request, "review.html", scope.user, title="人工复核", rows=rows, status=status)


@router.get("/review/{finding_id}")
def finding_page(
    request: Request, session: DbSession, scope: UserScope, finding_id: int
) -> Response:
    finding = finding_in_scope(session, scope, finding_id)
    if finding is None:
        raise HTTPException(404, NOT_FOUND)
    site = session.get(Site, finding.site_id)
    assert site is not None
    history = verdict_history(session, site, state(request).ruleset.id)
    return render(
        request,
        "finding.html",
        scope.user,
        title=f"发现 {finding.id}",
        finding=finding,
        site=site,
        trail=events(session, finding.id),
        latest=history[0] if history else None,
        may_decide=scope.user.may(Role.REVIEWER),
    )


@router.post("/review/{finding_id}")
def decide(
    request: Request,
    session: DbSession,
    user: CsrfChecked,
    scope: ReviewerScope,
    finding_id: int,
    decision: Annotated[str, Form()] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    finding = finding_in_scope(session, scope, finding_id)
    if finding is None:
        raise HTTPException(404, NOT_FOUND)
    if decision not in DECISIONS:
        raise HTTPException(400, "请选择确认或排除")
    if not reason.strip():
        raise HTTPException(400, "请填写复核意见（理由）")
    app = state(request)
    at = now(request)
    try:
        transition(
            session, finding.id, DECISIONS[decision],
            reviewer=user.username, at=at, comment=reason.strip(),
        )  # fmt: skip
    except CensusError as exc:
        raise HTTPException(400, str(exc)) from None
    audit(
        session, at, user.username, f"review_{decision}", f"finding {finding.id}",
        client=client_of(request), note=reason.strip(), site_id=finding.site_id,
    )  # fmt: skip
    site_id = finding.site_id
    site = session.get(Site, site_id)
    assert site is not None
    history = verdict_history(session, site, app.ruleset.id)
    session.commit()
    if history:  # the decision counts from now on: re-score the newest stored card
        score_and_store(app.db, [site_id], app.ruleset, history[0].at, at)
    return RedirectResponse(f"/sites/{site.code}", status_code=303)

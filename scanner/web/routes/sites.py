"""网站列表 and 网站评分表: the scope's sites, one site's card with all its evidence, downloads."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from scanner.db.models import FindingStatus
from scanner.scorecards import card_at
from scanner.scorecards.render import column_rows
from scanner.web.app import render
from scanner.web.charts import probe_week
from scanner.web.deps import DbSession, UserScope, state
from scanner.web.queries import (
    PAGE_SIZE,
    findings_in_scope,
    list_sites,
    verdict_history,
)
from scanner.web.routes.common import Filters, card_point, point, site_or_404

router = APIRouter(tags=["网站"])


@router.get("/sites")
def sites_page(
    request: Request,
    session: DbSession,
    scope: UserScope,
    filters: Filters,
    at: str | None = None,
) -> Response:
    rules = state(request).ruleset
    when = point(session, scope, rules.id, at)
    rows, total = list_sites(session, scope, rules.id, when, filters)
    base = {"at": when.isoformat() if when else "", "org": filters.org,
            "verdict": filters.verdict, "veto": filters.veto,
            "provisional": filters.provisional, "q": filters.text}  # fmt: skip
    pages = max(1, -(-total // PAGE_SIZE))

    def page_link(n: int) -> str:
        return "/sites?" + urlencode({**{k: v for k, v in base.items() if v}, "page": n})

    orgs = sorted(scope.codes.items(), key=lambda kv: kv[1])
    return render(
        request,
        "sites.html",
        scope.user,
        title="网站列表",
        rows=rows,
        total=total,
        at=when,
        f=filters,
        page=filters.page,
        pages=pages,
        page_link=page_link,
        orgs=[(code, scope.names[i]) for i, code in orgs],
        vetoes=[(r.id, r.name) for r in rules.rules if r.kind == "veto"],
        veto_names={r.id: r.name for r in rules.rules if r.kind == "veto"},
    )


def _evidence(body: Mapping[str, Any], kinds: set[str]) -> list[Mapping[str, Any]]:
    """Evidence items of these kinds over all rules, each once (rules share evidence)."""
    seen: set[str] = set()
    out = []
    for rule in body["rules"].values():
        for ev in rule.get("evidence", []):
            key = json.dumps(ev, sort_keys=True, ensure_ascii=False)
            if ev.get("kind") in kinds and key not in seen:
                seen.add(key)
                out.append(ev)
    return out


@router.get("/sites/{code}")
def scorecard_page(
    request: Request, session: DbSession, scope: UserScope, code: str, at: str | None = None
) -> Response:
    rules = state(request).ruleset
    site = site_or_404(session, scope, code)
    when = card_point(request, session, site, at)
    body, stored = card_at(session, site, rules, when)
    unreachable = body["rules"].get("veto.unreachable", {}).get("evidence", [])
    days = [(e["date"], e["valid"], e["failures"]) for e in unreachable if e["kind"] == "probe_day"]
    failed = [e for e in unreachable if e["kind"] == "probe_failure"]
    criteria = {r.id: r.criteria for r in rules.rules}
    checkpoints = {r.id: r.checkpoint for r in rules.rules}
    return render(
        request,
        "scorecard.html",
        scope.user,
        title=f"{site.name} 评分表",
        site=site,
        org_name=scope.names.get(site.organisation_id, ""),
        body=body,
        stored=stored,
        at=when,
        criteria=criteria,
        checkpoints=checkpoints,
        probe_svg=probe_week(days),
        failed_probes=failed,
        broken=_evidence(body, {"broken_link"}),
        stale=_evidence(body, {"stale_column", "blank_column"}),
        column_reads=column_rows(body),
        overdue=_evidence(body, {"overdue_message", "undated_reply"}),
        guides=_evidence(body, {"missing_guide_element"}),
        history=verdict_history(session, site, rules.id),
        findings=findings_in_scope(session, scope, None, site=site, limit=100),
        candidate=FindingStatus.CANDIDATE,
    )


def _download_name(code: str, at: Any, suffix: str) -> str:
    name = f"评分表_{code}_{at.isoformat()}.{suffix}"
    return f"attachment; filename*=UTF-8''{quote(name)}"


@router.get("/sites/{code}/scorecard.json")
def scorecard_json(
    request: Request, session: DbSession, scope: UserScope, code: str, at: str | None = None
) -> Response:
    rules = state(request).ruleset
    site = site_or_404(session, scope, code)
    when = card_point(request, session, site, at)
    body, _ = card_at(session, site, rules, when)
    return Response(
        json.dumps(body, ensure_ascii=False, indent=2),
        media_type="application/json",
        headers={"Content-Disposition": _download_name(site.code, when, "json")},
    )


@router.get("/sites/{code}/scorecard.xlsx")
def scorecard_xlsx(
    request: Request, session: DbSession, scope: UserScope, code: str, at: str | None = None
) -> Response:
    from scanner.scorecards.render import write_xlsx

    rules = state(request).ruleset
    site = site_or_404(session, scope, code)
    when = card_point(request, session, site, at)
    body, _ = card_at(session, site, rules, when)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "card.xlsx"
        write_xlsx(body, rules, path)
        data = path.read_bytes()
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": _download_name(site.code, when, "xlsx")},
    )

"""Review facts: the 人工复核 findings recorded by T."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import String, select, type_coerce
from sqlalchemy.orm import Session

from scanner.db.models import (
    Finding,
)
from scanner.scorecards.facts.rows import (
    core_rows,
)
from scanner.scorecards.facts.window import (
    Window,
)
from scoring.facts import Finding as FindingFact


def finding_facts(session: Session, ids: list[int], w: Window) -> dict[int, list[FindingFact]]:
    rows = core_rows(
        session,
        select(
            Finding.id,
            Finding.site_id,
            Finding.kind,
            type_coerce(Finding.status, String),
            Finding.page_url,
            Finding.excerpt,
            Finding.detail,
        )
        .where(Finding.site_id.in_(ids), Finding.found_at < w.end)
        .order_by(Finding.id),
    )
    out: dict[int, list[FindingFact]] = defaultdict(list)
    for r in rows:
        note = r.detail.get("note", "") if isinstance(r.detail, dict) else ""
        out[r.site_id].append(
            FindingFact(r.kind, r[3], r.page_url or "", r.excerpt or "", str(note), r.id)
        )
    return out

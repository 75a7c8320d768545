"""The 人工复核 queue: findings a machine cannot decide, and every change made to them.

A finding starts as a ``candidate`` (found by a probe, or entered by an official with
``census review add``); a reviewer confirms or dismisses it, with their name, the time and a
comment. Only confirmed findings count in scoring. Every status change — the first one
included — is a `FindingEvent`, so the trail shows who decided what, when and why; a decision
can be revised (confirmed → dismissed …), never silently overwritten.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from scanner.db.models import Finding, FindingEvent, FindingStatus, Site
from scanner.errors import ReviewError

__all__ = [
    "FINDING_KINDS", "KIND_LABEL", "STATUS_LABEL", "ReviewError", "add_finding", "events",
    "fingerprint", "list_findings", "propose", "transition",
]  # fmt: skip

#: The kinds scoring reads (scoring.facts.FindingKind values) with the table's terms.
KIND_LABEL: dict[str, str] = {
    "serious_error": "严重错误（严重错别字、反动/暴力/色情等内容）",
    "false_content": "虚假或伪造内容",
    "inaccurate_basic_info": "基本信息不准确",
    "inaccurate_guide": "办事指南要素不准确",
}
FINDING_KINDS = tuple(KIND_LABEL)
_KIND_WORDS = {
    "严重错误": "serious_error", "严重错别字": "serious_error", "虚假内容": "false_content",
    "虚假或伪造内容": "false_content", "基本信息不准确": "inaccurate_basic_info",
    "办事指南要素不准确": "inaccurate_guide", "指南要素不准确": "inaccurate_guide",
}  # fmt: skip
STATUS_LABEL: dict[FindingStatus, str] = {
    FindingStatus.CANDIDATE: "待复核",
    FindingStatus.CONFIRMED: "已确认",
    FindingStatus.DISMISSED: "已排除",
}


def kind_of(value: str) -> str:
    """A finding kind from its id or its Chinese name."""
    value = value.strip()
    if value in KIND_LABEL:
        return value
    if value in _KIND_WORDS:
        return _KIND_WORDS[value]
    choices = "、".join(f"{k}（{v}）" for k, v in KIND_LABEL.items())
    raise ReviewError(f"未知的发现类别 {value!r}（可选：{choices}）")


def fingerprint(*parts: str) -> str:
    """A stable key for one machine finding (same page, same hit) across re-runs."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]


def _event(
    session: Session,
    finding: Finding,
    old: FindingStatus | None,
    new: FindingStatus,
    reviewer: str,
    comment: str,
    at: datetime,
) -> FindingEvent:
    event = FindingEvent(
        finding_id=finding.id,
        at=at,
        reviewer=reviewer,
        old_status=old.value if old is not None else None,
        new_status=new.value,
        comment=comment,
    )
    session.add(event)
    return event


def add_finding(
    session: Session,
    site: Site,
    *,
    kind: str,
    page_url: str,
    excerpt: str,
    reviewer: str,
    at: datetime,
    comment: str = "",
    detail: dict[str, object] | None = None,
    source: str = "manual",
    key: str | None = None,
) -> Finding:
    """A new candidate finding, with its first audit event."""
    kind = kind_of(kind)
    if not reviewer.strip():
        raise ReviewError("请用 --reviewer 注明复核人")
    finding = Finding(
        site_id=site.id,
        kind=kind,
        status=FindingStatus.CANDIDATE,
        page_url=page_url,
        excerpt=excerpt,
        detail=detail or {},
        found_at=at,
        source=source,
        fingerprint=key,
        reviewer="",
        comment="",
    )
    session.add(finding)
    session.flush()
    _event(session, finding, None, FindingStatus.CANDIDATE, reviewer.strip(), comment, at)
    return finding


def propose(
    session: Session,
    site_id: int,
    *,
    kind: str,
    page_url: str,
    excerpt: str,
    detail: dict[str, object],
    key: str,
    at: datetime,
    comment: str,
) -> Finding | None:
    """A machine candidate, unless this very hit is already queued (whatever its status)."""
    known = session.scalar(
        select(Finding).where(Finding.site_id == site_id, Finding.fingerprint == key)
    )
    if known is not None:
        return None
    site = session.get(Site, site_id)
    assert site is not None
    return add_finding(
        session,
        site,
        kind=kind,
        page_url=page_url,
        excerpt=excerpt,
        reviewer="scanner",
        at=at,
        comment=comment,
        detail=detail,
        source="scanner",
        key=key,
    )


def transition(
    session: Session,
    finding_id: int,
    new: FindingStatus,
    *,
    reviewer: str,
    at: datetime,
    comment: str = "",
) -> Finding:
    """Confirm, dismiss or reopen a finding; the change and its reason go to the trail."""
    finding = session.get(Finding, finding_id)
    if finding is None:
        raise ReviewError(f"没有编号为 {finding_id} 的发现")
    if not reviewer.strip():
        raise ReviewError("请用 --reviewer 注明复核人")
    old = finding.status
    if old == new:
        raise ReviewError(f"发现 {finding_id} 已是「{STATUS_LABEL[new]}」状态，未作修改")
    finding.status = new
    finding.reviewer = reviewer.strip()
    finding.reviewed_at = at
    finding.comment = comment
    _event(session, finding, old, new, reviewer.strip(), comment, at)
    session.flush()
    return finding


def list_findings(
    session: Session,
    *,
    site: Site | None = None,
    statuses: Sequence[FindingStatus] | None = None,
    kinds: Sequence[str] | None = None,
) -> list[Finding]:
    query = select(Finding).order_by(Finding.id)
    if site is not None:
        query = query.where(Finding.site_id == site.id)
    if statuses:
        query = query.where(Finding.status.in_(list(statuses)))
    if kinds:
        query = query.where(Finding.kind.in_(list(kinds)))
    return list(session.scalars(query))


def events(session: Session, finding_id: int) -> list[FindingEvent]:
    query = select(FindingEvent).where(FindingEvent.finding_id == finding_id)
    return list(session.scalars(query.order_by(FindingEvent.at, FindingEvent.id)))

"""What the report modules share: quarters, the organisation tree, running sites, percentages."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from scanner.db.models import Organisation, Site, SiteStatus
from scanner.errors import ReportError
from scanner.registry.store import list_sites, organisation_by_code

QUARTERS = (1, 2, 3, 4)
QUARTER_LABEL = {1: "第一季度", 2: "第二季度", 3: "第三季度", 4: "第四季度"}
YEAR_LABEL = "全年"


def check_quarter(year: int, quarter: int) -> None:
    if quarter not in QUARTERS:
        raise ReportError(f"季度应为 1–4，而不是 {quarter} (quarter must be 1–4)")
    if not 2000 <= year <= 2100:
        raise ReportError(f"年度 {year} 不在 2000–2100 之间 (year out of range)")


def quarter_of(day: date) -> int:
    return (day.month - 1) // 3 + 1


def quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    """First and last day of a quarter."""
    check_quarter(year, quarter)
    first = date(year, 3 * quarter - 2, 1)
    nxt = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return first, nxt - timedelta(days=1)


def require_organisation(session: Session, code: str) -> Organisation:
    org = organisation_by_code(session, code)
    if org is None:
        raise ReportError(f"未知的组织代码 (unknown organisation) '{code}'")
    return org


def default_organisation(session: Session, code: str | None) -> Organisation:
    """The organisation asked for, or the only top-level one when there is exactly one."""
    if code is not None:
        return require_organisation(session, code)
    roots = list(session.scalars(select(Organisation).where(Organisation.parent_id.is_(None))))
    if not roots:
        raise ReportError("数据库中没有组织机构，请先导入网站登记表 (census sites import)")
    if len(roots) > 1:
        raise ReportError("请用 --org 指定组织代码 (more than one top-level organisation)")
    return roots[0]


def subtree_ids(session: Session, root: Organisation) -> set[int]:
    """Ids of an organisation and every organisation below it (cycles tolerated)."""
    children: dict[int | None, list[int]] = defaultdict(list)
    for org_id, parent_id in session.execute(select(Organisation.id, Organisation.parent_id)):
        children[parent_id].append(org_id)
    seen = {root.id}
    stack = [root.id]
    while stack:
        for child in children[stack.pop()]:
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return seen


def running_on(site: Site, day: date) -> bool:
    """Was the site running on ``day``: opened on or before it, not closed or merged by then.

    A site closed (or merged) on ``day`` itself no longer counts; a site marked closed or
    merged without a date has no known running period and never counts.
    """
    if site.opened_on is not None and site.opened_on > day:
        return False
    for ended in (site.closed_on, site.merged_on):
        if ended is not None and ended <= day:
            return False
    undated_end = site.closed_on is None and site.merged_on is None
    return site.status == SiteStatus.RUNNING or not undated_end


def running_sites(session: Session, org: Organisation, day: date) -> list[Site]:
    """The sites of ``org`` and its descendants running on ``day``, in 标识码 order."""
    return [s for s in list_sites(session, org=org.code) if running_on(s, day)]


def ratio(numerator: int, denominator: int | None) -> Decimal | None:
    """A fraction rounded to four places (= a percentage with two decimals), half up."""
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(
        Decimal("0.0001"), rounding=ROUND_HALF_UP
    )


def percent(value: Decimal | None) -> str:
    """As the form shows it: 12.50%; an empty figure is a dash."""
    if value is None:
        return "—"
    return f"{(value * 100).quantize(Decimal('0.01'))}%"

"""问责: actions entered by hand, counted the way the form's instructions say.

"同一季度对同一对象采取不同形式问责的不重复计算，按问责程度最重的统计": within a quarter a
target (a person or role of one organisation) counts once, under the heaviest form taken. The
named forms rank 约谈 < 书面检查 < 通报批评 < 警告或记过处分 < 调离岗位或免职; 其他 ranks
below all of them, because nothing shows an unnamed form to be heavier than a named one.
The year's 人次 is the sum of the quarters' (the form asks for 全年总人次).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from scanner.db.models import AccountabilityAction, AccountabilityForm, Site
from scanner.reports.common import (
    QUARTERS,
    ReportError,
    check_quarter,
    quarter_of,
    require_organisation,
)

# Lightest first: the index is the severity.
SEVERITY: tuple[AccountabilityForm, ...] = (
    AccountabilityForm.OTHER,
    AccountabilityForm.INTERVIEW,
    AccountabilityForm.WRITTEN_REVIEW,
    AccountabilityForm.CRITICISM,
    AccountabilityForm.DISCIPLINE,
    AccountabilityForm.REMOVAL,
)
# The form's column order (其他 last), with the form's own words.
FORM_COLUMNS: tuple[AccountabilityForm, ...] = SEVERITY[1:] + SEVERITY[:1]
FORM_LABEL: dict[AccountabilityForm, str] = {
    AccountabilityForm.INTERVIEW: "约谈",
    AccountabilityForm.WRITTEN_REVIEW: "书面检查",
    AccountabilityForm.CRITICISM: "通报批评",
    AccountabilityForm.DISCIPLINE: "警告或记过处分",
    AccountabilityForm.REMOVAL: "调离岗位或免职",
    AccountabilityForm.OTHER: "其他",
}
FORM_WORDS: dict[str, AccountabilityForm] = {
    **{label: form for form, label in FORM_LABEL.items()},
    **{form.value: form for form in AccountabilityForm},
    "警告": AccountabilityForm.DISCIPLINE,
    "记过": AccountabilityForm.DISCIPLINE,
    "警告处分": AccountabilityForm.DISCIPLINE,
    "记过处分": AccountabilityForm.DISCIPLINE,
    "调离岗位": AccountabilityForm.REMOVAL,
    "免职": AccountabilityForm.REMOVAL,
}


def parse_form(word: str) -> AccountabilityForm:
    form = FORM_WORDS.get(word.strip()) or FORM_WORDS.get(word.strip().lower())
    if form is None:
        known = "、".join(FORM_LABEL[f] for f in FORM_COLUMNS)
        raise ReportError(f"未知的问责形式 '{word}'：应为 {known}")
    return form


def heavier(a: AccountabilityForm, b: AccountabilityForm) -> AccountabilityForm:
    return a if SEVERITY.index(a) >= SEVERITY.index(b) else b


def normalise_target(target: str) -> str:
    """One person or role however it was typed: spaces squeezed, full-width spaces too."""
    return " ".join(target.replace("\u3000", " ").split())


@dataclass
class Counts:
    """问责人次 of one period, by form."""

    by_form: dict[AccountabilityForm, int] = field(
        default_factory=lambda: dict.fromkeys(FORM_COLUMNS, 0)
    )

    @property
    def total(self) -> int:
        return sum(self.by_form.values())

    def add(self, other: Counts) -> None:
        for form, n in other.by_form.items():
            self.by_form[form] += n


@dataclass(frozen=True)
class Entry:
    """The part of an action the count reads (kept apart from the ORM for pure tests)."""

    quarter: int
    organisation_id: int
    target: str
    form: AccountabilityForm


def count_quarter(entries: Iterable[Entry]) -> Counts:
    """One quarter's 人次: each (organisation, target) once, at its heaviest form."""
    heaviest: dict[tuple[int, str], AccountabilityForm] = {}
    for e in entries:
        key = (e.organisation_id, normalise_target(e.target))
        heaviest[key] = heavier(heaviest[key], e.form) if key in heaviest else e.form
    counts = Counts()
    for form in heaviest.values():
        counts.by_form[form] += 1
    return counts


def count_year(entries: Iterable[Entry]) -> tuple[dict[int, Counts], Counts]:
    """Per quarter, and the year as the sum of the quarters."""
    by_quarter: dict[int, list[Entry]] = {q: [] for q in QUARTERS}
    for e in entries:
        by_quarter[e.quarter].append(e)
    quarters = {q: count_quarter(by_quarter[q]) for q in QUARTERS}
    year = Counts()
    for counts in quarters.values():
        year.add(counts)
    return quarters, year


@dataclass(frozen=True)
class NewAction:
    """What ``census report accountability add`` was given."""

    organisation: str
    target: str
    form: str
    taken_on: date
    year: int | None = None
    quarter: int | None = None
    site: str | None = None
    note: str = ""


def add_action(session: Session, new: NewAction, now: datetime) -> AccountabilityAction:
    """Validate and store one action; the quarter defaults to the one its date falls in."""
    form = parse_form(new.form)
    target = normalise_target(new.target)
    if not target:
        raise ReportError("问责对象不能为空 (--target)")
    if len(target) > 200:
        raise ReportError("问责对象过长（不超过 200 字）")
    year = new.year if new.year is not None else new.taken_on.year
    quarter = new.quarter if new.quarter is not None else quarter_of(new.taken_on)
    check_quarter(year, quarter)
    org = require_organisation(session, new.organisation)
    site_id = None
    if new.site:
        site = session.scalars(select(Site).where(Site.code == new.site)).first()
        if site is None:
            raise ReportError(f"未知的网站标识码 (unknown site) '{new.site}'")
        site_id = site.id
    action = AccountabilityAction(
        year=year,
        quarter=quarter,
        organisation_id=org.id,
        target=target,
        form=form,
        taken_on=new.taken_on,
        site_id=site_id,
        note=new.note,
        recorded_at=now,
    )
    action.organisation = org
    session.add(action)
    session.flush()
    return action


def actions_in(
    session: Session, org_ids: set[int], year: int, quarter: int | None = None
) -> list[AccountabilityAction]:
    query = (
        select(AccountabilityAction)
        .where(AccountabilityAction.year == year, AccountabilityAction.organisation_id.in_(org_ids))
        .options(
            selectinload(AccountabilityAction.organisation), selectinload(AccountabilityAction.site)
        )
        .order_by(
            AccountabilityAction.quarter, AccountabilityAction.taken_on, AccountabilityAction.id
        )
    )
    if quarter is not None:
        query = query.where(AccountabilityAction.quarter == quarter)
    return list(session.scalars(query))


def remove_action(session: Session, action_id: int) -> AccountabilityAction:
    action = session.get(AccountabilityAction, action_id)
    if action is None:
        raise ReportError(f"没有编号为 {action_id} 的问责记录")
    session.delete(action)
    session.flush()
    return action


def entries(actions: Iterable[AccountabilityAction]) -> list[Entry]:
    return [Entry(a.quarter, a.organisation_id, a.target, a.form) for a in actions]

"""Section 一 网站抽查 of the 政府网站监管年度报表, per quarter and for the year.

A sampled site's 抽查 result is its stored scorecard at the site's monitoring date T (the
newest computed one when several rulesets scored it, unless one ruleset is asked for):
合格 when the scorecard says qualified, 不合格 when not; a site with no scorecard at T yet is
*pending* — counted in 抽查网站数量 but in neither 合格 nor 不合格, and 抽查合格率 is taken over
the judged sites only. Provisional scorecards count as they stand and are flagged.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from scanner.db.models import Organisation, SampledSite, Sampling, Scorecard, Site
from scanner.registry.store import list_sites
from scanner.reports.accountability import FORM_COLUMNS, FORM_LABEL, Counts, count_year, entries
from scanner.reports.accountability import actions_in as accountability_in
from scanner.reports.common import (
    QUARTER_LABEL,
    QUARTERS,
    YEAR_LABEL,
    check_quarter,
    default_organisation,
    percent,
    ratio,
    running_on,
    subtree_ids,
)
from scanner.reports.sampling import samplings_in


class Outcome(enum.StrEnum):
    QUALIFIED = "qualified"
    UNQUALIFIED = "unqualified"
    PENDING = "pending"


OUTCOME_LABEL = {
    Outcome.QUALIFIED: "合格",
    Outcome.UNQUALIFIED: "不合格",
    Outcome.PENDING: "待评分",
}


@dataclass(frozen=True)
class SiteResult:
    """One sampled site's 抽查 result."""

    sampled: SampledSite
    outcome: Outcome
    provisional: bool = False
    scorecard_id: int | None = None
    ruleset: str | None = None
    total_deduction: float | None = None


CHUNK = 500  # site ids per IN (...) list


def _result(sampled: SampledSite, card: Scorecard | None) -> SiteResult:
    if card is None:
        return SiteResult(sampled, Outcome.PENDING)
    outcome = Outcome.QUALIFIED if card.qualified else Outcome.UNQUALIFIED
    return SiteResult(
        sampled, outcome, card.provisional, card.id, card.ruleset, card.total_deduction
    )


def results_of(
    session: Session, sampled: Sequence[SampledSite], ruleset: str | None = None
) -> list[SiteResult]:
    """Results in bulk (a province samples thousands of sites a year): one query per chunk."""
    newest: dict[tuple[int, date], Scorecard] = {}
    ids = sorted({s.site_id for s in sampled})
    days = sorted({s.at for s in sampled})
    for start in range(0, len(ids), CHUNK):
        query = select(Scorecard).where(
            Scorecard.site_id.in_(ids[start : start + CHUNK]), Scorecard.at.in_(days)
        )
        if ruleset is not None:
            query = query.where(Scorecard.ruleset == ruleset)
        for card in session.scalars(query):
            key = (card.site_id, card.at)
            old = newest.get(key)
            if old is None or (card.computed_at, card.id) > (old.computed_at, old.id):
                newest[key] = card
    return [_result(s, newest.get((s.site_id, s.at))) for s in sampled]


def sampling_results(
    session: Session, sampling: Sampling, ruleset: str | None = None
) -> list[SiteResult]:
    return results_of(session, sampling.sites, ruleset)


@dataclass
class Period:
    """One row of the form: a quarter or the year."""

    label: str
    total_sites: int | None = None  # 网站总数 (None: no 抽查 that quarter)
    sampled: int = 0  # 抽查网站数量
    qualified: int = 0
    unqualified: int = 0  # 不合格网站数量
    pending: int = 0
    provisional: int = 0
    accountability: Counts = field(default_factory=Counts)
    monitoring_date: date | None = None
    samplings: list[int] = field(default_factory=list)
    is_year: bool = False

    @property
    def sample_ratio(self) -> Decimal | None:
        """抽查比例; the form asks it per quarter only, so the year's is left empty."""
        return None if self.is_year else ratio(self.sampled, self.total_sites)

    @property
    def pass_rate(self) -> Decimal | None:
        """抽查合格率 over the judged sites (pending ones are not yet 合格 or 不合格)."""
        return ratio(self.qualified, self.qualified + self.unqualified)

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": self.label,
            "total_sites": self.total_sites,
            "sample_ratio": percent(self.sample_ratio) if self.sample_ratio is not None else None,
            "sampled": self.sampled,
            "pass_rate": percent(self.pass_rate) if self.pass_rate is not None else None,
            "qualified": self.qualified,
            "unqualified": self.unqualified,
            "pending": self.pending,
            "provisional": self.provisional,
            "accountability": {
                "total": self.accountability.total,
                **{FORM_LABEL[f]: self.accountability.by_form[f] for f in FORM_COLUMNS},
            },
            "monitoring_date": self.monitoring_date.isoformat() if self.monitoring_date else None,
            "samplings": self.samplings,
        }


@dataclass
class Supervision:
    """The 网站抽查 section for one organisation and year."""

    organisation_code: str
    organisation_name: str
    year: int
    quarters: dict[int, Period]
    year_total: Period
    ruleset: str | None = None

    @property
    def rows(self) -> list[Period]:
        return [self.quarters[q] for q in QUARTERS] + [self.year_total]

    def as_dict(self) -> dict[str, Any]:
        return {
            "organisation": self.organisation_code,
            "organisation_name": self.organisation_name,
            "year": self.year,
            "ruleset": self.ruleset,
            "rows": [row.as_dict() for row in self.rows],
        }


def _quarter(
    session: Session,
    org: Organisation,
    tree_sites: list[Site],
    samplings: list[Sampling],
    ruleset: str | None,
    label: str,
) -> Period:
    period = Period(label)
    if not samplings:
        return period
    own = [s for s in samplings if s.organisation_id == org.id]
    # A site drawn by two samplings of the tree counts once: the organisation's own draw first.
    chosen: dict[int, SampledSite] = {}
    for sampling in own + [s for s in samplings if s.organisation_id != org.id]:
        for sampled in sampling.sites:
            chosen.setdefault(sampled.site_id, sampled)
    period.samplings = [s.id for s in samplings]
    day = own[0].monitoring_date if own else max(s.monitoring_date for s in samplings)
    period.monitoring_date = day
    period.total_sites = sum(1 for site in tree_sites if running_on(site, day))
    for result in results_of(session, list(chosen.values()), ruleset):
        period.sampled += 1
        if result.outcome == Outcome.QUALIFIED:
            period.qualified += 1
        elif result.outcome == Outcome.UNQUALIFIED:
            period.unqualified += 1
        else:
            period.pending += 1
        period.provisional += int(result.provisional)
    return period


def supervision(
    session: Session, org_code: str | None, year: int, ruleset: str | None = None
) -> Supervision:
    """The figures of 一 网站抽查 for ``org_code`` and everything below it."""
    check_quarter(year, 1)
    org = default_organisation(session, org_code)
    tree = subtree_ids(session, org)
    tree_sites = list_sites(session, org=org.code)
    samplings = samplings_in(session, tree, year)
    quarter_counts, year_counts = count_year(entries(accountability_in(session, tree, year)))
    quarters: dict[int, Period] = {}
    for q in QUARTERS:
        period = _quarter(
            session,
            org,
            tree_sites,
            [s for s in samplings if s.quarter == q],
            ruleset,
            QUARTER_LABEL[q],
        )
        period.accountability = quarter_counts[q]
        quarters[q] = period
    # The year's 网站总数 is the year-end count, as 三 网站开设整合 reads it (截至12月底).
    year_end = date(year, 12, 31)
    total = Period(
        YEAR_LABEL,
        is_year=True,
        monitoring_date=year_end,
        total_sites=sum(1 for site in tree_sites if running_on(site, year_end)),
        accountability=year_counts,
    )
    for period in quarters.values():
        total.sampled += period.sampled
        total.qualified += period.qualified
        total.unqualified += period.unqualified
        total.pending += period.pending
        total.provisional += period.provisional
        total.samplings += period.samplings
    return Supervision(org.code, org.name, year, quarters, total, ruleset)

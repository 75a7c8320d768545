"""A site's probe week for a monitoring point T: the figures ``veto.unreachable`` and
``availability.homepage`` are judged on, with the coverage that makes them trustworthy.

The window is "the probes of the 7 days ending at T" (rules-2015.md): the calendar days
T−6 … T, each a whole day in China Standard Time (UTC+8), T itself included. Only valid probes
count; probes of invalid rounds are reported but excluded. A day with fewer than 20 valid
probes is flagged, which makes a verdict provisional.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from scanner.clock import CST
from scanner.db.models import ProbeResult, ProbeRound, RoundStatus, Site
from scanner.http import FailureKind
from scanner.monitor.rounds import utc
from scoring import default_ruleset
from scoring.context import Monitoring


def _monitoring() -> Monitoring:
    """The probe week of the ruleset (7 days, ≥ 20 valid probes a day in the 2015 table)."""
    return default_ruleset().monitoring


@dataclass
class DayCoverage:
    day: date
    needed: int  # valid probes the table asks for each day
    valid: int = 0
    failures: int = 0
    invalid: int = 0

    @property
    def short(self) -> bool:
        """Fewer valid probes than the table's "at least 20 spread over each day"."""
        return self.valid < self.needed


@dataclass(frozen=True)
class FailedProbe:
    started_at: datetime
    failure: FailureKind | None
    status_code: int | None
    total_ms: float | None
    detail: str


@dataclass
class WeekStats:
    site_code: str
    site_name: str
    url: str
    at: date
    days: list[DayCoverage]
    failed: list[FailedProbe] = field(default_factory=list)
    missed_rounds: int = 0

    @property
    def first_day(self) -> date:
        return self.days[0].day

    @property
    def probes(self) -> int:
        return sum(d.valid for d in self.days)

    @property
    def failures(self) -> int:
        return sum(d.failures for d in self.days)

    @property
    def invalid(self) -> int:
        return sum(d.invalid for d in self.days)

    @property
    def ratio(self) -> float | None:
        return self.failures / self.probes if self.probes else None

    @property
    def short_days(self) -> list[date]:
        return [d.day for d in self.days if d.short]

    @property
    def figure(self) -> str:
        """The figure a scorecard quotes, e.g. "7 of 168 probes failed, 4.17 %"."""
        if not self.probes:
            return "no valid probes"
        percent = self.failures / self.probes * 100
        return f"{self.failures} of {self.probes} probes failed, {percent:.2f} %"


def week_bounds(at: date) -> tuple[datetime, datetime]:
    """UTC instants [start, end) of the probe week's CST days ending with ``at``."""
    first = at - timedelta(days=_monitoring().probe_days - 1)
    start = datetime.combine(first, time(0), CST).astimezone(UTC)
    end = datetime.combine(at + timedelta(days=1), time(0), CST).astimezone(UTC)
    return start, end


def week_stats(session: Session, site: Site, at: date) -> WeekStats:
    """The week before ``at`` for one site, from stored probe results."""
    start, end = week_bounds(at)
    monitoring = _monitoring()
    first = at - timedelta(days=monitoring.probe_days - 1)
    needed = monitoring.min_valid_probes_per_day
    days = [DayCoverage(first + timedelta(days=i), needed) for i in range(monitoring.probe_days)]
    by_day = {d.day: d for d in days}
    rows = session.execute(
        select(
            ProbeResult.started_at,
            ProbeResult.ok,
            ProbeResult.valid,
            ProbeResult.failure,
            ProbeResult.status_code,
            ProbeResult.total_ms,
            ProbeResult.detail,
        )
        .where(
            ProbeResult.site_id == site.id,
            ProbeResult.started_at >= start,
            ProbeResult.started_at < end,
        )
        .order_by(ProbeResult.started_at)
    ).all()
    stats = WeekStats(site.code, site.name, site.url, at, days)
    for row in rows:
        started = utc(row.started_at)
        day = by_day[started.astimezone(CST).date()]
        if not row.valid:
            day.invalid += 1
            continue
        day.valid += 1
        if not row.ok:
            day.failures += 1
            stats.failed.append(
                FailedProbe(started, row.failure, row.status_code, row.total_ms, row.detail)
            )
    stats.missed_rounds = len(
        session.scalars(
            select(ProbeRound.id).where(
                ProbeRound.status == RoundStatus.MISSED,
                ProbeRound.scheduled_for >= start,
                ProbeRound.scheduled_for < end,
            )
        ).all()
    )
    return stats

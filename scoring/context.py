"""Per-scorecard read-only view of the facts, with the few computations rules share.

Two rules read the same probe week and two read the same column freshness; the context computes
each once per scorecard (plain dict memo, no copies of the facts). It is created fresh by every
``score`` call, so scoring stays a pure function of (facts, ruleset, at).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from scoring.facts import Column, DatedItem, FailureKind, Probe, SiteFacts
from scoring.params import Period


@dataclass(frozen=True, slots=True)
class Monitoring:
    """Ruleset-wide monitoring settings (the probe week is shared by two rules)."""

    probe_days: int
    min_valid_probes_per_day: int
    timeout_ms: float
    tz: timezone


@dataclass(frozen=True, slots=True)
class ProbeDay:
    day: date
    valid: int
    invalid: int
    failures: int


@dataclass(frozen=True, slots=True)
class ProbeWeek:
    """The valid probes of the monitoring week, failures listed with their local times."""

    start: date
    end: date
    days: tuple[ProbeDay, ...]
    valid: int
    failures: tuple[tuple[Probe, str, datetime], ...]  # probe, failure kind, local time
    min_per_day: int

    @property
    def short_days(self) -> tuple[ProbeDay, ...]:
        return tuple(d for d in self.days if d.valid < self.min_per_day)


@dataclass(frozen=True, slots=True)
class Freshness:
    """A column judged against one window: updated or not, and its newest dated item ≤ T."""

    updated: bool
    newest: DatedItem | None


class Context:
    __slots__ = ("_memo", "at", "facts", "monitoring")

    def __init__(self, facts: SiteFacts, at: date, monitoring: Monitoring):
        self.facts = facts
        self.at = at
        self.monitoring = monitoring
        self._memo: dict[object, object] = {}

    def start(self, period: Period) -> date:
        """First day of the closed window [T − period, T]."""
        return period.start(self.at)

    def probe_week(self) -> ProbeWeek:
        week = self._memo.get("probe_week")
        if week is None:
            week = self._memo["probe_week"] = _probe_week(
                self.facts.probes, self.at, self.monitoring
            )
        assert isinstance(week, ProbeWeek)
        return week

    def freshness(self, column: Column, period: Period) -> Freshness:
        key = (id(column), period.days, period.weeks, period.months, period.years)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = _freshness(column, self.start(period), self.at)
        assert isinstance(found, Freshness)
        return found


def local_time(moment: datetime, tz: timezone) -> datetime:
    """Naive times are taken as already local (Beijing); aware ones are converted."""
    return moment if moment.tzinfo is None else moment.astimezone(tz)


def _probe_week(probes: tuple[Probe, ...], at: date, m: Monitoring) -> ProbeWeek:
    """One pass over the probes; a probe's day is found by arithmetic, not by conversion."""
    start = at - timedelta(days=m.probe_days - 1)
    aware_start = datetime.combine(start, time(), tzinfo=m.tz).timestamp()
    naive_start = datetime.combine(start, time())
    counts = [[0, 0, 0] for _ in range(m.probe_days)]
    failures: list[tuple[Probe, str, datetime]] = []
    timeout = m.timeout_ms
    n_days = m.probe_days
    for probe in probes:
        moment = probe.started_at
        if moment.tzinfo is None:
            index = (moment - naive_start).days
        else:
            index = int((moment.timestamp() - aware_start) // 86400)
        if not 0 <= index < n_days:
            continue
        slot = counts[index]
        if not probe.valid:
            slot[1] += 1
            continue
        slot[0] += 1
        if probe.ok and (probe.total_ms is None or probe.total_ms < timeout):
            continue
        slot[2] += 1
        failures.append((probe, _failure_kind(probe, timeout), local_time(moment, m.tz)))
    failures.sort(key=lambda f: f[2])
    days = tuple(
        ProbeDay(start + timedelta(days=i), v, inv, f) for i, (v, inv, f) in enumerate(counts)
    )
    return ProbeWeek(
        start=start,
        end=at,
        days=days,
        valid=sum(d.valid for d in days),
        failures=tuple(failures),
        min_per_day=m.min_valid_probes_per_day,
    )


def _failure_kind(probe: Probe, timeout_ms: float) -> str:
    """Empty when the visit counts as opened; 超过（含）15秒 is a failure even if it loaded."""
    if not probe.ok:
        return str(probe.failure or FailureKind.PROTOCOL)
    if probe.total_ms is not None and probe.total_ms >= timeout_ms:
        return str(FailureKind.TIMEOUT)
    return ""


def _freshness(column: Column, start: date, at: date) -> Freshness:
    newest: DatedItem | None = None
    updated = False
    for item in _dated(column):
        d = item.date
        assert d is not None
        if d > at:
            continue  # published after the monitoring point: not part of the state at T
        if d >= start:
            updated = True
        if newest is None or d > newest.date:  # type: ignore[operator]
            newest = item
    return Freshness(updated, newest)


def _dated(column: Column) -> list[DatedItem]:
    items = [i for i in column.items if i.date is not None]
    if column.newest_date is not None:
        items.append(DatedItem(column.newest_url, column.newest_title, column.newest_date))
    return items

"""The window of instants a scorecard reads facts for, and what a card says while a check
has not run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone

from dateutil.relativedelta import relativedelta

from scanner.clock import CST
from scoring.facts import SiteFacts

ITEM_LOOKBACK = relativedelta(years=2)  # dated entries older than this judge no window
# Checks the scanner runs, the rules that stand on their facts, and what the card says while a
# check has not run for a site.
COLUMNS = "columns"
LINKS = "links"
INTERACTION = "interaction"
CHECKS: dict[str, tuple[str, tuple[str, ...]]] = {
    COLUMNS: (
        "栏目更新检查尚未运行",
        (
            "veto.homepage_stale",
            "veto.columns_stale",
            "update.homepage_volume",
            "update.basic_info",
        ),
    ),
    LINKS: ("链接检查尚未运行", ("availability.links",)),
    INTERACTION: (
        "互动/服务类检查尚未运行",
        (
            "veto.unanswered",
            "interaction.consult",
            "interaction.survey",
            "interaction.interview",
            "service.guide",
            "service.attachments",
            "service.online_systems",
        ),
    ),
}


@dataclass(frozen=True, slots=True)
class SiteInput:
    """One site's facts at T, and which checks have not run for it (never charged for)."""

    site_id: int
    facts: SiteFacts
    not_run: frozenset[str] = frozenset()
    reasons: tuple[str, ...] = ()  # coverage gaps the engine cannot see (provisional)


@dataclass(frozen=True, slots=True)
class Window:
    """The instants facts are read for: probes in [probe_start, end), everything else < end."""

    at: date
    probe_start: datetime
    end: datetime  # the first instant after T's local day
    tz: timezone
    probe_days: int
    timeout_ms: float  # a visit that loads this slowly counts as a failure
    homepage_start: date  # first day of the homepage window (2 weeks in the 2015 table)
    oldest: date | None = None  # dated entries before this judge no window (None: 2 years)

    @property
    def homepage_days(self) -> int:
        return (self.at - self.homepage_start).days + 1

    @property
    def since(self) -> date:
        return self.oldest or self.at - ITEM_LOOKBACK

    def days(self) -> list[date]:
        """The local days of the probe week, T − (probe_days − 1) … T."""
        return [self.at - timedelta(days=i) for i in range(self.probe_days - 1, -1, -1)]

    @classmethod
    def of(
        cls,
        at: date,
        *,
        probe_days: int,
        timeout_ms: float,
        homepage_start: date,
        tz: timezone | None = None,
        oldest: date | None = None,
    ) -> Window:
        tz = tz or CST
        first = at - timedelta(days=probe_days - 1)
        return cls(
            at,
            datetime.combine(first, time(0), tz).astimezone(UTC),
            datetime.combine(at + timedelta(days=1), time(0), tz).astimezone(UTC),
            tz,
            probe_days,
            timeout_ms,
            homepage_start,
            oldest,
        )

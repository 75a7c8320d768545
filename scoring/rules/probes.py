"""Figure, evidence and coverage of the probe week, shared by the two availability rules."""

from __future__ import annotations

from scoring.context import ProbeWeek
from scoring.results import Evidence
from scoring.text import pct_text, percent


def probe_figure(week: ProbeWeek) -> str:
    ratio = percent(len(week.failures), week.valid)
    return f"{week.valid} 次监测中 {len(week.failures)} 次打不开，占 {pct_text(ratio)}"


def probe_evidence(week: ProbeWeek) -> tuple[Evidence, ...]:
    days = [
        Evidence(
            "probe_day",
            {"date": d.day, "valid": d.valid, "invalid": d.invalid, "failures": d.failures},
            counted=d.failures > 0,
            note=f"有效监测 {d.valid} 次，打不开 {d.failures} 次"
            + (f"，另有 {d.invalid} 次因监测方网络异常作废" if d.invalid else ""),
        )
        for d in week.days
    ]
    failures = [
        Evidence(
            "probe_failure",
            {
                "at": when.replace(microsecond=0),
                "failure": kind,
                "status_code": probe.status_code,
                "total_ms": probe.total_ms,
            },
        )
        for probe, kind, when in week.failures
    ]
    return (*days, *failures)


def probe_reasons(week: ProbeWeek) -> tuple[str, ...]:
    return tuple(
        f"{d.day.isoformat()} 有效监测 {d.valid} 次，少于每天 {week.min_per_day} 次"
        for d in week.short_days
    )

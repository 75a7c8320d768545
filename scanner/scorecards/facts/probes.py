"""The probe week's facts: failed and invalid probes row by row, successes counted per day."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import String, and_, case, func, or_, select, type_coerce
from sqlalchemy.orm import Session

from scanner.db.models import (
    ProbeResult,
)
from scanner.scorecards.facts.rows import (
    as_datetime,
    core_rows,
)
from scanner.scorecards.facts.window import (
    Window,
)
from scoring.facts import (
    Probe,
)


def probe_facts(session: Session, ids: list[int], w: Window) -> dict[int, list[Probe]]:
    """The probe week: every failed or invalid probe as stored, the plain successes counted.

    Rules only count successful visits per Beijing day (their times are not evidence), so the
    database counts them per site and day and each day's successes share one record stamped at
    the day's local noon. Failures (and loads of ``timeout`` or more) and invalid probes are read
    row by row, since their times, kinds and durations are the evidence. Scoring is unchanged;
    reading a week of 168 probes per site is ~20 times faster.
    """
    days = w.days()
    edges = [datetime.combine(d + timedelta(days=1), time(0), w.tz).astimezone(UTC) for d in days]
    day_of = case(
        *((ProbeResult.started_at < edge, i) for i, edge in enumerate(edges)), else_=len(edges)
    )
    plain = and_(
        ProbeResult.ok.is_(True),
        ProbeResult.valid.is_(True),
        or_(ProbeResult.total_ms.is_(None), ProbeResult.total_ms < w.timeout_ms),
    )
    where = (
        ProbeResult.site_id.in_(ids),
        ProbeResult.started_at >= w.probe_start,
        ProbeResult.started_at < w.end,
    )
    out: dict[int, list[Probe]] = defaultdict(list)
    noon = [datetime.combine(d, time(12), w.tz).astimezone(UTC) for d in days]
    shared: dict[tuple[int, int], Probe] = {}
    for sid, day, n in core_rows(
        session,
        select(ProbeResult.site_id, day_of.label("day"), func.count())
        .where(*where, plain)
        .group_by(ProbeResult.site_id, "day")
        .order_by(ProbeResult.site_id, "day"),
    ):
        if day >= len(days):
            continue
        probe = shared.setdefault((day, 200), Probe(noon[day], True, None, True, None, 200))
        out[sid].extend([probe] * n)
    for sid, started, ok, failure, valid, total_ms, status in core_rows(
        session,
        select(
            ProbeResult.site_id,
            type_coerce(ProbeResult.started_at, String),
            ProbeResult.ok,
            type_coerce(ProbeResult.failure, String),
            ProbeResult.valid,
            ProbeResult.total_ms,
            ProbeResult.status_code,
        )
        .where(*where, ~plain)
        .order_by(ProbeResult.site_id, ProbeResult.started_at),
    ):
        out[sid].append(
            Probe(as_datetime(started), bool(ok), failure or None, bool(valid), total_ms, status)  # type: ignore[arg-type]
        )
    return out

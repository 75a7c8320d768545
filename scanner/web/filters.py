"""Template filters: Chinese labels for the scorecard JSON (reusing the CLI renderer's texts)."""

from __future__ import annotations

from datetime import date, datetime

from jinja2 import Environment

from scanner.clock import CST
from scanner.labels import FAILURE_LABELS
from scanner.review import KIND_LABEL, STATUS_LABEL
from scanner.scorecards.render import describe, num, points_cell, verdict_text
from scanner.web.accounts import ROLE_LABEL


def local_time(value: datetime | str | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return str(value)
    if value.tzinfo is not None:
        value = value.astimezone(CST)
    return value.strftime("%Y-%m-%d %H:%M")


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def verdict_word(qualified: bool | None) -> str:
    return "无评分表" if qualified is None else "合格" if qualified else "不合格"


def iso(value: date | None) -> str:
    return value.isoformat() if value else ""


def install(env: Environment) -> None:
    env.filters.update(
        describe=describe,
        num=num,
        points=points_cell,
        verdict_text=verdict_text,
        local_time=local_time,
        percent=percent,
        verdict_word=verdict_word,
        iso=iso,
        finding_kind=lambda k: KIND_LABEL.get(str(k), str(k)),
        finding_status=lambda s: STATUS_LABEL.get(s, str(s)),
        failure_label=lambda k: FAILURE_LABELS.get(str(k), str(k or "打不开")),
        role_label=lambda r: ROLE_LABEL.get(r, str(r)),
    )

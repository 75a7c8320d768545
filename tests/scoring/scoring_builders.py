"""Hand-made fact sets: a healthy site that loses no points, and small helpers to break it.

Tests start from ``healthy()`` and change one thing, so each expected value can be worked out
by hand from the table without running the engine.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any

from scoring import (
    Channel,
    Column,
    DatedItem,
    Guide,
    Homepage,
    Message,
    Probe,
    Ruleset,
    SiteFacts,
    default_ruleset_path,
    load_ruleset,
)

T = date(2015, 6, 30)  # monitoring point of most tests
ELEMENTS = frozenset(
    ["事项名称", "设定依据", "申请条件", "办理材料", "办理地点", "办理时间", "联系电话", "办理流程"]
)


@cache
def census() -> Ruleset:
    return load_ruleset(default_ruleset_path())


def probes(
    per_day: int | list[int],
    failures_by_day: dict[int, int] | None = None,
    *,
    at: date = T,
    days: int = 7,
) -> tuple[Probe, ...]:
    """``per_day`` valid probes on each of the ``days`` days ending at ``at`` (Beijing time).

    ``per_day`` may be a list with one count per day.
    ``failures_by_day`` maps a day index (0 = first day) to how many of that day's probes fail.
    Times are UTC-aware: 00:00 UTC+8 is 16:00 UTC of the previous day.
    """
    failures_by_day = failures_by_day or {}
    out: list[Probe] = []
    counts = per_day if isinstance(per_day, list) else [per_day] * days
    first = at - timedelta(days=len(counts) - 1)
    for d, n in enumerate(counts):
        day = first + timedelta(days=d)
        local_midnight_utc = datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(hours=8)
        fails = failures_by_day.get(d, 0)
        step = timedelta(minutes=(24 * 60) // max(n, 1))
        for i in range(n):
            when = local_midnight_utc + step * i + timedelta(minutes=1)
            if i < fails:
                out.append(Probe(when, ok=False, failure="timeout", total_ms=15000.0))
            else:
                out.append(Probe(when, ok=True, total_ms=300.0))
    return tuple(out)


def item(n: int | str, d: date | None) -> DatedItem:
    return DatedItem(url=f"http://www.example.gov.cn/a/{n}.html", title=f"信息{n}", date=d)


def column(cid: str, category: str, newest: date | None, **kw: Any) -> Column:
    items = (item(f"{cid}-1", newest),) if newest else ()
    return Column(
        id=cid,
        name=kw.pop("name", f"栏目{cid}"),
        url=f"http://www.example.gov.cn/{cid}/",
        category=category,
        items=items,
        **kw,
    )


def healthy(at: date = T) -> SiteFacts:
    """A portal that satisfies every row of the table at ``at``: no veto, 0 points."""
    return SiteFacts(
        code="4400000001",
        name="示例市人民政府门户网站",
        url="http://www.example.gov.cn/",
        site_type="portal",
        homepage=Homepage(
            url="http://www.example.gov.cn/",
            items=tuple(item(f"h{i}", at - timedelta(days=i)) for i in range(12)),
        ),
        probes=probes(24, at=at),
        columns=(
            column("news", "news", at),
            column("notice", "notice", at - timedelta(days=30)),
            column("policy", "policy", at - timedelta(days=30)),
            column("personnel", "personnel", at - timedelta(days=100)),
            column("planning", "planning", at - timedelta(days=100)),
            column("org", "other_info", at - timedelta(days=200)),
            column("mail", "consult", None),
            column("report", "report", None),
        ),
        messages=(
            Message(
                "mail",
                "http://www.example.gov.cn/mail/1.html",
                "咨询",
                asked_on=at - timedelta(days=40),
                answered_on=at - timedelta(days=35),
            ),
        ),
        surveys=Channel(
            exists=True,
            activities=tuple(item(f"s{i}", at - timedelta(days=20 * i + 1)) for i in range(6)),
        ),
        interviews=Channel(exists=True, activities=(item("i1", at - timedelta(days=60)),)),
        guides=(Guide("http://www.example.gov.cn/bs/1.html", "户口迁移", ELEMENTS),),
    )


def with_(facts: SiteFacts, **changes: Any) -> SiteFacts:
    return replace(facts, **changes)


def columns_plus(facts: SiteFacts, *extra: Column) -> SiteFacts:
    return replace(facts, columns=facts.columns + extra)

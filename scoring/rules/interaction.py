"""互动回应情况: 政务咨询、调查征集、互动访谈类栏目."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import Field

from scoring.context import Context
from scoring.facts import Channel, DatedItem
from scoring.params import CategoryName, Model, Period, Points, Threshold
from scoring.results import Evidence, RuleResult
from scoring.rules.base import categories_label, unreadable_reason
from scoring.text import pts, span

# ------------------------------------------------------------------ interaction.consult


class ConsultParams(Model):
    lookback: Period
    categories: list[CategoryName] = Field(min_length=1)
    no_column_points: Points
    no_message_points: Points


def consult(ctx: Context, p: ConsultParams) -> RuleResult:
    columns = [c for c in ctx.facts.columns if c.category in p.categories]
    label = categories_label(p.categories)
    if not columns:
        return RuleResult(
            holds=p.no_column_points > 0,
            points=p.no_column_points,
            figure=f"未开设{label}栏目，扣 {pts(p.no_column_points)} 分",
            evidence=(Evidence("missing_channel", {"categories": list(p.categories)}, item="1"),),
        )
    start = ctx.start(p.lookback)
    ids = {c.id for c in columns}
    valid = [
        m
        for m in ctx.facts.messages
        if m.column_id in ids and m.valid and m.asked_on and start <= m.asked_on <= ctx.at
    ]
    reasons = tuple(unreadable_reason(c) for c in columns if not c.readable)
    channel = [
        Evidence("channel", {"column": c.name, "url": c.url}, counted=False) for c in columns
    ]
    if valid:
        figure = (
            f"已开设{label}栏目 {len(columns)} 个，{span(start, ctx.at)} 有效留言 {len(valid)} 条"
        )
        return RuleResult(
            holds=False,
            points=Decimal(0),
            figure=figure,
            evidence=tuple(channel),
            provisional=reasons,
        )
    figure = (
        f"已开设{label}栏目，但 {span(start, ctx.at)} 无任何有效信件、留言，"
        f"扣 {pts(p.no_message_points)} 分"
    )
    return RuleResult(
        holds=p.no_message_points > 0,
        points=p.no_message_points,
        figure=figure,
        evidence=(
            *channel,
            Evidence("no_messages", {"window_start": start, "window_end": ctx.at}, item="2"),
        ),
        provisional=reasons,
    )


# ------------------------------------------------------------------ interaction.survey


class SurveyParams(Model):
    lookback: Period
    no_column_points: Points
    inactive_points: Points
    few_points: Points
    few_when_major_portal: Threshold
    few_when_other: Threshold


def activities(channel: Channel, start: date, at: date) -> list[DatedItem]:
    """Distinct dated activities inside the window; undated ones never count."""
    seen: set[str] = set()
    out: list[DatedItem] = []
    for a in channel.activities:
        if a.date is None or not start <= a.date <= at:
            continue
        key = a.url or f"{a.title}|{a.date.isoformat()}"
        if key not in seen:
            seen.add(key)
            out.append(a)
    out.sort(key=lambda a: (a.date, a.url))
    return out


def _activity_evidence(items: list[DatedItem]) -> tuple[Evidence, ...]:
    return tuple(
        Evidence("activity", {"url": a.url, "title": a.title, "date": a.date}, counted=False)
        for a in items
    )


def survey(ctx: Context, p: SurveyParams) -> RuleResult:
    ch = ctx.facts.surveys
    if not ch.exists:
        return RuleResult(
            holds=p.no_column_points > 0,
            points=p.no_column_points,
            figure=f"未开设调查征集类栏目，扣 {pts(p.no_column_points)} 分",
            evidence=(Evidence("missing_channel", {"categories": ["survey"]}, item="1"),),
        )
    start = ctx.start(p.lookback)
    done = activities(ch, start, ctx.at)
    window = f"{span(start, ctx.at)}"
    if not ch.usable or not done:
        why = "栏目不可用" if not ch.usable else f"{window} 未开展调查征集活动"
        return RuleResult(
            holds=p.inactive_points > 0,
            points=p.inactive_points,
            figure=f"已开设调查征集类栏目，但{why}，扣 {pts(p.inactive_points)} 分",
            evidence=(
                Evidence("inactive_channel", {"url": ch.url, "usable": ch.usable}, item="2"),
            ),
        )
    major = ctx.facts.is_major_portal
    few = p.few_when_major_portal if major else p.few_when_other
    kind = "地方政府及国务院各部门门户网站" if major else "其他政府网站"
    deduct = few.holds(len(done))
    points = p.few_points if deduct else Decimal(0)
    figure = (
        f"{window} 开展调查征集活动 {len(done)} 次"
        f"（{kind}{few.label()} 次扣 {pts(p.few_points)} 分）"
    )
    return RuleResult(
        holds=deduct,
        points=points,
        figure=figure,
        evidence=_activity_evidence(done),
    )


# ------------------------------------------------------------------ interaction.interview


class InterviewParams(Model):
    lookback: Period
    inactive_points: Points


def interview(ctx: Context, p: InterviewParams) -> RuleResult:
    ch = ctx.facts.interviews
    if not ch.exists:
        return RuleResult(
            holds=False,
            points=Decimal(0),
            figure="未开设互动访谈类栏目（评分表对此不扣分）",
        )
    start = ctx.start(p.lookback)
    done = activities(ch, start, ctx.at)
    if ch.usable and done:
        return RuleResult(
            holds=False,
            points=Decimal(0),
            figure=f"{span(start, ctx.at)} 开展互动访谈 {len(done)} 次",
            evidence=_activity_evidence(done),
        )
    why = "栏目不可用" if not ch.usable else f"{span(start, ctx.at)} 未开展互动访谈活动"
    return RuleResult(
        holds=p.inactive_points > 0,
        points=p.inactive_points,
        figure=f"已开设互动访谈类栏目，但{why}，扣 {pts(p.inactive_points)} 分",
        evidence=(Evidence("inactive_channel", {"url": ch.url, "usable": ch.usable}, item="1"),),
    )

"""单项否决: any one of these makes the site 不合格 and the deductions 不计分."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from pydantic import Field

from scoring.context import Context
from scoring.facts import Column, FindingStatus, Message
from scoring.params import CategoryName, Model, Period, Threshold
from scoring.results import Evidence, RuleResult
from scoring.rules.base import (
    FindingKindName,
    categories_label,
    excluded,
    read_via,
    unreadable_reason,
)
from scoring.rules.homepage import (
    homepage_new_items,
    homepage_scope,
    unread_homepage_reason,
)
from scoring.rules.probes import probe_evidence, probe_figure, probe_reasons
from scoring.text import day, percent, span

# ------------------------------------------------------------------ veto.unreachable


class UnreachableParams(Model):
    holds_when_failure_percent: Threshold


def unreachable(ctx: Context, p: UnreachableParams) -> RuleResult:
    week = ctx.probe_week()
    ratio = percent(len(week.failures), week.valid)
    holds = week.valid > 0 and p.holds_when_failure_percent.holds(ratio)
    figure = probe_figure(week)
    if week.valid == 0:
        figure = f"{span(week.start, week.end)} 无有效监测记录，无法判定"
    return RuleResult(
        holds=holds,
        figure=figure,
        evidence=probe_evidence(week),
        provisional=probe_reasons(week),
    )


# ------------------------------------------------------------------ veto.homepage_stale


class HomepageStaleParams(Model):
    window: Period
    holds_when_new_items: Threshold


def homepage_stale(ctx: Context, p: HomepageStaleParams) -> RuleResult:
    start = ctx.start(p.window)
    if not ctx.facts.homepage.readable:
        reason = unread_homepage_reason(ctx.facts.homepage)
        return RuleResult(holds=False, figure=reason, provisional=(reason,))
    new, undated = homepage_new_items(ctx.facts.homepage, start, ctx.at)
    holds = p.holds_when_new_items.holds(len(new))
    scope = homepage_scope(ctx.facts.homepage)
    figure = f"{span(start, ctx.at)}（{p.window.label()}）{scope}新增信息 {len(new)} 条"
    if undated:
        figure += f"（另有 {undated} 条未注明发布时间，视为不更新）"
    evidence = tuple(
        Evidence("new_item", {"url": i.url, "title": i.title, "date": i.date}) for i in new
    )
    return RuleResult(holds=holds, figure=figure, evidence=evidence)


# ------------------------------------------------------------------ veto.columns_stale


class CategoryWindow(Model):
    categories: list[CategoryName] = Field(min_length=1)
    window: Period


class StaleGroupsItem(Model):
    """Item 1: 动态要闻 within 2 weeks plus 通知公告/政策文件 within 6 months, added up."""

    groups: list[CategoryWindow] = Field(min_length=1)
    holds_when_count: Threshold


class ShouldUpdateItem(Model):
    """Item 2: every column that should be updated, against its category's window."""

    windows: dict[CategoryName, Period]
    holds_when_count: Threshold


class BlankItem(Model):
    holds_when_count: Threshold


class ColumnsStaleParams(Model):
    item1: StaleGroupsItem
    item2: ShouldUpdateItem
    item3: BlankItem


def stale_evidence(
    ctx: Context, column: Column, window: Period, item: str, points: object = None
) -> Evidence:
    fresh = ctx.freshness(column, window)
    newest = fresh.newest
    return Evidence(
        "stale_column",
        {
            "column": column.name,
            "url": column.url,
            "category": str(column.category),
            "window": window.label(),
            "window_start": ctx.start(window),
            "newest_date": newest.date if newest else None,
            "newest_title": newest.title if newest else "",
            "newest_url": newest.url if newest else "",
            **read_via(column),
        },
        item=item,
        points=points,  # type: ignore[arg-type]
        note=f"最新信息 {day(newest.date if newest else None)}"
        + (f"「{newest.title}」" if newest and newest.title else "")
        + f"，早于 {ctx.start(window).isoformat()}",
    )


def columns_stale(ctx: Context, p: ColumnsStaleParams) -> RuleResult:
    evidence: list[Evidence] = []
    reasons: list[str] = []
    item1 = 0
    item2 = 0
    blank = 0
    for column in ctx.facts.columns:
        if column.category == ONLINE_SYSTEM:
            continue  # a system, not a column of information: 在线系统 judges whether it opens
        why = excluded(column)
        if why:
            evidence.append(_excluded(column, why))
            continue
        if column.blank:
            blank += 1
            evidence.append(
                Evidence(
                    "blank_column",
                    {"column": column.name, "url": column.url, **read_via(column)},
                    item="3",
                )
            )
        if not column.readable:
            reasons.append(unreadable_reason(column))
            continue
        for group in p.item1.groups:
            if (
                column.category in group.categories
                and not ctx.freshness(column, group.window).updated
            ):
                item1 += 1
                evidence.append(stale_evidence(ctx, column, group.window, "1"))
        window = _should_update_window(column, p.item2.windows)
        if window is not None and not ctx.freshness(column, window).updated:
            item2 += 1
            evidence.append(stale_evidence(ctx, column, window, "2"))
    hits = [
        p.item1.holds_when_count.holds(item1),
        p.item2.holds_when_count.holds(item2),
        p.item3.holds_when_count.holds(blank),
    ]
    labels = " + ".join(
        f"{categories_label(g.categories)}{g.window.label()}内" for g in p.item1.groups
    )
    figure = (
        f"1. {labels}未更新栏目 {item1} 个（{p.item1.holds_when_count.label()} 个即否决）；"
        f"2. 应更新但超期未更新栏目 {item2} 个（{p.item2.holds_when_count.label()} 个即否决）；"
        f"3. 空白栏目 {blank} 个（{p.item3.holds_when_count.label()} 个即否决）"
    )
    return RuleResult(
        holds=any(hits), figure=figure, evidence=tuple(evidence), provisional=tuple(reasons)
    )


def _should_update_window(column: Column, windows: Mapping[Any, Period]) -> Period | None:
    window = windows.get(column.category)
    if window is None or column.static:
        return None
    o = column.update_window
    if o is not None:
        return Period(days=o.days, weeks=o.weeks, months=o.months, years=o.years)
    return window


def _excluded(column: Column, why: str) -> Evidence:
    return Evidence(
        "excluded_column",
        {
            "column": column.name,
            "url": column.url,
            "category": str(column.category),
            **read_via(column),
        },
        counted=False,
        note=f"不计入：{why}",
    )


ONLINE_SYSTEM = "online_system"


# ------------------------------------------------------------------ veto.serious_error


class SeriousErrorParams(Model):
    finding_kinds: list[FindingKindName] = Field(min_length=1)


def serious_error(ctx: Context, p: SeriousErrorParams) -> RuleResult:
    confirmed = 0
    pending = 0
    evidence: list[Evidence] = []
    for f in ctx.facts.findings:
        if f.kind not in p.finding_kinds:
            continue
        counted = f.status == FindingStatus.CONFIRMED
        confirmed += counted
        pending += f.status == FindingStatus.CANDIDATE
        evidence.append(
            Evidence(
                "finding",
                {
                    "id": f.id,
                    "finding_kind": str(f.kind),
                    "status": str(f.status),
                    "url": f.url,
                    "excerpt": f.excerpt,
                },
                counted=counted,
                note=f.note,
            )
        )
    figure = f"经人工复核确认的严重问题 {confirmed} 处"
    reasons: tuple[str, ...] = ()
    if pending:
        figure += f"，另有 {pending} 处待人工复核"
        reasons = (f"严重错误 {pending} 处待人工复核",)
    return RuleResult(
        holds=confirmed > 0, figure=figure, evidence=tuple(evidence), provisional=reasons
    )


# ------------------------------------------------------------------ veto.unanswered


class UnansweredParams(Model):
    lookback: Period
    answer_within: Period
    categories: list[CategoryName] = Field(min_length=1)


def unanswered(ctx: Context, p: UnansweredParams) -> RuleResult:
    start = ctx.start(p.lookback)
    categories = {c.id: c.category for c in ctx.facts.columns}
    counted = 0
    overdue: list[Evidence] = []
    uncertain: list[Evidence] = []
    unknown_column = 0
    undated = 0
    for m in ctx.facts.messages:
        if m.asked_on is None:
            undated += 1
            continue
        if not start <= m.asked_on <= ctx.at:
            continue
        category = categories.get(m.column_id)
        if category is None:
            unknown_column += 1
            continue
        if category not in p.categories:
            continue
        counted += 1
        deadline = p.answer_within.after(m.asked_on)
        # A reply dated after T did not exist at T: the message was still open then.
        answered_on = m.answered_on if m.answered_on and m.answered_on <= ctx.at else None
        if answered_on is not None:
            if answered_on > deadline:
                overdue.append(_message(m, deadline, "answered_late"))
        elif m.answered and m.answered_on is None:
            if ctx.at > deadline:
                uncertain.append(_message(m, deadline, "answered_undated"))
        elif ctx.at > deadline:
            overdue.append(_message(m, deadline, "open"))
    figure = (
        f"{span(start, ctx.at)} {categories_label(p.categories)}栏目留言 {counted} 条，"
        f"超过 {p.answer_within.label()}未回应 {len(overdue)} 条"
    )
    notes: tuple[str, ...] = ()
    if uncertain:
        figure += f"；{len(uncertain)} 条已回复但未注明回复日期，按已回复处理"
        notes = (
            f"{len(uncertain)} 条留言已回复但未注明回复日期，无法核实是否在 "
            f"{p.answer_within.label()}内回应，按已回复处理（见「互动回应差」证据）",
        )
    if unknown_column:
        notes += (f"{unknown_column} 条留言所属栏目未登记，未计入",)
    if undated:
        notes += (f"{undated} 条留言未注明提问日期，无法判定是否超期，未计入",)
    return RuleResult(
        holds=bool(overdue), figure=figure, evidence=tuple(overdue + uncertain), notes=notes
    )


def _message(m: Message, deadline: date, state: str) -> Evidence:
    notes = {
        "answered_late": f"{m.asked_on} 提问，{m.answered_on} 才回复，晚于 {deadline}",
        "open": f"{m.asked_on} 提问，至监测时间点仍未回复（应于 {deadline} 前回复）",
        "answered_undated": f"{m.asked_on} 提问，已回复但未注明回复日期，按已回复处理",
    }
    return Evidence(
        "overdue_message" if state != "answered_undated" else "undated_reply",
        {
            "column_id": m.column_id,
            "url": m.url,
            "title": m.title,
            "asked_on": m.asked_on,
            "answered_on": m.answered_on,
            "deadline": deadline,
            "state": state,
        },
        counted=state != "answered_undated",
        uncertain=state == "answered_undated",
        note=notes[state],
    )

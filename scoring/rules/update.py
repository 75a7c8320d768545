"""信息更新情况: 首页栏目 volume and 基本信息 freshness/accuracy."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from scoring.context import Context
from scoring.facts import FindingStatus
from scoring.params import CategoryName, Model, Period, Points, Text, Threshold
from scoring.results import Evidence, RuleResult
from scoring.rules.base import (
    FindingKindName,
    categories_label,
    excluded,
    unreadable_reason,
)
from scoring.rules.homepage import homepage_new_items, homepage_scope, unread_homepage_reason
from scoring.rules.veto import stale_evidence
from scoring.text import pts, span

# ------------------------------------------------------------------ update.homepage_volume


class VolumeParams(Model):
    window: Period
    deduct_when_new_items: Threshold
    points: Points


def homepage_volume(ctx: Context, p: VolumeParams) -> RuleResult:
    start = ctx.start(p.window)
    if not ctx.facts.homepage.readable:
        reason = unread_homepage_reason(ctx.facts.homepage)
        return RuleResult(holds=False, points=Decimal(0), figure=reason, provisional=(reason,))
    new, undated = homepage_new_items(ctx.facts.homepage, start, ctx.at)
    deduct = p.deduct_when_new_items.holds(len(new))
    points = p.points if deduct else Decimal(0)
    figure = (
        f"{span(start, ctx.at)}（{p.window.label()}）{homepage_scope(ctx.facts.homepage)}"
        f"新增信息 {len(new)} 条（{p.deduct_when_new_items.label()} 条扣 {pts(p.points)} 分）"
    )
    if undated:
        figure += f"，另有 {undated} 条未注明发布时间，视为不更新"
    evidence = tuple(
        Evidence("new_item", {"url": i.url, "title": i.title, "date": i.date}) for i in new
    )
    return RuleResult(holds=deduct, points=points, figure=figure, evidence=evidence)


# ------------------------------------------------------------------ update.basic_info


class FreshnessItem(Model):
    item: Text
    categories: list[CategoryName] = Field(min_length=1)
    window: Period
    points: Points


class InaccurateItem(Model):
    item: Text
    finding_kind: FindingKindName
    points: Points


class BasicInfoParams(Model):
    items: list[FreshnessItem] = Field(min_length=1)
    inaccurate: InaccurateItem


def basic_info(ctx: Context, p: BasicInfoParams) -> RuleResult:
    evidence: list[Evidence] = []
    reasons: list[str] = []
    parts: list[str] = []
    points = Decimal(0)
    for item in p.items:
        stale = 0
        for column in ctx.facts.columns:
            if column.category not in item.categories or excluded(column):
                continue
            if not column.readable:
                reasons.append(unreadable_reason(column))
                continue
            if not ctx.freshness(column, item.window).updated:
                stale += 1
                evidence.append(stale_evidence(ctx, column, item.window, item.item, item.points))
        points += item.points * stale
        parts.append(
            f"{item.item}. {categories_label(item.categories)}{item.window.label()}内"
            f"未更新栏目 {stale} 个"
        )
    wrong = 0
    pending = 0
    inc = p.inaccurate
    for f in ctx.facts.findings:
        if f.kind != inc.finding_kind:
            continue
        if f.status == FindingStatus.CANDIDATE:
            pending += 1
        counted = f.status == FindingStatus.CONFIRMED
        wrong += counted
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
                points=inc.points if counted else None,
                item=inc.item,
                note=f.note,
            )
        )
    points += inc.points * wrong
    parts.append(f"{inc.item}. 基本信息不准确 {wrong} 处")
    if pending:
        parts[-1] += f"（另有 {pending} 处待人工复核）"
        reasons.append(f"基本信息不准确 {pending} 处待人工复核")
    figure = "；".join(parts) + f"，共扣 {pts(points)} 分"
    return RuleResult(
        holds=points > 0,
        points=points,
        figure=figure,
        evidence=tuple(evidence),
        provisional=tuple(dict.fromkeys(reasons)),
    )

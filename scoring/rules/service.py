"""服务实用情况: 办事指南、附件下载、在线系统."""

from __future__ import annotations

from pydantic import Field

from scoring.context import Context
from scoring.facts import FindingStatus
from scoring.params import Model, Points, Text
from scoring.results import Evidence, RuleResult
from scoring.rules.base import FindingKindName
from scoring.text import pts

# ------------------------------------------------------------------ service.guide


class GuideParams(Model):
    elements: list[Text] = Field(min_length=1)
    points_per_missing: Points
    inaccurate_kind: FindingKindName
    inaccurate_points: Points


def guide(ctx: Context, p: GuideParams) -> RuleResult:
    evidence: list[Evidence] = []
    missing = 0
    for g in ctx.facts.guides:
        for element in p.elements:
            if element not in g.present:
                missing += 1
                evidence.append(
                    Evidence(
                        "missing_guide_element",
                        {"guide_url": g.url, "guide_title": g.title, "element": element},
                        points=p.points_per_missing,
                        item="1",
                        note=f"办事指南「{g.title or g.url}」缺少要素：{element}",
                    )
                )
    wrong = pending = 0
    for f in ctx.facts.findings:
        if f.kind != p.inaccurate_kind:
            continue
        counted = f.status == FindingStatus.CONFIRMED
        wrong += counted
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
                points=p.inaccurate_points if counted else None,
                item="2",
                note=f.note,
            )
        )
    points = p.points_per_missing * missing + p.inaccurate_points * wrong
    figure = (
        f"办事指南 {len(ctx.facts.guides)} 个，缺失要素 {missing} 类次；要素不准确 {wrong} 处"
        f"，共扣 {pts(points)} 分"
    )
    reasons: tuple[str, ...] = ()
    if pending:
        figure += f"（另有 {pending} 处待人工复核）"
        reasons = (f"办事指南要素不准确 {pending} 处待人工复核",)
    return RuleResult(
        holds=points > 0,
        points=points,
        figure=figure,
        evidence=tuple(evidence),
        provisional=reasons,
    )


# ------------------------------------------------------------------ service.attachments


class AttachmentsParams(Model):
    not_offered_points: Points
    not_downloadable_points: Points


def attachments(ctx: Context, p: AttachmentsParams) -> RuleResult:
    evidence: list[Evidence] = []
    not_offered = broken = 0
    for a in ctx.facts.attachments:
        detail = {"name": a.name, "url": a.url, "guide_url": a.guide_url}
        if a.mentioned and not a.offered:
            not_offered += 1
            evidence.append(
                Evidence(
                    "attachment_not_offered",
                    detail,
                    points=p.not_offered_points,
                    item="1",
                    note=f"办事指南提及「{a.name}」但未提供下载",
                )
            )
        elif a.offered and a.downloads_ok is False:
            broken += 1
            evidence.append(
                Evidence(
                    "attachment_broken",
                    detail,
                    points=p.not_downloadable_points,
                    item="2",
                    note=f"「{a.name}」无法下载",
                )
            )
    points = p.not_offered_points * not_offered + p.not_downloadable_points * broken
    figure = f"提及但未提供下载 {not_offered} 个，无法下载 {broken} 个，共扣 {pts(points)} 分"
    return RuleResult(holds=points > 0, points=points, figure=figure, evidence=tuple(evidence))


# ------------------------------------------------------------------ service.online_systems


class OnlineSystemsParams(Model):
    points_each: Points


def online_systems(ctx: Context, p: OnlineSystemsParams) -> RuleResult:
    down = [s for s in ctx.facts.online_systems if not s.opens]
    points = p.points_each * len(down)
    evidence = tuple(
        Evidence(
            "online_system_down",
            {"name": s.name, "url": s.url},
            points=p.points_each,
            note=f"在线系统「{s.name}」不能访问",
        )
        for s in down
    )
    figure = (
        f"在线申报/查询系统 {len(ctx.facts.online_systems)} 个，不能访问 {len(down)} 个，"
        f"扣 {pts(points)} 分"
    )
    return RuleResult(holds=points > 0, points=points, figure=figure, evidence=evidence)

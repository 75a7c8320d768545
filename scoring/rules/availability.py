"""网站可用性: 首页可用性 and 链接可用性."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from typing import Literal

from scoring.context import Context
from scoring.facts import BrokenLink, LinkScan
from scoring.params import Model, Points, Rounding
from scoring.results import Evidence, RuleResult
from scoring.rules.probes import probe_evidence, probe_figure, probe_reasons
from scoring.text import percent, pts

# ------------------------------------------------------------------ availability.homepage


class HomepageParams(Model):
    points_per_percent: Points
    rounding: Rounding


def whole_percent(ratio: Fraction, rounding: str) -> int:
    """ "每1%扣5分": how many whole 1 % steps; floor by default (4.99 % is 4 steps)."""
    if rounding == "floor":
        return math.floor(ratio)
    if rounding == "ceil":
        return math.ceil(ratio)
    return math.floor(ratio + Fraction(1, 2))


def homepage(ctx: Context, p: HomepageParams) -> RuleResult:
    week = ctx.probe_week()
    ratio = percent(len(week.failures), week.valid)
    steps = whole_percent(ratio, p.rounding)
    points = p.points_per_percent * steps
    figure = f"{probe_figure(week)}，按 {steps} 个 1% 计，扣 {pts(points)} 分"
    return RuleResult(
        holds=points > 0,
        points=points,
        figure=figure,
        evidence=probe_evidence(week),
        provisional=probe_reasons(week),
    )


# ------------------------------------------------------------------ availability.links


class LinksParams(Model):
    homepage_points: Points
    other_points: Points
    count: Literal["distinct_target", "occurrence"]


def links(ctx: Context, p: LinksParams) -> RuleResult:
    nav_only = ctx.facts.homepage.navigation_only
    merged: dict[str, list[BrokenLink]] = {}
    pending: list[Evidence] = []
    for link in ctx.facts.broken_links:
        if link.confirmed:
            merged.setdefault(link.target, []).append(link)
        else:
            pending.append(_link(link, False, "(unconfirmed)", None, "待复查，不计分"))
    evidence: list[Evidence] = []
    home = other = 0
    points = Decimal(0)
    for target, group in merged.items():
        pages = sorted({page for link in group for page in link.pages})
        on_home = any(link.on_homepage or (nav_only and link.on_second_level) for link in group)
        first = group[0]
        if on_home:
            home += 1
            each = p.homepage_points
            evidence.append(_link(first, True, "1", each, "", target=target, pages=pages))
        else:
            # Each occurrence the crawl counted, not only the pages kept as its evidence.
            seen = max(link.occurrences for link in group)
            n = max(len(pages), seen, 1) if p.count == "occurrence" else 1
            other += n
            each = p.other_points * n
            evidence.append(_link(first, True, "2", each, "", target=target, pages=pages))
        points += each
    scope = "首页（导航页：含二级页面）" if nav_only else "首页"
    figure = (
        f"{scope}打不开或错误的链接 {home} 个，扣 {pts(p.homepage_points * home)} 分；"
        f"其他页面 {other} 个，扣 {pts(p.other_points * other)} 分"
    )
    if pending:
        figure += f"（另有 {len(pending)} 个待复查，不计分）"
    scan = ctx.facts.link_scan
    about = (link_scan_evidence(scan),) if scan is not None else ()
    return RuleResult(
        holds=points > 0, points=points, figure=figure, evidence=(*evidence, *pending, *about)
    )


def link_scan_evidence(scan: LinkScan) -> Evidence:
    """What the crawl took over from earlier nights (never counted: it says how the facts
    were gathered, so a reused verdict is not read as tonight's)."""
    unchanged = scan.not_modified + scan.same_body
    note = (
        f"链接扫描（{scan.started_at.isoformat(timespec='minutes')}）：页面 {scan.pages} 个，"
        f"其中未变化未重新解析 {unchanged} 个（304 未修改 {scan.not_modified} 个），"
        f"沿用前次抓取未重新请求 {scan.pages_kept} 个；"
        f"本次检查链接 {scan.links_checked} 个，沿用前次结论 {scan.verdicts_reused} 个"
    )
    if scan.confirmed_earlier:
        note += (
            f"；失效链接 {scan.confirmed_earlier} 个与前次扫描已复查确认的结果相同"
            "（同一失效类型和状态码），以本次检查为复查确认"
        )
    if scan.reused_since is not None:
        note += f"（沿用的最早为 {scan.reused_since.isoformat(timespec='minutes')} 的结果）"
    note += (
        f"；沿用期限：链接结论 {scan.verdict_reuse_s / 3600:g} 小时，"
        f"页面 {scan.page_reuse_s / 3600:g} 小时；"
        "首页和二级页面的链接、失效和无法判定的链接每次都检查"
    )
    return Evidence(
        "link_scan",
        {
            "started_at": scan.started_at.isoformat(),
            "pages": scan.pages,
            "not_modified": scan.not_modified,
            "same_body": scan.same_body,
            "pages_kept": scan.pages_kept,
            "links_checked": scan.links_checked,
            "verdicts_reused": scan.verdicts_reused,
            "confirmed_earlier": scan.confirmed_earlier,
            "reused_since": scan.reused_since.isoformat() if scan.reused_since else None,
            "verdict_reuse_s": scan.verdict_reuse_s,
            "page_reuse_s": scan.page_reuse_s,
        },
        counted=False,
        note=note,
    )


def _link(
    link: BrokenLink,
    counted: bool,
    item: str,
    points: Decimal | None,
    note: str,
    *,
    target: str | None = None,
    pages: list[str] | None = None,
) -> Evidence:
    return Evidence(
        "broken_link",
        {
            "target": target or link.target,
            "on_homepage": link.on_homepage or item == "1",  # (1): homepage or its 二级页面
            "pages": pages if pages is not None else list(link.pages),
            "status_code": link.status_code,
            "failure": link.kind,
        },
        counted=counted,
        points=points,
        item=item if item in ("1", "2") else "",
        note=note,
    )

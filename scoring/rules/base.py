"""Shared parameter vocabulary of the rules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from scoring.facts import Category, Column, FindingStatus, SiteFacts

FindingKindName = Literal[
    "serious_error", "false_content", "inaccurate_basic_info", "inaccurate_guide"
]

CATEGORY_LABELS: dict[str, str] = {
    Category.NEWS: "动态、要闻类",
    Category.NOTICE: "通知公告类",
    Category.POLICY: "政策文件类",
    Category.PERSONNEL: "人事类",
    Category.PLANNING: "规划类",
    Category.OTHER_INFO: "其他应更新类",
    Category.CONSULT: "政务咨询类",
    Category.REPORT: "举报投诉类",
    Category.SURVEY: "调查征集类",
    Category.INTERVIEW: "互动访谈类",
    Category.GUIDE: "办事指南类",
    Category.ONLINE_SYSTEM: "在线系统",
}


def categories_label(categories: Sequence[str]) -> str:
    return "、".join(CATEGORY_LABELS.get(c, c) for c in categories)


def excluded(column: Column) -> str:
    """Why a column is left out of freshness counts ('' when it counts)."""
    if column.exempt:
        return "运营方标记为免检"
    if column.blank and column.exempt_note:
        return f"页面已说明无信息：{column.exempt_note}"
    return ""


def unreadable_reason(column: Column) -> str:
    if column.read_via == "unrendered":
        return (
            f"栏目「{column.name}」的列表由脚本生成，未能经浏览器渲染读取（{column.url}），未能判定"
        )
    return f"栏目「{column.name}」无法读取（{column.url}），未能判定"


def read_via(column: Column) -> dict[str, str]:
    """The evidence detail saying how a column was read, when not from its markup."""
    return {} if column.read_via in ("static", "") else {"read_via": column.read_via}


def candidates(facts: SiteFacts, kinds: tuple[str, ...] | list[str]) -> int:
    return sum(1 for f in facts.findings if f.kind in kinds and f.status == FindingStatus.CANDIDATE)

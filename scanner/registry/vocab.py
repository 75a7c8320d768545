"""The words a registry may use for enums, booleans and dates, in English ids and in Chinese.

Operators copy values from the 2015 forms (门户, 工作动态, 是/否, 2015年3月1日); one table here
keeps the YAML and the xlsx forms accepting exactly the same words.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import TypeVar

from scanner.db.models import ColumnCategory, OrgLevel, SiteStatus, SiteType

SITE_TYPE_WORDS: dict[str, SiteType] = {
    "门户": SiteType.PORTAL,
    "门户网站": SiteType.PORTAL,
    "政府门户网站": SiteType.PORTAL,
    "部门": SiteType.DEPARTMENT,
    "部门网站": SiteType.DEPARTMENT,
    "专项": SiteType.SPECIAL,
    "专项网站": SiteType.SPECIAL,
}
SITE_TYPE_LABEL: dict[SiteType, str] = {
    SiteType.PORTAL: "门户",
    SiteType.DEPARTMENT: "部门",
    SiteType.SPECIAL: "专项",
}

STATUS_WORDS: dict[str, SiteStatus] = {
    "运行": SiteStatus.RUNNING,
    "正常": SiteStatus.RUNNING,
    "正常运行": SiteStatus.RUNNING,
    "关停": SiteStatus.CLOSED,
    "关闭": SiteStatus.CLOSED,
    "已关停": SiteStatus.CLOSED,
    "已关闭": SiteStatus.CLOSED,
    "整合": SiteStatus.MERGED,
    "合并": SiteStatus.MERGED,
    "已整合": SiteStatus.MERGED,
    "已合并": SiteStatus.MERGED,
}
STATUS_LABEL: dict[SiteStatus, str] = {
    SiteStatus.RUNNING: "运行",
    SiteStatus.CLOSED: "关停",
    SiteStatus.MERGED: "整合",
}

LEVEL_WORDS: dict[str, OrgLevel] = {
    "国家": OrgLevel.COUNTRY,
    "中央": OrgLevel.COUNTRY,
    "国务院": OrgLevel.COUNTRY,
    "省": OrgLevel.PROVINCE,
    "省级": OrgLevel.PROVINCE,
    "市": OrgLevel.CITY,
    "市级": OrgLevel.CITY,
    "地市": OrgLevel.CITY,
    "地市级": OrgLevel.CITY,
    "县": OrgLevel.COUNTY,
    "县级": OrgLevel.COUNTY,
    "区县": OrgLevel.COUNTY,
}

LEVEL_LABEL: dict[OrgLevel, str] = {
    OrgLevel.COUNTRY: "国家",
    OrgLevel.PROVINCE: "省",
    OrgLevel.CITY: "市",
    OrgLevel.COUNTY: "县",
}

# 内容类别 of 附件4 (栏目（系统）基本信息表) → category id of rules-2015.md.
CATEGORY_WORDS: dict[str, ColumnCategory] = {
    "机构设置及职能": ColumnCategory.OTHER_INFO,
    "工作动态": ColumnCategory.NEWS,
    "通知公告": ColumnCategory.NOTICE,
    "政策文件": ColumnCategory.POLICY,
    "规划计划": ColumnCategory.PLANNING,
    "人事信息": ColumnCategory.PERSONNEL,
    "政务咨询类栏目": ColumnCategory.CONSULT,
    "政务咨询类": ColumnCategory.CONSULT,
    "调查征集类栏目": ColumnCategory.SURVEY,
    "调查征集类": ColumnCategory.SURVEY,
    "互动访谈类栏目": ColumnCategory.INTERVIEW,
    "互动访谈类": ColumnCategory.INTERVIEW,
    "办事指南类栏目": ColumnCategory.GUIDE,
    "办事指南类": ColumnCategory.GUIDE,
    "在线（申报、查询）系统": ColumnCategory.ONLINE_SYSTEM,
    "在线申报、查询系统": ColumnCategory.ONLINE_SYSTEM,
    "举报投诉": ColumnCategory.REPORT,
    "举报投诉类": ColumnCategory.REPORT,
    "举报投诉类栏目": ColumnCategory.REPORT,
}
# The three groups (大类) of 附件4 and the categories each may hold; "其他" is only defined for
# 信息公开类 (other columns that should be updated → other_info).
GROUPS: dict[str, set[ColumnCategory]] = {
    "信息公开类": {
        ColumnCategory.OTHER_INFO,
        ColumnCategory.NEWS,
        ColumnCategory.NOTICE,
        ColumnCategory.POLICY,
        ColumnCategory.PLANNING,
        ColumnCategory.PERSONNEL,
    },
    "互动回应类": {
        ColumnCategory.CONSULT,
        ColumnCategory.SURVEY,
        ColumnCategory.INTERVIEW,
        ColumnCategory.REPORT,
    },
    "办事服务类": {ColumnCategory.GUIDE, ColumnCategory.ONLINE_SYSTEM},
}
CATEGORY_LABEL: dict[ColumnCategory, str] = {
    ColumnCategory.OTHER_INFO: "机构设置及职能",
    ColumnCategory.NEWS: "工作动态",
    ColumnCategory.NOTICE: "通知公告",
    ColumnCategory.POLICY: "政策文件",
    ColumnCategory.PLANNING: "规划计划",
    ColumnCategory.PERSONNEL: "人事信息",
    ColumnCategory.CONSULT: "政务咨询类栏目",
    ColumnCategory.SURVEY: "调查征集类栏目",
    ColumnCategory.INTERVIEW: "互动访谈类栏目",
    ColumnCategory.REPORT: "举报投诉",
    ColumnCategory.GUIDE: "办事指南类栏目",
    ColumnCategory.ONLINE_SYSTEM: "在线（申报、查询）系统",
}
E = TypeVar("E", bound=StrEnum)

GROUP_OF: dict[ColumnCategory, str] = {c: g for g, cats in GROUPS.items() for c in cats}

TRUE_WORDS = {"true", "yes", "y", "1", "是", "对", "√"}
FALSE_WORDS = {"false", "no", "n", "0", "否", "不是", "×"}


def normalise_word(text: str) -> str:
    """Fold the variants people type: spaces, ASCII vs full-width brackets and semicolons."""
    text = re.sub(r"\s+", "", text)
    return text.replace("(", "（").replace(")", "）").replace(",", "、").replace("，", "、")


def to_enum(value: object, enum: type[E], words: dict[str, E], what: str) -> E:
    """An enum member from its id (any case) or a Chinese word; a clear message otherwise."""
    if isinstance(value, enum):
        return value
    if not isinstance(value, str):
        raise ValueError(f"{what} must be text, got {type(value).__name__} {value!r}")
    text = normalise_word(value)
    for member in enum:
        if text.lower() == member.value:
            return member
    if text in words:
        return words[text]
    ids = ", ".join(m.value for m in enum)
    firsts: dict[E, str] = {}
    for word, member in words.items():
        firsts.setdefault(member, word)
    chinese = "/".join(firsts.values())
    raise ValueError(f"unknown {what} {value!r}; expected one of {ids} (or {chinese})")


def to_bool(value: object, what: str) -> bool | None:
    """True/False from YAML booleans, xlsx cells or 是/否; blank means "not set" (None)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text == "":
            return None
        if text in TRUE_WORDS:
            return True
        if text in FALSE_WORDS:
            return False
    raise ValueError(f"{what} must be true/false (是/否), got {value!r}")


_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


def to_date(value: object) -> date | None:
    """A day from an xlsx date cell or text: 2015-03-01, 2015/3/1, 2015.3.1 or 2015年3月1日."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.time() != datetime.min.time():
            raise ValueError(f"expected a day without a time, got {value.isoformat()}")
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        match = _DATE.match(text)
        if match:
            try:
                return date(*(int(g) for g in match.groups()))
            except ValueError as exc:
                raise ValueError(f"{value!r} is not a real date ({exc})") from None
    raise ValueError(f"bad date {value!r}; write it as YYYY-MM-DD (e.g. 2015-03-01)")

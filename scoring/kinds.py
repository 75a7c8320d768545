"""The facts' vocabulary: the enumerations the scanner stores and the ruleset names.

Kept apart from the records of `scoring.facts` so that a module needing only a kind (the HTTP
seam's `FailureKind`, the registry's `SiteType`) does not define fifteen frozen dataclasses at
import: ``census scan`` loads this module alone (≈ 12 ms less start-up, docs/crawl.md
"Start-up"). `scoring.facts` and `scoring` give the same classes.
"""

from __future__ import annotations

import enum

__all__ = ["Category", "FailureKind", "FindingKind", "FindingStatus", "SiteType"]


class SiteType(enum.StrEnum):
    PORTAL = "portal"  # 政府门户网站
    DEPARTMENT = "department"  # 部门网站
    SPECIAL = "special"  # 专项网站


class Category(enum.StrEnum):
    """Column categories of rules-2015.md; the ruleset maps them to update windows."""

    NEWS = "news"
    NOTICE = "notice"
    POLICY = "policy"
    PERSONNEL = "personnel"
    PLANNING = "planning"
    OTHER_INFO = "other_info"
    CONSULT = "consult"
    REPORT = "report"
    SURVEY = "survey"
    INTERVIEW = "interview"
    GUIDE = "guide"
    ONLINE_SYSTEM = "online_system"


class FailureKind(enum.StrEnum):
    """Why a visit failed: the one taxonomy, stored as these values and mapped from library
    errors in ``scanner.http.failures``."""

    DNS = "dns"
    CONNECT = "connect"
    TLS = "tls"
    TIMEOUT = "timeout"  # not fully loaded within the page timeout (15 s by default)
    HTTP_STATUS = "http_status"  # final status ≥ 400 after redirects
    EMPTY = "empty"  # blank body
    TOO_LARGE = "too_large"
    REDIRECT_LOOP = "redirect_loop"
    PROTOCOL = "protocol"


class FindingKind(enum.StrEnum):
    SERIOUS_ERROR = "serious_error"  # 严重错别字、反动/暴力/色情内容
    FALSE_CONTENT = "false_content"  # 虚假或伪造内容
    INACCURATE_BASIC_INFO = "inaccurate_basic_info"  # 基本信息不准确
    INACCURATE_GUIDE = "inaccurate_guide"  # 办事指南要素不准确


class FindingStatus(enum.StrEnum):
    CANDIDATE = "candidate"  # found by the scanner, awaiting 人工复核
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"

"""The database schema, one module per table family.

Facts are what probes observed, stored as-is; scoring reads them for a window and a monitoring
point. Every schema change is an Alembic migration under ``migrations/`` (a test checks that the
models and the migrations agree). Taking any name from this package
(``from scanner.db.models import Site``) registers every table on ``Base.metadata``; a module
that needs only some tables imports their family's module (``scanner.db.models.crawl``) and
skips the rest — ``census scan`` loads the crawl's, the registry's and the leases' models, not
all 33 (≈ 40 ms of every night's start).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scanner.db.models.accounts import AuditEvent, LoginAttempt, Role, User, WebSession
    from scanner.db.models.availability import (
        ProbeResult,
        ProbeRound,
        RoundStatus,
        apscheduler_jobs,
    )
    from scanner.db.models.base import Base, enum_column
    from scanner.db.models.content import (
        Activity,
        ColumnCheck,
        ColumnItem,
        ColumnSnapshot,
        GuideAttachment,
        GuidePage,
        HomepageSnapshot,
        Message,
    )
    from scanner.db.models.crawl import (
        CrawlFrontier,
        LinkCache,
        LinkCheck,
        LinkOccurrence,
        LinkVerdict,
        Page,
        PageMemo,
        Scan,
    )
    from scanner.db.models.leases import Lease
    from scanner.db.models.registry import (
        Column,
        ColumnCategory,
        ColumnSource,
        Organisation,
        OrgLevel,
        Site,
        SiteStatus,
        SiteType,
    )
    from scanner.db.models.reports import (
        AccountabilityAction,
        AccountabilityForm,
        SampledSite,
        Sampling,
    )
    from scanner.db.models.review import Finding, FindingEvent, FindingStatus, Scorecard
    from scanner.db.models.runs import NightlyRun, NightlyRunSite

# Where each name is defined, and every family's module in the order the package registered
# their tables before it loaded them on first use.
_WHERE = {
    "AccountabilityAction": "reports",
    "AccountabilityForm": "reports",
    "Activity": "content",
    "AuditEvent": "accounts",
    "Base": "base",
    "Column": "registry",
    "ColumnCategory": "registry",
    "ColumnCheck": "content",
    "ColumnItem": "content",
    "ColumnSnapshot": "content",
    "ColumnSource": "registry",
    "CrawlFrontier": "crawl",
    "Finding": "review",
    "FindingEvent": "review",
    "FindingStatus": "review",
    "GuideAttachment": "content",
    "GuidePage": "content",
    "HomepageSnapshot": "content",
    "Lease": "leases",
    "LinkCache": "crawl",
    "LinkCheck": "crawl",
    "LinkOccurrence": "crawl",
    "LinkVerdict": "crawl",
    "LoginAttempt": "accounts",
    "Message": "content",
    "NightlyRun": "runs",
    "NightlyRunSite": "runs",
    "OrgLevel": "registry",
    "Organisation": "registry",
    "Page": "crawl",
    "PageMemo": "crawl",
    "ProbeResult": "availability",
    "ProbeRound": "availability",
    "Role": "accounts",
    "RoundStatus": "availability",
    "SampledSite": "reports",
    "Sampling": "reports",
    "Scan": "crawl",
    "Scorecard": "review",
    "Site": "registry",
    "SiteStatus": "registry",
    "SiteType": "registry",
    "User": "accounts",
    "WebSession": "accounts",
    "apscheduler_jobs": "availability",
    "enum_column": "base",
}
_FAMILIES = (
    "registry",
    "accounts",
    "availability",
    "content",
    "crawl",
    "leases",
    "reports",
    "review",
    "runs",
)


def __getattr__(name: str) -> Any:
    """Any name of the package: every family's module loaded (so ``Base.metadata`` holds every
    table), then the name from the family that defines it."""
    family = _WHERE.get(name)
    if family is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    for each in _FAMILIES:
        importlib.import_module(f"{__name__}.{each}")
    found = {n: getattr(importlib.import_module(f"{__name__}.{f}"), n) for n, f in _WHERE.items()}
    globals().update(found)
    return found[name]


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "AccountabilityAction",
    "AccountabilityForm",
    "Activity",
    "AuditEvent",
    "Base",
    "Column",
    "ColumnCategory",
    "ColumnCheck",
    "ColumnItem",
    "ColumnSnapshot",
    "ColumnSource",
    "CrawlFrontier",
    "Finding",
    "FindingEvent",
    "FindingStatus",
    "GuideAttachment",
    "GuidePage",
    "HomepageSnapshot",
    "Lease",
    "LinkCache",
    "LinkCheck",
    "LinkOccurrence",
    "LinkVerdict",
    "LoginAttempt",
    "Message",
    "NightlyRun",
    "NightlyRunSite",
    "OrgLevel",
    "Organisation",
    "Page",
    "PageMemo",
    "ProbeResult",
    "ProbeRound",
    "Role",
    "RoundStatus",
    "SampledSite",
    "Sampling",
    "Scan",
    "Scorecard",
    "Site",
    "SiteStatus",
    "SiteType",
    "User",
    "WebSession",
    "apscheduler_jobs",
    "enum_column",
]

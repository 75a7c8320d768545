"""The database schema, one module per table family.

Facts are what probes observed, stored as-is; scoring reads them for a window and a monitoring
point. Every schema change is an Alembic migration under ``migrations/`` (a test checks that the
models and the migrations agree). Importing this package registers every table on
``Base.metadata``.
"""

from scanner.db.models.accounts import AuditEvent, LoginAttempt, Role, User, WebSession
from scanner.db.models.availability import ProbeResult, ProbeRound, RoundStatus, apscheduler_jobs
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

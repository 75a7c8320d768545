"""The database schema: the registry (organisations, sites, columns) and the fact tables.

Facts are what probes observed, stored as-is; scoring reads them for a window and a monitoring
point. Every schema change is an Alembic migration under ``migrations/`` (a test checks that
the models and the migrations agree).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    Unicode,
    UniqueConstraint,
)
from sqlalchemy import Column as SAColumn
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from scanner.http.failures import FailureKind

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    # Store the readable value, not the Python name; non-native so SQLite and PostgreSQL agree.
    return Enum(
        cls,
        name=name,
        native_enum=False,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
        length=24,
    )


class OrgLevel(enum.StrEnum):
    COUNTRY = "country"
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"


class SiteType(enum.StrEnum):
    PORTAL = "portal"  # 政府门户网站
    DEPARTMENT = "department"  # 部门网站
    SPECIAL = "special"  # 专项网站


class SiteStatus(enum.StrEnum):
    RUNNING = "running"
    CLOSED = "closed"
    MERGED = "merged"


class ColumnCategory(enum.StrEnum):
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


class ColumnSource(enum.StrEnum):
    CONFIG = "config"
    DISCOVERED = "discovered"


class RoundStatus(enum.StrEnum):
    RUNNING = "running"
    DONE = "done"
    INVALID = "invalid"  # canaries failed or the loop was late: probes kept, not counted
    MISSED = "missed"  # the monitor was not running when the round was due


class LinkVerdict(enum.StrEnum):
    OK = "ok"
    BROKEN = "broken"
    UNDETERMINED = "undetermined"


class FindingStatus(enum.StrEnum):
    CANDIDATE = "candidate"
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"


class Organisation(Base):
    """A node of the supervising hierarchy (国务院办公厅 → 省 → 市 → 县)."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[OrgLevel] = mapped_column(_enum(OrgLevel, "org_level"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)

    parent: Mapped[Organisation | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Organisation]] = relationship(back_populates="parent")
    sites: Mapped[list[Site]] = relationship(back_populates="organisation")


class Site(Base):
    """One government website, keyed by its 网站标识码."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)  # 网站标识码
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(1000))
    host_org: Mapped[str] = mapped_column(String(200), default="")  # 主办单位
    type: Mapped[SiteType] = mapped_column(_enum(SiteType, "site_type"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    icp: Mapped[str] = mapped_column(String(100), default="")
    police: Mapped[str] = mapped_column(String(100), default="")  # 公安机关备案号
    status: Mapped[SiteStatus] = mapped_column(
        _enum(SiteStatus, "site_status"), default=SiteStatus.RUNNING
    )
    opened_on: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    merged_on: Mapped[date | None] = mapped_column(Date)
    merged_into: Mapped[str | None] = mapped_column(String(32))  # 标识码 of the absorbing site
    # None: detect from the homepage; True/False: set by the operator in the registry.
    navigation_only: Mapped[bool | None] = mapped_column(Boolean)
    # Extra host names that belong to the site (crawled as its own pages).
    own_hosts: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    organisation: Mapped[Organisation] = relationship(back_populates="sites")
    columns: Mapped[list[Column]] = relationship(
        back_populates="site", cascade="all, delete-orphan", order_by="Column.id"
    )


class Column(Base):
    """A 栏目 (or online system) of a site, with the category its update window comes from."""

    __tablename__ = "columns"
    __table_args__ = (UniqueConstraint("site_id", "url", name="uq_columns_site_id_url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(1000))
    category: Mapped[ColumnCategory] = mapped_column(_enum(ColumnCategory, "column_category"))
    exempt: Mapped[bool] = mapped_column(Boolean, default=False)
    static: Mapped[bool] = mapped_column(Boolean, default=False)  # other_info marked "static"
    selector: Mapped[str | None] = mapped_column(String(500))  # CSS override for the list
    source: Mapped[ColumnSource] = mapped_column(
        _enum(ColumnSource, "column_source"), default=ColumnSource.CONFIG
    )

    site: Mapped[Site] = relationship(back_populates="columns")


# ---------------------------------------------------------------- availability facts


class ProbeRound(Base):
    """One scheduled round of homepage probes; invalid rounds are kept but not counted."""

    __tablename__ = "probe_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    scheduled_for: Mapped[datetime] = mapped_column(DateTime(timezone=True), unique=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[RoundStatus] = mapped_column(_enum(RoundStatus, "round_status"))
    canaries_ok: Mapped[bool | None] = mapped_column(Boolean)
    loop_lag_ms: Mapped[float | None] = mapped_column(Float)
    invalid_reason: Mapped[str] = mapped_column(Text, default="")
    # Which stagger slot of the hour this round serves (None: a one-off round, census probe).
    slot: Mapped[int | None] = mapped_column(Integer)
    # What each canary showed: [{"url", "ok", "failure", "total_ms"}], the evidence for INVALID.
    canary_results: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)


class ProbeResult(Base):
    """One visit of one homepage."""

    __tablename__ = "probe_results"
    __table_args__ = (
        UniqueConstraint("round_id", "site_id", name="uq_probe_results_round_id_site_id"),
        Index("ix_probe_results_site_started", "site_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("probe_rounds.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ok: Mapped[bool] = mapped_column(Boolean)
    failure: Mapped[FailureKind | None] = mapped_column(_enum(FailureKind, "failure_kind"))
    valid: Mapped[bool] = mapped_column(Boolean, default=True)
    status_code: Mapped[int | None] = mapped_column(Integer)
    final_url: Mapped[str | None] = mapped_column(String(1000))
    bytes: Mapped[int | None] = mapped_column(Integer)
    total_ms: Mapped[float | None] = mapped_column(Float)
    dns_ms: Mapped[float | None] = mapped_column(Float)
    connect_ms: Mapped[float | None] = mapped_column(Float)
    tls_ms: Mapped[float | None] = mapped_column(Float)
    first_byte_ms: Mapped[float | None] = mapped_column(Float)
    body_ms: Mapped[float | None] = mapped_column(Float)
    detail: Mapped[str] = mapped_column(Text, default="")


# APScheduler's job store lives in the same database; its table is declared here (exactly as
# APScheduler 3 defines it) so that a migration creates it like every other table.
apscheduler_jobs = Table(
    "apscheduler_jobs",
    Base.metadata,
    SAColumn("id", Unicode(191), primary_key=True),
    SAColumn("next_run_time", Float(25), index=True),
    SAColumn("job_state", LargeBinary, nullable=False),
)


# ---------------------------------------------------------------- crawl and link facts


class Scan(Base):
    """One crawl of one site (pages, links, columns); resumable by id."""

    __tablename__ = "scans"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(24), default="running")
    error: Mapped[str] = mapped_column(Text, default="")
    # How often an interrupted scan was picked up again, and the running counts it showed.
    resumes: Mapped[int] = mapped_column(Integer, default=0)
    stats: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)


class CrawlFrontier(Base):
    """Every URL a scan queued (with its depth): what an interrupted scan resumes from."""

    __tablename__ = "crawl_frontier"
    __table_args__ = (UniqueConstraint("scan_id", "url", name="uq_crawl_frontier_scan_id_url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("scans.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(2000))
    depth: Mapped[int] = mapped_column(Integer)


class Page(Base):
    __tablename__ = "pages"
    __table_args__ = (UniqueConstraint("scan_id", "url", name="uq_pages_scan_id_url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("scans.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(2000))
    status: Mapped[int | None] = mapped_column(Integer)
    depth: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text, default="")
    content_hash: Mapped[str | None] = mapped_column(String(64))
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    final_url: Mapped[str | None] = mapped_column(String(2000))
    failure: Mapped[str] = mapped_column(String(40), default="")  # a FailureKind value
    content_type: Mapped[str] = mapped_column(String(200), default="")
    bytes: Mapped[int | None] = mapped_column(Integer)
    soft404: Mapped[bool] = mapped_column(Boolean, default=False)  # 200 that says 页面不存在


class LinkCheck(Base):
    """The verdict on one distinct link target within one scan."""

    __tablename__ = "link_checks"
    __table_args__ = (UniqueConstraint("scan_id", "target", name="uq_link_checks_scan_id_target"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("scans.id", ondelete="CASCADE"))
    target: Mapped[str] = mapped_column(String(2000))
    # None while the target waits for its check (a scan stores targets as it finds them).
    verdict: Mapped[LinkVerdict | None] = mapped_column(_enum(LinkVerdict, "link_verdict"))
    status_code: Mapped[int | None] = mapped_column(Integer)
    failure: Mapped[str] = mapped_column(String(40), default="")
    on_homepage: Mapped[bool] = mapped_column(Boolean, default=False)
    checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Found on a page the homepage links to (counts as homepage for a navigation-only homepage).
    on_second_level: Mapped[bool] = mapped_column(Boolean, default=False)
    kind: Mapped[str] = mapped_column(String(40), default="")  # soft404, not_found, http_503 …
    final_url: Mapped[str | None] = mapped_column(String(2000))
    external: Mapped[bool] = mapped_column(Boolean, default=False)
    occurrences: Mapped[int] = mapped_column(Integer, default=0)  # all of them, stored or not
    recheck_due: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LinkOccurrence(Base):
    """Where a checked target was found: the evidence an official follows by hand."""

    __tablename__ = "link_occurrences"
    __table_args__ = (
        UniqueConstraint("link_id", "page_url", "tag", name="uq_link_occurrences_link_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("link_checks.id", ondelete="CASCADE"))
    page_url: Mapped[str] = mapped_column(String(2000))
    tag: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text, default="")


class LinkCache(Base):
    """The last check of a target shared by many sites (www.gov.cn), reused for a set time."""

    __tablename__ = "link_cache"

    id: Mapped[int] = mapped_column(primary_key=True)
    target: Mapped[str] = mapped_column(String(2000), unique=True)
    verdict: Mapped[LinkVerdict] = mapped_column(_enum(LinkVerdict, "link_verdict"))
    status_code: Mapped[int | None] = mapped_column(Integer)
    failure: Mapped[str] = mapped_column(String(40), default="")
    kind: Mapped[str] = mapped_column(String(40), default="")
    final_url: Mapped[str | None] = mapped_column(String(2000))
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# ---------------------------------------------------------------- column facts


class ColumnSnapshot(Base):
    """What one read of a column's list page showed."""

    __tablename__ = "column_snapshots"
    __table_args__ = (Index("ix_column_snapshots_column_taken", "column_id", "taken_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    column_id: Mapped[int] = mapped_column(ForeignKey("columns.id", ondelete="CASCADE"))
    scan_id: Mapped[int | None] = mapped_column(ForeignKey("scans.id", ondelete="SET NULL"))
    taken_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    readable: Mapped[bool] = mapped_column(Boolean)
    blank: Mapped[bool] = mapped_column(Boolean, default=False)
    exempt_note: Mapped[str] = mapped_column(Text, default="")
    item_count: Mapped[int] = mapped_column(Integer, default=0)
    newest_date: Mapped[date | None] = mapped_column(Date)
    newest_title: Mapped[str] = mapped_column(Text, default="")
    newest_url: Mapped[str] = mapped_column(String(2000), default="")
    error: Mapped[str] = mapped_column(Text, default="")


class ColumnItem(Base):
    """An entry seen in a column (or on the homepage when column_id is null), once per URL."""

    __tablename__ = "column_items"
    __table_args__ = (
        UniqueConstraint("site_id", "column_id", "url", name="uq_column_items_site_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    column_id: Mapped[int | None] = mapped_column(ForeignKey("columns.id", ondelete="CASCADE"))
    on_homepage: Mapped[bool] = mapped_column(Boolean, default=False)
    # Seen on a page the homepage links to, read because the homepage is navigation-only
    # (column_id is null; these stand in for the homepage's own entries).
    second_level: Mapped[bool] = mapped_column(Boolean, default=False)
    url: Mapped[str] = mapped_column(String(2000))
    title: Mapped[str] = mapped_column(Text, default="")
    published_on: Mapped[date | None] = mapped_column(Date)
    first_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class HomepageSnapshot(Base):
    """What one read of a site's homepage showed: the daily record the 2-week counts rest on.

    ``navigation_only`` is what the read detected (no dated entries of its own; null when the
    homepage did not open); the operator's setting stays on ``Site.navigation_only``.
    """

    __tablename__ = "homepage_snapshots"
    __table_args__ = (Index("ix_homepage_snapshots_site_taken", "site_id", "taken_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    scan_id: Mapped[int | None] = mapped_column(ForeignKey("scans.id", ondelete="SET NULL"))
    taken_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    readable: Mapped[bool] = mapped_column(Boolean)
    error: Mapped[str] = mapped_column(Text, default="")
    dated_items: Mapped[int] = mapped_column(Integer, default=0)
    navigation_only: Mapped[bool | None] = mapped_column(Boolean)
    second_level_pages: Mapped[int] = mapped_column(Integer, default=0)  # read (opened) ones
    second_level_items: Mapped[int] = mapped_column(Integer, default=0)  # their dated entries


class Message(Base):
    """A citizen's letter or message in a consult column, with when it was asked and answered."""

    __tablename__ = "messages"
    __table_args__ = (UniqueConstraint("column_id", "url", name="uq_messages_column_id_url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    column_id: Mapped[int] = mapped_column(ForeignKey("columns.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(2000))
    title: Mapped[str] = mapped_column(Text, default="")
    asked_on: Mapped[date | None] = mapped_column(Date)
    answered_on: Mapped[date | None] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(24), default="unknown")  # answered/open/unknown
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # What the page showed as the state (已回复, 办理中 …), the evidence behind ``state``.
    status_text: Mapped[str] = mapped_column(String(40), default="")
    valid: Mapped[bool] = mapped_column(Boolean, default=True)  # False: test/spam (not 有效信件)
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ColumnCheck(Base):
    """One check of an interaction or service column: did it open (可用), what it listed."""

    __tablename__ = "column_checks"
    __table_args__ = (Index("ix_column_checks_column_checked", "column_id", "checked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    column_id: Mapped[int] = mapped_column(ForeignKey("columns.id", ondelete="CASCADE"))
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    opens: Mapped[bool] = mapped_column(Boolean)
    failure: Mapped[str] = mapped_column(String(40), default="")  # a FailureKind value or soft404
    status_code: Mapped[int | None] = mapped_column(Integer)
    item_count: Mapped[int] = mapped_column(Integer, default=0)
    detail: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)


class Activity(Base):
    """A survey (调查征集) or interview (在线访谈) seen in its column's list, once per URL."""

    __tablename__ = "activities"
    __table_args__ = (UniqueConstraint("column_id", "url", name="uq_activities_column_id_url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    column_id: Mapped[int] = mapped_column(ForeignKey("columns.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(2000))
    title: Mapped[str] = mapped_column(Text, default="")
    held_on: Mapped[date | None] = mapped_column(Date)  # the list's date; None never counts
    first_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class GuidePage(Base):
    """A service guide (办事指南) and which of the element categories its page shows."""

    __tablename__ = "guides"
    __table_args__ = (UniqueConstraint("column_id", "url", name="uq_guides_column_id_url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    column_id: Mapped[int] = mapped_column(ForeignKey("columns.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(2000))
    title: Mapped[str] = mapped_column(Text, default="")
    readable: Mapped[bool] = mapped_column(Boolean, default=True)
    present: Mapped[list[str]] = mapped_column(JSON, default=list)  # canonical element names
    labels: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # canonical → as shown
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    attachments: Mapped[list[GuideAttachment]] = relationship(
        back_populates="guide", cascade="all, delete-orphan", order_by="GuideAttachment.id"
    )


class GuideAttachment(Base):
    """A form or attachment a guide mentions: offered for download or not, and if it loads."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    guide_id: Mapped[int] = mapped_column(ForeignKey("guides.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(2000))  # None: mentioned, no download link
    offered: Mapped[bool] = mapped_column(Boolean, default=True)
    downloads_ok: Mapped[bool | None] = mapped_column(Boolean)  # None: not offered / unchecked
    failure: Mapped[str] = mapped_column(String(40), default="")  # html_error, http_status …
    status_code: Mapped[int | None] = mapped_column(Integer)
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    guide: Mapped[GuidePage] = relationship(back_populates="attachments")


# ---------------------------------------------------------------- review and scoring


class Finding(Base):
    """Something a human must confirm before it counts (人工复核)."""

    __tablename__ = "findings"
    __table_args__ = (
        UniqueConstraint("site_id", "fingerprint", name="uq_findings_site_id_fingerprint"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    status: Mapped[FindingStatus] = mapped_column(
        _enum(FindingStatus, "finding_status"), default=FindingStatus.CANDIDATE
    )
    page_url: Mapped[str] = mapped_column(String(2000), default="")
    excerpt: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    found_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # scanner (a probe proposed it) or manual (``census review add``).
    source: Mapped[str] = mapped_column(String(24), default="scanner")
    # Same page, same hit: a re-run finds the existing row instead of queueing it twice.
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    reviewer: Mapped[str] = mapped_column(String(100), default="")
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    comment: Mapped[str] = mapped_column(Text, default="")


class FindingEvent(Base):
    """Audit trail of every change of a finding's status."""

    __tablename__ = "finding_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(
        ForeignKey("findings.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reviewer: Mapped[str] = mapped_column(String(100))
    old_status: Mapped[str | None] = mapped_column(String(24))
    new_status: Mapped[str] = mapped_column(String(24))
    comment: Mapped[str] = mapped_column(Text, default="")


class Scorecard(Base):
    """A computed scorecard, kept with the ruleset version it was computed under."""

    __tablename__ = "scorecards"
    __table_args__ = (
        UniqueConstraint("site_id", "at", "ruleset", name="uq_scorecards_site_id_at_ruleset"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    at: Mapped[date] = mapped_column(Date)
    ruleset: Mapped[str] = mapped_column(String(100))
    ruleset_version: Mapped[str] = mapped_column(String(40))
    qualified: Mapped[bool] = mapped_column(Boolean)
    provisional: Mapped[bool] = mapped_column(Boolean)
    total_deduction: Mapped[float] = mapped_column(Float)
    body: Mapped[dict[str, object]] = mapped_column(JSON)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# ---------------------------------------------------------------- 抽查 and 问责 (监管年度报表)


class AccountabilityForm(enum.StrEnum):
    """问责形式 of the 政府网站监管年度报表, lightest first (其他 lowest: docs/reports.md)."""

    OTHER = "other"  # 其他
    INTERVIEW = "interview"  # 约谈
    WRITTEN_REVIEW = "written_review"  # 书面检查
    CRITICISM = "criticism"  # 通报批评
    DISCIPLINE = "discipline"  # 警告或记过处分
    REMOVAL = "removal"  # 调离岗位或免职


class Sampling(Base):
    """One quarter's 抽查 draw for an organisation: everything needed to redraw it exactly."""

    __tablename__ = "samplings"
    __table_args__ = (
        UniqueConstraint(
            "organisation_id", "year", "quarter", name="uq_samplings_organisation_id_year_quarter"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    quarter: Mapped[int] = mapped_column(Integer)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    seed: Mapped[int] = mapped_column(BigInteger)
    drawn_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    monitoring_date: Mapped[date] = mapped_column(Date)  # T: the scorecards the 抽查 reads
    strata: Mapped[str] = mapped_column(String(40), default="")  # "", level, type, level+type
    ratio: Mapped[float | None] = mapped_column(Float)  # percent asked for, or None
    size: Mapped[int | None] = mapped_column(Integer)  # sample size asked for, or None
    min_per_stratum: Mapped[bool] = mapped_column(Boolean, default=False)
    population: Mapped[int] = mapped_column(Integer)  # running sites in scope at T (the frame)
    note: Mapped[str] = mapped_column(Text, default="")

    organisation: Mapped[Organisation] = relationship()
    sites: Mapped[list[SampledSite]] = relationship(
        back_populates="sampling", cascade="all, delete-orphan", order_by="SampledSite.id"
    )


class SampledSite(Base):
    """A site drawn by a sampling; its 抽查 result is its scorecard at ``at``."""

    __tablename__ = "sampled_sites"
    __table_args__ = (
        UniqueConstraint("sampling_id", "site_id", name="uq_sampled_sites_sampling_id_site_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sampling_id: Mapped[int] = mapped_column(ForeignKey("samplings.id", ondelete="CASCADE"))
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    stratum: Mapped[str] = mapped_column(String(60), default="")
    at: Mapped[date] = mapped_column(Date)

    sampling: Mapped[Sampling] = relationship(back_populates="sites")
    site: Mapped[Site] = relationship()


class AccountabilityAction(Base):
    """One 问责 of a responsible person or role, as entered by the supervising office."""

    __tablename__ = "accountability_actions"
    __table_args__ = (Index("ix_accountability_actions_year_quarter", "year", "quarter"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    quarter: Mapped[int] = mapped_column(Integer)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    target: Mapped[str] = mapped_column(String(200))  # person or role, unique within the org
    form: Mapped[AccountabilityForm] = mapped_column(
        _enum(AccountabilityForm, "accountability_form")
    )
    taken_on: Mapped[date] = mapped_column(Date)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    organisation: Mapped[Organisation] = relationship()
    site: Mapped[Site | None] = relationship()


class NightlyRun(Base):
    """One night of the nightly schedule (crawl, column reads, checks, scoring), one row a night."""

    __tablename__ = "nightly_runs"
    __table_args__ = (UniqueConstraint("night", name="uq_nightly_runs_night"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    night: Mapped[date] = mapped_column(Date)  # the Beijing day the night's window starts on
    scored_at: Mapped[date | None] = mapped_column(Date)  # T of the scoring, once it ran
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # running, done, interrupted (stopped or killed; resumable), failed (scoring failed)
    status: Mapped[str] = mapped_column(String(24), default="running")
    starts: Mapped[int] = mapped_column(Integer, default=1)  # 1 + how often it was resumed
    steps: Mapped[str] = mapped_column(String(60), default="")  # per-site steps, comma-separated
    sites_planned: Mapped[int] = mapped_column(Integer, default=0)
    sites_done: Mapped[int] = mapped_column(Integer, default=0)
    sites_failed: Mapped[int] = mapped_column(Integer, default=0)
    scorecards: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")


class NightlyRunSite(Base):
    """One step (crawl, columns, checks) of one site in one night: at most one final row each."""

    __tablename__ = "nightly_run_sites"
    __table_args__ = (
        UniqueConstraint(
            "run_id", "site_id", "step", name="uq_nightly_run_sites_run_id_site_id_step"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("nightly_runs.id", ondelete="CASCADE"))
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    step: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="running")  # ok, failed, timeout
    error: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

"""Crawl and link facts: scans, their frontier, pages, link checks and where links occur."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from scanner.db.models.base import Base, enum_column


class LinkVerdict(enum.StrEnum):
    OK = "ok"
    BROKEN = "broken"
    UNDETERMINED = "undetermined"


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
    # How this night knew the page: "" fetched and read; "304" the server said Not Modified;
    # "same" the body hashed as the last night's; "kept" not requested (`crawl_page_reuse`).
    # The last three read the links stored in `page_memos` instead of parsing the page again.
    reuse: Mapped[str] = mapped_column(String(8), default="")


class PageMemo(Base):
    """A site's page as its last fetch showed it: the validators for a conditional request
    (ETag, Last-Modified), the body's hash, and its links (zlib-compressed JSON), so that a
    304 or an unchanged body costs the next night no parse. One row per site and URL."""

    __tablename__ = "page_memos"
    __table_args__ = (UniqueConstraint("site_id", "url", name="uq_page_memos_site_id_url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(2000))
    scan_id: Mapped[int] = mapped_column(Integer)  # the scan that last fetched or validated it
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # last seen as is
    status: Mapped[int] = mapped_column(Integer)
    final_url: Mapped[str | None] = mapped_column(String(2000))
    etag: Mapped[str] = mapped_column(String(200), default="")
    last_modified: Mapped[str] = mapped_column(String(64), default="")
    content_hash: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(200), default="")
    size: Mapped[int] = mapped_column(Integer, default=0)  # the body's bytes
    links: Mapped[bytes] = mapped_column(LargeBinary)


class LinkCheck(Base):
    """The verdict on one distinct link target within one scan."""

    __tablename__ = "link_checks"
    __table_args__ = (UniqueConstraint("scan_id", "target", name="uq_link_checks_scan_id_target"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("scans.id", ondelete="CASCADE"))
    target: Mapped[str] = mapped_column(String(2000))
    # None while the target waits for its check (a scan stores targets as it finds them).
    verdict: Mapped[LinkVerdict | None] = mapped_column(enum_column(LinkVerdict, "link_verdict"))
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
    verdict: Mapped[LinkVerdict] = mapped_column(enum_column(LinkVerdict, "link_verdict"))
    status_code: Mapped[int | None] = mapped_column(Integer)
    failure: Mapped[str] = mapped_column(String(40), default="")
    kind: Mapped[str] = mapped_column(String(40), default="")
    final_url: Mapped[str | None] = mapped_column(String(2000))
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

"""Column facts: snapshots and items, homepage snapshots, messages, channels, guides."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scanner.db.models.base import Base


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
    # static | endpoint | browser: how the entries were read (`probes.columns.PageRead`).
    read_via: Mapped[str] = mapped_column(String(16), default="static")


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
    error: Mapped[str] = mapped_column(Text, default="")  # a FailureKind value, or "unrendered"
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

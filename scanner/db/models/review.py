"""Review and scoring: 人工复核 findings with their audit events, and stored scorecards."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from scanner.db.models.base import Base, enum_column


class FindingStatus(enum.StrEnum):
    CANDIDATE = "candidate"
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"


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
        enum_column(FindingStatus, "finding_status"), default=FindingStatus.CANDIDATE
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
        # The web app's overview and trend read every card of one monitoring point (or all of
        # them) for these columns only: a covering index, never the bodies' pages.
        Index("ix_scorecards_at_ruleset", "at", "ruleset", "site_id", "qualified", "provisional"),
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

"""Availability facts: probe rounds and results, and APScheduler's job table."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    Unicode,
    UniqueConstraint,
)
from sqlalchemy import Column as SAColumn
from sqlalchemy.orm import Mapped, mapped_column

from scanner.db.models.base import Base, enum_column
from scoring.facts import FailureKind


class RoundStatus(enum.StrEnum):
    RUNNING = "running"
    DONE = "done"
    INVALID = "invalid"  # canaries failed or the loop was late: probes kept, not counted
    MISSED = "missed"  # the monitor was not running when the round was due


class ProbeRound(Base):
    """One scheduled round of homepage probes; invalid rounds are kept but not counted."""

    __tablename__ = "probe_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    scheduled_for: Mapped[datetime] = mapped_column(DateTime(timezone=True), unique=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[RoundStatus] = mapped_column(enum_column(RoundStatus, "round_status"))
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
    failure: Mapped[FailureKind | None] = mapped_column(enum_column(FailureKind, "failure_kind"))
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

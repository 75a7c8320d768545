"""Nightly runs: one row a night, one row per step of each site."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from scanner.db.models.base import Base


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
    # crawl: the site's newest scan id when the step first began (a newer finished scan is
    # this step's own, adopted if the step runs again before its row was made final)
    scan_floor: Mapped[int | None] = mapped_column(Integer, nullable=True)

"""Leases: which process is working on a unit of work (a site's scan, a scoring run) now."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from scanner.db.models.base import Base


class Lease(Base):
    """One unit of work held by one process until ``expires_at``; renewed while it works, so a
    process killed outright (kill -9, power loss) frees its work once the lease runs out."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)  # "scan:12", "score"
    holder: Mapped[str] = mapped_column(String(200))  # host:pid:random, unique per process
    acquired_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

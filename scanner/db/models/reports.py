"""抽查 and 问责 of the 监管年度报表: quarter samples and accountability actions."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scanner.db.models.base import Base, enum_column
from scanner.db.models.registry import Organisation, Site


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
        enum_column(AccountabilityForm, "accountability_form")
    )
    taken_on: Mapped[date] = mapped_column(Date)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    organisation: Mapped[Organisation] = relationship()
    site: Mapped[Site | None] = relationship()

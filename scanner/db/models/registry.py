"""The register: organisations in their hierarchy, sites, and the columns (栏目) scored."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scanner.db.models.base import Base, enum_column
from scoring.kinds import Category as ColumnCategory
from scoring.kinds import SiteType


class OrgLevel(enum.StrEnum):
    COUNTRY = "country"
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"


class SiteStatus(enum.StrEnum):
    RUNNING = "running"
    CLOSED = "closed"
    MERGED = "merged"


class ColumnSource(enum.StrEnum):
    CONFIG = "config"
    DISCOVERED = "discovered"


class Organisation(Base):
    """A node of the supervising hierarchy (国务院办公厅 → 省 → 市 → 县)."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[OrgLevel] = mapped_column(enum_column(OrgLevel, "org_level"))
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
    type: Mapped[SiteType] = mapped_column(enum_column(SiteType, "site_type"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    icp: Mapped[str] = mapped_column(String(100), default="")
    police: Mapped[str] = mapped_column(String(100), default="")  # 公安机关备案号
    status: Mapped[SiteStatus] = mapped_column(
        enum_column(SiteStatus, "site_status"), default=SiteStatus.RUNNING
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
    category: Mapped[ColumnCategory] = mapped_column(enum_column(ColumnCategory, "column_category"))
    exempt: Mapped[bool] = mapped_column(Boolean, default=False)
    static: Mapped[bool] = mapped_column(Boolean, default=False)  # other_info marked "static"
    selector: Mapped[str | None] = mapped_column(String(500))  # CSS override for the list
    # Read the list through the headless browser every time (a list only scripts build).
    render: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[ColumnSource] = mapped_column(
        enum_column(ColumnSource, "column_source"), default=ColumnSource.CONFIG
    )

    site: Mapped[Site] = relationship(back_populates="columns")

"""Sites registered straight in a database, for tests that need running sites but not the
registry import they would otherwise go through (that path has its own tests)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from scanner.db import Database
from scanner.db.models import Organisation, OrgLevel, Site, SiteType


def add_sites(db: Database, hosts: list[str], *, scheme: str = "http") -> dict[str, int]:
    """Register one running site per host (code = 9900000001 …); returns host → site id."""
    now = datetime(2024, 1, 1, tzinfo=UTC)
    ids: dict[str, int] = {}
    with db.session() as session:
        org = session.scalar(select(Organisation).where(Organisation.code == "990000"))
        if org is None:
            org = Organisation(code="990000", name="测试省", level=OrgLevel.PROVINCE)
            session.add(org)
            session.flush()
        base = session.scalar(select(func.count(Site.id))) or 0
        for i, host in enumerate(hosts, start=base + 1):
            site = Site(
                code=f"99{i:08d}",
                name=f"测试网站{i}",
                url=f"{scheme}://{host}/",
                type=SiteType.PORTAL,
                organisation_id=org.id,
                created_at=now,
                updated_at=now,
            )
            session.add(site)
            session.flush()
            ids[host] = site.id
    return ids

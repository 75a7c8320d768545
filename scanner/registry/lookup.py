"""Finding a registered site the way operators name it: by 网站标识码 or by homepage URL."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from scanner.db.models.registry import Site
from scanner.errors import SiteNotFound


def find_site(session: Session, key: str) -> Site:
    """A site by 网站标识码 or homepage URL (with or without scheme and trailing slash)."""
    key = key.strip()
    bases = [key] if "://" in key else [key, f"http://{key}", f"https://{key}"]
    candidates = {v for b in bases for v in (b, b.rstrip("/"), b.rstrip("/") + "/")}
    site = session.scalar(
        select(Site).where(or_(Site.code == key, Site.url.in_(candidates))).limit(1)
    )
    if site is None:
        raise SiteNotFound(f"没有这个网站 (no site with code or URL {key!r})")
    return site

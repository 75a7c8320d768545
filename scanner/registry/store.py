"""Writing a validated registry into the database, and the queries ``census sites list`` uses.

The whole import happens in one session (one transaction): organisations, then sites, then
their columns, upserted by their natural keys (organisation code, 网站标识码, (site, column URL)).
Nothing is deleted except configured columns of an imported site that the file no longer lists;
columns the crawler discovered are never touched by an import.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from scanner.db.models import (
    Column,
    ColumnSource,
    Organisation,
    Site,
    SiteStatus,
    SiteType,
)
from scanner.registry.schema import ColumnEntry, OrgEntry, Registry, SiteEntry

CHUNK = 500  # keeps IN (...) lists well under every database's parameter limit


@dataclass
class Counts:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0


@dataclass
class ImportSummary:
    """What an import did, per kind of record."""

    organisations: Counts = field(default_factory=Counts)
    sites: Counts = field(default_factory=Counts)
    columns: Counts = field(default_factory=Counts)

    def lines(self) -> list[str]:
        """The summary as officials read it."""
        out = []
        for label, counts in (
            ("组织机构", self.organisations),
            ("网站", self.sites),
            ("栏目", self.columns),
        ):
            text = f"{label}：新增 {counts.added}，更新 {counts.updated}，未变 {counts.unchanged}"
            if label == "栏目":
                text += f"，删除 {counts.removed}"
            out.append(text)
        return out

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {k: vars(getattr(self, k)) for k in ("organisations", "sites", "columns")}


def known_organisations(session: Session) -> dict[str, str | None]:
    """Every organisation code in the database with its parent's code (for validation)."""
    parent = Organisation.__table__.alias("parent")
    rows = session.execute(
        select(Organisation.code, parent.c.code).outerjoin(
            parent, Organisation.parent_id == parent.c.id
        )
    )
    return {code: parent_code for code, parent_code in rows}


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _assign(record: Any, values: dict[str, Any]) -> bool:
    """Set attributes that differ; True when anything changed."""
    changed = False
    for name, value in values.items():
        if getattr(record, name) != value:
            setattr(record, name, value)
            changed = True
    return changed


def _write_orgs(session: Session, entries: list[OrgEntry], counts: Counts) -> dict[str, Any]:
    by_code = {o.code: o for o in session.scalars(select(Organisation))}
    existing = set(by_code)
    for entry in entries:
        if entry.code not in by_code:
            org = Organisation(code=entry.code, name=entry.name, level=entry.level)
            session.add(org)
            by_code[entry.code] = org
    session.flush()  # ids for the new ones, so parents can point at them
    for entry in entries:
        org = by_code[entry.code]
        parent_id = by_code[entry.parent].id if entry.parent else None
        changed = _assign(org, {"name": entry.name, "level": entry.level, "parent_id": parent_id})
        if entry.code not in existing:
            counts.added += 1
        elif changed:
            counts.updated += 1
        else:
            counts.unchanged += 1
    return by_code


def _site_values(entry: SiteEntry, org: Organisation) -> dict[str, Any]:
    return {
        "name": entry.name,
        "url": entry.url,
        "host_org": entry.host_org,
        "type": entry.type,
        "organisation_id": org.id,
        "icp": entry.icp,
        "police": entry.police,
        "status": entry.status,
        "opened_on": entry.opened_on,
        "closed_on": entry.closed_on,
        "merged_on": entry.merged_on,
        "merged_into": entry.merged_into,
        "navigation_only": entry.navigation_only,
        "own_hosts": list(entry.own_hosts),
    }


def _write_columns(site: Site, entries: list[ColumnEntry], counts: Counts) -> bool:
    """Upsert by URL; drop configured columns the file no longer lists. True if any change."""
    by_url = {c.url: c for c in site.columns}
    wanted = {e.url for e in entries}
    changed = False
    for entry in entries:
        values = {
            "name": entry.name,
            "category": entry.category,
            "exempt": entry.exempt,
            "static": entry.static,
            "selector": entry.selector,
            "render": entry.render,
            "source": ColumnSource.CONFIG,
        }
        column = by_url.get(entry.url)
        if column is None:
            site.columns.append(Column(url=entry.url, **values))
            counts.added += 1
            changed = True
        elif _assign(column, values):
            counts.updated += 1
            changed = True
        else:
            counts.unchanged += 1
    for column in list(site.columns):
        if column.url not in wanted and column.source == ColumnSource.CONFIG:
            site.columns.remove(column)  # delete-orphan: its snapshots go with it
            counts.removed += 1
            changed = True
    return changed


def write_registry(session: Session, registry: Registry, now: datetime) -> ImportSummary:
    """Upsert a validated registry in ``session``; the caller's transaction commits it."""
    summary = ImportSummary()
    orgs = _write_orgs(session, registry.organisations, summary.organisations)
    codes = [s.code for s in registry.sites]
    existing: dict[str, Site] = {}
    for chunk in _chunks(codes):
        query = select(Site).where(Site.code.in_(chunk)).options(selectinload(Site.columns))
        existing.update((s.code, s) for s in session.scalars(query))
    for entry in registry.sites:
        values = _site_values(entry, orgs[entry.organisation])
        site = existing.get(entry.code)
        if site is None:
            site = Site(code=entry.code, created_at=now, updated_at=now, columns=[], **values)
            session.add(site)
            summary.sites.added += 1
            changed = True
        else:
            changed = _assign(site, values)
        if entry.columns is not None:
            changed = _write_columns(site, entry.columns, summary.columns) or changed
        if entry.code in existing:
            if changed:
                site.updated_at = now
                summary.sites.updated += 1
            else:
                summary.sites.unchanged += 1
    session.flush()
    return summary


# ------------------------------------------------------------------ queries for listing


def organisation_by_code(session: Session, code: str) -> Organisation | None:
    return session.scalars(select(Organisation).where(Organisation.code == code)).first()


def list_sites(
    session: Session,
    *,
    org: str | None = None,
    site_type: SiteType | None = None,
    status: SiteStatus | None = None,
) -> list[Site]:
    """Sites in code order; ``org`` includes every organisation below it, at any depth."""
    query = select(Site).options(selectinload(Site.organisation)).order_by(Site.code)
    if org is not None:
        tree = select(Organisation.id).where(Organisation.code == org).cte("tree", recursive=True)
        # UNION (not UNION ALL) stops even if a hand-edited database has a cycle
        tree = tree.union(select(Organisation.id).join(tree, Organisation.parent_id == tree.c.id))
        query = query.where(Site.organisation_id.in_(select(tree.c.id)))
    if site_type is not None:
        query = query.where(Site.type == site_type)
    if status is not None:
        query = query.where(Site.status == status)
    return list(session.scalars(query))


def count_rows(session: Session) -> dict[str, int]:
    """Row counts of the registry tables (tests and the import summary use them)."""
    return {
        model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
        for model in (Organisation, Site, Column)
    }

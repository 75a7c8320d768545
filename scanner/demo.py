"""The demo pipeline: simulated farm → registry import → compressed probe week → column reads.

Everything runs in one process on 127.0.0.1 with a fresh SQLite file, so a newcomer sees the
whole flow with one command. Column reads are stored as snapshots (``scanner.snapshots``).
Later pieces (crawl, scoring) join here as they land.
"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from farm import FarmThread
from farm.builtin import scenario
from scanner.clock import SimulatedClock
from scanner.db import Database
from scanner.db.models import Site
from scanner.monitor.simulate import run_simulated_days
from scanner.monitor.stats import CST, WeekStats, week_stats
from scanner.registry.importer import import_file
from scanner.registry.store import ImportSummary
from scanner.settings import Settings, load_settings
from scanner.snapshots import read_and_store, wanted_sites


@dataclass
class ColumnRead:
    name: str
    category: str
    url: str
    ok: bool
    items: int = 0
    newest: date | None = None
    error: str = ""


@dataclass
class SiteReport:
    code: str
    name: str
    url: str
    week: WeekStats
    columns: list[ColumnRead] = field(default_factory=list)


@dataclass
class DemoResult:
    folder: Path
    database_url: str
    at: date
    imported: ImportSummary
    rounds: int
    sites: list[SiteReport]


def demo_settings(folder: Path, farm: FarmThread) -> Settings:
    return load_settings(
        database_url=f"sqlite:///{folder / 'census.db'}",
        host_map=farm.host_map,
        extra_ca_file=str(farm.ca_pem),
        per_host_rate=50.0,
    )


async def read_columns(settings: Settings, db: Database, at: date) -> dict[str, list[ColumnRead]]:
    """Read every registered column once, store the snapshots, and note items and newest date."""
    with db.session() as session:
        sites = wanted_sites(session)
    now = datetime.combine(at, time(12), CST).astimezone(UTC)
    results = await read_and_store(db, settings, sites, as_of=at, now=lambda: now)
    return {
        reads.site.code: [
            ColumnRead(
                c.name,
                c.category,
                c.url,
                ok=reads.columns[c.column_id].ok,
                items=len(reads.columns[c.column_id].items),
                newest=reads.columns[c.column_id].newest,
                error=reads.columns[c.column_id].error,
            )
            for c in reads.site.columns
        ]
        for reads, _ in results
    }


def run_demo(folder: Path, *, days: int = 7, at: date | None = None) -> DemoResult:
    """Run the demo pipeline in ``folder`` (which gets census.db and the farm's registry)."""
    at = at or datetime.now(CST).date()
    folder.mkdir(parents=True, exist_ok=True)
    start = datetime.combine(at - timedelta(days=days - 1), time(0), CST).astimezone(UTC)
    clock = SimulatedClock(start)
    spec = dataclasses.replace(scenario("demo"), today=at)
    with FarmThread(spec, now=clock.now) as farm:
        settings = demo_settings(folder, farm)
        db = Database(settings.database_url)
        db.upgrade()
        registry = folder / "registry.yaml"
        registry.write_text(farm.truth.registry_yaml(), encoding="utf-8")
        imported = import_file(db, registry, datetime.now(UTC))
        canary = [farm.url(h) for h in _canaries(spec)]
        outcomes = asyncio.run(run_simulated_days(db, settings, clock, days=days, canaries=canary))
        columns = asyncio.run(read_columns(settings, db, at))
    with db.session() as session:
        reports = [
            SiteReport(s.code, s.name, s.url, week_stats(session, s, at), columns.get(s.code, []))
            for s in session.query(Site).order_by(Site.code)
        ]
    db.dispose()
    return DemoResult(folder, settings.database_url, at, imported, len(outcomes), reports)


def _canaries(spec: object) -> list[str]:
    return [s.host for s in getattr(spec, "sites", []) if getattr(s, "canary", False)]

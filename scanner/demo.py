"""The demo pipeline: simulated farm → registry import → compressed probe week → column reads
→ crawl with link checks → interaction and service checks → scorecards at T.

Everything runs in one process on 127.0.0.1 with a fresh SQLite file, so a newcomer sees the
whole flow with one command. Column reads are stored as snapshots (``scanner.snapshots``), the
crawl as a scan (``scanner.crawl``), and every site is scored and stored (``scanner.scorecards``).
"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from farm import FarmThread
from farm.builtin import scenario
from farm.scenario import FarmSpec
from probes.content import ContentChecker, load_wordlists
from scanner.checks.run import check_sites
from scanner.checks.store import store_site_checks
from scanner.clock import RealClock, ShiftedClock, SimulatedClock
from scanner.crawl import Scanner, load_sites
from scanner.db import Database
from scanner.db.models import Site
from scanner.monitor.simulate import run_simulated_days
from scanner.monitor.stats import CST, WeekStats, week_stats
from scanner.registry.importer import import_file
from scanner.registry.store import ImportSummary
from scanner.scorecards import Scored, score_and_store
from scanner.scorecards.facts import running_site_ids
from scanner.settings import Settings, load_settings
from scanner.snapshots import read_and_store, wanted_sites
from scoring import Ruleset, default_ruleset, default_ruleset_path, load_ruleset
from scoring.rules.veto import HomepageStaleParams


def homepage_days(at: date) -> int:
    """Daily homepage reads over the window 网站不更新 / 首页栏目 look at (T − 14 … T)."""
    params = default_ruleset().rule("veto.homepage_stale").params
    assert isinstance(params, HomepageStaleParams)
    return (at - params.window.start(at)).days + 1


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
    scans: dict[str, int] = field(default_factory=dict)  # 标识码 → scan id
    checked: int = 0  # sites whose interaction/service checks ran
    scorecards: list[Scored] = field(default_factory=list)
    ruleset: Ruleset | None = None


def demo_settings(folder: Path, farm: FarmThread) -> Settings:
    return load_settings(
        database_url=f"sqlite:///{folder / 'census.db'}",
        host_map=farm.host_map,
        extra_ca_file=str(farm.ca_pem),
        per_host_rate=50.0,
        # Seconds, not hours: a stalled page gives up fast, a broken link is re-checked (and so
        # confirmed) within the run, Retry-After is capped.
        page_timeout=2.0,
        retry_after_cap=0.3,
        link_recheck_delay=0.2,
        link_recheck_wait=5.0,
        crawl_query_cap=5,
    )


async def crawl(settings: Settings, db: Database, at: date) -> dict[str, int]:
    """Crawl every running site and check its links (the confirming re-check included).

    The scan is dated on T's afternoon (a clock running from there), so scoring at T sees it
    even when the demo is run for a past monitoring point."""
    clock = ShiftedClock(datetime.combine(at, time(13), CST).astimezone(UTC))
    async with Scanner(db, settings, clock=clock) as scanner:
        return await scanner.scan(load_sites(db))


async def read_columns(
    settings: Settings, db: Database, at: date, *, days: int = 1
) -> dict[str, list[ColumnRead]]:
    """Read every registered column (and the homepage) once a day for ``days`` days ending at T,
    as the nightly schedule does, storing the snapshots; the reads of T are returned (with the
    browser for script-built lists on T only).

    Daily homepage reads are what lets scoring count new homepage items over two weeks; with
    fewer days the scorecards say they are provisional."""
    with db.session() as session:
        sites = wanted_sites(session)
    results = []
    # The browser renders on T's read only: the days before it are there for the homepage
    # count, and starting Chromium fifteen times would double the demo's time. Their
    # browser-only columns read as unknown, and T's read (the latest) is what is judged.
    earlier = settings.model_copy(update={"render_pages": False})
    for back in range(days - 1, -1, -1):
        day = at - timedelta(days=back)
        noon = datetime.combine(day, time(12), CST).astimezone(UTC)
        results = await read_and_store(
            db, earlier if back else settings, sites, as_of=day, clock=SimulatedClock(noon)
        )
    return {
        reads.site.code: [
            ColumnRead(
                c.name,
                c.category,
                c.url,
                # a script-built list no browser rendered is not read
                ok=reads.columns[c.column_id].ok and not reads.columns[c.column_id].uncertain,
                items=len(reads.columns[c.column_id].items),
                newest=reads.columns[c.column_id].newest,
                error=reads.columns[c.column_id].error,
            )
            for c in reads.site.columns
        ]
        for reads, _ in results
    }


async def interaction_checks(settings: Settings, db: Database, at: date) -> int:
    """Messages, surveys, interviews, guides, attachments, online systems and content, stored as
    of T's afternoon (``census check --all``); the number of sites checked."""
    with db.session() as session:
        sites = wanted_sites(session)
    checker = ContentChecker(load_wordlists())
    results = await check_sites(settings, sites, as_of=at, checker=checker)
    when = datetime.combine(at, time(14), CST).astimezone(UTC)
    for result in results:
        with db.session() as session:
            store_site_checks(session, result, when)
    return len(results)


def run_demo(
    folder: Path,
    *,
    days: int = 7,
    at: date | None = None,
    links: bool = True,
    checks: bool = True,
    farm_spec: FarmSpec | None = None,
) -> DemoResult:
    """Run the demo pipeline in ``folder`` (which gets census.db and the farm's registry).

    ``links=False`` skips the crawl and ``checks=False`` the interaction/service checks: their
    rules are then shown as 未检查, never charged. ``farm_spec`` replaces the demo scenario
    (the web app's tests run their own farm through the same pipeline)."""
    real = RealClock()  # when the demo itself runs (imports, scoring); the farm's week is simulated
    at = at or real.now().astimezone(CST).date()
    folder.mkdir(parents=True, exist_ok=True)
    start = datetime.combine(at - timedelta(days=days - 1), time(0), CST).astimezone(UTC)
    clock = SimulatedClock(start)
    spec = dataclasses.replace(farm_spec or scenario("demo"), today=at)
    with FarmThread(spec, now=clock.now) as farm:
        settings = demo_settings(folder, farm)
        db = Database(settings.database_url)
        db.upgrade()
        registry = folder / "registry.yaml"
        registry.write_text(farm.truth.registry_yaml(), encoding="utf-8")
        imported = import_file(db, registry, real.now())
        canary = [farm.url(h) for h in _canaries(spec)]
        outcomes = asyncio.run(run_simulated_days(db, settings, clock, days=days, canaries=canary))
        columns = asyncio.run(read_columns(settings, db, at, days=homepage_days(at)))
        scans = asyncio.run(crawl(settings, db, at)) if links else {}
        checked = asyncio.run(interaction_checks(settings, db, at)) if checks else 0
    ruleset = load_ruleset(default_ruleset_path())
    with db.session() as session:
        ids = running_site_ids(session)
    cards = score_and_store(db, ids, ruleset, at, real.now())
    with db.session() as session:
        reports = [
            SiteReport(s.code, s.name, s.url, week_stats(session, s, at), columns.get(s.code, []))
            for s in session.query(Site).order_by(Site.code)
        ]
    db.dispose()
    return DemoResult(
        folder,
        settings.database_url,
        at,
        imported,
        len(outcomes),
        reports,
        scans,
        checked,
        cards,
        ruleset,
    )


# The demo's logins for `census serve`: documented (README, docs/web.md) rather than random, as
# the demo database is a throwaway file on 127.0.0.1 filled with simulated sites only.
DEMO_PASSWORD = "census-demo"
DEMO_ACCOUNTS = (("demo", None, "admin"), ("qingshan", "910121", "reviewer"))


def create_demo_accounts(database_url: str) -> list[tuple[str, str, str]]:
    """The demo's web users (an admin over everything, a 青山县 reviewer), made once:
    (username, organisation name, role) of each."""
    from sqlalchemy import select

    from scanner.db.models import Organisation, Role, User
    from scanner.web.accounts import add_user

    db = Database(database_url)
    real = RealClock()
    made = []
    try:
        with db.session() as session:
            root = session.scalar(
                select(Organisation)
                .where(Organisation.parent_id.is_(None))
                .order_by(Organisation.id)
            )
            for username, code, role in DEMO_ACCOUNTS:
                org_code = code or (root.code if root else "")
                user = session.scalar(select(User).where(User.username == username))
                if user is None:
                    user = add_user(
                        session, username, DEMO_PASSWORD, org_code, Role(role), real.now()
                    )
                made.append((username, user.organisation.name, role))
    finally:
        db.dispose()
    return made


def _canaries(spec: object) -> list[str]:
    return [s.host for s in getattr(spec, "sites", []) if getattr(s, "canary", False)]

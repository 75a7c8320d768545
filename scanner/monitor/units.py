"""Units of work of the nightly pass, the same in both modes: one site's steps and the night's
scoring. Ids in, facts in the database out.

The in-process runner (`NightlyPass`) calls `SiteSteps.run` for each site with one client and
one limiter shared by the whole night; a Celery worker calls `site_unit` / `scoring_unit`,
which build the same pieces for one site and call the same code. Each unit is idempotent: a
step with a final row (ok, failed, timeout) is never run again, and the facts of a step are
stored in one transaction with its final row (the crawl resumes its own scan instead), so a
unit redelivered after its worker died finishes the work without storing anything twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dtime
from functools import lru_cache
from typing import Any, Protocol, TypeVar

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from probes.content import ContentChecker, load_wordlists
from scanner.checks.run import check_site
from scanner.checks.store import store_site_checks
from scanner.clock import CST, Clock, RealClock
from scanner.crawl import Scanner, load_sites
from scanner.crawl.progress import SiteRef
from scanner.crawl.retention import prune_details
from scanner.db import Database
from scanner.db.models import NightlyRun, NightlyRunSite, Page, Scan
from scanner.http import build_client
from scanner.leases import held
from scanner.scorecards.compute import score_and_store_summaries
from scanner.scorecards.facts import running_site_ids
from scanner.settings import Settings
from scanner.snapshots import (
    Render,
    WantedSite,
    browser_for,
    read_site,
    store_site_reads,
    wanted_sites,
)
from scoring import Ruleset, default_ruleset_path, load_ruleset

log = logging.getLogger(__name__)

STEPS = ("crawl", "columns", "checks")
FINAL = ("ok", "failed", "timeout")
STOP_GRACE = 10.0  # seconds a cancelled step gets to wind down (a scan records its state)
SCAN_FAILED = {"homepage_failed": "首页无法打开", "interrupted": "扫描中途站点无法访问"}
T = TypeVar("T")


class StepTimeout(Exception):
    """A step overran its timeout (never an asyncio.TimeoutError from inside the step)."""


def recount(s: Session, run_id: int) -> None:
    """The run's sites done / failed, from its step rows."""
    rows = s.execute(
        select(NightlyRunSite.site_id, NightlyRunSite.status).where(NightlyRunSite.run_id == run_id)
    ).all()
    run = s.get(NightlyRun, run_id)
    assert run is not None
    steps = len([x for x in run.steps.split(",") if x])
    by_site: dict[int, list[str]] = {}
    for site_id, status in rows:
        by_site.setdefault(site_id, []).append(status)
    run.sites_failed = sum(
        1 for v in by_site.values() if any(x in ("failed", "timeout") for x in v)
    )
    run.sites_done = sum(
        1 for v in by_site.values() if all(x == "ok" for x in v) and len(v) >= steps
    )


def finals(db: Database, run_id: int, site_id: int | None = None) -> set[tuple[int, str]]:
    """(site, step) pairs of the run that have a final row: never run again."""
    query = select(NightlyRunSite.site_id, NightlyRunSite.step).where(
        NightlyRunSite.run_id == run_id, NightlyRunSite.status.in_(FINAL)
    )
    if site_id is not None:
        query = query.where(NightlyRunSite.site_id == site_id)
    with db.session() as s:
        return {(r[0], r[1]) for r in s.execute(query).all()}


def steps_to_do(run_steps: Sequence[str], site_id: int, done: set[tuple[int, str]]) -> list[str]:
    return [st for st in STEPS if st in run_steps and (site_id, st) not in done]


@dataclass
class SiteSteps:
    """One site's nightly steps, each under its own timeout, recorded on its own row."""

    db: Database
    settings: Settings
    run_id: int
    night: date
    timeouts: dict[str, float]
    clock: Clock  # dates the facts
    ledger: Clock = field(default_factory=RealClock)  # the rows' own times: always real
    checker: ContentChecker | None = None
    # The night's browser for script-built lists (`scanner.snapshots.browser_for`); None: none.
    render: Render | None = None

    # -- the rows -----------------------------------------------------------------------------
    def _begin(self, site_id: int, step: str) -> None:
        with self.db.session() as s:
            row = s.scalar(
                select(NightlyRunSite).where(
                    NightlyRunSite.run_id == self.run_id,
                    NightlyRunSite.site_id == site_id,
                    NightlyRunSite.step == step,
                )
            )
            floor = None
            if step == "crawl" and (row is None or row.scan_floor is None):
                newest = s.scalar(select(func.max(Scan.id)).where(Scan.site_id == site_id))
                floor = newest or 0
            if row is None:
                row = NightlyRunSite(run_id=self.run_id, site_id=site_id, step=step)
                s.add(row)
            if floor is not None:
                row.scan_floor = floor
            row.status, row.error, row.started_at, row.finished_at = (
                "running",
                "",
                self.ledger.now(),
                None,
            )

    def _end(self, s: Session, site_id: int, step: str, status: str, error: str) -> None:
        s.execute(
            update(NightlyRunSite)
            .where(
                NightlyRunSite.run_id == self.run_id,
                NightlyRunSite.site_id == site_id,
                NightlyRunSite.step == step,
            )
            .values(status=status, error=error[:2000], finished_at=self.ledger.now())
        )
        recount(s, self.run_id)

    def _end_alone(self, site_id: int, step: str, status: str, error: str) -> None:
        with self.db.session() as s:
            self._end(s, site_id, step, status, error)

    # -- the steps ----------------------------------------------------------------------------
    def _own_finished_scan(self, site_id: int) -> int | None:
        """A finished scan this step already made (its worker died before the step's row was
        made final): adopted, never a second scan of the night."""
        with self.db.session() as s:
            floor = s.scalar(
                select(NightlyRunSite.scan_floor).where(
                    NightlyRunSite.run_id == self.run_id,
                    NightlyRunSite.site_id == site_id,
                    NightlyRunSite.step == "crawl",
                )
            )
            if floor is None:
                return None
            return s.scalar(
                select(func.max(Scan.id)).where(
                    Scan.site_id == site_id,
                    Scan.id > floor,
                    Scan.status.not_in(("running", "interrupted", "abandoned")),
                )
            )

    async def _crawl(self, scanner: Scanner, ref: SiteRef) -> None:
        scan_id = await asyncio.to_thread(self._own_finished_scan, ref.id)
        if scan_id is None:
            scan_id = await self._bounded(scanner.crawl_for(ref).run(), "crawl")
        with self.db.session() as s:
            scan = s.get(Scan, scan_id)
            status, error = (scan.status, scan.error) if scan else ("missing", "")
            if status == "homepage_failed" and not error:
                home = s.execute(
                    select(Page.failure, Page.status)
                    .where(Page.scan_id == scan_id, Page.depth == 0)
                    .limit(1)
                ).first()
                if home is not None:
                    error = home.failure or f"HTTP {home.status}"
        if status == "done":
            await asyncio.to_thread(self._end_alone, ref.id, "crawl", "ok", "")
        else:
            reason = SCAN_FAILED.get(status, f"扫描状态 {status}")
            progress = scanner.progress.get(ref.code)
            detail = error or (progress.error if progress else "")
            text = f"{reason}：{detail}" if detail else reason
            await asyncio.to_thread(self._end_alone, ref.id, "crawl", "failed", text)

    async def _columns(self, client: object, limiter: object, site: WantedSite) -> None:
        reads = await self._bounded(
            read_site(
                client,  # type: ignore[arg-type]
                site,
                self.settings,
                as_of=self.night,
                limiter=limiter,  # type: ignore[arg-type]
                render=self.render,
            ),
            "columns",
        )
        home = reads.homepage
        status, error = ("ok", "") if home.ok else ("failed", f"首页无法打开：{home.error}")

        def store() -> None:
            with self.db.session() as s:
                store_site_reads(s, reads, self.clock.now())
                self._end(s, site.site_id, "columns", status, error)

        await asyncio.to_thread(store)

    async def _checks(self, client: object, limiter: object, site: WantedSite) -> None:
        result = await self._bounded(
            check_site(
                client,  # type: ignore[arg-type]
                site,
                self.settings,
                as_of=self.night,
                limiter=limiter,  # type: ignore[arg-type]
                checker=self.checker,
            ),
            "checks",
        )

        def store() -> None:
            with self.db.session() as s:
                store_site_checks(s, result, self.clock.now())
                self._end(s, site.site_id, "checks", "ok", "")

        await asyncio.to_thread(store)

    async def _bounded(self, work: Coroutine[Any, Any, T], step: str) -> T:
        """Await ``work`` in a task of its own under the step's timeout. A task of its own, so
        that whatever cancellation happens inside a step (and however the step handles it)
        stays inside: only our own stop may cancel the night."""
        task = asyncio.ensure_future(work)
        try:
            done, _ = await asyncio.wait({task}, timeout=self.timeouts[step])
        except asyncio.CancelledError:  # the night is stopping: stop the step too
            task.cancel()
            await asyncio.wait({task}, timeout=STOP_GRACE)
            raise
        if not done:
            task.cancel()
            await asyncio.wait({task}, timeout=STOP_GRACE)  # let it record where it stopped
            raise StepTimeout(step)
        if task.cancelled():
            raise RuntimeError(f"{step} was cancelled from inside")
        return task.result()

    async def _step(self, site_id: int, step: str, work: Callable[[], object]) -> None:
        """Run one step; its overrun or error lands on its row, never on the other sites."""
        await asyncio.to_thread(self._begin, site_id, step)
        timeout = self.timeouts[step]
        try:
            await work()  # type: ignore[misc]
        except StepTimeout:
            note = "（扫描保留，下次继续）" if step == "crawl" else ""
            await asyncio.to_thread(
                self._end_alone, site_id, step, "timeout", f"超过 {timeout:g} 秒未完成{note}"
            )
        except Exception as exc:  # one site's trouble, recorded; the others go on
            log.exception("nightly %s of site %s failed", step, site_id)
            await asyncio.to_thread(
                self._end_alone, site_id, step, "failed", f"{type(exc).__name__}: {exc}"
            )

    async def recheck(self, scanner: Scanner) -> None:
        """Links of earlier nights whose confirming re-check is now due."""
        try:
            await self._bounded(scanner.recheck_due(), "crawl")
        except Exception as exc:  # a timeout or an error: logged, the night goes on
            log.warning("re-check of earlier broken links failed: %r", exc)

    async def run(
        self,
        todo: Sequence[str],
        ref: SiteRef,
        site: WantedSite | None,
        scanner: Scanner,
        client: object,
        limiter: object,
    ) -> None:
        """The site's steps in ``todo``, in order (a site not wanted has only its crawl)."""
        for st in todo:
            if st == "crawl":
                await self._step(ref.id, st, lambda: self._crawl(scanner, ref))
            elif site is None:
                continue
            elif st == "columns":
                await self._step(ref.id, st, lambda: self._columns(client, limiter, site))
            else:
                await self._step(ref.id, st, lambda: self._checks(client, limiter, site))


def load_checker(steps: Sequence[str]) -> ContentChecker | None:
    if "checks" not in steps:
        return None
    try:
        return _checker()
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("content word lists not loaded, content checks skipped: %s", exc)
        return None


@lru_cache(maxsize=1)
def _checker() -> ContentChecker:
    return ContentChecker(load_wordlists())


def timeouts_of(settings: Settings) -> dict[str, float]:
    return {
        "crawl": settings.nightly_crawl_timeout,
        "columns": settings.nightly_columns_timeout,
        "checks": settings.nightly_checks_timeout,
    }


def score_night(db: Database, run_id: int, at: date, ruleset: Ruleset | None, ledger: Clock) -> int:
    """Score every running site at ``at``, store the cards and close the run as done."""
    rules = ruleset or load_ruleset(default_ruleset_path())
    with db.session() as s:
        ids = running_site_ids(s)
    cards = score_and_store_summaries(db, ids, rules, at, ledger.now())  # one batch held
    with db.session() as s:
        run = s.get(NightlyRun, run_id)
        assert run is not None
        run.scorecards, run.scored_at = len(cards), at
    finish_run(db, run_id, "done", "", ledger)
    return len(cards)


def prune_after_night(db: Database, settings: Settings, ledger: Clock, night: date) -> None:
    """Old crawls' details go once the night is scored; the night stands if this fails (the
    next night tries again). Age counts from the night scored when that is earlier than now:
    a past night run again (``--at``) never prunes its own crawls."""
    as_of = min(ledger.now(), datetime.combine(night, dtime.min, CST))
    try:
        done = prune_details(db, as_of, settings.crawl_detail_days)
    except Exception:
        log.exception("pruning old crawl details failed; the night's results are kept")
        return
    if done.scans:
        log.info("pruned the details of %d old crawls (%d pages)", done.scans, done.pages)


def finish_run(db: Database, run_id: int, status: str, error: str, ledger: Clock) -> None:
    with db.session() as s:
        run = s.get(NightlyRun, run_id)
        assert run is not None
        run.status, run.error, run.finished_at = status, error[:2000], ledger.now()
        recount(s, run_id)


# -- the units as workers run them: ids in, facts out -------------------------------------------


@dataclass(frozen=True)
class UnitResult:
    """What a unit did: for the log and the caller's decision to score."""

    run_id: int
    site_id: int
    steps_run: tuple[str, ...]
    night_complete: bool  # every site of the run has a final row for every step


def _run_of(db: Database, run_id: int) -> NightlyRun:
    with db.session() as s:
        run = s.get(NightlyRun, run_id)
        if run is None:
            raise LookupError(f"nightly run {run_id} does not exist")
        s.expunge(run)
        return run


def night_complete(db: Database, run_id: int) -> bool:
    """Every running site has a final row for each of the run's steps."""
    run = _run_of(db, run_id)
    steps = [x for x in run.steps.split(",") if x]
    with db.session() as s:
        sites = running_site_ids(s)
    done = finals(db, run_id)
    return all((site, st) in done for site in sites for st in steps)


class SiteRunner(Protocol):
    """Where a unit's async work runs: a worker process's one loop with the night's shared
    scanner, client and limiter (`scanner.workers.runtime.WorkerRuntime`); without one, a loop
    and pieces of the unit's own."""

    def run_site(
        self, run: NightlyRun, todo: Sequence[str], ref: SiteRef, site: WantedSite | None
    ) -> None: ...

    def run_recheck(self, run: NightlyRun) -> None: ...


class _OwnLoop:
    """A loop, a scanner and a client for one unit (a caller with no worker runtime)."""

    def __init__(self, db: Database, settings: Settings):
        self.db, self.settings = db, settings

    def _steps(self, run: NightlyRun, steps: Sequence[str]) -> SiteSteps:
        from scanner.monitor.nightly import shifted_clock

        return SiteSteps(
            self.db,
            self.settings,
            run.id,
            run.night,
            timeouts_of(self.settings),
            shifted_clock(run.night, self.settings),
            checker=load_checker(steps),
        )

    def run_site(
        self, run: NightlyRun, todo: Sequence[str], ref: SiteRef, site: WantedSite | None
    ) -> None:
        asyncio.run(_one_site(self._steps(run, todo), todo, ref, site))

    def run_recheck(self, run: NightlyRun) -> None:
        unit = self._steps(run, ())

        async def go() -> None:
            async with Scanner(self.db, self.settings, clock=unit.clock) as scanner:
                await unit.recheck(scanner)

        asyncio.run(go())


def site_unit(
    db: Database,
    settings: Settings,
    run_id: int,
    site_id: int,
    *,
    runner: SiteRunner | None = None,
) -> UnitResult:
    """One site's nightly steps for run ``run_id``, as a worker runs them (on ``runner``).

    Held under the lease ``nightly-site:<run>:<site>`` (LeaseBusy while another process works
    on it); steps with a final row are skipped, so running it twice is harmless.
    """
    run = _run_of(db, run_id)
    steps = [x for x in run.steps.split(",") if x]
    # A unit redelivered because its worker was killed takes over at once: the dead worker's
    # leases (this unit's and its scan's) are freed, the scan resumes where it stopped.
    lease = f"nightly-site:{run_id}:{site_id}"
    with held(db, lease, f"网站 {site_id} 的夜间运行", take_from_dead=True):
        todo = steps_to_do(steps, site_id, finals(db, run_id, site_id))
        if todo and run.status != "done":
            refs = [r for r in load_sites(db) if r.id == site_id]
            if refs:
                ref = refs[0]
                with db.session() as s:
                    wanted = wanted_sites(s, [ref.code])
                (runner or _OwnLoop(db, settings)).run_site(
                    run, todo, ref, wanted[0] if wanted else None
                )
            else:
                todo = []  # no longer running: nothing to do for it tonight
    return UnitResult(run_id, site_id, tuple(todo), night_complete(db, run_id))


async def _one_site(
    unit: SiteSteps, todo: Sequence[str], ref: SiteRef, site: WantedSite | None
) -> None:
    async with (
        Scanner(unit.db, unit.settings, clock=unit.clock) as scanner,
        build_client(unit.settings) as client,
        browser_for(unit.settings) as render,  # started only if a page needs it
    ):
        unit.render = render if "columns" in todo else None
        await unit.run(todo, ref, site, scanner, client, scanner.limiter)


def recheck_unit(
    db: Database, settings: Settings, run_id: int, *, runner: SiteRunner | None = None
) -> None:
    """The night's re-check of earlier broken links whose confirmation is due."""
    run = _run_of(db, run_id)
    if "crawl" not in run.steps.split(","):
        return
    with held(db, f"nightly-recheck:{run_id}", "失效链接复核"):
        (runner or _OwnLoop(db, settings)).run_recheck(run)


class NightNotReady(Exception):
    """The night's scoring was asked for before every site's steps were final."""


def scoring_unit(
    db: Database, settings: Settings, run_id: int, ruleset_path: str | None = None
) -> int:
    """Score the night of ``run_id`` once every site is final; the number of cards (0 if the
    run was already done). Raises NightNotReady while sites are still at work."""
    from pathlib import Path

    run = _run_of(db, run_id)
    if run.status == "done":
        return 0
    if not night_complete(db, run_id):
        raise NightNotReady(f"nightly run {run_id}: sites still at work")
    rules = load_ruleset(Path(ruleset_path)) if ruleset_path else None
    at = run.night - timedelta(days=settings.nightly_score_lag_days)
    with held(db, f"nightly-score:{run_id}", "夜间评分"):
        if _run_of(db, run_id).status == "done":
            return 0
        cards = score_night(db, run_id, at, rules, RealClock())
    prune_after_night(db, settings, RealClock(), run.night)
    return cards


# -- the probe round of one slot, as a probe worker runs it ---------------------------------------


def probe_unit(
    db: Database,
    settings: Settings,
    slot: int,
    slots: int,
    due: datetime,
    canaries: Sequence[str],
    *,
    late_after: float,
) -> str:
    """Probe and store the round of ``slot`` due at ``due``, on a loop of this unit's own whose
    lag the round measures (a late loop makes the round invalid, never a site slow); the
    round's status. Later than ``late_after`` s after ``due`` (a unit redelivered after its
    worker died) it is recorded missed instead; a round already stored is not stored twice."""
    from scanner.monitor.rounds import RoundOptions, probe_and_store, record_missed

    clock = RealClock()
    if (clock.now() - due).total_seconds() > late_after:
        record_missed(db, due, slot)
        return "missed"
    outcome, round_id = asyncio.run(
        probe_and_store(
            db,
            settings,
            clock=clock,
            scheduled_for=due,
            canaries=canaries,
            options=RoundOptions.from_settings(settings),
            slot=slot,
            slots=slots,
        )
    )
    return outcome.status.value if round_id else "already stored"

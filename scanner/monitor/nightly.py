"""The nightly pass: every running site's crawl and link checks, column reads and checks, then
scoring — recorded night by night in ``nightly_runs`` / ``nightly_run_sites``.

Sites are worked through in a stable order (by a hash of the 网站标识码, so one organisation's
sites, often on one server, are not neighbours), each site's start spread over the night window
and at most ``nightly_sites_at_once`` sites in flight. One client and one per-host limiter serve
the whole night, so a host shared by many sites still sees its own limits.

Each step of a site has its own timeout; an overrun or an error is written on that step's row
and the other sites go on. A step row is final once ok, failed or timeout: a resumed night runs
only the steps without a final row, so nothing is stored twice:

- crawl: `Scanner` resumes the site's unfinished scan (a timeout leaves it resumable);
- columns, checks: the facts and the step's final row are one transaction — either both are
  stored or neither, and then the step is simply run again;
- scoring replaces the cards of (site, T, ruleset).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime

from sqlalchemy import func, select, update

from probes.content import ContentChecker
from scanner.clock import CST, Clock, RealClock, ShiftedClock
from scanner.crawl import Scanner, load_sites
from scanner.crawl.progress import SiteRef
from scanner.db import Database
from scanner.db.models import NightlyRun, NightlyRunSite
from scanner.errors import NightlyBusy
from scanner.http import build_client
from scanner.monitor.units import (
    FINAL,
    STEPS,
    SiteSteps,
    finals,
    finish_run,
    load_checker,
    prune_after_night,
    recount,
    score_night,
    steps_to_do,
)
from scanner.settings import Settings
from scanner.snapshots import WantedSite, browser_for, wanted_sites
from scoring import Ruleset

__all__ = ["FINAL", "STEPS", "NightlyBusy", "NightlyPass", "mark_interrupted", "site_order"]

log = logging.getLogger(__name__)

STEP_LABEL = {"crawl": "抓取与链接检查", "columns": "栏目读取", "checks": "互动、服务与内容检查"}
STATUS_LABEL = {
    "running": "运行中", "done": "已完成", "interrupted": "已中断", "failed": "失败",
    "ok": "成功", "timeout": "超时",
}  # fmt: skip
RESUME_AFTER = timedelta(hours=2)  # an interrupted night is resumed until window end + this


def night_start(night: date, settings: Settings) -> datetime:
    """The instant (UTC) the night's window opens: ``nightly_start`` Beijing time on ``night``."""
    hour, minute = (int(x) for x in settings.nightly_start.split(":"))
    return datetime.combine(night, dtime(hour, minute), CST).astimezone(UTC)


def night_of(now: datetime, settings: Settings) -> date:
    """The night ``now`` belongs to: the Beijing day whose window start is the latest before it."""
    hour, minute = (int(x) for x in settings.nightly_start.split(":"))
    return (now.astimezone(CST) - timedelta(hours=hour, minutes=minute)).date()


def site_order(code: str) -> tuple[int, str]:
    """Stable, but not by code: neighbouring codes (one organisation, often one server) part."""
    return zlib.crc32(code.encode()), code


def mark_interrupted(
    db: Database, now: datetime, reason: str = "监测进程停止或被终止", run_id: int | None = None
) -> int:
    """Runs still marked running belong to a process that is gone (or, given ``run_id``, this
    one is stopping): mark them and their unfinished steps interrupted, so status tells the
    truth and a restart can resume them."""
    with db.session() as s:
        query = select(NightlyRun.id).where(NightlyRun.status == "running")
        if run_id is not None:
            query = query.where(NightlyRun.id == run_id)
        ids = list(s.scalars(query))
        if not ids:
            return 0
        s.execute(
            update(NightlyRunSite)
            .where(NightlyRunSite.run_id.in_(ids), NightlyRunSite.status == "running")
            .values(status="interrupted", error=reason, finished_at=now)
        )
        s.execute(
            update(NightlyRun)
            .where(NightlyRun.id.in_(ids))
            .values(status="interrupted", finished_at=now, error=reason)
        )
        for run_id in ids:
            recount(s, run_id)
        return len(ids)


@dataclass
class NightlyOptions:
    steps: tuple[str, ...]
    at_once: int
    spread: float  # seconds over which site starts are spread
    timeouts: dict[str, float]
    score_lag_days: int

    @classmethod
    def from_settings(cls, settings: Settings, *, spread: float | None = None) -> NightlyOptions:
        return cls(
            steps=settings.nightly_step_list,
            at_once=settings.nightly_sites_at_once,
            spread=settings.nightly_window if spread is None else spread,
            timeouts={
                "crawl": settings.nightly_crawl_timeout,
                "columns": settings.nightly_columns_timeout,
                "checks": settings.nightly_checks_timeout,
            },
            score_lag_days=settings.nightly_score_lag_days,
        )


@dataclass(frozen=True)
class NightlyOutcome:
    run_id: int
    status: str
    already_done: bool = False


class NightlyPass:
    """One night's pass. ``now`` dates the facts (scans, snapshots, checks); the spreading of
    starts waits in real time from ``base``."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        night: date,
        *,
        options: NightlyOptions | None = None,
        base: datetime | None = None,
        clock: Clock | None = None,
        ledger: Clock | None = None,
        ruleset: Ruleset | None = None,
        checker: ContentChecker | None = None,
        takeover: bool = False,
    ):
        self.db = db
        self.settings = settings
        self.night = night
        self.options = options or NightlyOptions.from_settings(settings)
        self.clock: Clock = clock or RealClock()  # dates the night's facts
        self.ledger: Clock = ledger or RealClock()  # the run's own times and waits: always real
        self.base = base or self.ledger.now()
        self.ruleset = ruleset
        self.checker = checker
        self.takeover = takeover
        self.run_id = 0

    # -- the ledger ---------------------------------------------------------------------------
    def open_run(self, planned: int) -> tuple[int, bool]:
        with self.db.session() as s:
            run = s.scalar(select(NightlyRun).where(NightlyRun.night == self.night))
            if run is None:
                run = NightlyRun(
                    night=self.night, started_at=self.ledger.now(), status="running",
                    starts=1, steps=",".join(self.options.steps), sites_planned=planned,
                    sites_done=0, sites_failed=0, scorecards=0, error="",
                )  # fmt: skip
                s.add(run)
                s.flush()
                return run.id, False
            if run.status == "done":
                return run.id, True
            if run.status == "running" and not self.takeover:
                raise NightlyBusy(
                    f"{self.night} 的夜间运行正在进行中（若其进程已被终止，启动 census monitor "
                    "会将其标为已中断；或用 --takeover 接管）"
                )
            run.status, run.finished_at, run.error = "running", None, ""
            run.starts += 1
            run.sites_planned = planned
            run.steps = ",".join(self.options.steps)
            return run.id, False

    # -- the night ----------------------------------------------------------------------------
    async def run(self) -> NightlyOutcome:
        refs = await asyncio.to_thread(load_sites, self.db)
        refs.sort(key=lambda r: site_order(r.code))
        with self.db.session() as s:
            wanted = {w.code: w for w in wanted_sites(s)}
        self.run_id, done = await asyncio.to_thread(self.open_run, len(refs))
        if done:
            return NightlyOutcome(self.run_id, "done", already_done=True)
        try:
            await self._sites(refs, wanted)
            await asyncio.to_thread(self._score)
            await asyncio.to_thread(
                prune_after_night, self.db, self.settings, self.ledger, self.night
            )
        except asyncio.CancelledError:
            stopped = functools.partial(mark_interrupted, run_id=self.run_id)
            await asyncio.shield(asyncio.to_thread(stopped, self.db, self.ledger.now()))
            raise
        except Exception as exc:
            await asyncio.to_thread(self._finish, "failed", f"{type(exc).__name__}: {exc}")
            return NightlyOutcome(self.run_id, "failed")
        return NightlyOutcome(self.run_id, "done")

    async def _sites(self, refs: Sequence[SiteRef], wanted: dict[str, WantedSite]) -> None:
        done = await asyncio.to_thread(finals, self.db, self.run_id)
        if self.checker is None:
            self.checker = load_checker(self.options.steps)
        unit = SiteSteps(
            self.db,
            self.settings,
            self.run_id,
            self.night,
            self.options.timeouts,
            self.clock,
            self.ledger,
            self.checker,
        )
        gate = asyncio.Semaphore(self.options.at_once)
        step_gap = self.options.spread / len(refs) if refs else 0.0
        base = self.base.timestamp()
        async with (
            Scanner(self.db, self.settings, clock=self.clock) as scanner,
            build_client(self.settings) as client,
            browser_for(self.settings) as render,  # one browser a night, started on demand
        ):
            unit.render = render
            if "crawl" in self.options.steps:
                await unit.recheck(scanner)

            async def one(index: int, ref: SiteRef) -> None:
                todo = steps_to_do(self.options.steps, ref.id, done)
                if not todo:
                    return
                await self.ledger.sleep(
                    max(0.0, base + index * step_gap - self.ledger.now().timestamp())
                )
                async with gate:
                    await unit.run(
                        todo, ref, wanted.get(ref.code), scanner, client, scanner.limiter
                    )

            await asyncio.gather(*(one(i, r) for i, r in enumerate(refs)))

    def _score(self) -> None:
        at = self.night - timedelta(days=self.options.score_lag_days)
        score_night(self.db, self.run_id, at, self.ruleset, self.ledger)

    def _finish(self, status: str, error: str) -> None:
        finish_run(self.db, self.run_id, status, error, self.ledger)


def shifted_clock(night: date, settings: Settings) -> Clock:
    """Facts of a past (or future) night dated inside that night: real time moved so the pass
    starts at the night's window start; tonight's own pass keeps the real clock."""
    real = RealClock()
    if night == night_of(real.now(), settings):
        return real
    return ShiftedClock(night_start(night, settings))


def resumable_night(db: Database, settings: Settings, now: datetime) -> bool:
    """Whether the current night has an interrupted run to pick up now: until two hours after
    its window closes (sites started late still finish at night, not in office hours)."""
    night = night_of(now, settings)
    end = night_start(night, settings) + timedelta(seconds=settings.nightly_window) + RESUME_AFTER
    if now > end:
        return False
    with db.session() as s:
        status = s.scalar(select(NightlyRun.status).where(NightlyRun.night == night))
    return status == "interrupted"


def get_run(db: Database, run_id: int) -> NightlyRun:
    with db.session() as s:
        run = s.get(NightlyRun, run_id)
        assert run is not None
        s.expunge(run)
        return run


def latest_runs(db: Database, limit: int = 7) -> list[NightlyRun]:
    with db.session() as s:
        rows = list(s.scalars(select(NightlyRun).order_by(NightlyRun.night.desc()).limit(limit)))
        s.expunge_all()
        return rows


@dataclass(frozen=True)
class StepProblem:
    code: str
    name: str
    step: str
    status: str
    error: str


def run_problems(db: Database, run_id: int) -> list[StepProblem]:
    """The steps of a run that did not end ok (failed, timeout, interrupted), by site."""
    from scanner.db.models import Site

    with db.session() as s:
        rows = s.execute(
            select(Site.code, Site.name, NightlyRunSite.step, NightlyRunSite.status,
                   NightlyRunSite.error)
            .join(Site, Site.id == NightlyRunSite.site_id)
            .where(NightlyRunSite.run_id == run_id, NightlyRunSite.status != "ok")
            .order_by(Site.code, NightlyRunSite.id)
        ).all()  # fmt: skip
    return [StepProblem(*r) for r in rows]


def step_counts(db: Database, run_id: int) -> dict[str, dict[str, int]]:
    with db.session() as s:
        rows = s.execute(
            select(NightlyRunSite.step, NightlyRunSite.status, func.count())
            .where(NightlyRunSite.run_id == run_id)
            .group_by(NightlyRunSite.step, NightlyRunSite.status)
        ).all()
    out: dict[str, dict[str, int]] = {}
    for step, status, n in rows:
        out.setdefault(step, {})[status] = n
    return out

"""``census monitor``: APScheduler 3 in one process, its jobs kept in the project's database.

Shape: the hour is cut into ``slots`` (60 by default, one a minute); every site belongs to one
slot by a stable hash of its 网站标识码, and one interval job per slot probes that slot's sites
(plus the canaries) every ``every`` seconds. Each site is thus visited at the same offset in
every hour (24 visits a day at the default 60 minutes, ≥ 20 as the table wants), and the load
is spread evenly over the hour instead of a burst at minute 0. A slot round is the unit of
work a Celery worker would take in the scale-out mode.

Durability: a round and its results are committed together, keyed by its grid time
(``scheduled_for`` is unique), so a restart can neither lose a stored probe nor duplicate a
round. Rounds that fell due while the monitor was down are written as ``missed`` — from the
grid, not from APScheduler's misfire events, because coalescing hides all but one of them.

``coalesce=True``: after a stop, a slot's backlog is never replayed as a burst of probes at one
instant — those would not measure the hours they stand for. ``misfire_grace_time`` (default
120 s, at most half the interval): a round may start a little late (slow
start-up, a long previous round) and still be the round of its grid time; later than that it is
recorded as missed and the slot waits for its next time.

The nightly pass (``scanner.monitor.nightly``) is one more job: a cron trigger at
``nightly_start`` Beijing time. It runs on its own event loop in a thread of this process, so its
parsing and storing never make the probe rounds' loop late (a late loop invalidates a round).
Its misfire grace is the night window: a monitor started at 02:00 still runs that night's pass.
On start, runs left ``running`` by a killed process are marked interrupted, and the current
night's interrupted run is resumed while its window is open.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import httpx
from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import func, insert, select

from scanner.clock import Clock, RealClock
from scanner.db import Database
from scanner.db.models import ProbeRound, RoundStatus
from scanner.errors import ConfigError
from scanner.leases import hold
from scanner.monitor.nightly import (
    NightlyPass,
    mark_interrupted,
    night_of,
    night_start,
    resumable_night,
)
from scanner.monitor.rounds import (
    RoundOptions,
    load_targets,
    probe_and_store,
    round_client,
    utc,
)
from scanner.monitor.stats import CST
from scanner.settings import Settings

log = logging.getLogger(__name__)

JOB_PREFIX = "probe-slot-"
NIGHTLY_JOB = "nightly"
MONITOR_LEASE = "monitor"  # held while a monitor runs: a second one is refused
ANCHOR = datetime(2000, 1, 1, tzinfo=UTC)  # the grid's origin: every slot time is on it


@dataclass(frozen=True)
class Schedule:
    """When each slot's rounds fall: ``ANCHOR + slot·step + n·every``."""

    every: float = 3600.0
    slots: int = 60
    misfire_grace: int = 120

    def __post_init__(self) -> None:
        if self.every <= 0 or self.slots < 1:
            raise ConfigError("monitor interval must be > 0 and slots ≥ 1")
        if self.misfire_grace < 1 or self.misfire_grace * 2 > self.every:
            raise ConfigError(
                "misfire grace must be ≥ 1 s and at most half the interval "
                f"(got {self.misfire_grace} s for an interval of {self.every} s)"
            )

    @property
    def step(self) -> float:
        return self.every / self.slots

    def first(self, slot: int) -> datetime:
        return ANCHOR + timedelta(seconds=slot * self.step)

    def due(self, slot: int, now: datetime) -> datetime:
        """The latest grid time of ``slot`` at or before ``now``."""
        n = int((utc(now) - self.first(slot)).total_seconds() // self.every)
        return self.first(slot) + timedelta(seconds=n * self.every)

    def between(self, slot: int, after: datetime, until: datetime) -> list[datetime]:
        """Grid times of ``slot`` in (after, until]."""
        times = []
        when = self.due(slot, after) + timedelta(seconds=self.every)
        while when <= utc(until):
            times.append(when)
            when += timedelta(seconds=self.every)
        return times

    def trigger(self, slot: int) -> IntervalTrigger:
        return IntervalTrigger(seconds=self.every, start_date=self.first(slot), timezone=UTC)


@dataclass
class Monitor:
    """The running monitor: what slot jobs need, found by them through ``_ACTIVE``."""

    db: Database
    settings: Settings
    schedule: Schedule = field(default_factory=Schedule)
    canaries: Sequence[str] = ()
    options: RoundOptions = field(default_factory=RoundOptions)
    clock: Clock = field(default_factory=RealClock)
    client: httpx.AsyncClient | None = None
    rounds_run: int = 0
    nightly: bool = False  # also run the nightly pass (census monitor does; tests may not)
    # With a broker: hands the night to the workers (enqueues its units) instead of running it.
    submit_night: Callable[[date], object] | None = None
    # With a broker: hands a slot's round to a probe worker (enqueues it) instead of probing.
    submit_probe: Callable[[int, datetime], object] | None = None
    _night: NightlyThread | None = None

    def fill_missed(self, slot: int, until: datetime) -> int:
        """Record as missed every grid time of ``slot`` after its last stored round and up to
        ``until`` that has no round: the monitor was not there to probe it."""
        with self.db.session() as session:
            last = session.scalar(
                select(func.max(ProbeRound.scheduled_for)).where(ProbeRound.slot == slot)
            )
            if last is None:
                return 0
            times = self.schedule.between(slot, utc(last), until)
            if not times:
                return 0
            have = set(
                utc(t)
                for t in session.scalars(
                    select(ProbeRound.scheduled_for).where(ProbeRound.scheduled_for.in_(times))
                )
            )
            rows = [
                {
                    "scheduled_for": t,
                    "status": RoundStatus.MISSED,
                    "slot": slot,
                    "invalid_reason": "monitor not running when the round was due",
                    "canary_results": [],
                }
                for t in times
                if t not in have
            ]
            if rows:
                session.execute(insert(ProbeRound), rows)
            return len(rows)

    async def run_slot(self, slot: int) -> None:
        due = self.schedule.due(slot, self.clock.now())
        targets = await asyncio.to_thread(
            load_targets, self.db, slot=slot, slots=self.schedule.slots
        )
        if not targets:
            return
        await asyncio.to_thread(self.fill_missed, slot, due - timedelta(seconds=1))
        if self.submit_probe is not None:
            await asyncio.to_thread(self.submit_probe, slot, due)
            self.rounds_run += 1
            log.info("slot %d round %s handed to a probe worker", slot, due.isoformat())
            return
        outcome, round_id = await probe_and_store(
            self.db,
            self.settings,
            clock=self.clock,
            scheduled_for=due,
            canaries=self.canaries,
            options=self.options,
            slot=slot,
            slots=self.schedule.slots,
            targets=targets,
            client=self.client,
        )
        self.rounds_run += 1
        log.info(
            "slot %d round %s: %d sites, %s%s",
            slot,
            due.isoformat(),
            len(outcome.results),
            outcome.status.value,
            "" if round_id else " (already stored)",
        )

    def start_nightly(self) -> bool:
        """Start (or resume) the current night's pass in its thread; false if one is going.
        With a broker, the night's units are enqueued for the workers instead."""
        if self._night is not None and self._night.is_alive():
            return False
        now = self.clock.now()
        night = night_of(now, self.settings)
        if self.submit_night is not None:
            log.info("nightly run %s handed to the workers: %s", night, self.submit_night(night))
            return True
        work = NightlyPass(
            self.db, self.settings, night, base=night_start(night, self.settings), takeover=True
        )
        self._night = NightlyThread(work)
        self._night.start()
        return True

    def stop_nightly(self, timeout: float = 30.0) -> None:
        if self._night is not None:
            self._night.stop(timeout)
            self._night = None

    def _install_nightly(self, scheduler: AsyncIOScheduler) -> None:
        existing: Job | None = scheduler.get_job(NIGHTLY_JOB)
        if not self.nightly:
            if existing is not None:
                existing.remove()
            return
        hour, minute = (int(x) for x in self.settings.nightly_start.split(":"))
        trigger = CronTrigger(hour=hour, minute=minute, timezone=CST)
        grace = max(60, int(self.settings.nightly_window))
        if (
            existing is not None
            and str(existing.trigger) == str(trigger)
            and existing.misfire_grace_time == grace
        ):
            return  # its stored next run time stands: a night missed by < grace still runs
        scheduler.add_job(
            run_nightly_job,
            trigger,
            id=NIGHTLY_JOB,
            name="nightly pass: crawl, column reads, checks, scoring",
            replace_existing=True,
            misfire_grace_time=grace,
        )

    def _install_jobs(self, scheduler: AsyncIOScheduler) -> None:
        """Keep jobs whose trigger is unchanged (their stored next run time is the resumed
        schedule); replace changed ones; drop slots that no longer exist."""
        wanted = {f"{JOB_PREFIX}{k}": k for k in range(self.schedule.slots)}
        for job in scheduler.get_jobs():
            if job.id.startswith(JOB_PREFIX) and job.id not in wanted:
                job.remove()
        for job_id, slot in wanted.items():
            trigger = self.schedule.trigger(slot)
            existing: Job | None = scheduler.get_job(job_id)
            if existing is not None and _same_trigger(existing.trigger, trigger):
                continue
            scheduler.add_job(
                run_slot,
                trigger,
                args=[slot],
                id=job_id,
                name=f"homepage probes, slot {slot}",
                replace_existing=True,
            )

    async def run(self, stop: asyncio.Event) -> None:
        """Run until ``stop`` is set."""
        global _ACTIVE
        scheduler = AsyncIOScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=self.db.engine)},
            job_defaults={
                "coalesce": True,
                "misfire_grace_time": self.schedule.misfire_grace,
                "max_instances": 1,
            },
            timezone=UTC,
        )
        _ACTIVE = self
        async with (
            hold(
                self.db, MONITOR_LEASE, "监测（census monitor）", take_from_dead=True
            ),  # one scheduler per database
            round_client(self.settings, self.options) as client,
        ):
            self.client = client
            scheduler.start(paused=True)
            try:
                self._install_jobs(scheduler)
                self._install_nightly(scheduler)
                if self.nightly:
                    await asyncio.to_thread(mark_interrupted, self.db, self.clock.now())
                    if await asyncio.to_thread(
                        resumable_night, self.db, self.settings, self.clock.now()
                    ):
                        self.start_nightly()
                horizon = self.clock.now() - timedelta(seconds=self.schedule.misfire_grace)
                for slot in range(self.schedule.slots):
                    await asyncio.to_thread(self.fill_missed, slot, horizon)
                scheduler.resume()
                await stop.wait()
            finally:
                scheduler.shutdown(wait=False)
                await asyncio.to_thread(self.stop_nightly)
                _ACTIVE = None
                self.client = None


def _same_trigger(old: object, new: IntervalTrigger) -> bool:
    return (
        isinstance(old, IntervalTrigger)
        and old.interval == new.interval
        and utc(old.start_date) == utc(new.start_date)
    )


_ACTIVE: Monitor | None = None


async def run_slot(slot: int) -> None:
    """The job APScheduler stores (by reference): run ``slot``'s round in this process."""
    if _ACTIVE is not None:
        await _ACTIVE.run_slot(slot)


async def run_nightly_job() -> None:
    """The nightly job APScheduler stores: start tonight's pass in this process's thread."""
    if _ACTIVE is not None:
        _ACTIVE.start_nightly()


class NightlyThread:
    """A nightly pass on its own event loop in a thread; ``stop`` cancels it (the run is then
    marked interrupted) and waits for it."""

    def __init__(self, work: NightlyPass):
        self.work = work
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[object] | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, name="nightly", daemon=True)

    def start(self) -> None:
        self._thread.start()
        self._ready.wait(10)

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def _main(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._task = loop.create_task(self.work.run())
        self._ready.set()
        try:
            outcome = loop.run_until_complete(self._task)
            log.info("nightly pass %s: %s", self.work.night, outcome)
        except asyncio.CancelledError:
            log.info("nightly pass %s interrupted", self.work.night)
        except Exception:
            log.exception("nightly pass %s failed", self.work.night)
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def stop(self, timeout: float) -> None:
        if self._loop is not None and self._task is not None and self._thread.is_alive():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nothing to stop
                self._loop.call_soon_threadsafe(self._task.cancel)
        self._thread.join(timeout)

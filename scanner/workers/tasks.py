"""The Celery tasks: thin wrappers that call the units of work with ids.

A unit another process holds (LeaseBusy: a redelivered copy whose first run is still alive)
is retried later; a retry finds the finished steps final and does nothing twice. The site unit
that completes the night enqueues the scoring unit, which scores once (its own lease, and a
done run is not scored again).
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from functools import lru_cache

from celery import Celery, Task

from scanner.db import Database
from scanner.errors import LeaseBusy
from scanner.leases import LEASE_SECONDS
from scanner.monitor.units import (
    NightNotReady,
    probe_unit,
    recheck_unit,
    scoring_unit,
    site_unit,
)
from scanner.settings import Settings
from scanner.workers.runtime import WorkerRuntime

log = logging.getLogger(__name__)

SITE_TASK = "census.nightly_site"
SCORE_TASK = "census.nightly_score"
RECHECK_TASK = "census.nightly_recheck"
PROBE_TASK = "census.probe_round"
PROBE_QUEUE = "census-probes"  # run by `census worker --probes` only: one round at a time
RETRY_AFTER = LEASE_SECONDS / 4  # a busy unit is looked at again after this many seconds


@lru_cache(maxsize=1)
def _database(url: str) -> Database:
    """One engine per worker process (created after the fork, never inherited)."""
    return Database(url)


_runtimes: dict[str, WorkerRuntime] = {}
_runtime_guard = threading.Lock()


def runtime(settings: Settings) -> WorkerRuntime:
    """The process's one loop and shared pieces (made by the first unit that needs them)."""
    with _runtime_guard:
        found = _runtimes.get(settings.database_url)
        if found is None:
            found = WorkerRuntime(_database(settings.database_url), settings)
            _runtimes[settings.database_url] = found
        return found


def close_runtimes() -> None:
    """Close the process's runtimes (the worker is shutting down)."""
    with _runtime_guard:
        for found in _runtimes.values():
            found.close()
        _runtimes.clear()


def register(app: Celery, settings: Settings) -> None:
    """Register the census tasks on ``app``; they read the database of ``settings``."""

    @app.task(name=SITE_TASK, bind=True, max_retries=None)
    def nightly_site(
        self: Task, run_id: int, site_id: int, ruleset_path: str | None = None
    ) -> None:
        here = runtime(settings)
        try:
            with here.claim(run_id, site_id):
                result = site_unit(
                    _database(settings.database_url), settings, run_id, site_id, runner=here
                )
        except LeaseBusy as exc:
            raise self.retry(countdown=RETRY_AFTER, exc=exc) from exc
        log.info("nightly run %s site %s: %s", run_id, site_id, ",".join(result.steps_run))
        if result.night_complete:
            app.send_task(SCORE_TASK, args=[run_id, ruleset_path])

    @app.task(name=SCORE_TASK, bind=True, max_retries=None)
    def nightly_score(self: Task, run_id: int, ruleset_path: str | None = None) -> None:
        try:
            cards = scoring_unit(_database(settings.database_url), settings, run_id, ruleset_path)
        except (LeaseBusy, NightNotReady) as exc:
            raise self.retry(countdown=RETRY_AFTER, exc=exc) from exc
        log.info("nightly run %s scored: %s cards", run_id, cards)

    @app.task(name=RECHECK_TASK, bind=True, max_retries=None)
    def nightly_recheck(self: Task, run_id: int) -> None:
        try:
            recheck_unit(
                _database(settings.database_url), settings, run_id, runner=runtime(settings)
            )
        except LeaseBusy as exc:
            raise self.retry(countdown=RETRY_AFTER, exc=exc) from exc

    @app.task(name=PROBE_TASK, max_retries=0)
    def probe_round(
        slot: int, slots: int, due: str, canaries: list[str], late_after: float
    ) -> None:
        status = probe_unit(
            _database(settings.database_url),
            settings,
            slot,
            slots,
            datetime.fromisoformat(due),
            canaries,
            late_after=late_after,
        )
        log.info("probe round slot %s at %s: %s", slot, due, status)

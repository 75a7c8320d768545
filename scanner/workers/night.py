"""A night on workers: open the night's run, enqueue its units, wait for it, read the queue.

The run is opened exactly as the in-process pass opens it (a night marked running refuses a
second start: NightlyBusy), so one night is never enqueued twice; units already final are not
enqueued again when an interrupted night is resumed.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from scanner.crawl import load_sites
from scanner.db import Database
from scanner.monitor.nightly import NightlyOptions, NightlyOutcome, NightlyPass, site_order
from scanner.monitor.units import finals, steps_to_do
from scanner.settings import Settings
from scanner.workers.app import QUEUE, make_app
from scanner.workers.tasks import PROBE_QUEUE, PROBE_TASK, RECHECK_TASK, SCORE_TASK, SITE_TASK

FINISHED = ("done", "failed", "interrupted")


@dataclass(frozen=True)
class Submitted:
    outcome: NightlyOutcome
    units: int  # site units enqueued (plus the re-check, and scoring once the sites are done)


def submit_night(
    db: Database,
    settings: Settings,
    night: date,
    *,
    spread: float = 0.0,
    takeover: bool = False,
    ruleset_path: str | None = None,
) -> Submitted:
    """Open the night's run and enqueue its site units (starts spread over ``spread`` s)."""
    options = NightlyOptions.from_settings(settings, spread=spread)
    refs = sorted(load_sites(db), key=lambda r: site_order(r.code))
    work = NightlyPass(db, settings, night, options=options, takeover=takeover)
    run_id, done = work.open_run(len(refs))
    if done:
        return Submitted(NightlyOutcome(run_id, "done", already_done=True), 0)
    final = finals(db, run_id)
    todo = [r for r in refs if steps_to_do(options.steps, r.id, final)]
    gap = spread / len(todo) if todo else 0.0
    app = make_app(settings)
    with app.connection_for_write() as conn:
        if "crawl" in options.steps:
            app.send_task(RECHECK_TASK, args=[run_id], connection=conn)
        for index, ref in enumerate(todo):
            app.send_task(
                SITE_TASK,
                args=[run_id, ref.id, ruleset_path],
                countdown=index * gap or None,
                connection=conn,
            )
        if not todo:
            app.send_task(SCORE_TASK, args=[run_id, ruleset_path], connection=conn)
    return Submitted(NightlyOutcome(run_id, "running"), len(todo))


def submit_probe_round(
    settings: Settings,
    slot: int,
    slots: int,
    due: datetime,
    canaries: Sequence[str],
    *,
    late_after: float,
) -> str:
    """Enqueue the probe round of ``slot`` due at ``due`` for a `census worker --probes`
    process; the task's id. Probed later than ``late_after`` s after ``due`` it is recorded
    missed instead (a unit redelivered after its worker died is not a round of that hour)."""
    app = make_app(settings)
    result = app.send_task(
        PROBE_TASK,
        args=[slot, slots, due.isoformat(), list(canaries), late_after],
        queue=PROBE_QUEUE,
    )
    return str(result.id)


def wait_night(db: Database, run_id: int, *, poll: float = 2.0) -> str:
    """Block until the run is finished (done, failed, interrupted); its status."""
    from scanner.monitor.nightly import get_run

    pause = threading.Event()
    while True:
        status = get_run(db, run_id).status
        if status in FINISHED:
            return status
        pause.wait(poll)


def broker_state(settings: Settings, *, timeout: float = 1.0) -> dict[str, Any]:
    """Queue depth, units taken but not acknowledged, units in flight per worker — or why the
    broker cannot be read (an outage delays the work; the queue keeps it)."""
    import redis

    state: dict[str, Any] = {"broker": _safe_url(settings.broker_url), "reachable": False}
    try:
        client = redis.Redis.from_url(settings.broker_url, socket_timeout=timeout)
        state["queued"] = int(client.llen(QUEUE))
        state["probes_queued"] = int(client.llen(PROBE_QUEUE))
        state["unacked"] = int(client.hlen("unacked"))
        state["reachable"] = True
    except (redis.RedisError, OSError) as exc:
        state["error"] = f"{type(exc).__name__}: {exc}"
        return state
    replies = make_app(settings).control.inspect(timeout=timeout).active() or {}
    state["workers"] = {name: len(tasks) for name, tasks in sorted(replies.items())}
    return state


def _safe_url(url: str) -> str:
    """The broker URL without its password."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rpartition("@")[2]
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urlunsplit(parts._replace(netloc=user + netloc))

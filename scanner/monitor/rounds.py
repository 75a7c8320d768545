"""One probe round: every running site's homepage once, plus canaries, stored as one unit.

Fairness first: probe starts are paced (a steady rate, not a burst) so the loop is never so
busy that a site looks slower than it is; canaries (targets we know are up, e.g. the farm's
control site) are probed at the start and the end of the round; a loop-lag meter runs
throughout. When a canary fails or the loop was late past the limit, the round is stored with
status ``invalid`` and a reason — its probes are kept as evidence but never counted.
"""

from __future__ import annotations

import asyncio
import gc
import zlib
from collections.abc import Iterator, Sequence
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from probes.availability import ProbeRecord, probe_homepage
from scanner.clock import Clock, stopwatch
from scanner.db import Database
from scanner.db.models import ProbeResult, ProbeRound, RoundStatus, Site, SiteStatus
from scanner.http import HostLimiter, build_client
from scanner.monitor.lag import LagMeter
from scanner.settings import Settings


@dataclass(frozen=True)
class Target:
    """A homepage to probe; ``site_id`` None for targets that are not registered sites."""

    site_id: int | None
    code: str
    url: str
    name: str = ""


@dataclass(frozen=True)
class RoundOptions:
    """How a round paces and judges itself (timeouts and caps come from settings)."""

    start_rate: float = 250.0  # probe starts per second: 10,000 sites in 40 s
    concurrency: int = 1000  # probes in flight at most (stalled sites hold a slot ≤ timeout)
    lag_limit_ms: float = 100.0  # the loop later than this makes the round invalid

    @classmethod
    def from_settings(cls, settings: Settings) -> RoundOptions:
        return cls(start_rate=settings.probe_start_rate, lag_limit_ms=settings.probe_lag_limit_ms)


@dataclass
class RoundOutcome:
    scheduled_for: datetime
    slot: int | None
    started_at: datetime
    finished_at: datetime
    results: list[tuple[Target, ProbeRecord]]
    canaries: list[ProbeRecord] = field(default_factory=list)
    loop_lag_ms: float = 0.0
    status: RoundStatus = RoundStatus.DONE
    invalid_reason: str = ""

    @property
    def canaries_ok(self) -> bool | None:
        return all(c.ok for c in self.canaries) if self.canaries else None

    @property
    def valid(self) -> bool:
        return self.status is RoundStatus.DONE


def utc(value: datetime) -> datetime:
    """UTC-aware, whatever came in: SQLite hands back naive UTC, callers may pass CST."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def slot_of(code: str, slots: int) -> int:
    """A site's stable stagger slot: the same 网站标识码 always lands in the same slot."""
    return zlib.crc32(code.encode("utf-8")) % slots if slots > 1 else 0


def load_targets(db: Database, *, slot: int | None = None, slots: int = 1) -> list[Target]:
    """Running sites (all, or those of one slot), in a stable order."""
    with db.session() as session:
        rows = session.execute(
            select(Site.id, Site.code, Site.url, Site.name)
            .where(Site.status == SiteStatus.RUNNING)
            .order_by(Site.code)
        ).all()
    targets = [Target(r.id, r.code, r.url, r.name) for r in rows]
    if slot is None:
        return targets
    return [t for t in targets if slot_of(t.code, slots) == slot]


async def _canary_pass(
    client: httpx.AsyncClient, urls: Sequence[str], clock: Clock, settings: Settings
) -> list[ProbeRecord]:
    return list(
        await asyncio.gather(
            *(
                probe_homepage(
                    client,
                    url,
                    clock=clock,
                    timeout=settings.page_timeout,
                    max_bytes=settings.max_body_bytes,
                )
                for url in urls
            )
        )
    )


async def run_round(
    client: httpx.AsyncClient,
    targets: Sequence[Target],
    *,
    clock: Clock,
    settings: Settings,
    scheduled_for: datetime,
    canaries: Sequence[str] = (),
    options: RoundOptions = RoundOptions(),
    slot: int | None = None,
) -> RoundOutcome:
    """Probe ``targets`` once (paced, one connection per host) and judge the round's validity."""
    started_at = clock.now()
    with _gc_paused():
        return await _timed_round(
            client, targets, clock, settings, scheduled_for, canaries, options, slot, started_at
        )


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while probes are timed, collect once after.

    Measured (bench/bench_probes.py, 1,000 sites at 250/s): with the collector on, its full
    passes over the round's objects stalled the loop by up to ~100 ms and put the timing error
    at p99 ≈ 90 ms; paused, p99 ≈ 8 ms and the loop lag ≈ 2 ms. Reference counting still frees
    almost everything at once, so memory stays bounded by the round.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
        gc.collect()


async def _timed_round(
    client: httpx.AsyncClient,
    targets: Sequence[Target],
    clock: Clock,
    settings: Settings,
    scheduled_for: datetime,
    canaries: Sequence[str],
    options: RoundOptions,
    slot: int | None,
    started_at: datetime,
) -> RoundOutcome:
    meter = LagMeter(clock)
    meter.start()
    limiter = HostLimiter(connections_per_host=1, requests_per_second=settings.per_host_rate)
    gate = asyncio.Semaphore(options.concurrency)
    canary_records = await _canary_pass(client, canaries, clock, settings)
    results: list[tuple[Target, ProbeRecord]] = []

    async def one(target: Target, ready_at: float) -> None:
        try:
            # Lateness between "may start now" and "started": the loop was busy elsewhere.
            meter.note(clock.monotonic() - ready_at)
            record = await probe_homepage(
                client,
                target.url,
                clock=clock,
                timeout=settings.page_timeout,
                max_bytes=settings.max_body_bytes,
                limiter=limiter,
            )
            results.append((target, record))
        finally:
            gate.release()

    tasks: list[asyncio.Task[None]] = []
    origin = stopwatch()  # starts are paced in real time: the network is real in every mode
    for index, target in enumerate(targets):
        delay = origin + index / options.start_rate - stopwatch()
        if delay > 0:
            await asyncio.sleep(delay)
        await gate.acquire()
        tasks.append(asyncio.create_task(one(target, clock.monotonic())))
    await asyncio.gather(*tasks)
    canary_records += await _canary_pass(client, canaries, clock, settings)
    lag = meter.stop()
    order = {t.code: i for i, t in enumerate(targets)}
    results.sort(key=lambda pair: order[pair[0].code])
    outcome = RoundOutcome(
        scheduled_for=utc(scheduled_for),
        slot=slot,
        started_at=started_at,
        finished_at=clock.now(),
        results=results,
        canaries=canary_records,
        loop_lag_ms=round(lag, 1),
    )
    reasons = []
    failed = [c for c in canary_records if not c.ok]
    if failed:
        kinds = ", ".join(f"{c.url} {c.failure.value if c.failure else '?'}" for c in failed)
        reasons.append(f"canary failed: {kinds}")
    if lag > options.lag_limit_ms:
        reasons.append(f"event loop late by {lag:.0f} ms (limit {options.lag_limit_ms:.0f} ms)")
    if reasons:
        outcome.status = RoundStatus.INVALID
        outcome.invalid_reason = "; ".join(reasons)
    return outcome


def _result_row(round_id: int, target: Target, r: ProbeRecord, valid: bool) -> dict[str, Any]:
    return {
        "round_id": round_id,
        "site_id": target.site_id,
        "started_at": utc(r.started_at),
        "ok": r.ok,
        "failure": r.failure,
        "valid": valid,
        "status_code": r.status_code,
        "final_url": r.final_url[:1000] if r.final_url else None,
        "bytes": r.bytes,
        "total_ms": round(r.total_ms, 2),
        "dns_ms": r.dns_ms,
        "connect_ms": r.connect_ms,
        "tls_ms": r.tls_ms,
        "first_byte_ms": r.first_byte_ms,
        "body_ms": r.body_ms,
        "detail": r.detail,
    }


def store_round(db: Database, outcome: RoundOutcome) -> int | None:
    """Store the round and all its results in one transaction; None when that round (same
    ``scheduled_for``) is already stored, so a re-run is a no-op rather than a duplicate."""
    when = utc(outcome.scheduled_for)
    canary_json = [
        {
            "url": c.url,
            "ok": c.ok,
            "failure": c.failure.value if c.failure else None,
            "total_ms": round(c.total_ms, 1),
        }
        for c in outcome.canaries
    ]
    try:
        with db.session() as session:
            if session.scalar(select(ProbeRound.id).where(ProbeRound.scheduled_for == when)):
                return None
            row = ProbeRound(
                scheduled_for=when,
                started_at=utc(outcome.started_at),
                finished_at=utc(outcome.finished_at),
                status=outcome.status,
                canaries_ok=outcome.canaries_ok,
                loop_lag_ms=outcome.loop_lag_ms,
                invalid_reason=outcome.invalid_reason,
                slot=outcome.slot,
                canary_results=canary_json,
            )
            session.add(row)
            session.flush()
            rows = [
                _result_row(row.id, t, r, outcome.valid)
                for t, r in outcome.results
                if t.site_id is not None
            ]
            if rows:
                session.execute(insert(ProbeResult), rows)
            return row.id
    except IntegrityError:
        return None  # a concurrent writer stored the same round first


def record_missed(db: Database, scheduled_for: datetime, slot: int | None = None) -> bool:
    """Record that a round was due while nobody was probing; False if that round exists."""
    when = utc(scheduled_for)
    try:
        with db.session() as session:
            if session.scalar(select(ProbeRound.id).where(ProbeRound.scheduled_for == when)):
                return False
            session.add(
                ProbeRound(
                    scheduled_for=when,
                    status=RoundStatus.MISSED,
                    slot=slot,
                    invalid_reason="monitor not running when the round was due",
                    canary_results=[],
                )
            )
        return True
    except IntegrityError:
        return False


def round_client(settings: Settings, options: RoundOptions, extra: int = 8) -> httpx.AsyncClient:
    """A client sized for a round; reusable across rounds since probes never keep a
    connection alive (each visit is timed from its own connect)."""
    return build_client(settings, max_connections=options.concurrency + extra)


async def probe_and_store(
    db: Database,
    settings: Settings,
    *,
    clock: Clock,
    scheduled_for: datetime,
    canaries: Sequence[str] = (),
    options: RoundOptions = RoundOptions(),
    slot: int | None = None,
    slots: int = 1,
    targets: Sequence[Target] | None = None,
    client: httpx.AsyncClient | None = None,
) -> tuple[RoundOutcome, int | None]:
    """Run the round due at ``scheduled_for`` and store it (off the loop, so storing never
    makes a concurrent round's loop late). Returns the outcome and the round id (None: the
    round was already stored). Without ``client`` one is built for this round."""
    if targets is None:
        targets = await asyncio.to_thread(load_targets, db, slot=slot, slots=slots)
    async with AsyncExitStack() as stack:
        if client is None:
            client = await stack.enter_async_context(round_client(settings, options))
        outcome = await run_round(
            client,
            targets,
            clock=clock,
            settings=settings,
            scheduled_for=scheduled_for,
            canaries=canaries,
            options=options,
            slot=slot,
        )
    round_id = await asyncio.to_thread(store_round, db, outcome)
    return outcome, round_id

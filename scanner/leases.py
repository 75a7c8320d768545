"""Leases in the database: one process per unit of work (a site's scan, a scoring run).

Two operators (or a cron job and an operator) may start ``census scan --all`` at once against
the same database; without a lease the second "resumes" the first's live scan and both write
the same pages. A lease row names the holder (host, pid, a random part) and an expiry; the
holder renews it while it works and deletes it when done. Taking a lease is one atomic
INSERT … ON CONFLICT DO UPDATE … WHERE expired (SQLite and PostgreSQL alike), so exactly one of
two racing processes wins. A process killed outright frees its work when the lease expires (a
worker unit taking over from a dead process of its own host frees that process's leases at once).
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select, update

from scanner.clock import RealClock
from scanner.db import Database
from scanner.db.models.leases import Lease
from scanner.errors import LeaseBusy

__all__ = ["LEASE_SECONDS", "acquire", "held", "hold", "holder_id", "release", "renew"]

LEASE_SECONDS = 120.0  # a lease not renewed for this long is free again
RENEW_EVERY = LEASE_SECONDS / 4


@lru_cache(maxsize=1)
def _random_part() -> str:
    return uuid.uuid4().hex[:8]


def holder_id() -> str:
    """This process, unique across hosts and pid reuse (a forked child gets its own pid)."""
    return f"{socket.gethostname()[:100]}:{os.getpid()}:{_random_part()}"


def _now() -> datetime:
    # Leases are shared between processes (and machines): always the real clock.
    return RealClock().now()


def _upsert(db: Database, name: str, holder: str, now: datetime, expires: datetime) -> None:
    values = {"name": name, "holder": holder, "acquired_at": now, "expires_at": expires}
    with db.session() as s:
        if s.get_bind().dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            stmt: Any = pg_insert(Lease).values(**values)
        else:
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            stmt = sqlite_insert(Lease).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=[Lease.name],
            set_={"holder": holder, "acquired_at": now, "expires_at": expires},
            where=(Lease.expires_at < now) | (Lease.holder == holder),
        )
        s.execute(stmt)


def dead_here(holder: str) -> bool:
    """Whether ``holder`` names a process of this host that no longer runs (killed outright):
    its lease need not wait for expiry. A holder elsewhere, or alive, is never judged dead."""
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname()[:100] or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[:1] in (["Z"], ["X"])  # a zombie holds nothing


def acquire(
    db: Database, name: str, *, holder: str | None = None, take_from_dead: bool = False
) -> str | None:
    """Take the lease ``name``; None when taken, else the current holder's id.

    ``take_from_dead``: when the holder is a dead process of this host (a worker killed with
    SIGKILL mid-unit), free every lease it held and take this one at once, instead of waiting
    for expiry. Only the worker units ask for it; other callers keep waiting for expiry.
    """
    holder = holder or holder_id()
    now = _now()
    expires = now + timedelta(seconds=LEASE_SECONDS)
    _upsert(db, name, holder, now, expires)
    with db.session() as s:
        current = s.scalar(select(Lease.holder).where(Lease.name == name))
    if take_from_dead and current is not None and current != holder and dead_here(current):
        with db.session() as s:
            s.execute(delete(Lease).where(Lease.holder == current))
        _upsert(db, name, holder, now, expires)
        with db.session() as s:
            current = s.scalar(select(Lease.holder).where(Lease.name == name))
    return None if current == holder else (current or "?")


def renew(db: Database, name: str, *, holder: str | None = None) -> bool:
    """Extend a lease this process holds; False when it was lost (expired and taken)."""
    expires = _now() + timedelta(seconds=LEASE_SECONDS)
    with db.session() as s:
        result = s.execute(
            update(Lease)
            .where(Lease.name == name, Lease.holder == (holder or holder_id()))
            .values(expires_at=expires)
        )
        return bool(getattr(result, "rowcount", 0))


def release(db: Database, name: str, *, holder: str | None = None) -> None:
    with db.session() as s:
        s.execute(delete(Lease).where(Lease.name == name, Lease.holder == (holder or holder_id())))


def _busy(name: str, what: str, other: str) -> LeaseBusy:
    return LeaseBusy(
        f"{what}正由另一进程进行，已跳过 (another census process holds lease '{name}': {other})"
    )


@contextmanager
def held(db: Database, name: str, what: str, *, take_from_dead: bool = False) -> Iterator[None]:
    """Hold ``name`` for a synchronous unit of work (renewed by a thread); LeaseBusy if taken.

    ``what`` names the work for the message (e.g. "评分"); ``take_from_dead`` as in `acquire`.
    """
    import threading

    other = acquire(db, name, take_from_dead=take_from_dead)
    if other is not None:
        raise _busy(name, what, other)
    stop = threading.Event()

    def keep() -> None:
        while not stop.wait(RENEW_EVERY):
            renew(db, name)

    thread = threading.Thread(target=keep, name=f"lease {name}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)
        release(db, name)


@asynccontextmanager
async def hold(
    db: Database, name: str, what: str, *, take_from_dead: bool = False
) -> AsyncIterator[None]:
    """`held` for async work: renewed by a task of the running loop."""
    other = acquire(db, name, take_from_dead=take_from_dead)
    if other is not None:
        raise _busy(name, what, other)

    async def keep() -> None:
        while True:
            await asyncio.sleep(RENEW_EVERY)
            renew(db, name)

    task = asyncio.create_task(keep())
    try:
        yield
    finally:
        task.cancel()
        release(db, name)

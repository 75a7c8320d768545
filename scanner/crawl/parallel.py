"""A scan run split over processes (``census scan --processes N``): every core at work.

One process parses, scores and stores at most one core's worth of pages; a run over many sites
is CPU-bound long before the network is. The sites are grouped so that every site sharing a host
(its homepage host or one of its ``own_hosts``) lands in the same process — one limiter then
sees every request to that host, so the per-host limits hold exactly — and the groups are dealt
to N processes, balanced by the pages of each site's last done scan. Each process runs the usual
`Scanner` with its own client and limiter; a host that none of its sites own (www.gov.cn, linked
from everywhere, checked by every process) gets a 1/N share of the per-host limits in each, so
all of them together stay within the limits; where 1/N of the connections is under one, they
are counted over the processes through lock files in a folder of the run.

The processes are started the way ``census score --workers`` starts its own
(`scanner.scorecards.compute.score_in_processes`: a ProcessPoolExecutor whose workers die with
their parent), but with one single-worker pool per share: a pool whose worker dies breaks, and
one shared pool would take the other shares' sites down with it.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import Future, wait
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select

from scanner.crawl.progress import SiteRef
from scanner.crawl.run import Scanner, load_sites
from scanner.db import Database
from scanner.db.models.crawl import Page, Scan
from scanner.db.models.leases import Lease
from scanner.settings import Settings

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

__all__ = ["RunResult", "partition_sites", "scan_in_processes", "site_weights"]

# How long a share's process may take to record its scans as interrupted after Ctrl-C.
_STOP_GRACE = 20.0
_DIED = "扫描进程意外退出；再次运行以继续"


@dataclass
class RunResult:
    """What a split run did, per site (标识码): its scan, the process that ran it, troubles."""

    scan_ids: dict[str, int] = field(default_factory=dict)
    pids: dict[str, int] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)

    def merge(self, other: RunResult) -> None:
        self.scan_ids.update(other.scan_ids)
        self.pids.update(other.pids)
        self.errors.update(other.errors)
        self.notes.update(other.notes)


def site_weights(db: Database, sites: list[SiteRef]) -> dict[int, int]:
    """Site id → pages of its last done scan (sites never scanned to the end are left out)."""
    ids = [s.id for s in sites]
    if not ids:
        return {}
    with db.session() as s:
        last = (
            select(Scan.site_id, func.max(Scan.id).label("scan_id"))
            .where(Scan.status == "done", Scan.site_id.in_(ids))
            .group_by(Scan.site_id)
            .subquery()
        )
        rows = s.execute(
            select(last.c.site_id, func.count(Page.id))
            .join(Page, Page.scan_id == last.c.scan_id)
            .group_by(last.c.site_id)
        ).all()
    return {int(site_id): int(n) for site_id, n in rows}


def partition_sites(
    sites: list[SiteRef], parts: int, weights: dict[int, int] | None = None
) -> list[list[SiteRef]]:
    """Up to ``parts`` non-empty shares; sites sharing any host are in the same share.

    Groups go, heaviest first, to the lightest share (a site's weight is its page count, the
    mean of the known ones when unknown, 1 when none is known); each share keeps the sites'
    given order.
    """
    parent: dict[str, str] = {}

    def find(h: str) -> str:
        while parent.setdefault(h, h) != h:
            parent[h] = parent[parent[h]]
            h = parent[h]
        return h

    for site in sites:
        hosts = sorted(site.hosts) or [f"#site-{site.id}"]
        for h in hosts[1:]:
            parent[find(h)] = find(hosts[0])
    weights = weights or {}
    known = [weights[s.id] for s in sites if s.id in weights]
    default = max(1, round(sum(known) / len(known))) if known else 1
    groups: dict[str, list[SiteRef]] = {}
    for site in sites:
        hosts = sorted(site.hosts) or [f"#site-{site.id}"]
        groups.setdefault(find(hosts[0]), []).append(site)

    def weight(group: list[SiteRef]) -> int:
        return sum(max(1, weights.get(s.id, default)) for s in group)

    order = {s.id: i for i, s in enumerate(sites)}
    shares: list[list[SiteRef]] = [[] for _ in range(max(1, parts))]
    loads = [0] * len(shares)
    for group in sorted(groups.values(), key=lambda g: (-weight(g), order[g[0].id])):
        i = loads.index(min(loads))
        shares[i].extend(group)
        loads[i] += weight(group)
    return [sorted(share, key=lambda s: order[s.id]) for share in shares if share]


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # the scans end as after Ctrl-C: interrupted, resumable


def _share_init(parent_pid: int) -> None:
    """A share's process: dies with its parent, ignores Ctrl-C (the parent passes it on as
    SIGTERM), and until its share starts a SIGTERM ends it (the parent's handler, inherited
    through fork, would only set the parent's flag in a copy nobody reads)."""
    from scanner.processes import die_with_parent

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    die_with_parent(parent_pid)


def _share_worker(
    url: str, settings: Settings, codes: list[str], share: int, restart: bool, slots: str
) -> RunResult:
    """One process's share: the usual Scanner, with a share of the limits for foreign hosts."""
    signal.signal(signal.SIGTERM, _stop)  # the parent's way of passing Ctrl-C on
    try:
        db = Database(url)
        sites = load_sites(db, codes)
        own = frozenset(h for s in sites for h in s.hosts)

        async def go() -> RunResult:
            # SIGTERM cancels the run the way asyncio.run cancels it on Ctrl-C: every scan
            # records itself as interrupted and frees its lease (an exception raised by a plain
            # signal handler can land anywhere, in a storage call too).
            me = asyncio.current_task()
            assert me is not None
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, me.cancel)
            async with Scanner(
                db, settings, own_hosts=own, share=share, slots_dir=Path(slots)
            ) as scanner:
                ids = await scanner.scan(sites, restart=restart)
                progress = scanner.progress
            return RunResult(
                scan_ids=ids,
                pids={s.code: os.getpid() for s in sites},
                errors={c: p.error for c, p in progress.items() if p.error},
                notes={c: p.note for c, p in progress.items() if p.note},
            )

        try:
            return asyncio.run(go())
        except asyncio.CancelledError:
            raise KeyboardInterrupt from None
        finally:
            db.dispose()
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


_ENDED = ("done", "homepage_failed")  # a scan's end states; the others resume


def latest_scans(db: Database, sites: list[SiteRef]) -> dict[int, tuple[int, str]]:
    """Site id → (id, status) of its latest scan: what a dead process's sites are judged by."""
    ids = [s.id for s in sites]
    with db.session() as s:
        last = (
            select(func.max(Scan.id)).where(Scan.site_id.in_(ids)).group_by(Scan.site_id)
        ).scalar_subquery()
        rows = s.execute(select(Scan.site_id, Scan.id, Scan.status).where(Scan.id.in_(last)))
        return {int(site_id): (int(scan_id), str(status)) for site_id, scan_id, status in rows}


def _free_dead_leases(db: Database, sites: list[SiteRef]) -> None:
    """Free the sites' scan leases whose holder is a dead process of this host (a killed
    share): its scans resume on the next run instead of after the lease's expiry."""
    from scanner.leases import dead_here

    with db.session() as s:
        for site in sites:
            name = f"scan:{site.id}"
            lease = s.get(Lease, name)
            if lease is not None and dead_here(lease.holder):
                s.execute(delete(Lease).where(Lease.name == name, Lease.holder == lease.holder))


def _after_death(
    db: Database, share: list[SiteRef], before: dict[int, tuple[int, str]], why: str
) -> RunResult:
    """A share whose process died: each site's scan as the kill left it, and its lease freed
    at once (a dead process cannot renew it) so the next run resumes without waiting.

    ``before`` is the latest scans when the run began: a site whose latest scan is still that
    one, ended, was never reached — its old scan is not this run's result."""
    out = RunResult()
    now = latest_scans(db, share)
    _free_dead_leases(db, share)
    for site in share:
        latest = now.get(site.id)
        if latest is None or (latest == before.get(site.id) and latest[1] in _ENDED):
            out.errors[site.code] = why
            continue
        out.scan_ids[site.code] = latest[0]
        if latest[1] not in _ENDED:
            out.errors[site.code] = why
    return out


def scan_in_processes(
    db: Database,
    settings: Settings,
    sites: list[SiteRef],
    *,
    processes: int,
    restart: bool = False,
    on_share_done: Callable[[int, int], None] | None = None,
) -> RunResult:
    """Scan the sites in up to ``processes`` processes split by host (see the module's doc).

    A process that dies leaves its sites as a kill does (resumable scans, reported per site)
    and the others go on; Ctrl-C stops every process, which record their scans as interrupted,
    then comes back as KeyboardInterrupt. ``on_share_done(sites, still_running)`` is told as
    each share ends.
    """
    # Here, not at the top: concurrent.futures.process loads multiprocessing (≈ 6 ms and
    # 0.4 MB), and a single-process `census scan` imports this module without using it.
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    shares = partition_sites(sites, processes, site_weights(db, sites))
    before = latest_scans(db, sites)
    result = RunResult()
    pools: list[ProcessPoolExecutor] = []
    futures: dict[Future[RunResult], list[SiteRef]] = {}
    stop = threading.Event()
    restore = _catch_stop(stop)
    slots = tempfile.mkdtemp(prefix="census-slots-")  # foreign hosts' run-wide lock files
    try:
        for share in shares:
            pool = ProcessPoolExecutor(
                max_workers=1, initializer=_share_init, initargs=(os.getpid(),)
            )
            pools.append(pool)
            codes = [s.code for s in share]
            job = pool.submit(_share_worker, db.url, settings, codes, len(shares), restart, slots)
            futures[job] = share
        pending = set(futures)
        while pending:
            if stop.is_set():
                raise KeyboardInterrupt
            done, pending = wait(pending, timeout=0.2, return_when="FIRST_COMPLETED")
            for job in done:
                share = futures[job]
                try:
                    result.merge(job.result())
                except BrokenProcessPool:
                    result.merge(_after_death(db, share, before, _DIED))
                except Exception as exc:  # the share's own failure: its sites, not the others
                    why = f"{type(exc).__name__}: {exc}"
                    result.merge(_after_death(db, share, before, why))
                if on_share_done is not None:
                    on_share_done(len(share), len(pending))
    except KeyboardInterrupt:
        _stop_pools(pools, list(futures))
        _free_dead_leases(db, sites)
        raise
    finally:
        for pool in pools:
            pool.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(slots, ignore_errors=True)
        restore()
    return result


def _catch_stop(stop: threading.Event) -> Callable[[], None]:
    """While the shares run, Ctrl-C and SIGTERM set ``stop`` instead of raising; the undo.

    An exception raised by a signal handler lands wherever the main thread is: inside
    concurrent.futures' ``wait``, between taking a future's lock and the ``with`` that releases
    it, the lock stays held, the pool's thread blocks setting a share's result, and the run
    never ends. The loop above checks ``stop`` and raises KeyboardInterrupt itself. SIGINT
    left ignored (a job started in the background) stays ignored; SIGTERM stops it anyway.
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    before: dict[signal.Signals, Any] = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        current = signal.getsignal(sig)
        if current is signal.SIG_IGN and sig == signal.SIGINT:
            continue
        before[sig] = current
        signal.signal(sig, on_signal)

    def undo() -> None:
        for sig, handler in before.items():
            signal.signal(sig, handler)

    return undo


def _stop_pools(pools: list[ProcessPoolExecutor], jobs: list[Future[RunResult]]) -> None:
    """Ask every share's process to stop (SIGTERM: its scans are recorded as interrupted) and
    wait for its share to end; kill a process whose share has not ended within the grace."""
    # The executor keeps no public handle on its worker; _processes is the way to reach it
    # (CPython 3.11–3.13). A worker stays alive after its share, waiting for the pool's
    # shutdown: the share's future, not the process, says it has finished.
    procs = [p for pool in pools for p in list((pool._processes or {}).values())]
    for proc in procs:
        if proc.is_alive():
            proc.terminate()
    wait(jobs, timeout=_STOP_GRACE)
    for pool, job in zip(pools, jobs, strict=False):
        if not job.done():
            for proc in list((pool._processes or {}).values()):
                proc.kill()

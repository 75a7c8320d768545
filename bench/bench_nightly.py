"""Benchmark: the nightly pass over N generated farm sites, in process and on 1, 2, … workers.

Not a test. The farm runs in a subprocess (``python -m farm serve --sites N --pages P``); the
census runs as operators run it, in processes of its own: ``census monitor run-nightly`` alone
(in process, mode 0), or M ``census worker`` processes (mode M; each holds
``--sites-at-once`` sites in flight, as the in-process pass does) and ``census monitor
run-nightly`` with a Redis broker. Each mode gets a fresh PostgreSQL database on a throwaway
server and a fresh Redis.

Printed per mode: wall time, sites per hour, pages per second, CPU ms per page of the census
processes (run-nightly and the workers, start-up included) and of PostgreSQL, peak RSS per
worker process, and where the time goes: how busy the census processes were (CPU ÷ wall ÷
processes; the rest is waiting — on politeness, the network, the database) and a site's mean
crawl step against its politeness floor (its pages ÷ the per-host rate). Then what a
site-night leaves in PostgreSQL (rows and bytes per site, from the last mode's database).
``--json FILE`` appends each mode's figures as a JSON line.

    python bench/bench_nightly.py --sites 16 --pages 40 --rate 20 --modes 0 1 2
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import psutil
from sqlalchemy import func, select, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scanner.db import Database  # noqa: E402
from scanner.db.models import (  # noqa: E402
    NightlyRun,
    NightlyRunSite,
    Organisation,
    OrgLevel,
    Page,
    Site,
    SiteType,
)
from tests.pgserver import PostgresServer, find_bin_dir  # noqa: E402
from tests.redisserver import RedisServer, find_redis_server  # noqa: E402

NIGHT = date(2026, 3, 1)
CENSUS = [sys.executable, "-c", "from scanner.cli import main; main()"]


def start_farm(sites: int, pages: int) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "farm", "serve", "--sites", str(sites), "--pages", str(pages)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("CENSUS_HOST_MAP="):
            return proc, line.strip().split("=", 1)[1]
    raise SystemExit("the farm did not start")


def register(db: Database, sites: int) -> None:
    now = datetime.now(UTC)
    with db.session() as s:
        org = Organisation(code="410000", name="模拟省", level=OrgLevel.PROVINCE)
        s.add(org)
        s.flush()
        for i in range(sites):
            host = f"s{i:05d}.gen.example.gov.cn"
            s.add(
                Site(
                    code=f"41{i:08d}",
                    name=host,
                    url=f"http://{host}/",
                    type=SiteType.DEPARTMENT,
                    organisation_id=org.id,
                    created_at=now,
                    updated_at=now,
                )
            )


def tree_cpu(procs: list[psutil.Process]) -> float:
    """CPU seconds of live processes and their live children."""
    total = 0.0
    for p in procs:
        for q in [p, *p.children(recursive=True)]:
            try:
                t = q.cpu_times()
                total += t.user + t.system
            except psutil.NoSuchProcess:
                pass
    return total


def postgres_cpu(pg: PostgresServer) -> float:
    """CPU seconds of the PostgreSQL server so far: the postmaster, its live backends and the
    backends it has reaped."""
    pid = int((pg.data / "postmaster.pid").read_text().split()[0])
    master = psutil.Process(pid)
    t = master.cpu_times()
    return t.user + t.system + t.children_user + t.children_system + tree_cpu(master.children())


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def db_footprint(url: str, sites: int) -> dict[str, tuple[int, int]]:
    """Rows and bytes (tables, indexes, TOAST) per table of the census database."""
    db = Database(url)
    out: dict[str, tuple[int, int]] = {}
    with db.session() as s:
        s.execute(text("ANALYZE"))
        for (name,) in s.execute(
            text("SELECT relname FROM pg_stat_user_tables ORDER BY relname")
        ).all():
            rows = s.scalar(text(f'SELECT count(*) FROM "{name}"')) or 0
            size = s.scalar(text(f"SELECT pg_total_relation_size('\"{name}\"')")) or 0
            out[name] = (int(rows), int(size))
    db.dispose()
    del sites
    return out


def run_mode(
    workers: int, args: argparse.Namespace, pg: PostgresServer, broker: str, host_map: str
) -> dict[str, float]:
    url = pg.create_database(f"bench_{workers}_{os.getpid()}_{time.monotonic_ns()}")
    db = Database(url)
    db.upgrade()
    register(db, args.sites)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CENSUS_")} | {
        "CENSUS_DATABASE_URL": url,
        "CENSUS_HOST_MAP": host_map,
        "CENSUS_PER_HOST_RATE": str(args.rate),
        "CENSUS_PER_HOST_CONNECTIONS": str(args.connections),
        "CENSUS_NIGHTLY_SITES_AT_ONCE": str(args.sites_at_once),
        "CENSUS_CONFIG": "/nonexistent/census.toml",
        "CENSUS_NIGHTLY_WINDOW": "0",
    }
    children_before = _children_cpu()
    started: list[psutil.Process] = []
    if workers:
        import redis as client

        client.Redis.from_url(broker).flushall()  # no queue or limiter state carried over
        env["CENSUS_BROKER_URL"] = broker
        for _ in range(workers):
            w = subprocess.Popen(
                [*CENSUS, "worker", "--loglevel", "WARNING"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            started.append(psutil.Process(w.pid))
        time.sleep(5)  # let them connect (not timed; their start-up CPU is counted)
    pg_before = postgres_cpu(pg)
    t0 = time.perf_counter()
    night = subprocess.Popen(
        [*CENSUS, "monitor", "run-nightly", "--at", NIGHT.isoformat()],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    main = psutil.Process(night.pid)
    peak = 0
    watched = started or [main]
    while night.poll() is None:
        for p in watched:
            with contextlib.suppress(psutil.NoSuchProcess):
                rss = sum(q.memory_info().rss for q in [p, *p.children(recursive=True)])
                peak = max(peak, rss)
        time.sleep(0.5)
    wall = time.perf_counter() - t0
    pg_cpu = postgres_cpu(pg) - pg_before
    for p in started:
        p.terminate()
    psutil.wait_procs(started, timeout=120)
    # every census process of the mode, reaped: the run and the workers
    cpu = _children_cpu() - children_before
    with db.session() as s:
        pages = s.scalar(select(func.count(Page.id))) or 0
        status = s.scalar(select(NightlyRun.status))
        crawls = s.execute(
            select(NightlyRunSite.started_at, NightlyRunSite.finished_at).where(
                NightlyRunSite.step == "crawl", NightlyRunSite.status == "ok"
            )
        ).all()
        steps = s.execute(
            select(NightlyRunSite.started_at, NightlyRunSite.finished_at).where(
                NightlyRunSite.finished_at.is_not(None)
            )
        ).all()
    db.dispose()
    crawl_s = [(b - a).total_seconds() for a, b in crawls if a and b]
    site_s = sum(((b - a).total_seconds() for a, b in steps if a and b), 0.0)
    return {
        "mode": workers,
        "wall": wall,
        "cpu": cpu,
        "pg_cpu": pg_cpu,
        "pages": pages,
        "peak_mb": peak / 2**20,
        "processes": max(1, workers),
        "crawl_mean_s": sum(crawl_s) / max(1, len(crawl_s)),
        "floor_s": pages / max(1, args.sites) / args.rate,
        "site_steps_s": site_s,
        "status_ok": float(status == "done"),
        "url": url,  # type: ignore[dict-item]
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sites", type=int, default=200)
    parser.add_argument("--pages", type=int, default=205)
    parser.add_argument("--rate", type=float, default=4.0, help="requests/s per host")
    parser.add_argument("--connections", type=int, default=2, help="connections per host")
    parser.add_argument("--sites-at-once", type=int, default=4, help="per process")
    parser.add_argument(
        "--modes", type=int, nargs="*", default=[0, 1, 2, 4], help="0: in process; M: M workers"
    )
    parser.add_argument("--json", metavar="FILE", help="append each mode's figures here")
    args = parser.parse_args()
    bin_dir, redis_bin = find_bin_dir(), find_redis_server()
    if bin_dir is None or redis_bin is None:
        raise SystemExit("needs PostgreSQL server binaries and redis-server (scripts/test)")
    farm, host_map = start_farm(args.sites, args.pages)
    pg, redis = PostgresServer(bin_dir), RedisServer(redis_bin)
    pg.start()
    broker = redis.start()
    try:
        print(
            f"{args.sites} sites × {args.pages} pages, {args.rate:g} requests/s and "
            f"{args.connections} connections per host, {args.sites_at_once} sites at once "
            "per process"
        )
        print(
            "mode          wall s  sites/h  pages/s  CPU ms/page  PG ms/page  peak MB/proc"
            "  busy  crawl s/site (floor)  vs in-process"
        )
        base = None
        last: dict[str, float] = {}
        for workers in args.modes:
            r = run_mode(workers, args, pg, broker, host_map)
            last = r
            if workers == 0:
                base = r["wall"]
            name = "in-process" if not workers else f"{workers} worker(s)"
            busy = r["cpu"] / r["wall"] / r["processes"]
            ratio = f"{base / r['wall']:9.2f}×" if base else "        –"
            print(
                f"{name:12} {r['wall']:7.1f} {args.sites * 3600 / r['wall']:8.0f} "
                f"{r['pages'] / r['wall']:8.1f} {1000 * r['cpu'] / max(1, r['pages']):12.1f} "
                f"{1000 * r['pg_cpu'] / max(1, r['pages']):11.1f} {r['peak_mb']:13.0f} "
                f"{busy:5.0%} {r['crawl_mean_s']:9.1f} ({r['floor_s']:5.1f}) {ratio}"
                + ("" if r["status_ok"] else "  (night not done!)"),
                flush=True,
            )
            if args.json:
                with open(args.json, "a", encoding="utf-8") as fh:
                    fh.write(json.dumps({**vars(args), **r}, default=str) + "\n")
        if last:
            tables = db_footprint(str(last["url"]), args.sites)
            rows = sum(n for n, _ in tables.values())
            size = sum(b for _, b in tables.values())
            print(
                f"PostgreSQL after one night: {rows / args.sites:.0f} rows and "
                f"{size / args.sites / 1024:.0f} KiB per site (all tables, indexes included)"
            )
            for name, (n, b) in sorted(tables.items(), key=lambda kv: -kv[1][1])[:8]:
                per = f"{n / args.sites:8.1f} rows/site {b / args.sites / 1024:8.1f} KiB/site"
                print(f"  {name:28} {per}")
            if args.json:
                with open(args.json, "a", encoding="utf-8") as fh:
                    fh.write(json.dumps({"tables": tables, "sites": args.sites}) + "\n")
    finally:
        redis.stop()
        pg.stop()
        farm.terminate()


if __name__ == "__main__":
    main()

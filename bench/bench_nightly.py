"""Benchmark: the nightly pass over N generated farm sites, in process and on 1, 2, … workers.

Not a test. The farm runs in a subprocess (``python -m farm serve --sites N --pages P``); the
census runs as operators run it, in processes of its own: ``census monitor run-nightly`` alone
(in process), or ``census worker`` processes and ``census monitor run-nightly`` with a Redis
broker. Each mode gets a fresh PostgreSQL database on a throwaway server and its own Redis.
Printed per mode: wall time, sites per hour, pages per second, CPU ms per page (every census
process of the mode, children included), peak RSS per worker process, and the ratio to the
in-process run of the same invocation.

    python bench/bench_nightly.py --sites 16 --pages 40 --rate 20 --workers 1 2
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import psutil
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scanner.db import Database  # noqa: E402
from scanner.db.models import (  # noqa: E402
    NightlyRun,
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
    total = 0.0
    for p in procs:
        for q in [p, *p.children(recursive=True)]:
            try:
                t = q.cpu_times()
                total += t.user + t.system
            except psutil.NoSuchProcess:
                pass
    return total


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


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
        "CENSUS_CONFIG": "/nonexistent/census.toml",
        "CENSUS_NIGHTLY_WINDOW": "0",
    }
    children_before = _children_cpu()
    started: list[psutil.Process] = []
    if workers:
        env["CENSUS_BROKER_URL"] = broker
        for _ in range(workers):
            w = subprocess.Popen(
                [*CENSUS, "worker", "--concurrency", "1", "--loglevel", "WARNING"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            started.append(psutil.Process(w.pid))
        time.sleep(5)  # let them connect (not timed)
    cpu_before = tree_cpu(started)
    t0 = time.perf_counter()
    night = subprocess.Popen(
        [*CENSUS, "monitor", "run-nightly", "--at", NIGHT.isoformat()],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    main = psutil.Process(night.pid)
    peak = 0
    cpu_main = 0.0
    while night.poll() is None:
        with contextlib.suppress(psutil.NoSuchProcess):
            cpu_main = tree_cpu([main])
        for p in started:
            for q in p.children(recursive=True):
                with contextlib.suppress(psutil.NoSuchProcess):
                    peak = max(peak, q.memory_info().rss)
        time.sleep(0.5)
    wall = time.perf_counter() - t0
    for p in started:
        p.terminate()
    psutil.wait_procs(started, timeout=120)
    # every process of the mode, reaped: the run, the workers and their pool processes
    cpu = _children_cpu() - children_before
    del cpu_before, cpu_main
    with db.session() as s:
        pages = s.scalar(select(func.count(Page.id))) or 0
        status = s.scalar(select(NightlyRun.status))
    db.dispose()
    return {
        "wall": wall,
        "cpu": cpu,
        "pages": pages,
        "peak_mb": peak / 2**20,
        "status_ok": float(status == "done"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sites", type=int, default=200)
    parser.add_argument("--pages", type=int, default=205)
    parser.add_argument("--rate", type=float, default=4.0, help="requests/s per host")
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2, 4])
    args = parser.parse_args()
    bin_dir, redis_bin = find_bin_dir(), find_redis_server()
    if bin_dir is None or redis_bin is None:
        raise SystemExit("needs PostgreSQL server binaries and redis-server (scripts/test)")
    farm, host_map = start_farm(args.sites, args.pages)
    pg, redis = PostgresServer(bin_dir), RedisServer(redis_bin)
    pg.start()
    broker = redis.start()
    try:
        print(f"{args.sites} sites × {args.pages} pages, {args.rate:g} requests/s per host")
        print("mode          wall s  sites/h  pages/s  CPU ms/page  peak MB/worker  vs in-process")
        base = None
        for workers in [0, *args.workers]:
            r = run_mode(workers, args, pg, broker, host_map)
            base = base or r["wall"]
            name = "in-process" if not workers else f"{workers} worker(s)"
            print(
                f"{name:12} {r['wall']:7.1f} {args.sites * 3600 / r['wall']:8.0f} "
                f"{r['pages'] / r['wall']:8.1f} {1000 * r['cpu'] / max(1, r['pages']):12.1f} "
                f"{r['peak_mb']:15.0f} {base / r['wall']:9.2f}×"
                + ("" if r["status_ok"] else "  (night not done!)")
            )
    finally:
        redis.stop()
        pg.stop()
        farm.terminate()


if __name__ == "__main__":
    main()

"""Benchmark (not a test): one homepage probe round over many loopback sites.

    /work/venv/bin/python bench/bench_probes.py [--sites 10000] [--rate 250] [--rounds 1]

A server process (this file with ``--serve``) answers every ``sNNNNN-dMMM.bench.example.gov.cn``
after an injected delay of MMM ms (0–200 ms), so the timing error of every probe is known:
measured total time minus the injected delay. The round runs exactly as ``census probe --once``
does (paced starts, one connection per host, canary, loop-lag meter, stored in SQLite), and the
figures printed are: round duration, probes/s, CPU seconds per probe (this process), peak memory,
timing error p50/p99/max, loop lag, and whether the round came out valid.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

SUFFIX = "bench.example.gov.cn"


def serve(port_file: str) -> None:
    """The server side, in its own process so it does not share the client's CPU."""
    from aiohttp import web

    async def handle(request: web.Request) -> web.Response:
        label = request.host.split(".", 1)[0]
        delay_ms = int(label.rsplit("-d", 1)[1]) if "-d" in label else 0
        await asyncio.sleep(delay_ms / 1000)
        return web.Response(
            text="<html><title>县人民政府</title><body>" + "通知公告 " * 200 + "</body></html>",
            content_type="text/html",
        )

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/{tail:.*}", handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=4096)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        Path(port_file).write_text(str(port))
        await asyncio.Event().wait()

    # The server's own collector pauses would show up as "timing error" that is not the
    # scanner's: keep the harness out of the figure (the client side is what we measure).
    gc.disable()
    asyncio.run(main())


def delay_of(i: int) -> int:
    return (i % 5) * 50


def add_sites(db: object, n: int) -> None:
    from sqlalchemy import insert

    from scanner.db.models import Organisation, OrgLevel, Site, SiteType

    now = datetime.now(UTC)
    with db.session() as session:  # type: ignore[attr-defined]
        org = Organisation(code="990000", name="基准测试省", level=OrgLevel.PROVINCE)
        session.add(org)
        session.flush()
        session.execute(
            insert(Site),
            [
                {
                    "code": f"98{i:08d}",
                    "name": f"基准网站{i}",
                    "url": f"http://s{i:05d}-d{delay_of(i):03d}.{SUFFIX}/",
                    "type": SiteType.PORTAL,
                    "organisation_id": org.id,
                    "created_at": now,
                    "updated_at": now,
                    "own_hosts": [],
                }
                for i in range(n)
            ],
        )


async def bench(args: argparse.Namespace, port: int, workdir: Path) -> None:
    from scanner.clock import RealClock
    from scanner.db import Database
    from scanner.monitor import RoundOptions, probe_and_store
    from scanner.settings import load_settings

    db = Database(f"sqlite:///{workdir / 'bench.db'}")
    db.upgrade()
    add_sites(db, args.sites)
    settings = load_settings(host_map=f"*.{SUFFIX}=127.0.0.1:{port}")
    options = RoundOptions(start_rate=args.rate, concurrency=args.concurrency)
    canary = f"http://canary-d000.{SUFFIX}/"
    for n in range(args.rounds):
        cpu0 = time.process_time()
        wall0 = time.perf_counter()
        outcome, round_id = await probe_and_store(
            db,
            settings,
            clock=RealClock(),
            scheduled_for=datetime.now(UTC).replace(microsecond=0),
            canaries=[canary],
            options=options,
        )
        wall = time.perf_counter() - wall0
        cpu = time.process_time() - cpu0
        errors = []
        failed = 0
        for target, record in outcome.results:
            if not record.ok:
                failed += 1
                continue
            delay = int(target.url.split("-d", 1)[1][:3])
            errors.append(record.total_ms - delay)
        errors.sort()
        q = statistics.quantiles(errors, n=100) if len(errors) > 1 else [0.0] * 99
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"round {n + 1}: {len(outcome.results)} sites, start rate {args.rate:g}/s, "
            f"concurrency cap {args.concurrency}"
        )
        print(f"  round duration      {wall:8.1f} s (probing and storing; id {round_id})")
        print(f"  probes per second   {len(outcome.results) / wall:8.1f}")
        print(
            f"  CPU per probe       {cpu / max(1, len(outcome.results)) * 1000:8.2f} ms "
            f"(client process, {cpu:.1f} s in all)"
        )
        print(f"  peak memory         {peak_mb:8.0f} MB (client process, max RSS)")
        print(
            f"  timing error        p50 {q[49]:.1f} ms, p99 {q[98]:.1f} ms, "
            f"max {errors[-1] if errors else 0:.1f} ms, min {errors[0] if errors else 0:.1f} ms"
        )
        print(f"  failed probes       {failed}")
        print(f"  loop lag (max)      {outcome.loop_lag_ms:8.1f} ms")
        print(f"  round status        {outcome.status.value} {outcome.invalid_reason}")
    db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=250.0, help="probe starts per second")
    parser.add_argument("--concurrency", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--serve", metavar="PORT_FILE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        port_file = workdir / "port"
        server = subprocess.Popen([sys.executable, __file__, "--serve", str(port_file)])
        try:
            while not port_file.exists() or not port_file.read_text():
                time.sleep(0.05)
            asyncio.run(bench(args, int(port_file.read_text()), workdir))
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()

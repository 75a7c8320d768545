"""Benchmark (not a test): one homepage probe round over many simulated farm sites.

    /work/venv/bin/python bench/bench_probes.py [--sites 10000] [--rate 250] [--rounds 1]

The farm runs in its own process (``python -m farm serve --sites N --homepage-delay-ms 200``):
each generated site ``sNNNNN.gen.example.gov.cn`` answers its homepage after its own injected
delay (``farm.generate.homepage_delay_ms``), so the timing error of every probe is known:
measured total time minus the injected delay. The round runs exactly as ``census probe --once``
does (paced starts, one connection per host, canary, loop-lag meter, stored in SQLite), and the
figures printed are: round duration, probes/s, CPU seconds per probe (this process), peak memory,
timing error p50/p99/max, loop lag, and whether the round came out valid.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from farm.generate import CANARY, generated_farm, homepage_delay_ms

MAX_DELAY_MS = 200
PAGES = 50  # pages per generated site: only homepages are probed here

# The farm's own collector pauses would show up as "timing error" that is not the scanner's:
# keep the harness out of the figure (the client side is what we measure).
FARM = (
    "import gc, sys; gc.disable(); from farm.__main__ import main; "
    "main(['serve', '--sites', sys.argv[1], '--pages', '{pages}', "
    "'--homepage-delay-ms', '{delay}'])"
)


def start_farm(sites: int) -> tuple[subprocess.Popen[str], str]:
    code = FARM.format(pages=PAGES, delay=MAX_DELAY_MS)
    server = subprocess.Popen(
        [sys.executable, "-c", code, str(sites)], stdout=subprocess.PIPE, text=True
    )
    assert server.stdout is not None
    for line in server.stdout:
        if line.startswith("CENSUS_HOST_MAP="):
            return server, line.split("=", 1)[1].strip()
    raise RuntimeError("the farm did not start")


def add_sites(db: object, n: int, suffix: str) -> None:
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
                    "url": f"http://s{i:05d}.{suffix}/",
                    "type": SiteType.PORTAL,
                    "organisation_id": org.id,
                    "created_at": now,
                    "updated_at": now,
                    "own_hosts": [],
                }
                for i in range(n)
            ],
        )


async def bench(args: argparse.Namespace, host_map: str, workdir: Path) -> None:
    from scanner.clock import RealClock
    from scanner.db import Database
    from scanner.monitor import RoundOptions, probe_and_store
    from scanner.settings import load_settings

    db = Database(f"sqlite:///{workdir / 'bench.db'}")
    db.upgrade()
    gen = generated_farm(args.sites, PAGES, homepage_delay_max_ms=MAX_DELAY_MS).generated
    assert gen is not None
    add_sites(db, args.sites, gen.suffix)
    settings = load_settings(host_map=host_map)
    options = RoundOptions(start_rate=args.rate, concurrency=args.concurrency)
    canary = f"http://{CANARY}/"
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
            index = int(target.url.split("//s", 1)[1][:5])
            errors.append(record.total_ms - homepage_delay_ms(gen, index))
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
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server, host_map = start_farm(args.sites)
        try:
            asyncio.run(bench(args, host_map, Path(tmp)))
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()

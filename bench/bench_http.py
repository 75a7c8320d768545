"""Benchmark: CPU per request of the HTTP layer, one connection pool against sharded pools.

Run: /work/venv/bin/python bench/bench_http.py [--requests 6000] [--connections 10]

Not a test. The farm runs in a subprocess; this process makes HEAD (attachment) and GET (page)
requests to one farm host through `scanner.http.fetch` with a `HostLimiter` of N slots, as the
crawl does, once with one pool of N connections and once with N pools (``shards``) of one slot
each, and prints requests/s, CPU ms per request and the ratio — both runs in the same process.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_crawl import start_farm  # the farm in a subprocess, as every bench runs it

from scanner.http import HostLimiter, build_client, fetch
from scanner.settings import load_settings

HOST = "big0.gen.example.gov.cn"


def requests(n: int) -> list[tuple[str, str]]:
    """Half attachments (HEAD), half pages (GET), as a link check sees them."""
    return [
        (f"http://{HOST}/files/{i}.pdf", "HEAD") if i % 2 else (f"http://{HOST}/p{i}.html", "GET")
        for i in range(n)
    ]


async def measure(host_map: str, n: int, connections: int, shards: int) -> tuple[float, float]:
    """(requests/s, CPU ms per request) for ``n`` requests, half HEAD, half GET."""
    settings = load_settings(host_map=host_map)
    limiter = HostLimiter(connections, 100_000)
    per_pool = connections // shards + 1
    queue = requests(connections * 10)
    async with build_client(settings, max_connections=per_pool, shards=shards) as client:

        async def worker() -> None:
            while queue:
                url, method = queue.pop()
                await fetch(
                    client, url, deadline=15, max_bytes=16_384, method=method, limiter=limiter
                )

        await asyncio.gather(*(worker() for _ in range(connections)))  # warm the pools
        queue.extend(requests(n))
        cpu0, t0 = time.process_time(), time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections * 4)))
        wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    return n / wall, cpu / n * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=6000)
    ap.add_argument("--connections", type=int, default=10)
    args = ap.parse_args()
    farm, host_map = start_farm()
    try:
        rows = []
        for shards in (1, args.connections):
            rate, cpu_ms = asyncio.run(measure(host_map, args.requests, args.connections, shards))
            rows.append((shards, rate, cpu_ms))
            print(f"{shards:3d} pool(s), {args.connections} slots: {rate:7.0f} requests/s, "
                  f"{cpu_ms:.3f} ms CPU per request")  # fmt: skip
        print(f"sharded vs one pool: {rows[0][2] / rows[1][2]:.2f}× less CPU per request, "
              f"{rows[1][1] / rows[0][1]:.2f}× requests/s")  # fmt: skip
    finally:
        farm.terminate()
        farm.wait(timeout=10)


if __name__ == "__main__":
    main()

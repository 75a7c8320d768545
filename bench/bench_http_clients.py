"""Benchmark: CPU per request of the HTTP stacks the crawl could stand on, on one server.

Run (any HTTP server with realistic pages; the peers bench's nginx is the reference):
    /work/venv/bin/python bench/bench_http_clients.py --url http://127.0.0.1:8081/ \
        [--requests 3000] [--connections 10] [--rounds 3]

Not a test. Reads the start page, takes the page links it finds (as the crawl would), then GETs
them round-robin with N concurrent workers through:

- ``census-lean``: `scanner.http.fetch` over httpx on `scanner.http.lean.LeanTransport` (the
  crawl's client since issue 14's third round);
- ``census``: `scanner.http.fetch` over httpx/httpcore on our asyncio streams (what a scan does);
- ``census-anyio-locks``: the same with httpcore's own locks, events and shields (anyio), as
  before `use_asyncio_primitives`;
- ``census-anyio``: the same with httpcore's stock anyio backend and locks (before issue 14);
- ``aiohttp``: a bare aiohttp ``ClientSession`` GET + read (no limiter, no caps) — the floor
  a move to aiohttp could reach.

Prints requests/s and CPU ms per request, median of the rounds, all in the same process.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Literal
from urllib.parse import urljoin, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp
import httpcore

from scanner.http import HostLimiter, build_client, fetch
from scanner.http import hostmap as hostmap_module
from scanner.http.streams import use_asyncio_primitives
from scanner.settings import load_settings


async def _page_urls(start: str, want: int) -> list[str]:
    async with aiohttp.ClientSession() as session, session.get(start) as response:
        html = await response.text()
    host = urlsplit(start).netloc
    urls = [urljoin(start, h) for h in re.findall(r'href="([^"#]+\.html)"', html)]
    urls = [u for u in dict.fromkeys(urls) if urlsplit(u).netloc == host] or [start]
    return (urls * (want // len(urls) + 1))[:want]


async def _drive(urls: list[str], workers: int, get: Callable[[str], Awaitable[int]]) -> int:
    queue = iter(urls)
    total = 0

    async def worker() -> None:
        nonlocal total
        for url in queue:
            total += await get(url)

    await asyncio.gather(*(worker() for _ in range(workers)))
    return total


async def run_census(
    urls: list[str],
    workers: int,
    anyio_backend: bool,
    anyio_locks: bool = False,
    engine: Literal["httpcore", "lean"] = "httpcore",
) -> int:
    host = urlsplit(urls[0]).netloc
    settings = load_settings(
        host_map=f"{urlsplit(urls[0]).hostname}={host}", per_host_connections=workers
    )
    saved = hostmap_module.AsyncioBackend
    if anyio_backend:
        hostmap_module.AsyncioBackend = httpcore.AnyIOBackend  # type: ignore[misc,assignment]
    try:
        client = build_client(settings, max_connections=2, shards=workers, engine=engine)
    finally:
        hostmap_module.AsyncioBackend = saved  # type: ignore[misc]
    if anyio_locks or anyio_backend:  # httpcore's own locks, events and shields (anyio)
        use_asyncio_primitives(False)
    limiter = HostLimiter(workers, 100_000)
    async with client:

        async def get(url: str) -> int:
            r = await fetch(client, url, deadline=15, max_bytes=2 << 20, limiter=limiter)
            return len(r.content)

        return await _drive(urls, workers, get)


async def run_aiohttp(urls: list[str], workers: int) -> int:
    connector = aiohttp.TCPConnector(limit=workers)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def get(url: str) -> int:
            async with session.get(url) as response:
                return len(await response.read())

        return await _drive(urls, workers, get)


def measure(name: str, urls: list[str], workers: int) -> tuple[float, float]:
    runs = {
        "census-lean": lambda: run_census(urls, workers, anyio_backend=False, engine="lean"),
        "census": lambda: run_census(urls, workers, anyio_backend=False),
        "census-anyio-locks": lambda: run_census(urls, workers, False, anyio_locks=True),
        "census-anyio": lambda: run_census(urls, workers, anyio_backend=True),
        "aiohttp": lambda: run_aiohttp(urls, workers),
    }
    cpu0, t0 = time.process_time(), time.perf_counter()
    asyncio.run(runs[name]())
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    return len(urls) / wall, cpu * 1000 / len(urls)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--requests", type=int, default=3000)
    ap.add_argument("--connections", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    urls = asyncio.run(_page_urls(args.url, args.requests))
    names = ["census-lean", "census", "census-anyio-locks", "census-anyio", "aiohttp"]
    results: dict[str, list[tuple[float, float]]] = {n: [] for n in names}
    for _ in range(args.rounds):
        for name in names:  # round-robin: the machine's load hits every stack alike
            results[name].append(measure(name, urls, args.connections))
    print(
        f"{len(urls)} GETs of {len({*urls})} pages, {args.connections} connections, "
        f"median of {args.rounds}"
    )
    print(f"{'stack':14} {'req/s':>8} {'CPU ms/req':>11}")
    for name in names:
        rate = statistics.median(r for r, _ in results[name])
        cpu = statistics.median(c for _, c in results[name])
        print(f"{name:14} {rate:8.0f} {cpu:11.3f}")


if __name__ == "__main__":
    main()

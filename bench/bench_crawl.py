"""Benchmark: crawl and link-check the farm's big site (~2,000 pages, ~7,500 distinct links).

Run: /work/venv/bin/python bench/bench_crawl.py [--connections 10] [--site big0]
     /work/venv/bin/python bench/bench_crawl.py --site huge --max-pages 100000 --no-links

Not a test. The farm runs in a subprocess (``python -m farm serve``) so that the figures —
pages/s, links/s, CPU seconds and peak RSS — are the scanner's own. Politeness is lifted the way
the issue's comparison asks (N connections per host, no rate limit); the re-check delay is 0 so
the confirming re-check is part of the run. Broken links found are compared with the farm's
ground truth (computed after the peak RSS is read, since the truth renders every page).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select

from scanner.crawl import Scanner, SiteRef, normalize_url, scan_summary
from scanner.db import Database
from scanner.db.models import LinkCheck, LinkVerdict, Organisation, OrgLevel, Site, SiteType
from scanner.settings import load_settings

SUFFIX = "gen.example.gov.cn"


def start_farm(sites: int, pages: int) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "farm", "serve", "--sites", str(sites), "--pages", str(pages)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("CENSUS_HOST_MAP="):
            return proc, line.strip().split("=", 1)[1]
    raise SystemExit("the farm did not start")


def register(db: Database, host: str) -> SiteRef:
    now = datetime.now(UTC)
    with db.session() as s:
        org = Organisation(code="410000", name="模拟省", level=OrgLevel.PROVINCE)
        s.add(org)
        s.flush()
        site = Site(
            code="bench",
            name=host,
            url=f"http://{host}/",
            type=SiteType.PORTAL,
            organisation_id=org.id,
            created_at=now,
            updated_at=now,
        )
        s.add(site)
        s.flush()
        return SiteRef(site.id, site.code, site.name, site.url)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--site", default="big0", help="big0 (link-rich) or huge (100,000 pages)")
    ap.add_argument("--connections", type=int, default=10)
    ap.add_argument("--max-pages", type=int, default=20_000)
    ap.add_argument("--max-depth", type=int, default=20)
    ap.add_argument("--no-links", action="store_true", help="crawl only (no link checks)")
    ap.add_argument("--no-truth", action="store_true")
    args = ap.parse_args()
    host = f"{args.site}.{SUFFIX}"
    farm, host_map = start_farm(10, 100)
    tmp = tempfile.TemporaryDirectory(prefix="bench-crawl-")
    try:
        db = Database(f"sqlite:///{tmp.name}/census.db")
        db.upgrade()
        site = register(db, host)
        settings = load_settings(
            host_map=host_map,
            per_host_connections=args.connections,
            per_host_rate=100_000,
            crawl_max_pages=args.max_pages,
            crawl_max_depth=args.max_depth,
            link_recheck_delay=0,
            link_checks_at_once=args.connections * 4,
        )
        cpu0 = time.process_time()
        t0 = time.perf_counter()

        async def run() -> int:
            async with Scanner(db, settings) as scanner:
                return await scanner.crawl_for(site).run(links=not args.no_links)

        scan_id = asyncio.run(run())
        wall = time.perf_counter() - t0
        cpu = time.process_time() - cpu0
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        summary = scan_summary(db, scan_id)
        print(f"site {host}: {summary.pages} pages, {summary.links} distinct links in {wall:.1f} s")
        print(f"  pages/s  {summary.pages / wall:8.1f}")
        print(f"  links/s  {summary.links / wall:8.1f}")
        print(f"  CPU s    {cpu:8.1f}")
        print(f"  peak RSS {peak_mb:8.1f} MB")
        if args.no_links or args.no_truth:
            return
        with db.session() as s:
            found = {
                t
                for (t,) in s.execute(
                    select(LinkCheck.target).where(
                        LinkCheck.scan_id == scan_id,
                        LinkCheck.verdict == LinkVerdict.BROKEN,
                        LinkCheck.confirmed_at.is_not(None),
                    )
                )
            }
        from farm.catalog import Catalog
        from farm.generate import generated_farm
        from farm.scenario import CST
        from farm.truth import Truth

        today: date = datetime.now(CST).date()
        truth = Truth(Catalog(generated_farm(10, 100), today)).links(host)
        expected = {normalize_url(u) for u in truth.broken}
        print(
            f"  broken   {len(found)} found, {len(expected)} in truth, "
            f"{len(found & expected)} agree, {len(found - expected)} false positives, "
            f"{len(expected - found)} missed"
        )
    finally:
        farm.terminate()
        farm.wait(timeout=10)
        tmp.cleanup()
        os.environ.pop("CENSUS_HOST_MAP", None)


if __name__ == "__main__":
    main()

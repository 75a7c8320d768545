"""Benchmark: crawl and link-check the farm's big site (~2,000 pages, ~7,500 distinct links).

Run: /work/venv/bin/python bench/bench_crawl.py [--connections 10] [--site big0]
     /work/venv/bin/python bench/bench_crawl.py --compare      # + wget2, LinkChecker, linkinator
     /work/venv/bin/python bench/bench_crawl.py --site huge --max-pages 100000 --no-links

Not a test. The farm runs in a subprocess (``python -m farm serve``) so that the figures —
pages/s, links/s, CPU seconds and peak RSS — are the scanner's own. Politeness is lifted the way
the issue's comparison asks (N connections per host, no rate limit); the re-check delay is 0 so
the confirming re-check is part of the run. Broken links found are compared with the farm's
ground truth (computed after the peak RSS is read, since the truth renders every page).

``--compare`` runs the other tools on the same site with the same number of connections, each
under ``/usr/bin/time`` (wall, CPU, peak RSS): ``wget2 --spider -r`` (Debian ``wget2``),
LinkChecker (``--linkchecker PATH``, e.g. a venv with PyPI ``linkchecker``; rate limit lifted
with ``maxrequestspersecond``) and linkinator (``--linkinator PATH`` from npm). wget2 and
LinkChecker reach the farm through its own port used as an HTTP proxy (the farm routes by the
Host header), so they see www.gov.cn as we do; linkinator has no proxy setting and gets a farm
serving the big site on a plain loopback port, so its www.gov.cn links fail as DNS errors
(counted apart). wget2 does not check links to other hosts at all.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select

from probes.links import looks_like_page
from scanner.crawl import Scanner, SiteRef, normalize_url, scan_summary
from scanner.db import Database
from scanner.db.models import (
    LinkCheck,
    LinkVerdict,
    Organisation,
    OrgLevel,
    Scan,
    Site,
    SiteType,
)
from scanner.settings import load_settings

SUFFIX = "gen.example.gov.cn"
ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Measured:
    tool: str
    pages: int
    links: int
    wall: float
    cpu: float
    rss_mb: float
    broken: set[str] = field(default_factory=set)
    note: str = ""


def start_farm(*extra: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "farm", "serve", "--sites", "10", "--pages", "100", *extra],
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


def confirmed_broken(db: Database, scan_id: int) -> set[str]:
    with db.session() as s:
        rows = s.execute(
            select(LinkCheck.target).where(
                LinkCheck.scan_id == scan_id,
                LinkCheck.verdict == LinkVerdict.BROKEN,
                LinkCheck.confirmed_at.is_not(None),
            )
        )
        return {t for (t,) in rows}


def run_ours(args: argparse.Namespace, host: str, host_map: str, folder: str) -> Measured:
    """``census scan`` itself, in its own process under /usr/bin/time like the other tools."""
    url = f"sqlite:///{folder}/census.db"
    db = Database(url)
    db.upgrade()
    register(db, host)
    env = os.environ | {
        "CENSUS_DATABASE_URL": url,
        "CENSUS_HOST_MAP": host_map,
        "CENSUS_PER_HOST_CONNECTIONS": str(args.connections),
        "CENSUS_PER_HOST_RATE": "100000",
        "CENSUS_CRAWL_MAX_PAGES": str(args.max_pages),
        "CENSUS_CRAWL_MAX_DEPTH": str(args.max_depth),
        "CENSUS_LINK_RECHECK_DELAY": "0",
        "CENSUS_LINK_CHECKS_AT_ONCE": str(args.connections * 4),
    }
    census = Path(sys.executable).with_name("census")
    cmd = [str(census if census.exists() else "census"), "scan", "bench"]
    log = Path(folder) / "census-scan.log"
    wall, cpu, rss = _timed(cmd, env, folder, log)
    with db.session() as s:
        scan_id = s.scalar(select(func.max(Scan.id)))
    if scan_id is None:
        raise SystemExit(f"census scan stored no scan:\n{log.read_text()[-2000:]}")
    summary = scan_summary(db, scan_id)
    found = confirmed_broken(db, scan_id)
    db.dispose()
    return Measured("gov-census", summary.pages, summary.links, wall, cpu, rss, found)


def run_library(args: argparse.Namespace, host: str, host_map: str, folder: str) -> Measured:
    """The crawl through the library, in this process (``--no-links``: the command always
    checks links); peak RSS is this process's, with the bench's own imports."""
    db = Database(f"sqlite:///{folder}/census.db")
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
    found = confirmed_broken(db, scan_id)
    db.dispose()
    return Measured("gov-census", summary.pages, summary.links, wall, cpu, peak_mb, found)


def _timed(
    cmd: list[str], env: dict[str, str], cwd: str, out: Path | None = None
) -> tuple[float, float, float]:
    """Run a tool under /usr/bin/time: (wall s, CPU s, peak RSS MB)."""
    timing = Path(cwd) / "time.txt"
    full = ["/usr/bin/time", "-o", str(timing), "-f", "%e %U %S %M", *cmd]
    with open(out or os.devnull, "w") as sink:
        subprocess.run(full, env=env, cwd=cwd, stdout=sink, stderr=subprocess.STDOUT, check=False)
    wall, user, system, rss_kb = timing.read_text().strip().splitlines()[-1].split()
    return float(wall), float(user) + float(system), int(rss_kb) / 1024


def _page(url: str, host: str) -> bool:
    return urlsplit(url).hostname == host and looks_like_page(url)


def run_wget2(args: argparse.Namespace, host: str, proxy: str, folder: str) -> Measured:
    log = Path(folder) / "wget2.log"
    env = os.environ | {"http_proxy": proxy}
    cmd = ["wget2", "--spider", "-r", "-l", "0", "--robots=off",
           f"--max-threads={args.connections}", f"http://{host}/"]  # fmt: skip
    wall, cpu, rss = _timed(cmd, env, folder, log)
    seen: set[str] = set()
    broken: set[str] = set()
    for line in log.read_text(errors="replace").splitlines():
        m = re.match(r"HTTP (ERROR )?response (\d+).*\[(.+)\]$", line)
        if m:
            url = normalize_url(m[3]) or m[3]
            seen.add(url)
            if m[1]:
                broken.add(url)
    pages = sum(1 for u in seen if _page(u, host))
    return Measured("wget2", pages, len(seen), wall, cpu, rss, broken, "own host only")


def run_linkchecker(args: argparse.Namespace, host: str, proxy: str, folder: str) -> Measured:
    os.chmod(folder, 0o777)  # LinkChecker run as root drops to 'nobody' and writes here
    rc = Path(folder) / "lcrc"
    rc.write_text(
        f"[checking]\nthreads={args.connections}\nmaxrequestspersecond=100000\n"
        "[filtering]\ncheckextern=1\n[output]\nverbose=1\n"
    )
    out = Path(folder) / "lc.csv"
    env = os.environ | {"http_proxy": proxy}
    # maxrequestspersecond only lifts LinkChecker's 0.1–0.6 s pause between requests to a host
    # when the server answers with a "LinkChecker" header; lift it for the farm the same way.
    script = Path(args.linkchecker)
    python = script.read_text().splitlines()[0].removeprefix("#!").strip()
    lift = (
        "import runpy, sys; import linkcheck.director.aggregator as a; "
        "a.Aggregate.wait_time_min_default = a.Aggregate.wait_time_max_default = 0; "
        f"sys.argv[0] = {str(script)!r}; runpy.run_path(sys.argv[0], run_name='__main__')"
    )
    cmd = [python, "-c", lift, "-f", str(rc), "--no-status", "-o", "none",
           "-F", f"csv/utf-8/{out}", f"http://{host}/"]  # fmt: skip
    wall, cpu, rss = _timed(cmd, env, folder)
    seen: set[str] = set()
    broken: set[str] = set()
    parents: set[str] = set()
    rows = [r for r in out.read_text(errors="replace").splitlines() if not r.startswith("#")]
    for row in csv.DictReader(rows, delimiter=";"):
        url = normalize_url(row.get("url") or "") or ""
        if not url:
            continue
        seen.add(url)
        parents.add(normalize_url(row.get("parentname") or "") or "")
        if row.get("valid") == "False":
            broken.add(url)
    pages = sum(1 for u in parents if _page(u, host))
    return Measured("LinkChecker", pages, len(seen), wall, cpu, rss, broken)


def run_linkinator(args: argparse.Namespace, host: str, folder: str) -> Measured:
    farm, single_map = start_farm("--single", host)
    try:
        port = single_map.rsplit(":", 1)[1]  # any Host is the big site on this port
        base = f"http://127.0.0.1:{port}"
        out = Path(folder) / "linkinator.json"
        cmd = [args.linkinator, f"{base}/", "--recurse", "--concurrency", str(args.connections),
               "--format", "json", "--timeout", "15000"]  # fmt: skip
        wall, cpu, rss = _timed(cmd, dict(os.environ), folder, out)
    finally:
        farm.terminate()
        farm.wait(timeout=10)
    text = out.read_text(errors="replace")
    data = json.loads(text[text.index("{") :])
    seen: set[str] = set()
    broken: set[str] = set()
    parents: set[str] = set()
    dns = 0
    for link in data.get("links", []):
        url = normalize_url(link["url"].replace(base, f"http://{host}")) or link["url"]
        seen.add(url)
        if link.get("parent"):
            parents.add(normalize_url(link["parent"].replace(base, f"http://{host}")) or "")
        if link.get("state") == "BROKEN":
            if str(link.get("status")) == "0" and urlsplit(url).hostname != host:
                dns += 1
                continue  # www.gov.cn without a proxy: a DNS failure of this sandbox
            broken.add(url)
    pages = sum(1 for u in parents if _page(u, host))
    note = f"{dns} external links unreachable (no proxy support), not counted"
    return Measured("linkinator", pages, len(seen), wall, cpu, rss, broken, note)


def truth_broken(host: str) -> set[str]:
    from farm.catalog import Catalog
    from farm.generate import generated_farm
    from farm.scenario import CST
    from farm.truth import Truth

    today: date = datetime.now(CST).date()
    truth = Truth(Catalog(generated_farm(10, 100), today)).links(host)
    return {normalize_url(u) or u for u in truth.broken}


def report(results: list[Measured], expected: set[str] | None) -> None:
    print(f"{'tool':12} {'pages':>6} {'links':>6} {'wall s':>7} {'pages/s':>8} {'links/s':>8} "
          f"{'CPU s':>6} {'RSS MB':>7}  broken: found/agree/false+/missed")  # fmt: skip
    for m in results:
        line = (
            f"{m.tool:12} {m.pages:6d} {m.links:6d} {m.wall:7.1f} {m.pages / m.wall:8.1f} "
            f"{m.links / m.wall:8.1f} {m.cpu:6.1f} {m.rss_mb:7.1f}"
        )
        if expected is not None:
            line += (
                f"  {len(m.broken)}/{len(m.broken & expected)}/{len(m.broken - expected)}"
                f"/{len(expected - m.broken)}"
            )
        print(line + (f"  ({m.note})" if m.note else ""))
    ours = results[0]
    for m in results[1:]:
        print(
            f"gov-census vs {m.tool}: {ours.pages / ours.wall / (m.pages / m.wall):.2f}× pages/s, "
            f"{ours.rss_mb / m.rss_mb:.2f}× peak memory"
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--site", default="big0", help="big0 (link-rich) or huge (100,000 pages)")
    ap.add_argument("--connections", type=int, default=10)
    ap.add_argument("--max-pages", type=int, default=20_000)
    ap.add_argument("--max-depth", type=int, default=20)
    ap.add_argument("--no-links", action="store_true", help="crawl only (no link checks)")
    ap.add_argument("--no-truth", action="store_true")
    ap.add_argument("--compare", action="store_true", help="also run wget2, LinkChecker, …")
    ap.add_argument("--linkchecker", default=shutil.which("linkchecker") or "linkchecker")
    ap.add_argument("--linkinator", default=shutil.which("linkinator") or "linkinator")
    args = ap.parse_args()
    host = f"{args.site}.{SUFFIX}"
    farm, host_map = start_farm()
    proxy = f"http://{host_map.rsplit('=', 1)[1]}"  # the farm's port for *.gen…
    tmp = tempfile.TemporaryDirectory(prefix="bench-crawl-")
    try:
        run = run_library if args.no_links else run_ours
        results = [run(args, host, host_map, tmp.name)]
        if args.compare:
            for name, fn in (
                ("wget2", lambda: run_wget2(args, host, proxy, tmp.name)),
                ("LinkChecker", lambda: run_linkchecker(args, host, proxy, tmp.name)),
                ("linkinator", lambda: run_linkinator(args, host, tmp.name)),
            ):
                try:
                    results.append(fn())
                except (OSError, ValueError) as exc:
                    print(f"{name}: not measured ({exc})", file=sys.stderr)
        expected = None if (args.no_links or args.no_truth) else truth_broken(host)
        report(results, expected)
    finally:
        farm.terminate()
        farm.wait(timeout=10)
        tmp.cleanup()


if __name__ == "__main__":
    main()

"""Benchmark: crawl and link-check the farm's big site (~2,000 pages, ~7,500 distinct links), or
the peers bench's realistic site (13–17 KB pages, ~35 links each) served by nginx.

Run: /work/venv/bin/python bench/bench_crawl.py [--connections 10] [--site big0]
     /work/venv/bin/python bench/bench_crawl.py --peers --nights 2   # realistic pages, 2 nights
         # (cold: a census scan process per night; warm: all nights in one process, as the monitor)
     /work/venv/bin/python bench/bench_crawl.py --harness   # run_peers.sh: census + the peers
     /work/venv/bin/python bench/bench_crawl.py --compare      # + wget2, LinkChecker, linkinator
     /work/venv/bin/python bench/bench_crawl.py --site huge --max-pages 100000 --no-links
     /work/venv/bin/python bench/bench_crawl.py --split 2   # --processes 1 vs 2, 8 sites

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
import contextlib
import csv
import gc
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
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
    Page,
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


@dataclass
class TreeMemory:
    """Peak memory of a command's whole process tree (a census run over N processes is N + 1
    processes; /usr/bin/time's %M is only the largest one of them)."""

    rss_mb: float = 0.0  # the highest sum of the tree's RSS seen at one sample
    pss_mb: float = 0.0  # the same with PSS: pages shared since fork counted once, not N times
    most: int = 0  # the most processes seen at once


def _tree_sample(root: int) -> tuple[float, float, int]:
    """(RSS MB, PSS MB, processes) of ``root``'s descendants now (root, /usr/bin/time, left
    out)."""
    import psutil

    rss = pss = 0
    count = 0
    try:
        procs = psutil.Process(root).children(recursive=True)
    except psutil.Error:
        return 0.0, 0.0, 0
    for proc in procs:
        try:
            full = proc.memory_full_info()
        except psutil.Error:
            continue
        rss += full.rss
        pss += getattr(full, "pss", full.rss)
        count += 1
    return rss / 2**20, pss / 2**20, count


def _timed_tree(
    cmd: list[str], env: dict[str, str], cwd: str, out: Path
) -> tuple[float, float, float, TreeMemory]:
    """`_timed` while sampling the process tree's memory every 0.1 s: (wall s, CPU s, peak
    RSS MB of the largest process, the tree's peak)."""
    timing = Path(cwd) / "time.txt"
    full = ["/usr/bin/time", "-o", str(timing), "-f", "%e %U %S %M", *cmd]
    tree = TreeMemory()
    with open(out, "w") as sink:
        proc = subprocess.Popen(full, env=env, cwd=cwd, stdout=sink, stderr=subprocess.STDOUT)
        while proc.poll() is None:
            rss, pss, count = _tree_sample(proc.pid)
            tree.rss_mb = max(tree.rss_mb, rss)
            tree.pss_mb = max(tree.pss_mb, pss)
            tree.most = max(tree.most, count)
            time.sleep(0.1)
    wall, user, system, rss_kb = timing.read_text().strip().splitlines()[-1].split()
    return float(wall), float(user) + float(system), int(rss_kb) / 1024, tree


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


# ------------------------------------------------------------------ realistic pages: the peers site

PEERS = ROOT.parent / "shared" / "bench" / "peers"  # ../shared/bench/peers (read, never copied)
# The peers harness's census settings (run_peers.sh's CENSUS_SETTINGS), used as they are.
PEERS_SETTINGS = {
    "CENSUS_PER_HOST_CONNECTIONS": "10",
    "CENSUS_PER_HOST_RATE": "100000",
    "CENSUS_LINK_RECHECK_DELAY": "0",
    "CENSUS_LINK_CHECKS_AT_ONCE": "40",
    "CENSUS_CRAWL_MAX_DEPTH": "20",
    "CENSUS_CRAWL_MAX_PAGES": "20000",
}


@dataclass
class Night:
    night: int
    requests: int  # lines of nginx's access log: what the server saw
    statuses: dict[str, int]
    wall: float
    cpu: float
    rss_mb: float
    broken: set[str]
    soft404: set[str]
    undetermined: int
    stats: dict[str, object]
    gc: float | None = None  # the collector's CPU s (warm mode only)


class PeersSite:
    """gen_site.py's 2,000-page site (13–17 KB pages, ~35 links each, 226 broken, 40 soft
    404s) generated at bench time and served by nginx with the peers' own config, on a port of
    our own; its truth.json is the ground truth."""

    def __init__(self, folder: Path, port: int, pages: int, seed: int):
        self.folder, self.port = folder, port
        site = folder / "site"
        subprocess.run(
            [sys.executable, str(PEERS / "gen_site.py"), str(site), "--pages", str(pages),
             "--seed", str(seed), "--port", str(port)],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        self.truth = json.loads((site / "truth.json").read_text(encoding="utf-8"))
        conf = (PEERS / "nginx.conf").read_text().replace(":8081", f":{port}")
        (folder / "nginx.conf").write_text(conf)
        for sub in ("logs", "tmp"):
            (folder / sub).mkdir(exist_ok=True)
        self.nginx = subprocess.Popen(
            ["nginx", "-p", str(folder), "-c", str(folder / "nginx.conf"), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        for _ in range(50):
            if (folder / "logs" / "nginx.pid").exists():
                break
            time.sleep(0.1)
        time.sleep(0.3)
        self.url = f"http://127.0.0.1:{port}/"

    def new_log(self) -> None:
        log = self.folder / "logs" / "access.log"
        if log.exists():
            log.rename(self.folder / "logs" / "previous.log")
        self._reopen()

    def take_log(self) -> list[list[str]]:
        time.sleep(1.2)  # the log is buffered (flush=1s); a reopen flushes it
        log = self.folder / "logs" / "access.log"
        self._reopen()
        if not log.exists():
            return []
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
        return [line.split("|") for line in lines if line]

    def _reopen(self) -> None:
        pid = int((self.folder / "logs" / "nginx.pid").read_text())
        os.kill(pid, 10)  # SIGUSR1: reopen the log files
        time.sleep(0.5)

    def stop(self) -> None:
        self.nginx.terminate()
        self.nginx.wait(timeout=10)


def run_peers_nights(args: argparse.Namespace, folder: Path) -> None:
    """The peers site under the harness's settings as they are (no host map, rate 100,000),
    ``--nights`` times on one database per mode; night 2 onwards with ``--reuse`` seconds of
    verdict and page reuse. Requests are counted in nginx's log.

    Modes (``--night-modes``): *cold* runs ``census scan`` as a fresh process per night (its
    CPU includes the interpreter's start-up and imports); *warm* runs every night in one
    long-lived driver process, the way ``census monitor`` and the workers run them
    (`_night_driver`)."""
    site = PeersSite(folder, args.port, args.pages, args.seed)
    modes = [m.strip() for m in args.night_modes.split(",") if m.strip()]
    results: dict[str, list[Night]] = {}
    try:
        for mode in modes:
            url = f"sqlite:///{folder}/{mode}.db"
            db = Database(url)
            db.upgrade()
            register(db, f"127.0.0.1:{args.port}")
            db.dispose()
            run = _cold_nights if mode == "cold" else _warm_nights
            results[mode] = run(args, folder, site, url)
            print(f"== {mode}: " + NIGHT_MODES[mode])
            _report_nights(results[mode], site.truth)
    finally:
        site.stop()
    if len(results) > 1:
        _compare_modes(results)


NIGHT_MODES = {
    "cold": "`census scan bench`, a fresh process per night (start-up and imports included)",
    "warm": "one long-lived process, imports done before night 1; per night a Scanner and "
    "`crawl_for(site).run()` as the monitor's nightly unit (scanner/monitor/units.py) calls it",
}


def _night_env(args: argparse.Namespace, url: str, night: int) -> dict[str, str]:
    """The ``CENSUS_*`` settings of night ``night``: the harness's, plus reuse from night 2."""
    env = PEERS_SETTINGS | {"CENSUS_DATABASE_URL": url}
    if night > 1:
        env |= {
            "CENSUS_LINK_VERDICT_REUSE": str(args.reuse),
            "CENSUS_CRAWL_PAGE_REUSE": str(args.reuse),
        }
    return env


def compile_sources() -> None:
    """Write the checkout's bytecode, as ``pip install`` does for an installed census.

    A cold night times a whole ``census scan`` process. From an editable checkout without
    ``__pycache__`` (or with ``PYTHONDONTWRITEBYTECODE=1`` set, as on the bench machine) that
    process compiled every module of ours from source first — ≈ 0.07 CPU s of each night that
    an installed census (the harness's, a deployment's) never pays (docs/crawl.md "Start-up").
    """
    import compileall
    import io

    with contextlib.redirect_stdout(io.StringIO()):
        for package in ("scanner", "probes", "scoring", "migrations", "config"):
            compileall.compile_dir(ROOT / package, quiet=1)


def _cold_nights(args: argparse.Namespace, folder: Path, site: PeersSite, url: str) -> list[Night]:
    census = Path(sys.executable).with_name("census")
    compile_sources()
    print("cold: the checkout's bytecode written first, as an installed census has it")
    nights: list[Night] = []
    for night in range(1, args.nights + 1):
        env = {k: v for k, v in os.environ.items() if not k.startswith("CENSUS_")}
        env |= _night_env(args, url, night)
        site.new_log()
        cmd = [str(census if census.exists() else "census"), "scan", "bench"]
        wall, cpu, rss = _timed(cmd, env, str(folder), folder / f"cold-night{night}.log")
        served = site.take_log()
        nights.append(_night(url, night, served, wall, cpu, rss))
    return nights


def _warm_nights(args: argparse.Namespace, folder: Path, site: PeersSite, url: str) -> list[Night]:
    """The nights in one driver child (``--night-driver``), started once; night k runs when a
    line asks for it, and the child answers with the night's CPU, wall and peak RSS."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CENSUS_")}
    env |= _night_env(args, url, 1)
    nights: list[Night] = []
    with open(folder / "warm-driver.log", "w") as log:
        driver = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--night-driver"],
            env=env, cwd=str(folder), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=log, text=True,
        )  # fmt: skip
        assert driver.stdin is not None and driver.stdout is not None
        try:
            if driver.stdout.readline().strip() != "ready":
                raise SystemExit(f"the night driver did not start (see {folder}/warm-driver.log)")
            for night in range(1, args.nights + 1):
                site.new_log()
                ask = {"night": night, "env": _night_env(args, url, night)}
                driver.stdin.write(json.dumps(ask) + "\n")
                driver.stdin.flush()
                answer = driver.stdout.readline()
                if not answer:
                    raise SystemExit(f"the night driver died (see {folder}/warm-driver.log)")
                got = json.loads(answer)
                served = site.take_log()
                done = _night(url, night, served, got["wall"], got["cpu"], got["rss_mb"])
                done.gc = got["gc"]
                nights.append(done)
        finally:
            driver.stdin.close()
            driver.wait(timeout=60)
    return nights


def _night_driver() -> None:
    """The warm mode's child: imports first (as a monitor process has them before its first
    night), then one night per line on stdin, each on the settings the line names (read the way
    the monitor reads them: `load_settings` from the ``CENSUS_*`` environment). A night is what
    the monitor's nightly unit does for a site's crawl step (`units._one_site` →
    `SiteSteps._crawl`): a Scanner on the night's settings, ``crawl_for(site).run()``; and, as
    its re-check unit and ``census scan`` do, ``recheck_due()`` first. Nothing of the site is
    kept across nights but what the monitor keeps: the imports and the database's engine."""
    # As `census monitor` starts (scanner.cli._quietly): its imports made with the collector
    # off, then frozen; the process keeps the default thresholds, which each crawl raises for
    # its own time (`scanner.crawl.collector`), in the monitor and here alike. The collector's
    # own time is measured per night.
    gc.disable()
    from scanner.crawl import load_sites
    from scanner.monitor import units  # noqa: F401  (the nightly unit's imports, as the monitor)

    db = Database(load_settings().database_url)
    gc.freeze()
    gc.enable()
    collector = [0.0, 0.0]  # CPU s spent collecting; the start of the current collection

    def timed(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collector[1] = time.process_time()
        else:
            collector[0] += time.process_time() - collector[1]

    gc.callbacks.append(timed)
    print("ready", flush=True)

    async def one_night(settings: Any) -> None:
        async with Scanner(db, settings) as scanner:
            await scanner.recheck_due()
            refs = await asyncio.to_thread(load_sites, db, ["bench"])
            for ref in refs:
                await scanner.crawl_for(ref).run()

    for line in sys.stdin:
        ask = json.loads(line)
        for key in [k for k in os.environ if k.startswith("CENSUS_")]:
            del os.environ[key]
        os.environ.update(ask["env"])
        _reset_peak_rss()
        collector[0] = 0.0
        cpu0, wall0 = time.process_time(), time.perf_counter()
        asyncio.run(one_night(load_settings()))
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        answer = {"night": ask["night"], "cpu": cpu, "wall": wall, "rss_mb": _peak_rss_mb(),
                  "gc": collector[0]}  # fmt: skip
        print(json.dumps(answer), flush=True)
    db.dispose()


def _reset_peak_rss() -> None:
    """Linux: writing 5 to clear_refs resets the process's peak RSS (VmHWM) so each night's
    peak is its own; elsewhere the peak stays the process's."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _peak_rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _compare_modes(results: dict[str, list[Night]]) -> None:
    """The modes side by side: each night's CPU, and night k / night 1 in each."""
    print("mode   night  requests  CPU s  wall s  RSS MB  collector s  | night/1 requests  CPU")
    for mode, nights in results.items():
        first = nights[0]
        for n in nights:
            print(
                f"{mode:6} {n.night:5d} {n.requests:9d} {n.cpu:6.2f} {n.wall:7.2f} "
                f"{n.rss_mb:7.1f}  {'-' if n.gc is None else f'{n.gc:.2f}':>11}  | "
                f"{n.requests / first.requests:16.1%} "
                f"{n.cpu / first.cpu:5.1%}"
            )
    if "cold" in results and "warm" in results:
        for cold, warm in zip(results["cold"], results["warm"], strict=True):
            print(
                f"night {cold.night}: cold − warm = {cold.cpu - warm.cpu:.2f} CPU s "
                "(a process's start-up, imports and exit)"
            )


def _night(url: str, night: int, served: list[list[str]], wall: float, cpu: float,
           rss: float) -> Night:  # fmt: skip
    db = Database(url)
    with db.session() as s:
        scan = s.scalars(select(Scan).order_by(Scan.id.desc()).limit(1)).one()
        rows = s.execute(
            select(LinkCheck.target, LinkCheck.verdict, LinkCheck.kind, LinkCheck.confirmed_at)
            .where(LinkCheck.scan_id == scan.id)
        ).all()  # fmt: skip
        stats = dict(scan.stats)
    db.dispose()
    soft = ("soft404", "redirect_soft404")
    confirmed = [(t, k) for t, v, k, c in rows if v is LinkVerdict.BROKEN and c is not None]
    statuses: dict[str, int] = {}
    for parts in served:
        if len(parts) > 3:
            statuses[parts[3]] = statuses.get(parts[3], 0) + 1
    return Night(
        night, len(served), statuses, wall, cpu, rss,
        {t for t, k in confirmed if k not in soft}, {t for t, k in confirmed if k in soft},
        sum(1 for _, v, _, _ in rows if v is LinkVerdict.UNDETERMINED), stats,
    )  # fmt: skip


def _report_nights(nights: list[Night], truth: dict[str, object]) -> None:
    def urls(key: str) -> set[str]:
        value = truth.get(key)
        return {str(u) for u in value} if isinstance(value, list) else set()

    internal, external, soft = (
        urls("broken_internal"), urls("broken_external"), urls("soft404_urls")
    )  # fmt: skip
    print(f"{'night':5} {'requests':>8} {'wall s':>7} {'pages/s':>8} {'CPU s':>6} "
          f"{'ms/req':>7} {'RSS MB':>7}  broken int/ext/false+  soft404  undet.  "
          "304 kept reused")  # fmt: skip
    for n in nights:
        pages = int(str(n.stats.get("pages", 0)))
        false_pos = len(n.broken - internal - external) + len(n.soft404 - soft)
        print(
            f"{n.night:5d} {n.requests:8d} {n.wall:7.1f} {pages / n.wall:8.1f} {n.cpu:6.1f} "
            f"{n.cpu * 1000 / max(n.requests, 1):7.3f} {n.rss_mb:7.1f}  "
            f"{len(n.broken & internal)}/{len(internal)} {len(n.broken & external)}/"
            f"{len(external)} {false_pos}  {len(n.soft404 & soft)}/{len(soft)}  "
            f"{n.undetermined:6d}  {n.stats.get('not_modified')} {n.stats.get('pages_kept')} "
            f"{n.stats.get('reused_verdicts')}  statuses {n.statuses}"
        )
    first = nights[0]
    for n in nights[1:]:
        print(
            f"night {n.night} / night 1: {n.requests / first.requests:.1%} of the requests, "
            f"{n.cpu / first.cpu:.1%} of the CPU"
        )
    if all(n.gc is not None for n in nights):
        spent = ", ".join(f"{n.gc:.3f}" for n in nights)
        print(f"the collector's CPU s per night (in the figures above): {spent}")


def run_harness(args: argparse.Namespace) -> None:
    """The peers harness itself (``run_peers.sh``) with census among its tools, in one run,
    then the ratios the issue asks for, from its results."""
    work = Path(args.harness_work)
    env = os.environ | {
        "RUNS": str(args.runs),
        "TOOLS": f"{args.harness_tools} census",
        "WORK": str(work),
        "CENSUS_SRC": str(ROOT),
        "CENSUS_VENV": args.harness_venv,
        "CENSUS_REINSTALL": "1",
    }
    subprocess.run(["bash", str(PEERS / "run_peers.sh")], env=env, check=True)
    print((work / "results" / "latest.md").read_text(encoding="utf-8"))
    data = json.loads((work / "results" / "latest.json").read_text(encoding="utf-8"))
    print_ratios(data)


def print_ratios(data: dict[str, Any]) -> None:
    """census against each peer (medians of the runs): pages/s, peak RSS; census's CPU per
    request (CPU s of the whole command / requests in nginx's log)."""
    medians = {t["tool"]: t["median"] for t in data.get("tools", []) if "median" in t}
    ours = medians.get("census")
    if not ours:
        print("census: no successful run")
        return
    print(
        f"census: {ours['pages_s']:.1f} pages/s, {ours['cpu']:.1f} CPU s, "
        f"{ours['cpu'] * 1000 / ours['requests']:.3f} ms CPU per request, "
        f"{ours['rss_mb']:.1f} MB peak RSS"
    )
    for peer, theirs in medians.items():
        if peer in ("census", "linkchecker_default") or not theirs.get("pages_s"):
            continue
        print(
            f"census vs {peer}: {ours['pages_s'] / theirs['pages_s']:.2f}× pages/s, "
            f"{ours['rss_mb'] / theirs['rss_mb']:.2f}× peak RSS"
        )


SPLIT_SUFFIX = "split.example.gov.cn"
SPLIT_EXT = "www.ext.example.gov.cn"  # every site's external links: one host all share


def _split_sites(folder: Path, sites: int, pages: int, port: int) -> subprocess.Popen[bytes]:
    """``sites`` peers sites (gen_site.py, seeds 1…n), each under a host of its own
    (s<i>.split.example.gov.cn) and all linking to one external host, served by one nginx."""
    servers = []
    ext = folder / "ext"
    ext.mkdir()
    for i in range(sites):
        out = folder / f"gen{i}"
        subprocess.run(
            [sys.executable, str(PEERS / "gen_site.py"), str(out), "--pages", str(pages),
             "--seed", str(i + 1), "--port", str(port)],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        host = f"s{i}.{SPLIT_SUFFIX}"
        for page in (out / "main").rglob("*.html"):
            text = page.read_text(encoding="utf-8", errors="surrogateescape")
            text = text.replace(f"http://127.0.0.1:{port}", f"http://{host}")
            text = text.replace(f"http://127.0.0.2:{port}", f"http://{SPLIT_EXT}")
            page.write_text(text, encoding="utf-8", errors="surrogateescape")
        shutil.copytree(out / "ext", ext, dirs_exist_ok=True)
        servers.append(
            f"server {{ listen 127.0.0.1:{port}; server_name {host}; root gen{i}/main; "
            "index index.html; location /zwgk_old/ { return 302 /404.html; } }"
        )
    servers.append(f"server {{ listen 127.0.0.2:{port}; server_name _; root ext; }}")
    conf = (PEERS / "nginx.conf").read_text()
    http = conf[: conf.index("    server {")] + "\n".join(servers) + "\n}\n"
    (folder / "nginx.conf").write_text(http)
    for sub in ("logs", "tmp"):
        (folder / sub).mkdir(exist_ok=True)
    nginx = subprocess.Popen(
        ["nginx", "-p", str(folder), "-c", str(folder / "nginx.conf"), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(1.0)
    if nginx.poll() is not None:
        raise SystemExit("nginx did not start (see logs/error.log)")
    return nginx


@dataclass
class SplitRun:
    processes: int
    wall: float
    cpu: float
    largest_mb: float  # /usr/bin/time's %M: the largest single process
    tree: TreeMemory
    pages: int
    broken: int
    done: int
    span: float  # first scan's start → last scan's end: the command less its start-up
    slowest: float  # the longest single site's scan: a floor no split can go under


def run_split(args: argparse.Namespace) -> None:
    """``census scan --all --processes 1`` against ``--processes N`` on the same sites, each on a
    fresh database, politeness lifted (CPU, not the per-host limits, is the bound); ``--runs``
    pairs, the order alternating, and the medians."""
    runs: list[SplitRun] = []
    with tempfile.TemporaryDirectory(prefix="bench-split-") as name:
        folder = Path(name)
        os.chmod(folder, 0o755)
        nginx = _split_sites(folder, args.split_sites, args.split_pages, args.port)
        hosts = [f"s{i}.{SPLIT_SUFFIX}" for i in range(args.split_sites)]
        host_map = ",".join(f"{h}=127.0.0.1:{args.port}" for h in hosts)
        host_map += f",{SPLIT_EXT}=127.0.0.2:{args.port}"
        census = Path(sys.executable).with_name("census")
        try:
            for run in range(args.runs):
                order = (1, args.split) if run % 2 == 0 else (args.split, 1)
                for processes in order:
                    runs.append(_split_run(folder, hosts, host_map, census, processes, run))
        finally:
            nginx.terminate()
            nginx.wait(timeout=10)
    print(f"{args.split_sites} peers sites × {args.split_pages} pages, nginx, "
          f"{os.cpu_count()} cores; /usr/bin/time (CPU includes the child processes); memory: "
          "the largest process (time's %M), and the process tree's peak sum of RSS and of PSS "
          "(sampled every 0.1 s)")  # fmt: skip
    head = "processes | wall s | CPU s | largest MB | tree RSS MB | tree PSS MB | procs"
    print(f"{head} | pages | broken | scans done | pages/s | scans span s | slowest site s")
    for r in runs:
        print(f"{r.processes:9d} | {r.wall:6.1f} | {r.cpu:5.1f} | {r.largest_mb:10.0f} | "
              f"{r.tree.rss_mb:11.0f} | {r.tree.pss_mb:11.0f} | {r.tree.most:5d} | "
              f"{r.pages:5d} | {r.broken:6d} | {r.done:10d} | {r.pages / r.wall:7.1f} | "
              f"{r.span:12.1f} | {r.slowest:14.1f}")  # fmt: skip
    med: dict[int, dict[str, float]] = {}
    for processes in (1, args.split):
        mine = [r for r in runs if r.processes == processes]
        med[processes] = {
            "wall": statistics.median(r.wall for r in mine),
            "cpu": statistics.median(r.cpu for r in mine),
            "largest": statistics.median(r.largest_mb for r in mine),
            "rss": statistics.median(r.tree.rss_mb for r in mine),
            "pss": statistics.median(r.tree.pss_mb for r in mine),
            "pages_s": statistics.median(r.pages / r.wall for r in mine),
        }
        m = med[processes]
        print(
            f"median of {len(mine)}, --processes {processes}: {m['pages_s']:.1f} pages/s, "
            f"wall {m['wall']:.1f} s, CPU {m['cpu']:.1f} s, largest process "
            f"{m['largest']:.0f} MB, tree RSS {m['rss']:.0f} MB, tree PSS {m['pss']:.0f} MB"
        )
    pairs = [
        next(r.wall for r in runs[i : i + 2] if r.processes == 1)
        / next(r.wall for r in runs[i : i + 2] if r.processes == args.split)
        for i in range(0, len(runs) - 1, 2)
    ]  # each pair ran back to back: its ratio is the least disturbed by other work
    print(
        "wall ×faster per pair (1 / N): "
        + ", ".join(f"{x:.2f}" for x in pairs)
        + f"; median ×{statistics.median(pairs):.2f}"
    )
    one, many = med[1], med[args.split]
    print(
        f"--processes {args.split} vs 1 (medians): wall ×{one['wall'] / many['wall']:.2f} "
        f"faster, CPU ×{many['cpu'] / one['cpu']:.2f}, tree RSS ×{many['rss'] / one['rss']:.2f}, "
        f"tree PSS ×{many['pss'] / one['pss']:.2f}"
    )


def _split_run(
    folder: Path, hosts: list[str], host_map: str, census: Path, processes: int, run: int
) -> SplitRun:
    """One ``census scan --all --processes N`` on a fresh database of the sites."""
    url = f"sqlite:///{folder}/p{processes}-r{run}.db"
    db = Database(url)
    db.upgrade()
    now = datetime.now(UTC)
    with db.session() as s:
        org = Organisation(code="410000", name="模拟省", level=OrgLevel.PROVINCE)
        s.add(org)
        s.flush()
        for i, host in enumerate(hosts):
            s.add(
                Site(code=f"41000000{i:02d}", name=host, url=f"http://{host}/",
                     type=SiteType.PORTAL, organisation_id=org.id,
                     created_at=now, updated_at=now)
            )  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("CENSUS_")}
    env |= PEERS_SETTINGS | {"CENSUS_DATABASE_URL": url, "CENSUS_HOST_MAP": host_map}
    cmd = [str(census if census.exists() else "census"), "scan", "--all",
           "--processes", str(processes)]  # fmt: skip
    log = folder / f"p{processes}-r{run}.log"
    wall, cpu, rss, tree = _timed_tree(cmd, env, str(folder), log)
    with db.session() as s:
        pages = s.scalar(select(func.count()).select_from(Page)) or 0
        done = s.scalar(select(func.count()).where(Scan.status == "done")) or 0
        broken = (
            s.scalar(
                select(func.count()).where(
                    LinkCheck.verdict == LinkVerdict.BROKEN,
                    LinkCheck.confirmed_at.is_not(None),
                )
            )
            or 0
        )
        times = s.execute(select(Scan.started_at, Scan.finished_at)).all()
    db.dispose()
    ends = [(a, b) for a, b in times if b is not None]
    span = (max(b for _, b in ends) - min(a for a, _ in ends)).total_seconds() if ends else 0.0
    slowest = max(((b - a).total_seconds() for a, b in ends), default=0.0)
    return SplitRun(processes, wall, cpu, rss, tree, pages, broken, done, span, slowest)


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
    ap.add_argument(
        "--peers", action="store_true",
        help="realistic pages: the peers site (gen_site.py, nginx), census under the harness's "
        "settings; with --nights N the nights after the first reuse what did not change",
    )  # fmt: skip
    ap.add_argument("--port", type=int, default=8093)
    ap.add_argument("--pages", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--nights", type=int, default=1)
    ap.add_argument("--reuse", type=float, default=86400.0, help="seconds, nights 2+")
    ap.add_argument(
        "--night-modes", default="cold,warm",
        help="cold: census scan, a process per night; warm: every night in one long-lived "
        "process, as the monitor runs them",
    )  # fmt: skip
    ap.add_argument("--night-driver", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument(
        "--harness", action="store_true",
        help="run ../shared/bench/peers/run_peers.sh with census and the peers in one run",
    )  # fmt: skip
    ap.add_argument("--harness-tools", default="linkinator linkchecker scrapy wget2")
    ap.add_argument("--harness-work", default="/tmp/census-peers-bench")
    ap.add_argument("--harness-venv", default="/tmp/census-peers-venv")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument(
        "--split", type=int, default=0,
        help="census scan --all --processes 1 against --processes SPLIT over --split-sites "
        "peers sites, each under its own host",
    )  # fmt: skip
    ap.add_argument("--split-sites", type=int, default=8)
    ap.add_argument("--split-pages", type=int, default=250)
    args = ap.parse_args()
    if args.night_driver:
        _night_driver()
        return
    bad = set(args.night_modes.split(",")) - set(NIGHT_MODES)
    if bad:
        ap.error(f"--night-modes: unknown {', '.join(sorted(bad))} (cold, warm)")
    if args.split:
        run_split(args)
        return
    if args.harness:
        run_harness(args)
        return
    if args.peers:
        with tempfile.TemporaryDirectory(prefix="bench-peers-") as folder:
            os.chmod(folder, 0o755)  # nginx's workers (nobody) read the site from here
            run_peers_nights(args, Path(folder))
        return
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

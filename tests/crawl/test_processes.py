"""A scan split over processes (``census scan --processes N``), with real child processes."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import func, select

from farm import FarmThread
from scanner.crawl import SiteRef, load_sites, scan_in_processes
from scanner.crawl.parallel import partition_sites
from scanner.db import Database
from scanner.db.models import LinkCheck, LinkVerdict, Page, Site
from scanner.http.limits import HostLimiter
from scanner.settings import load_settings
from tests.crawl.conftest import fast_settings, registered_db, scan
from tests.sites import add_sites

DONGHU_WWW = "9101020001"
DONGHU_ZWGK = "9101020002"


def _facts(db: Database, scan_ids: dict[str, int]) -> dict[str, tuple[frozenset[str], ...]]:
    """Per site: the pages fetched and the confirmed broken links (what the table counts)."""
    out: dict[str, tuple[frozenset[str], ...]] = {}
    with db.session() as s:
        for code, scan_id in scan_ids.items():
            pages = s.scalars(select(Page.url).where(Page.scan_id == scan_id)).all()
            broken = s.scalars(
                select(LinkCheck.target).where(
                    LinkCheck.scan_id == scan_id,
                    LinkCheck.verdict == LinkVerdict.BROKEN,
                    LinkCheck.confirmed_at.is_not(None),
                )
            ).all()
            out[code] = (frozenset(pages), frozenset(broken))
    return out


def test_two_processes_find_what_one_finds_and_keep_a_host_together(
    farm: FarmThread, tmp_path: Path
) -> None:
    one_db = registered_db(farm, tmp_path / "one")
    two_db = registered_db(farm, tmp_path / "two")
    # 东湖's portal owns the 政务公开 host too: the two sites share a host, so one process.
    for db in (one_db, two_db):
        with db.session() as s:
            site = s.scalars(select(Site).where(Site.code == DONGHU_WWW)).one()
            site.own_hosts = ["zwgk.donghu.example.gov.cn"]
    one_settings = fast_settings(farm, one_db.url, crawl_max_depth=1)
    two_settings = fast_settings(farm, two_db.url, crawl_max_depth=1)
    one_ids, _ = scan(one_db, one_settings)
    two = scan_in_processes(two_db, two_settings, load_sites(two_db), processes=2)

    assert set(two.scan_ids) == set(one_ids)
    facts = _facts(two_db, two.scan_ids)
    assert facts == _facts(one_db, one_ids)
    assert any(broken for _, broken in facts.values())  # the farm's broken links were found
    assert len(set(two.pids.values())) == 2  # both processes worked
    assert two.pids[DONGHU_WWW] == two.pids[DONGHU_ZWGK]
    one_db.dispose()
    two_db.dispose()


def _ref(i: int, url: str, own: tuple[str, ...] = ()) -> SiteRef:
    return SiteRef(i, f"99000000{i:02d}", f"站{i}", url, own)


def test_partition_keeps_hosts_together_and_balances_pages() -> None:
    sites = [
        _ref(1, "http://a.example.gov.cn/"),
        _ref(2, "http://a.example.gov.cn/sub/"),
        _ref(3, "http://b.example.gov.cn/", ("c.example.gov.cn",)),
        _ref(4, "http://c.example.gov.cn/"),
        _ref(5, "http://d.example.gov.cn/"),
        _ref(6, "http://e.example.gov.cn/"),
    ]
    weights = {1: 50, 2: 50, 3: 10, 4: 10, 5: 70, 6: 30}
    shares = partition_sites(sites, 2, weights)
    ids = sorted(sorted(s.id for s in share) for share in shares)
    # {1,2}=100 and {3,4}=20 must stay whole; 100+20 | 70+30 is the only 120/100 split.
    assert ids == [[1, 2, 3, 4], [5, 6]] or ids == [[1, 2], [3, 4, 5, 6]]
    loads = sorted(sum(weights[s.id] for s in share) for share in shares)
    assert loads == [100, 120]
    assert len(partition_sites(sites[:2], 4)) == 1  # one host: one process, whatever N


def test_a_foreign_host_gets_a_share_of_the_limits() -> None:
    limiter = HostLimiter(4, 10.0, foreign=lambda h: h != "mine.example.gov.cn", share=3)
    assert limiter.limits("mine.example.gov.cn") == (4, 10.0)
    assert limiter.limits("www.gov.cn") == (1, pytest.approx(10.0 / 3))
    assert HostLimiter(4, 10.0, foreign=lambda h: True, share=2).limits("x") == (2, 5.0)
    assert HostLimiter(4, 10.0).limits("www.gov.cn") == (4, 10.0)  # unsplit runs: no change
    with pytest.raises(ValueError):
        HostLimiter(2, 1.0, share=0)


def test_a_foreign_host_under_one_connection_a_process_is_counted_over_all(
    tmp_path: Path,
) -> None:
    """1 connection a host over 2 processes: each limiter alone would allow 1, 2 in all. Two
    limiters sharing the run's folder (as two processes do) hold 1 together; own hosts are not
    shared."""

    def limiter() -> HostLimiter:
        return HostLimiter(1, 20_000.0, foreign=lambda h: h != "mine", share=2, slots_dir=tmp_path)

    async def go() -> None:
        a, b = limiter(), limiter()
        entered: list[str] = []

        async def enter(lim: HostLimiter, host: str) -> None:
            async with lim.slot(host):
                entered.append(host)

        async with a.slot("www.gov.cn"):
            other = asyncio.create_task(enter(b, "www.gov.cn"))
            await enter(b, "mine")  # b's own host: not held up by a
            await asyncio.sleep(0.2)
            assert entered == ["mine"]  # www.gov.cn's one connection is a's
        await asyncio.wait_for(other, 10)
        assert entered == ["mine", "www.gov.cn"]

    asyncio.run(go())


SHARED = "www.shared.example.gov.cn"


class _Counter:
    """Sites whose homepages all link to one shared host; records its most connections at once."""

    def __init__(self) -> None:
        self.active: dict[str, int] = {}
        self.most: dict[str, int] = {}
        self.lock = threading.Lock()

    async def handle(self, request: web.BaseRequest) -> web.StreamResponse:
        host = (request.host or "").split(":")[0]
        with self.lock:
            self.active[host] = self.active.get(host, 0) + 1
            self.most[host] = max(self.most.get(host, 0), self.active[host])
        try:
            await asyncio.sleep(0.04)
            if host != SHARED and request.path == "/":
                site = host.split(".")[0]
                links = "".join(
                    f'<a href="http://{SHARED}/{site}/p{i}.html">链接{i}</a>' for i in range(12)
                )
                body = f"<html><head><title>{host}</title></head><body>{links}</body></html>"
            else:
                body = f"<html><head><title>{request.path}</title></head><body>页</body></html>"
            return web.Response(text=body, content_type="text/html")
        finally:
            with self.lock:
                self.active[host] -= 1


@pytest.fixture
def counter() -> Iterator[tuple[_Counter, int]]:
    counter = _Counter()
    loop = asyncio.new_event_loop()

    async def start() -> tuple[web.ServerRunner, int]:
        runner = web.ServerRunner(web.Server(counter.handle), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return runner, site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    runner, port = loop.run_until_complete(start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield counter, port
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


@pytest.mark.parametrize("connections", [2, 1])
def test_a_host_every_process_links_to_sees_no_more_than_the_limit(
    counter: tuple[_Counter, int], tmp_path: Path, connections: int
) -> None:
    """2 connections: 1 in each process. 1 connection: under one a process, so counted over
    both (it used to be 1 in each, 2 together)."""
    watcher, port = counter
    db = Database(f"sqlite:///{tmp_path / 'census.db'}")
    db.upgrade()
    hosts = [f"s{i}.example.gov.cn" for i in range(4)]
    add_sites(db, hosts)
    settings = load_settings(
        database_url=db.url,
        host_map=",".join(f"{h}=127.0.0.1:{port}" for h in [*hosts, SHARED]),
        per_host_connections=connections,
        per_host_rate=500.0,
        link_recheck_delay=0.1,
        page_timeout=6.0,
    )
    result = scan_in_processes(db, settings, load_sites(db), processes=2)
    assert len(set(result.pids.values())) == 2
    with db.session() as s:
        checked = s.scalars(select(LinkCheck.target).where(LinkCheck.external)).all()
    assert len([t for t in checked if SHARED in t]) == 48  # every shared link was checked
    assert 1 <= watcher.most[SHARED] <= connections
    db.dispose()


def test_a_process_that_dies_leaves_its_sites_resumable_and_the_others_finish(
    farm: FarmThread, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The share holding 青山 dies (os._exit, as a kill would) once a page is stored; the
    children are forked, so the patched Scanner.scan is theirs too."""
    import os

    from scanner.crawl import Scanner
    from scanner.db.models import Lease, Scan

    real_scan = Scanner.scan
    victim = "9101210001"

    async def dying(self: Scanner, sites: list[SiteRef], *, restart: bool = False) -> Any:
        if victim not in {s.code for s in sites}:
            return await real_scan(self, sites, restart=restart)
        job = asyncio.create_task(real_scan(self, sites, restart=restart))
        while not job.done() and not (victim in self.progress and self.progress[victim].pages >= 3):
            await asyncio.sleep(0.01)
        os._exit(7)

    db = registered_db(farm, tmp_path)
    settings = fast_settings(farm, db.url, crawl_max_depth=1)
    monkeypatch.setattr(Scanner, "scan", dying)
    first = scan_in_processes(db, settings, load_sites(db), processes=2)
    monkeypatch.setattr(Scanner, "scan", real_scan)

    assert "意外退出" in first.errors[victim]
    with db.session() as s:
        statuses = {
            code: s.get(Scan, scan_id).status  # type: ignore[union-attr]
            for code, scan_id in first.scan_ids.items()
        }
        leases = s.scalars(select(Lease.name)).all()
    assert statuses[victim] == "running"  # as a kill leaves it: resumable
    survivors = [c for c in first.scan_ids if c not in first.errors]
    assert survivors and all(statuses[c] in ("done", "homepage_failed") for c in survivors)
    assert "done" in {statuses[c] for c in survivors}
    assert not leases  # the dead process's lease was freed: no wait for its expiry

    again = scan_in_processes(db, settings, load_sites(db, [victim]), processes=2)
    assert again.scan_ids[victim] == first.scan_ids[victim]  # resumed, not started again
    assert victim not in again.errors
    with db.session() as s:
        resumed = s.get(Scan, again.scan_ids[victim])
        assert resumed is not None and resumed.status == "done" and resumed.resumes == 1
    db.dispose()


# How the command starts, whatever the test runner's own disposition of SIGINT is (a runner
# started in the background by a shell ignores it, and its children inherit that).
_FOREGROUND = "import signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
_BACKGROUND = "import signal; signal.signal(signal.SIGINT, signal.SIG_IGN); "


@pytest.mark.parametrize(
    ("start", "stop"),
    [
        pytest.param(_FOREGROUND, "SIGINT", id="ctrl-c"),
        # `census scan --all --processes 2 &` from a script: SIGINT ignored, SIGTERM must stop
        # it all the same (it used to be passed on as that ignored SIGINT, and was lost).
        pytest.param(_BACKGROUND, "SIGTERM", id="sigterm-in-background"),
    ],
)
def test_ctrl_c_interrupts_every_process_and_the_run_resumes(
    farm: FarmThread, tmp_path: Path, start: str, stop: str
) -> None:
    """The signal to the parent only (the children ignore SIGINT, as in a terminal they would
    get it too): every process records its scans as interrupted and frees their leases."""
    import signal
    import subprocess
    import sys
    import time

    from scanner.db.models import Lease, Scan

    db = registered_db(farm, tmp_path)
    env = {
        "PATH": "/usr/bin:/bin",
        "CENSUS_DATABASE_URL": db.url,
        "CENSUS_HOST_MAP": farm.host_map,
        "CENSUS_EXTRA_CA_FILE": farm.ca_pem,
        "CENSUS_PER_HOST_RATE": "15",  # slow enough to be stopped half-way
        "CENSUS_PAGE_TIMEOUT": "6",
        "CENSUS_RETRY_AFTER_CAP": "0.3",
        "CENSUS_LINK_RECHECK_DELAY": "0.2",
    }
    main = "from scanner.cli import main; main()"
    cmd = [sys.executable, "-c", start + main, "scan", "--all"]
    log = tmp_path / "scan.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*cmd, "--max-depth", "1", "--processes", "2"], env=env, stdout=out, stderr=out
        )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with db.session() as s:
                if (s.scalar(select(func.count()).select_from(Page)) or 0) >= 10:
                    break
            time.sleep(0.1)
        proc.send_signal(getattr(signal, stop))
        # Each process records its scans and ends at once (not after the 20 s grace).
        assert proc.wait(timeout=15) == 130, log.read_text(encoding="utf-8")
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "已中断" in log.read_text(encoding="utf-8")
    with db.session() as s:
        statuses = list(s.scalars(select(Scan.status)))
        leases = list(s.scalars(select(Lease.name)))
    assert "interrupted" in statuses and "running" not in statuses, statuses
    assert not leases

    env["CENSUS_PER_HOST_RATE"] = "500"
    again = subprocess.run(
        [*cmd, "--max-depth", "1", "--processes", "2"], env=env, capture_output=True, timeout=120
    )
    assert again.returncode == 0, again.stdout.decode() + again.stderr.decode()
    with db.session() as s:
        resumed = list(s.scalars(select(Scan).where(Scan.resumes >= 1)))
        left = list(
            s.scalars(select(Scan.status).where(Scan.status.in_(("running", "interrupted"))))
        )
    assert resumed and all(scan.status in ("done", "homepage_failed") for scan in resumed)
    assert not left
    db.dispose()

"""Class 5: two processes on one database, and processes that die. Leases keep one process per
unit of work; workers die with their parent; SIGTERM leaves a scan as resumable as Ctrl-C.

These run on SQLite and on the real PostgreSQL server; the signal tests need real processes.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil
import pytest
from aiohttp import web
from sqlalchemy import func, select, update

from scanner.db import Database
from scanner.db.models import Lease, Page, Scan, Scorecard, Site
from scanner.leases import acquire, release, renew
from tests.hostile.conftest import (
    CODE,
    Census,
    HostileSite,
    assert_clean,
    env_for,
    fresh_db,
    html_page,
    import_registry,
    registry_yaml,
)

PAGES = 12


def _wait_for(check: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _slow_site(site: HostileSite) -> None:
    """A homepage linking to PAGES pages that each take a moment: a scan lasts seconds."""

    async def slow(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(0.2)
        return web.Response(text=html_page("文章", "正文"), content_type="text/html")

    site.page(
        "/", html_page("首页", "".join(f'<a href="/p{i}.html">文章{i}</a>' for i in range(PAGES)))
    )
    for i in range(PAGES):
        site.routes[f"/p{i}.html"] = slow  # type: ignore[assignment]


def _spawn(
    args: list[str], env: dict[str, str], folder: Path, *, background: bool = False
) -> subprocess.Popen[str]:
    """The command as a terminal's foreground job starts it (SIGINT handled, whatever this
    runner's disposition is), or as a shell's background job (``&``, nohup: SIGINT ignored)."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("CENSUS_")}
    full |= env | {"CENSUS_CONFIG": str(folder / "none.toml"), "PYTHONWARNINGS": "ignore"}
    sigint = "signal.SIG_IGN" if background else "signal.default_int_handler"
    start = f"import signal; signal.signal(signal.SIGINT, {sigint}); "
    return subprocess.Popen(
        [sys.executable, "-c", start + "from scanner.cli import main; main()", *args],
        env=full,
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


@pytest.fixture
def prepared(
    site: HostileSite, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[Database, dict[str, str]]]:
    """The slow site registered in a database: SQLite, or PostgreSQL for tests that take
    ``any_db_url`` (subprocess tests are costly: the signal test runs on both)."""
    any_db_url = (
        request.getfixturevalue("any_db_url")
        if "any_db_url" in request.fixturenames
        else f"sqlite:///{tmp_path / 'census.db'}"
    )
    db = fresh_db(any_db_url)
    import_registry(db, tmp_path, registry_yaml(site.url()))
    _slow_site(site)
    yield db, env_for(site, any_db_url)
    db.dispose()


def _lease_taken(db: Database) -> bool:
    """A scan is under way: its lease held and its row written."""
    with db.session() as s:
        leased = s.scalar(select(func.count()).select_from(Lease)) == 1
        return leased and s.scalar(select(func.count()).where(Scan.status == "running")) == 1


def _no_duplicate_pages(db: Database) -> None:
    with db.session() as s:
        total = s.scalar(select(func.count()).select_from(Page))
        distinct = s.scalar(select(func.count(func.distinct(Page.url))))
        assert total == distinct == PAGES + 1


def _resumes_to_done(census: Census, db: Database, env: dict[str, str]) -> None:
    """Running the same scan again finishes it once, with no page stored twice."""
    resumed = census("scan", CODE, **env)
    assert_clean(resumed)
    assert resumed.code == 0, resumed.text
    with db.session() as s:
        scan = s.scalars(select(Scan)).one()
        assert scan.status == "done" and scan.resumes == 1
    _no_duplicate_pages(db)


def test_two_scans_at_once_one_scans_the_other_skips(
    prepared: tuple[Database, dict[str, str]], census: Census, tmp_path: Path
) -> None:
    db, env = prepared
    first = _spawn(["scan", "--all"], env, tmp_path)
    try:
        _wait_for(lambda: _lease_taken(db), "the first scan to take its lease")
        second = census("scan", "--all", **env)  # the operator's second terminal
        assert_clean(second)
        assert second.code == 0, second.text
        assert "另一进程" in second.out and CODE in second.out, second.out
        out, err = first.communicate(timeout=120)
    finally:
        first.kill()
    assert first.returncode == 0, out + err
    assert "Traceback" not in out + err
    with db.session() as s:
        scans = s.scalars(select(Scan)).all()
        assert [x.status for x in scans] == ["done"]  # one scan, not two half scans
        assert scans[0].resumes == 0  # nobody "resumed" the live scan
        assert s.scalar(select(func.count()).select_from(Lease)) == 0  # released
    _no_duplicate_pages(db)


def test_sigterm_leaves_the_scan_interrupted_and_resumable(
    any_db_url: str, prepared: tuple[Database, dict[str, str]], census: Census, tmp_path: Path
) -> None:
    _signal_leaves_scan_resumable(prepared, census, tmp_path, signal.SIGTERM)


def test_sigterm_stops_a_scan_started_in_the_background(
    prepared: tuple[Database, dict[str, str]], census: Census, tmp_path: Path
) -> None:
    """`census scan … &` from a script ignores SIGINT; SIGTERM was passed on as that ignored
    signal and lost, and only a kill stopped the scan (left 'running')."""
    _signal_leaves_scan_resumable(prepared, census, tmp_path, signal.SIGTERM, background=True)


def _signal_leaves_scan_resumable(
    prepared: tuple[Database, dict[str, str]],
    census: Census,
    tmp_path: Path,
    signum: signal.Signals,
    *,
    background: bool = False,
) -> None:
    db, env = prepared
    proc = _spawn(["scan", CODE], env, tmp_path, background=background)
    try:
        _wait_for(lambda: _lease_taken(db), "the scan to start")
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, out + err
    assert "Traceback" not in out + err
    assert "已中断" in out + err
    with db.session() as s:
        scan = s.scalars(select(Scan)).one()
        assert scan.status == "interrupted"  # not 'running', whichever signal it was
        assert s.scalar(select(func.count()).select_from(Lease)) == 0
    _resumes_to_done(census, db, env)


def test_a_killed_scan_holds_its_site_until_the_lease_expires(
    prepared: tuple[Database, dict[str, str]], census: Census, tmp_path: Path
) -> None:
    db, env = prepared
    proc = _spawn(["scan", CODE], env, tmp_path)
    try:
        _wait_for(lambda: _lease_taken(db), "the scan to start")
        os.killpg(proc.pid, signal.SIGKILL)  # power loss: nothing runs, nothing cleans up
        proc.communicate(timeout=30)
    finally:
        proc.kill()
    skipped = census("scan", CODE, **env)
    assert_clean(skipped)
    assert skipped.code == 0 and "另一进程" in skipped.out, skipped.text
    with db.session() as s:
        assert s.scalars(select(Scan)).one().status == "running"  # left alone
        s.execute(update(Lease).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    _resumes_to_done(census, db, env)


def test_a_site_leased_elsewhere_is_skipped_not_resumed(
    site: HostileSite, census: Census, any_db_url: str, tmp_path: Path
) -> None:
    db = fresh_db(any_db_url)
    import_registry(db, tmp_path, registry_yaml(site.url()))
    site.page("/", html_page("首页", "正文"))
    with db.session() as s:
        site_id = s.scalar(select(Site.id))
    assert acquire(db, f"scan:{site_id}", holder="other-host:99:beef") is None
    ran = census("scan", CODE, **env_for(site, any_db_url))
    assert_clean(ran)
    assert ran.code == 0 and "另一进程" in ran.out, ran.text
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Scan)) == 0  # nothing started
    assert site.hits == []
    db.dispose()


def test_leases_on_both_databases(any_db_url: str) -> None:
    db = fresh_db(any_db_url)
    try:
        assert acquire(db, "scan:1", holder="a") is None
        assert acquire(db, "scan:1", holder="b") == "a"  # taken
        assert acquire(db, "scan:1", holder="a") is None  # the holder may re-take it
        assert acquire(db, "scan:2", holder="b") is None  # another unit of work is free
        assert not renew(db, "scan:1", holder="b")
        assert renew(db, "scan:1", holder="a")
        release(db, "scan:1", holder="b")  # not b's to release
        assert acquire(db, "scan:1", holder="c") == "a"
        with db.session() as s:
            s.execute(
                update(Lease)
                .where(Lease.name == "scan:1")
                .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
            )
        assert acquire(db, "scan:1", holder="c") is None  # expired: taken over
        assert not renew(db, "scan:1", holder="a")  # a learns it lost the lease
        release(db, "scan:1", holder="c")
        assert acquire(db, "scan:1", holder="d") is None
    finally:
        db.dispose()


def test_a_second_scoring_run_refuses_while_one_holds_the_lease(
    site: HostileSite, census: Census, any_db_url: str, tmp_path: Path
) -> None:
    db = fresh_db(any_db_url)
    import_registry(db, tmp_path, registry_yaml(site.url()))
    assert acquire(db, "score", holder="other-host:4242:abcd") is None
    ran = census("score", "--all", "--at", "2026-11-30", CENSUS_DATABASE_URL=any_db_url)
    assert_clean(ran)
    assert ran.code == 2 and "评分" in ran.err and "another census process" in ran.err, ran.text
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Scorecard)) == 0
    release(db, "score", holder="other-host:4242:abcd")
    ran = census("score", "--all", "--at", "2026-11-30", CENSUS_DATABASE_URL=any_db_url)
    assert ran.code == 0, ran.text
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Scorecard)) == 1
        assert s.scalar(select(func.count()).select_from(Lease)) == 0
    db.dispose()


def _many_sites(n: int) -> str:
    head = registry_yaml("http://www0.example.gov.cn/", code="9900000000").split("sites:\n")[0]
    sites = "".join(
        f'  - {{code: "99{i:08d}", name: "示例网站{i}", url: "http://www{i}.example.gov.cn/",'
        f' host_org: "办公厅", type: portal, organisation: "990000"}}\n'
        for i in range(n)
    )
    return head + "sites:\n" + sites


def test_score_workers_die_with_their_killed_parent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'census.db'}"
    db = fresh_db(url)
    sites = 480  # two shares under one storage batch (500): a worker stores at its end
    import_registry(db, tmp_path, _many_sites(sites))
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Site)) == sites
    proc = _spawn(
        ["score", "--all", "--workers", "2", "--at", "2026-11-30"],
        {"CENSUS_DATABASE_URL": url},
        tmp_path,
    )
    parent = psutil.Process(proc.pid)
    workers: list[psutil.Process] = []
    try:
        _wait_for(lambda: len(parent.children()) >= 2 or proc.poll() is not None, "workers")
        workers = parent.children()
        parent.kill()  # kill -9 of the parent only: the workers are not signalled
        proc.communicate(timeout=30)
        _, alive = psutil.wait_procs(workers, timeout=30)
        assert alive == [], f"orphan workers left running: {alive}"
    finally:
        for w in workers:
            if w.is_running():
                w.kill()
    with db.session() as s:
        stored = s.scalar(select(func.count()).select_from(Scorecard))
    assert stored is not None and stored < sites  # no orphan kept scoring after its parent
    db.dispose()

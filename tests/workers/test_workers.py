"""The nightly pass on real Celery workers (Redis broker, PostgreSQL facts) against the demo
farm: the same facts and scorecards as the in-process pass, even when a worker is killed with
SIGKILL in the middle of a site; one monitor per database; the queue visible in status."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from farm import FarmThread, midday_clock
from farm.builtin import scenario
from scanner.cli.app import app
from scanner.db import Database
from scanner.db.models import (
    ColumnSnapshot,
    HomepageSnapshot,
    Lease,
    NightlyRunSite,
    Page,
    Scan,
    Scorecard,
    Site,
)
from scanner.monitor.nightly import NightlyPass, get_run, shifted_clock
from scanner.scorecards.facts import running_site_ids
from scanner.settings import Settings
from tests.schedule.conftest import night_settings, registered_db
from tests.workers.processes import CENSUS, start_worker

NIGHT = date(2026, 3, 1)
VISIBILITY = 8.0  # seconds before a dead worker's unit is handed on (production: 2 hours)


@pytest.fixture(scope="module")
def farm() -> Iterator[FarmThread]:
    with FarmThread(scenario("demo"), now=midday_clock()) as f:
        yield f


def _env(settings: Settings, folder: Path, **extra: str) -> dict[str, str]:
    """The environment of an operator's process: the test's small settings as CENSUS_*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CENSUS_")}
    for name, value in settings.model_dump().items():
        if value != Settings.model_fields[name].default:
            env[f"CENSUS_{name.upper()}"] = str(value)
    env["CENSUS_CONFIG"] = str(folder / "no-such-census.toml")
    return env | extra


def _without_crawl_clock(body: dict[str, Any]) -> dict[str, Any]:
    """The card less the moment its crawl started (the one thing two runs of the same night
    cannot share): the ``link_scan`` evidence's ``started_at`` and the note that quotes it."""
    body = json.loads(json.dumps(body))
    for rule in body.get("rules", {}).values():
        for item in rule.get("evidence", []):
            if item.get("kind") == "link_scan":
                item.pop("started_at", None)
                item["note"] = re.sub(r"链接扫描（[^）]*）", "链接扫描", item.get("note", ""))
    return body


def _facts(db: Database) -> dict[str, Any]:
    """What a night leaves, keyed by 网站标识码 (ids differ between databases)."""
    with db.session() as s:
        code = dict(s.execute(select(Site.id, Site.code)).all())
        pages: dict[str, list[str]] = {}
        for site_id, url in s.execute(
            select(Scan.site_id, Page.url).join(Scan, Scan.id == Page.scan_id)
        ):
            pages.setdefault(code[site_id], []).append(url)
        steps = {(code[r.site_id], r.step): r.status for r in s.scalars(select(NightlyRunSite))}
        cards = {
            code[c.site_id]: (
                c.qualified,
                c.provisional,
                c.total_deduction,
                _without_crawl_clock(c.body),
            )
            for c in s.scalars(select(Scorecard).where(Scorecard.at == NIGHT))
        }
        scans = dict(s.execute(select(Scan.site_id, func.count()).group_by(Scan.site_id)).all())
        homes = dict(
            s.execute(
                select(HomepageSnapshot.site_id, func.count()).group_by(HomepageSnapshot.site_id)
            ).all()
        )
        columns = list(
            s.execute(
                select(ColumnSnapshot.column_id, func.count()).group_by(ColumnSnapshot.column_id)
            ).all()
        )
    return {
        "pages": {k: sorted(v) for k, v in pages.items()},
        "steps": steps,
        "cards": cards,
        "scans per site": sorted(scans.values()),
        "homepages per site": sorted(homes.values()),
        "snapshots per column": sorted(n for _, n in columns),
    }


def _most_sites_in_one_process(db: Database) -> int:
    """The most site units one process holds right now (their leases name the process)."""
    with db.session() as s:
        holders = list(s.scalars(select(Lease.holder).where(Lease.name.like("nightly-site:%"))))
    per_pid: dict[str, int] = {}
    for holder in holders:
        pid = holder.split(":")[1]
        per_pid[pid] = per_pid.get(pid, 0) + 1
    return max(per_pid.values(), default=0)


def _kill_a_worker_mid_site(db: Database, workers: list[subprocess.Popen[bytes]]) -> int:
    """SIGKILL the worker (its whole process group) that holds a site with a step running;
    the most site units one process held at once until then. Asserts the site was really
    unfinished when killed."""
    deadline = time.monotonic() + 240
    most = 0
    while time.monotonic() < deadline:
        most = max(most, _most_sites_in_one_process(db))
        with db.session() as s:
            for name, holder in s.execute(
                select(Lease.name, Lease.holder).where(Lease.name.like("nightly-site:%"))
            ):
                site_id = int(name.rsplit(":", 1)[1])
                pid = int(holder.split(":")[1])
                group = os.getpgid(pid)
                if group not in {w.pid for w in workers}:
                    continue
                os.killpg(group, signal.SIGKILL)
                victim = next(w for w in workers if w.pid == group)
                victim.wait(timeout=60)
                unfinished = s.scalar(
                    select(func.count()).where(
                        NightlyRunSite.site_id == site_id,
                        NightlyRunSite.status.in_(("ok", "failed", "timeout")),
                    )
                )
                assert (unfinished or 0) < 3, "the site had finished before the kill"
                return most
        time.sleep(0.05)
    raise AssertionError("no worker took a site")


def _run_id(db: Database) -> int:
    from scanner.db.models import NightlyRun

    with db.session() as s:
        run_id = s.scalar(select(NightlyRun.id).where(NightlyRun.night == NIGHT))
    assert run_id is not None
    return run_id


def test_two_workers_one_killed_mid_site_give_the_in_process_night(
    farm: FarmThread, tmp_path: Path, postgres_url: str, redis_url: str
) -> None:
    # Slow enough per host that a site is still at work when its worker is killed.
    small = {"per_host_rate": 40.0, "crawl_max_pages": 1000}
    # The in-process night: the reference.
    (tmp_path / "a").mkdir()
    alone = registered_db(farm, tmp_path / "a", postgres_url)
    settings = night_settings(farm, alone.url, **small)
    pass_ = NightlyPass(alone, settings, NIGHT, clock=shifted_clock(NIGHT, settings))
    assert asyncio.run(pass_.run()).status == "done"
    expected = _facts(alone)
    alone.dispose()

    # The same night on two workers, one killed with SIGKILL in the middle of a site.
    (tmp_path / "b").mkdir()
    url_b = postgres_url.rsplit("/", 1)[0] + "/" + postgres_url.rsplit("/", 1)[1] + "_b"
    import psycopg

    with psycopg.connect(
        postgres_url.replace("postgresql+psycopg", "postgresql"), autocommit=True
    ) as conn:
        conn.execute(f'CREATE DATABASE "{url_b.rsplit("/", 1)[1]}"')
    db = registered_db(farm, tmp_path / "b", url_b)
    env = _env(
        night_settings(farm, db.url, **small),
        tmp_path,
        CENSUS_BROKER_URL=redis_url,
        CENSUS_BROKER_VISIBILITY_TIMEOUT=str(VISIBILITY),
    )
    workers = [
        start_worker(
            env,
            tmp_path / f"worker{i}.log",
            "--concurrency",
            "1",
            "--loglevel",
            "INFO",
            own_group=True,
        )
        for i in range(2)
    ]
    try:
        queued = subprocess.run(
            [*CENSUS, "monitor", "run-nightly", "--at", NIGHT.isoformat(), "--no-wait", "--json"],
            env=env,
            capture_output=True,
            timeout=300,
            check=True,
        )
        report = json.loads(queued.stdout)
        assert report["units_enqueued"] == len(expected["cards"])
        most = _kill_a_worker_mid_site(db, workers)
        deadline = time.monotonic() + 400
        run_id = _run_id(db)
        while get_run(db, run_id).status == "running":
            assert time.monotonic() < deadline, (tmp_path / "worker0.log").read_text()[-3000:]
            most = max(most, _most_sites_in_one_process(db))
            time.sleep(0.1)
        assert get_run(db, run_id).status == "done"
        got = _facts(db)
    finally:
        for w in workers:
            if w.poll() is None:
                w.terminate()  # warm shutdown: the unit at hand finishes first
                w.wait(timeout=120)
        db.dispose()
    # No duplicate fact, no lost page: the same facts as the in-process night.
    for key in expected:
        assert got[key] == expected[key], (key, got["scans per site"], expected["scans per site"])
    # A worker process held several sites at once (the leases of its units, by process).
    assert most >= 2, most


def test_one_monitor_per_database_and_the_queue_in_status(
    farm: FarmThread, tmp_path: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = registered_db(farm, tmp_path)
    settings = night_settings(farm, db.url)
    env = _env(settings, tmp_path)
    for name, value in env.items():
        if name.startswith("CENSUS_"):
            monkeypatch.setenv(name, value)
    runner = CliRunner()

    # A monitor runs: a second one on the same database is refused, the first goes on.
    first = subprocess.Popen(
        [*CENSUS, "monitor", "--no-nightly"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            with db.session() as s:
                holder = s.scalar(select(Lease.holder).where(Lease.name == "monitor"))
            if holder is not None:
                break
            assert first.poll() is None and time.monotonic() < deadline
            time.sleep(0.2)
        assert holder.split(":")[1] == str(first.pid)
        second = runner.invoke(app, ["monitor", "--no-nightly"])
        assert second.exit_code == 2, second.output
        assert "监测" in second.output and "另一进程" in second.output
        assert first.poll() is None
    finally:
        first.terminate()
        first.wait(timeout=120)

    # With a broker and no worker yet, the night's units wait in the queue, visible in status;
    # a second start of the same night is refused while it is under way.
    monkeypatch.setenv("CENSUS_BROKER_URL", redis_url)
    night = ["monitor", "run-nightly", "--at", NIGHT.isoformat(), "--no-wait", "--json"]
    queued = runner.invoke(app, night)
    assert queued.exit_code == 0, queued.output
    report = json.loads(queued.output)
    with db.session() as s:
        sites = len(running_site_ids(s))
    assert report["units_enqueued"] == sites and report["status"] == "running"
    status = runner.invoke(app, ["monitor", "status", "--json"])
    assert status.exit_code == 0, status.output
    queue = json.loads(status.output)["queue"]
    assert queue["reachable"] and queue["queued"] == sites + 1  # the sites and the re-check
    again = runner.invoke(app, night)
    assert again.exit_code == 2 and "正在进行中" in again.output

    # A broker outage is visible in status (and loses nothing already queued).
    monkeypatch.setenv("CENSUS_BROKER_URL", "redis://127.0.0.1:1/0")
    down = runner.invoke(app, ["monitor", "status"])
    assert down.exit_code == 0 and "代理不可达" in down.output
    db.dispose()

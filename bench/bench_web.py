"""Benchmark: the web app's 总览, 网站列表 and 网站评分表 pages over a national-size database.

Run: /work/venv-web/bin/python bench/bench_web.py [--sites 40000] [--points 12] [--db FILE]

Not a test. Builds (not timed) a SQLite database: ``bench_scoring.fill``'s realistic week of
facts for every site, spread over a hierarchy (1 province → 10 cities → 100 counties), scored
and stored at T by the real engine (``score_in_processes``); then a year of earlier monthly
monitoring points, copies of T's cards with the evidence lists removed from their bodies (so
the file stays a few GB: the pages read only T's bodies whole). Then it times requests
in-process (httpx's ASGI transport, one at a time, a logged-in session) for a province user
(every site) and a county user, and prints p50/p95 per page; the overview's first request
after start (its card digests not yet cached) is printed on its own.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_scoring import AT, fill
from scanner.db import Database
from scanner.db.models import Role
from scanner.scorecards.compute import score_in_processes
from scanner.scorecards.facts import running_site_ids
from scanner.settings import load_settings
from scanner.web import create_app
from scanner.web.accounts import add_user
from scanner.web.queries import AGGREGATES, DIGESTS, warm
from scoring import default_ruleset_path, load_ruleset

CITIES, COUNTIES_PER_CITY = 10, 10
PASSWORD = "bench-password-1"


def hierarchy(path: Path) -> None:
    """Cities and counties under bench_scoring's one province; sites spread over them."""
    con = sqlite3.connect(path)
    orgs = []
    for c in range(CITIES):
        city = 2 + c * (COUNTIES_PER_CITY + 1)
        orgs.append((city, f"99{c + 1:02d}00", f"基准市{c + 1}", "city", 1))
        for k in range(COUNTIES_PER_CITY):
            orgs.append((city + 1 + k, f"99{c + 1:02d}{k + 1:02d}", f"基准县{c + 1}-{k + 1}",
                         "county", city))  # fmt: skip
    con.executemany(
        "INSERT INTO organisations (id, code, name, level, parent_id) VALUES (?,?,?,?,?)", orgs
    )
    ids = [o[0] for o in orgs]
    rows = [(ids[(sid * 7919) % len(ids)] if sid % 20 else 1, sid)
            for (sid,) in con.execute("SELECT id FROM sites")]  # fmt: skip
    con.executemany("UPDATE sites SET organisation_id = ? WHERE id = ?", rows)
    con.commit()
    con.close()


def history(path: Path, ruleset_ids: list[str], points: int) -> int:
    """Earlier monthly points: T's cards copied, their bodies without evidence lists."""
    con = sqlite3.connect(path, timeout=60)
    strip = ", ".join(f"'$.rules.\"{rule}\".evidence'" for rule in ruleset_ids)
    made = 0
    for back in range(1, points):
        year, month = AT.year, AT.month - back
        while month < 1:
            year, month = year - 1, month + 12
        day = date(year, month, 28)
        cur = con.execute(
            "INSERT INTO scorecards (site_id, at, ruleset, ruleset_version, qualified, provisional,"
            " total_deduction, body, computed_at) SELECT site_id, ?, ruleset, ruleset_version,"
            " CASE WHEN (site_id + ?) % 9 = 0 THEN 1 - qualified ELSE qualified END, provisional,"
            f" total_deduction, json_remove(body, {strip}), computed_at"
            " FROM scorecards WHERE at = ?",
            (day.isoformat(), back, AT.isoformat()),
        )
        made += cur.rowcount
    con.commit()
    con.execute("ANALYZE")
    con.close()
    return made


def build(path: Path, sites: int, points: int) -> None:
    db = Database(f"sqlite:///{path}")
    db.upgrade()
    started = time.perf_counter()
    print(f"facts: {fill(path, sites)} in {time.perf_counter() - started:.0f} s", flush=True)
    hierarchy(path)
    ruleset = load_ruleset(default_ruleset_path())
    with db.session() as session:
        ids = running_site_ids(session)
    db.dispose()
    started = time.perf_counter()
    score_in_processes(db.url, ids, ruleset.path, AT, workers=2, computed_at=datetime.now(UTC))
    print(f"scored and stored {len(ids)} cards at {AT} in {time.perf_counter() - started:.0f} s")
    db.dispose()
    started = time.perf_counter()
    n = history(path, [r.id for r in ruleset.rules], points)
    took = time.perf_counter() - started
    print(f"{n} earlier cards ({points - 1} monthly points) in {took:.0f} s")
    with db.session() as session:
        add_user(session, "province", PASSWORD, "990000", Role.ADMIN, datetime.now(UTC))
        add_user(session, "county", PASSWORD, "990101", Role.VIEWER, datetime.now(UTC))
    db.dispose()


async def login(client: httpx.AsyncClient, username: str) -> None:
    form = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token
    done = await client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)}
    )
    assert done.status_code == 303, done.text


async def timed(client: httpx.AsyncClient, paths: list[str]) -> list[float]:
    out = []
    for path in paths:
        started = time.perf_counter()
        answer = await client.get(path)
        out.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, (path, answer.status_code)
    return out


def line(label: str, ms: list[float]) -> str:
    ms = sorted(ms)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    return f"  {label:<34} n={len(ms):>3}  p50 {statistics.median(ms):7.1f} ms  p95 {p95:7.1f} ms"


async def measure(url: str, repeats: int) -> None:
    app = create_app(url, settings=load_settings(database_url=url))
    transport = httpx.ASGITransport(app=app)
    db = app.state.census.db
    with db.engine.connect() as conn:
        codes = [c for (c,) in conn.exec_driver_sql("SELECT code FROM sites")]
        county = [c for (c,) in conn.exec_driver_sql(
            "SELECT s.code FROM sites s JOIN organisations o ON s.organisation_id = o.id"
            " WHERE o.code = '990101'")]  # fmt: skip
    rnd = random.Random(3)
    at = AT.isoformat()
    for user, sites in (("province", codes), ("county", county)):
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            await login(client, user)
            print(f"{user} user ({len(sites)} sites):")
            first = await timed(client, [f"/?at={at}"])
            print(f"  总览, first request, nothing cached {first[0]:9.1f} ms")
            if user == "province":  # as census serve does after a scoring run, in background
                DIGESTS._items.clear()
                AGGREGATES._items.clear()
                started = time.perf_counter()
                with db.session() as session:
                    n = warm(session, "census-2015")
                took = (time.perf_counter() - started) * 1000
                print(f"  background warm-up of {n} card digests {took:9.1f} ms")
                first = await timed(client, [f"/?at={at}"])
                print(f"  总览, first request after warm-up   {first[0]:9.1f} ms")
            print(line("总览 /", await timed(client, [f"/?at={at}"] * repeats)))
            print(line("网站列表 /sites (page 1)", await timed(client, ["/sites"] * repeats)))
            pages = [f"/sites?page={rnd.randint(1, max(1, len(sites) // 50))}"
                     for _ in range(repeats)]  # fmt: skip
            print(line("网站列表 random page", await timed(client, pages)))
            print(line("网站列表 不合格 filter", await timed(
                client, ["/sites?verdict=unqualified"] * repeats)))  # fmt: skip
            print(line("网站列表 veto filter", await timed(
                client, ["/sites?veto=veto.unreachable"] * repeats)))  # fmt: skip
            cards = [f"/sites/{rnd.choice(sites)}?at={at}" for _ in range(repeats)]
            print(line("网站评分表 /sites/{code}", await timed(client, cards)))
            api = [f"/api/sites/{rnd.choice(sites)}/scorecard?at={at}" for _ in range(repeats)]
            print(line("API scorecard JSON", await timed(client, api)))
    db.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sites", type=int, default=40_000)
    ap.add_argument("--points", type=int, default=12, help="monthly monitoring points stored")
    ap.add_argument("--db", type=Path, help="reuse or create this SQLite file")
    ap.add_argument("--repeats", type=int, default=30)
    args = ap.parse_args()
    path = args.db or Path(tempfile.mkdtemp(prefix="bench-web-")) / "census.db"
    if not path.exists():
        build(path, args.sites, args.points)
    print(f"database {path}: {path.stat().st_size / 1e9:.2f} GB")
    asyncio.run(measure(f"sqlite:///{path}", args.repeats))


if __name__ == "__main__":
    main()

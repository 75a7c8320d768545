"""Benchmark: read 40,000 sites' facts from SQLite and score them all (issue 7 part 8: < 60 s).

Run: /work/venv/bin/python bench/bench_scoring.py [--sites 40000] [--db FILE] [--store]

Not a test. Fills a fresh SQLite database (bulk inserts through the DB-API, not timed) with a
realistic week per site: 168 hourly probes (some failing, some invalid), 12 columns with their
latest snapshot and dated entries, dated homepage entries, a finished crawl with broken links
and their pages, findings, and interaction/service facts (column checks, messages, activities,
guides, attachments). Then times ``scanner.scorecards.score_sites`` — bulk reads per table and
chunk, ``scoring.score`` per site — and prints the time, sites/s, verdict counts and peak RSS.
``--store`` also stores every scorecard (``census score --all``) and times that separately.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scanner.db import Database
from scanner.scorecards import score_sites
from scanner.scorecards.compute import score_and_store_summaries, score_in_processes
from scanner.scorecards.facts import running_site_ids
from scoring import default_ruleset_path, load_ruleset

AT = date(2026, 6, 30)
CST = timedelta(hours=8)
COLUMNS = (
    ("工作动态", "news", 1),
    ("部门动态", "news", 2),
    ("通知公告", "notice", 10),
    ("政策文件", "policy", 20),
    ("人事信息", "personnel", 60),
    ("规划计划", "planning", 90),
    ("机构职能", "other_info", 120),
    ("领导信箱", "consult", 5),
    ("意见征集", "survey", 40),
    ("在线访谈", "interview", 60),
    ("办事指南", "guide", 0),
    ("网上办事", "online_system", 0),
)
ELEMENTS = ["事项名称", "设定依据", "申请条件", "办理材料"]
ELEMENTS += ["办理地点", "办理时间", "联系电话", "办理流程"]


def ts(value: datetime) -> str:
    """How SQLAlchemy stores a DateTime on SQLite (naive UTC text)."""
    return value.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def fill(path: Path, sites: int, seed: int = 7) -> dict[str, int]:
    """Synthetic facts for ``sites`` sites, written with executemany in one transaction."""
    rnd = random.Random(seed)
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    now = ts(datetime(2026, 6, 30, 12, tzinfo=UTC))
    con.execute(
        "INSERT INTO organisations (id, code, name, level)"
        " VALUES (1, '990000', '基准省', 'province')"
    )
    week0 = datetime(2026, 6, 24, tzinfo=UTC) - CST  # T-6 00:00 Beijing time
    counts: Counter[str] = Counter()
    Rows = list[tuple[Any, ...]]
    site_rows: Rows = []
    probe_rows: Rows = []
    col_rows: Rows = []
    snap_rows: Rows = []
    item_rows: Rows = []
    scan_rows: Rows = []
    link_rows: Rows = []
    occ_rows: Rows = []
    finding_rows: Rows = []
    check_rows: Rows = []
    msg_rows: Rows = []
    act_rows: Rows = []
    guide_rows: Rows = []
    att_rows: Rows = []
    home_rows: Rows = []
    col_id = item_id = link_id = guide_id = 0
    for sid in range(1, sites + 1):
        host = f"www.s{sid}.bench.gov.cn"
        kind = rnd.random()  # the mix of verdict paths
        site_rows.append(
            (
                sid,
                f"99{sid:08d}",
                f"基准网站{sid}",
                f"http://{host}/",
                "portal",
                1,
                "running",
                now,
                now,
            )
        )
        down = 0.10 if kind < 0.05 else (0.02 if kind < 0.3 else 0.0)
        for h in range(168):
            started = ts(week0 + timedelta(hours=h, minutes=sid % 60))
            ok = rnd.random() >= down
            valid = rnd.random() > 0.005
            probe_rows.append(
                (sid, started, ok, None if ok else "timeout", valid, 15000.0 if not ok else 350.0,
                 200 if ok else None)
            )  # fmt: skip
        stale = 40 if kind > 0.95 else 0  # 5 % of sites let their columns go stale
        for d in range(15):  # the homepage read once a day over the 2-week window
            taken = ts(datetime(2026, 6, 16 + d, 2, tzinfo=UTC) - CST)
            home_rows.append((sid, taken, True, "", 14, False, 0, 0))
        for k in range(14):  # homepage entries, some older than two weeks
            item_id += 1
            day = AT - timedelta(days=stale + k * 2)
            item_rows.append(
                (item_id, sid, None, True, f"http://{host}/home/{k}.html", f"首页信息{k}",
                 day.isoformat(), now, now)
            )  # fmt: skip
        col_ids: dict[str, int] = {}
        for c, (name, category, every) in enumerate(COLUMNS):
            col_id += 1
            col_ids[category] = col_id
            url = f"http://{host}/{category}{c}/"
            col_rows.append((col_id, sid, name, url, category, False, False, "config"))
            newest = AT - timedelta(days=stale + every) if every else None
            snap_rows.append(
                (col_id, now, True, False, "", 3, newest.isoformat() if newest else None,
                 f"{name}最新", f"{url}0.html")
            )  # fmt: skip
            if every:
                for k in range(3):
                    item_id += 1
                    day = AT - timedelta(days=stale + every * (k + 1))
                    item_rows.append(
                        (item_id, sid, col_id, False, f"{url}{k}.html", f"{name}{k}",
                         day.isoformat(), now, now)
                    )  # fmt: skip
        scan_rows.append((sid, sid, now, now, "done", "{}"))
        for k in range(rnd.choice((0, 1, 3, 8))):
            link_id += 1
            link_rows.append(
                (link_id, sid, f"http://{host}/dead/{k}.html", "broken", 404, "", k == 0, now,
                 now if k % 4 else None, False, "not_found", False, 2)
            )  # fmt: skip
            for p in range(2):
                occ_rows.append((link_id, f"http://{host}/p{p}.html", "a", f"链接{k}"))
        if kind < 0.01:
            finding_rows.append(
                (sid, "serious_error", "confirmed" if kind < 0.005 else "candidate",
                 f"http://{host}/a.html", "错误摘录", "{}", now)
            )  # fmt: skip
        for category in ("consult", "survey", "interview", "guide", "online_system"):
            check_rows.append((col_ids[category], now, kind > 0.02, "", None, 3, "{}"))
        for k in range(5):
            asked = AT - timedelta(days=20 + 40 * k)
            late = kind < 0.02 and k == 4
            answered = None if late else asked + timedelta(days=5)
            msg_rows.append(
                (col_ids["consult"], f"http://{host}/consult/{k}.html", f"咨询{k}",
                 asked.isoformat(), answered.isoformat() if answered else None,
                 "open" if late else "answered", now, True)
            )  # fmt: skip
        for category, n in (("survey", 6), ("interview", 2)):
            for k in range(n):
                held = AT - timedelta(days=30 + 50 * k)
                act_rows.append(
                    (col_ids[category], f"http://{host}/{category}/{k}.html", f"活动{k}",
                     held.isoformat(), now, now)
                )  # fmt: skip
        for k in range(2):
            guide_id += 1
            present = ELEMENTS if kind > 0.1 else ELEMENTS[:6]
            guide_rows.append(
                (guide_id, col_ids["guide"], f"http://{host}/guide/{k}.html", f"事项{k}", True,
                 json.dumps(present, ensure_ascii=False), "{}", now)
            )  # fmt: skip
            att_rows.append((guide_id, "申请表", f"http://{host}/f{k}.doc", True, kind > 0.1, now))
    con.executemany(
        "INSERT INTO sites (id, code, name, url, type, organisation_id, status, created_at,"
        " updated_at, host_org, icp, police, own_hosts) VALUES (?,?,?,?,?,?,?,?,?,'','','','[]')",
        site_rows,
    )
    con.executemany(
        "INSERT INTO probe_results (site_id, started_at, ok, failure, valid, total_ms,"
        " status_code, detail) VALUES (?,?,?,?,?,?,?,'')",
        probe_rows,
    )
    con.executemany(
        "INSERT INTO homepage_snapshots (site_id, taken_at, readable, error, dated_items,"
        " navigation_only, second_level_pages, second_level_items) VALUES (?,?,?,?,?,?,?,?)",
        home_rows,
    )
    con.executemany(
        "INSERT INTO columns (id, site_id, name, url, category, exempt, static, source)"
        " VALUES (?,?,?,?,?,?,?,?)",
        col_rows,
    )
    con.executemany(
        "INSERT INTO column_snapshots (column_id, taken_at, readable, blank, exempt_note,"
        " item_count, newest_date, newest_title, newest_url, error) VALUES (?,?,?,?,?,?,?,?,?,'')",
        snap_rows,
    )
    con.executemany(
        "INSERT INTO column_items (id, site_id, column_id, on_homepage, url, title, published_on,"
        " first_seen_at, last_seen_at) VALUES (?,?,?,?,?,?,?,?,?)",
        item_rows,
    )
    con.executemany(
        "INSERT INTO scans (id, site_id, started_at, finished_at, status, stats, error, resumes)"
        " VALUES (?,?,?,?,?,?,'',0)",
        scan_rows,
    )
    con.executemany(
        "INSERT INTO link_checks (id, scan_id, target, verdict, status_code, failure, on_homepage,"
        " checked_at, confirmed_at, on_second_level, kind, external, occurrences)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        link_rows,
    )
    con.executemany(
        "INSERT INTO link_occurrences (link_id, page_url, tag, text) VALUES (?,?,?,?)", occ_rows
    )
    con.executemany(
        "INSERT INTO findings (site_id, kind, status, page_url, excerpt, detail, found_at, source,"
        " reviewer, comment) VALUES (?,?,?,?,?,?,?,'scanner','','')",
        finding_rows,
    )
    con.executemany(
        "INSERT INTO column_checks (column_id, checked_at, opens, failure, status_code,"
        " item_count, detail) VALUES (?,?,?,?,?,?,?)",
        check_rows,
    )
    con.executemany(
        "INSERT INTO messages (column_id, url, title, asked_on, answered_on, state, seen_at,"
        " valid, status_text) VALUES (?,?,?,?,?,?,?,?,'')",
        msg_rows,
    )
    con.executemany(
        "INSERT INTO activities (column_id, url, title, held_on, first_seen_at, last_seen_at)"
        " VALUES (?,?,?,?,?,?)",
        act_rows,
    )
    con.executemany(
        "INSERT INTO guides (id, column_id, url, title, readable, present, labels, checked_at)"
        " VALUES (?,?,?,?,?,?,?,?)",
        guide_rows,
    )
    con.executemany(
        "INSERT INTO attachments (guide_id, name, url, offered, downloads_ok, checked_at, failure)"
        " VALUES (?,?,?,?,?,?,'')",
        att_rows,
    )
    con.commit()
    con.execute("ANALYZE")
    con.close()
    for name, rows in (
        ("sites", site_rows), ("probes", probe_rows), ("columns", col_rows),
        ("snapshots", snap_rows), ("items", item_rows), ("broken links", link_rows),
        ("homepage reads", home_rows),
        ("messages", msg_rows), ("guides", guide_rows),
    ):  # fmt: skip
        counts[name] = len(rows)
    return dict(counts)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sites", type=int, default=40_000)
    ap.add_argument("--db", type=Path, help="reuse or create this SQLite file")
    ap.add_argument("--store", action="store_true", help="also store every scorecard")
    ap.add_argument("--workers", type=int, default=1, help="scoring processes (default 1)")
    args = ap.parse_args()
    path = args.db or Path(tempfile.mkdtemp(prefix="bench-scoring-")) / "census.db"
    db = Database(f"sqlite:///{path}")
    if not path.exists():
        db.upgrade()
        started = time.perf_counter()
        counts = fill(path, args.sites)
        print(f"filled {path} in {time.perf_counter() - started:.1f} s: {counts}")
    ruleset = load_ruleset(default_ruleset_path())

    started, cpu = time.perf_counter(), time.process_time()
    verdicts: Counter[str] = Counter()
    with db.session() as session:
        ids = running_site_ids(session)
        if args.workers > 1:  # the workers' CPU is not in this process's CPU time
            for m in score_in_processes(db.url, ids, ruleset.path, AT, workers=args.workers):
                verdicts[m.verdict] += 1
                verdicts["vetoed"] += bool(m.vetoes)
                verdicts["provisional"] += m.provisional
        else:
            for s in score_sites(session, ids, ruleset, AT):
                verdicts[s.card.verdict] += 1
                verdicts["vetoed"] += s.card.vetoed
                verdicts["provisional"] += s.card.provisional
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"read + scored {len(ids)} sites ({args.workers} process(es)) in {elapsed:.1f} s = "
        f"{len(ids) / elapsed:,.0f} sites/s "
        f"(target < 60 s; CPU {cpu:.1f} s); peak RSS {rss:.0f} MB; {dict(verdicts)}"
    )
    if args.store:
        started = time.perf_counter()
        if args.workers > 1:
            stored = score_in_processes(
                db.url, ids, ruleset.path, AT, workers=args.workers, computed_at=datetime.now(UTC)
            )
            n = len(stored)
        else:
            n = len(score_and_store_summaries(db, ids, ruleset, AT, datetime.now(UTC)))
        elapsed = time.perf_counter() - started
        print(f"read + scored + stored {n} scorecards in {elapsed:.1f} s")
    db.dispose()


if __name__ == "__main__":
    main()

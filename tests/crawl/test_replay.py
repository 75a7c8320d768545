"""Replaying an unchanged page writes what reading it would have written.

On the farm's link-rich site (2,004 pages, 7,491 targets), night 1 stores every page's memo;
then, on two copies of that database, night 2 runs once with the memos (pages answered 304 or
kept without a request, their stored links replayed — `SiteCrawl._replay`'s shortcut for
targets whose evidence is full) and once with conditional requests and page reuse off (every
page requested and parsed again). With one crawl worker the pages are visited in the same
order both nights, so even the evidence of targets that fill `link_max_occurrences` must be
the same rows: the read night is the ground truth, not the code under test.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from farm import FarmThread, generated_farm
from scanner.crawl.site import SiteCrawl
from scanner.crawl.store import Batch, ScanStore
from scanner.db import Database
from scanner.db.models import CrawlFrontier, LinkCheck, LinkOccurrence, LinkVerdict, Page, Scan
from tests.crawl.conftest import fast_settings, scan
from tests.sites import add_sites

DAY = 86400.0
HOST = "big0.gen.example.gov.cn"
CODE = "9900000001"  # the one site add_sites registers
# What a night's stats must agree on whether its pages were read or replayed.
_SAME_STATS = ("pages", "errors", "links", "skipped_hrefs", "trapped")
_PAGE_COLUMNS = ("depth", "status", "title", "content_hash", "final_url", "content_type",
                 "bytes", "soft404", "failure")  # fmt: skip


@pytest.fixture(scope="module")
def first_night(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[FarmThread, Path]]:
    """The farm, and a database holding night 1 (every readable page's memo stored)."""
    spec = generated_farm(1, 10, big_sites=1, huge_site=False)
    with FarmThread(spec) as farm:
        folder = tmp_path_factory.mktemp("replay")
        path = folder / "night1.db"
        db = Database(f"sqlite:///{path}")
        db.upgrade()
        add_sites(db, [HOST])
        _crawl(farm, db, link_max_occurrences=20)
        db.dispose()
        yield farm, path


def _crawl(farm: FarmThread, db: Database, **over: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "per_host_connections": 4,
        "per_host_rate": 10_000.0,
        "link_recheck_delay": 0.0,
    }
    settings = fast_settings(farm, db.url, **(values | over))
    ids, _ = scan(db, settings, [CODE])
    return _rows(db, ids[CODE])


def _rows(db: Database, scan_id: int) -> dict[str, Any]:
    """The night's rows as a reader sees them (no ids, no times)."""
    with db.session() as s:
        row = s.get(Scan, scan_id)
        assert row is not None and row.status == "done"
        checks = {
            r.target: (r.external, r.on_homepage, r.on_second_level, r.occurrences, r.verdict)
            for r in s.scalars(select(LinkCheck).where(LinkCheck.scan_id == scan_id))
        }
        evidence = Counter(
            s.execute(
                select(
                    LinkCheck.target,
                    LinkOccurrence.page_url,
                    LinkOccurrence.tag,
                    LinkOccurrence.text,
                )
                .join(LinkCheck, LinkCheck.id == LinkOccurrence.link_id)
                .where(LinkCheck.scan_id == scan_id)
            ).all()
        )
        pages = {
            p.url: tuple(getattr(p, c) for c in _PAGE_COLUMNS)
            for p in s.scalars(select(Page).where(Page.scan_id == scan_id))
        }
        reuse = Counter(s.scalars(select(Page.reuse).where(Page.scan_id == scan_id)))
        frontier = Counter(
            s.execute(
                select(CrawlFrontier.url, CrawlFrontier.depth).where(
                    CrawlFrontier.scan_id == scan_id
                )
            ).all()
        )
        stats = dict(row.stats)
    return {"checks": checks, "evidence": evidence, "pages": pages, "frontier": frontier,
            "stats": stats, "reuse": reuse}  # fmt: skip


def _copy(source: Path, target: Path) -> Database:
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return Database(f"sqlite:///{target}")


@pytest.mark.parametrize(("cap", "depth"), [(20, 20), (2, 3)])
def test_replayed_night_writes_what_a_read_night_writes(
    first_night: tuple[FarmThread, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    cap: int,
    depth: int,
) -> None:
    """``depth``: `crawl_max_depth` — a shallow crawl refuses pages that a list's later page
    then queues at its own level, so a target refused once must be offered again."""
    farm, night1 = first_night

    async def one_worker(self: SiteCrawl) -> None:
        await self._worker()
        await self._flush()

    monkeypatch.setattr(SiteCrawl, "crawl", one_worker)  # the same page order both nights
    quiet_links = [0]  # links counted by the replay's shortcut alone (`Batch.counted`)
    freeze = Batch.freeze

    def counting_freeze(batch: Batch) -> None:
        quiet_links[0] += sum(batch.counted.values())
        freeze(batch)

    monkeypatch.setattr(Batch, "freeze", counting_freeze)
    # The evidence of unchanged pages is held back until the links are judged, and only the
    # not-'ok' links' is stored: what was held back is compared too, stored or not.
    held: list[tuple[int, str, str, str]] = []
    save_evidence = ScanStore.save_evidence

    def holding(store: ScanStore, scan_id: int, rows: list[Any], *, every_link: bool) -> int:
        held.extend((st.id, page, tag, text) for st, page, tag, text in rows)
        return save_evidence(store, scan_id, rows, every_link=every_link)

    monkeypatch.setattr(ScanStore, "save_evidence", holding)

    replay_db = _copy(night1, tmp_path / "replay.db")
    replayed = _crawl(
        farm, replay_db, link_max_occurrences=cap, crawl_max_depth=depth, crawl_conditional=True,
        crawl_page_reuse=DAY, link_verdict_reuse=DAY,
    )  # fmt: skip
    replay_db_path = tmp_path / "replay.db"
    with sqlite3.connect(replay_db_path) as conn:
        target_of = dict(conn.execute("SELECT id, target FROM link_checks").fetchall())
    replay_db.dispose()
    held_rows = {(target_of[i], page, tag, text) for i, page, tag, text in held}
    shortcut = quiet_links[0]
    read_db = _copy(night1, tmp_path / "read.db")
    read = _crawl(
        farm, read_db, link_max_occurrences=cap, crawl_max_depth=depth, crawl_conditional=False,
        crawl_page_reuse=0,
        link_verdict_reuse=0,
    )  # fmt: skip
    read_db.dispose()

    # The replay night replayed most pages, and the shortcut counted many of their links.
    assert replayed["reuse"]["kept"] + replayed["reuse"]["304"] > 0.9 * len(read["pages"])
    assert read["reuse"] == Counter({"": len(read["pages"])})
    assert shortcut > 10_000
    assert quiet_links[0] == shortcut  # a read night never takes it

    assert replayed["checks"] == read["checks"]
    # The evidence chosen is the read night's, row for row; stored is that of the links not
    # judged 'ok' and of the pages read again (none hold links: 404s and soft 404s).
    chosen = set(replayed["evidence"]) | held_rows
    assert Counter(chosen) == read["evidence"]
    not_ok = {t for t, check in read["checks"].items() if check[4] is not LinkVerdict.OK}
    assert set(replayed["evidence"]) == {row for row in read["evidence"] if row[0] in not_ok}
    assert not_ok and len(replayed["evidence"]) < len(read["evidence"]) / 5
    assert replayed["pages"] == read["pages"]
    assert replayed["frontier"] == read["frontier"]
    for key in _SAME_STATS:
        assert replayed["stats"][key] == read["stats"][key], key
    # Targets filled to the cap (where the shortcut starts): the boundary was crossed.
    per_target = Counter(t for t, *_ in read["evidence"])
    assert max(per_target.values()) >= cap
    assert sum(1 for n in per_target.values() if n >= cap) > 10


def _crawler(cap: int, query_cap: int) -> SiteCrawl:
    from scanner.clock import RealClock
    from scanner.crawl.progress import ScanProgress, SiteRef
    from scanner.settings import load_settings

    settings = load_settings(
        database_url="sqlite://", link_max_occurrences=cap, crawl_query_cap=query_cap
    )
    site = SiteRef(1, "1", "站", "http://a.gov.cn/")
    crawl = SiteCrawl(
        site, settings=settings, client=None, limiter=None, checker=None, store=None,  # type: ignore[arg-type]
        clock=RealClock(), progress=ScanProgress("1", "站"),
    )  # fmt: skip
    crawl.frontier.requeue(crawl.home, 0)
    crawl.frontier.pop()
    return crawl


def _written(crawl: SiteCrawl) -> tuple[Any, ...]:
    """What a batch would write, by target: counts and evidence; and the queue and stats."""
    batch = crawl.batch
    batch.freeze()
    names = {id(state): row["target"] for state, row in batch.new_targets}
    counts = {names[id(st)]: count for st, _, _, count, _ in batch.frozen}
    held = [*batch.occurrences, *crawl.deferred]
    evidence = [(names[id(st)], page, tag, text) for st, page, tag, text in held]
    queued = [(row["url"], row["depth"]) for row in batch.frontier]
    stats = (crawl.progress.skipped, crawl.progress.trapped, crawl.progress.links)
    return counts, evidence, queued, stats


@pytest.mark.parametrize("cap", [0, 1, 3])
def test_replay_shortcut_counts_as_the_link_by_link_path(cap: int) -> None:
    """Random deep pages with what the farm does not have: the same target under two tags
    across the cap's boundary, repeated links, hrefs that are not http or not a URL, and
    query pages a trap cap refuses again on every page (each refusal counted). The shortcut
    (`_replay`) must leave the counts, evidence, queue and stats `_count` leaves."""
    import random

    rng = random.Random(cap)
    nav = [f"http://a.gov.cn/col{i}/" for i in range(6)] + ["http://a.gov.cn/logo.png"]
    pages = []
    for n in range(300):
        links: list[list[Any]] = []
        normal: list[str | None] = []
        for _ in range(rng.randint(0, 30)):
            roll = rng.random()
            if roll < 0.5:
                target: str | None = rng.choice(nav)
            elif roll < 0.7:
                target = f"http://a.gov.cn/art/{rng.randint(0, 200)}.html"
            elif roll < 0.8:
                target = f"http://a.gov.cn/search?q={rng.randint(0, 40)}"  # trap-capped
            elif roll < 0.85:
                target = f"http://other.gov.cn/{rng.randint(0, 5)}.pdf"
            else:
                target = None
            tag = rng.choice(["a", "a", "img"])
            if target is None:
                href = rng.choice(["mailto:x@a.gov.cn", "javascript:void(0)", "http://[bad"])
                valid = href != "http://[bad"
            else:
                href, valid = target, True
            links.append([href, tag, rng.choice(["文", "下一页", ""]), valid])
            normal.append(target)
        pages.append((f"http://a.gov.cn/p/{n}.html", 2 + n // 100, links, normal))

    by_link, shortcut = _crawler(cap, 3), _crawler(cap, 3)
    for url, depth, links, normal in pages:
        by_link._count(url, depth, links, normal, by_link.deferred)
        shortcut._replay(url, depth, links, normal)  # evidence held back (`deferred`) too
    assert shortcut._quiet  # the shortcut was taken
    assert by_link.progress.trapped > 0
    assert _written(shortcut) == _written(by_link)

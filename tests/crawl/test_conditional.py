"""Nights that cost what changed, as the farm's server sees them.

On the farm's link-rich site (2,004 pages, 7,491 distinct targets, 218 broken): a second night
over the unchanged site asks for at most a quarter of the first night's requests (pages answered
304, deep pages and deep link verdicts kept from the night before), with the same findings; a
link broken overnight on the homepage, and a new broken link on a second-level page, are found
and confirmed that night; a page that changed is read again, the others are not parsed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from farm import FarmThread, generated_farm
from scanner.db import Database
from scanner.db.models import LinkCheck, LinkOccurrence, LinkVerdict, Page, PageMemo, Scan
from tests.crawl.conftest import fast_settings, scan
from tests.sites import add_sites

DAY = 86400.0
HOST = "big0.gen.example.gov.cn"
CODE = "9900000001"  # the one site add_sites registers


@dataclass
class Night:
    requests: list[tuple[str, str, str, int]]  # (host, method, path, status) as served
    links: dict[str, LinkCheck]  # target -> its row
    pages: dict[str, Page]  # url -> its row
    stats: dict[str, Any]
    found_on: dict[str, set[tuple[str, str]]]  # target -> (page, tag) stored as evidence
    cap: int  # link_max_occurrences

    def where(self) -> dict[str, tuple[bool, bool, bool, int]]:
        """Each target as the crawl counted it: homepage, second level, external, how often."""
        return {
            t: (r.on_homepage, r.on_second_level, r.external, r.occurrences)
            for t, r in self.links.items()
        }

    def broken(self) -> set[str]:
        return {t for t, r in self.links.items() if r.verdict is LinkVerdict.BROKEN}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FarmThread, Database]]:
    spec = generated_farm(1, 10, big_sites=1, huge_site=False)
    with FarmThread(spec) as farm:
        folder: Path = tmp_path_factory.mktemp("nights")
        db = Database(f"sqlite:///{folder / 'census.db'}")
        db.upgrade()
        add_sites(db, [HOST])
        yield farm, db
        db.dispose()


def _night(farm: FarmThread, db: Database, **over: Any) -> Night:
    values: dict[str, Any] = {
        "per_host_connections": 4,
        "per_host_rate": 10_000.0,
        "link_recheck_delay": 0.0,
        "link_verdict_reuse": DAY,
        "crawl_page_reuse": DAY,
    }
    settings = fast_settings(farm, db.url, **(values | over))
    farm.requests.clear()
    ids, _ = scan(db, settings, [CODE])
    requests = list(farm.requests)
    with db.session() as s:
        row = s.get(Scan, ids[CODE])
        assert row is not None and row.status == "done"
        links = {
            r.target: r for r in s.scalars(select(LinkCheck).where(LinkCheck.scan_id == row.id))
        }
        pages = {p.url: p for p in s.scalars(select(Page).where(Page.scan_id == row.id))}
        found_on: dict[str, set[tuple[str, str]]] = {t: set() for t in links}
        for target, page, tag in s.execute(
            select(LinkCheck.target, LinkOccurrence.page_url, LinkOccurrence.tag)
            .join(LinkCheck, LinkCheck.id == LinkOccurrence.link_id)
            .where(LinkCheck.scan_id == row.id)
        ):
            found_on[target].add((page, tag))
        s.expunge_all()
        return Night(
            requests, links, pages, dict(row.stats), found_on, settings.link_max_occurrences
        )


def _link_scan_evidence(db: Database) -> dict[str, Any]:
    from datetime import datetime

    from scanner.clock import CST
    from scanner.db.models import Site
    from scanner.scorecards.compute import score_sites
    from scoring import default_ruleset

    # Scoring days are Beijing days: from 16:00 UTC on, the UTC date's window has already
    # ended, and tonight's scans (started after it) are not its facts.
    today = datetime.now(CST).date()
    with db.session() as s:
        site_id = s.scalars(select(Site.id)).one()
        [scored] = list(score_sites(s, [site_id], default_ruleset(), today))
    rule = scored.body["rules"]["availability.links"]
    [ev] = [e for e in rule["evidence"] if e["kind"] == "link_scan"]
    assert ev["counted"] is False
    return dict(ev)


def _path(url: str) -> str:
    return urlsplit(url).path


def _target(url: str) -> str:
    """A URL as the farm's request log writes it: path and query."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def test_nights_cost_what_changed(site: tuple[FarmThread, Database]) -> None:
    farm, db = site
    first = _night(farm, db)
    assert len(first.pages) > 2000
    assert first.stats["not_modified"] == first.stats["pages_kept"] == 0
    with db.session() as s:  # every readable page was remembered for the next night
        assert len(s.scalars(select(PageMemo.url)).all()) >= 2000

    # Night 2, nothing changed: at most a quarter of the requests, the same findings.
    second = _night(farm, db)
    assert len(second.requests) <= 0.25 * len(first.requests)
    assert second.broken() == first.broken()
    assert set(second.links) == set(first.links)
    # The stored links of unchanged pages stand for the parse: every target found where and
    # as often as night 1's parse found it. The evidence of a link not judged 'ok' — all a
    # scorecard reads — names the same pages: all of them where night 1 stored all (a
    # target's pages up to the cap depend on the crawl's order). An 'ok' link's evidence on
    # unchanged pages is not stored.
    assert second.where() == first.where()
    fresh = {p.final_url or u for u, p in second.pages.items() if p.reuse == ""}
    for target, pages in first.found_on.items():
        if second.links[target].verdict is LinkVerdict.OK:
            assert {page for page, _ in second.found_on[target]} <= fresh, target
        elif len(pages) < first.cap:
            assert second.found_on[target] == pages, target
        else:
            assert len(second.found_on[target]) >= first.cap, target
    stored = sum(map(len, second.found_on.values()))
    assert 0 < stored < sum(map(len, first.found_on.values())) / 5
    # Only the pages that were not readable last night (404s, soft 404s) are read again.
    read_again = {u for u, p in second.pages.items() if p.reuse == ""}
    assert read_again == {u for u, p in first.pages.items() if p.status != 200 or p.soft404}
    served = [(p, st) for h, m, p, st in second.requests if h == HOST and m == "GET"]
    # Against the server's own log: a page stored as "304" was answered 304 tonight, a page
    # stored as "kept" was not asked at all.
    answered_304 = {p for p, st in served if st == 304}
    asked_pages = {p for p, _ in served}
    marked_304 = {_target(u) for u, p in second.pages.items() if p.reuse == "304"}
    marked_kept = {_target(u) for u, p in second.pages.items() if p.reuse == "kept"}
    assert marked_304 == answered_304 and len(answered_304) == second.stats["not_modified"] > 0
    assert marked_kept and not marked_kept & asked_pages
    assert len(marked_kept) == second.stats["pages_kept"]
    assert ("/", 304) in served  # the homepage is always asked, conditionally
    # Every 1-point link (homepage, second-level pages) was requested again tonight.
    one_point = {
        _path(t)
        for t, r in second.links.items()
        if (r.on_homepage or r.on_second_level) and urlsplit(t).hostname == HOST
    }
    asked = {p.split("?")[0] for p, _ in served} | {
        p.split("?")[0] for h, m, p, _ in second.requests if h == HOST
    }
    assert one_point <= asked

    # The scorecard's link evidence says what was reused, and from when.
    ev = _link_scan_evidence(db)
    assert ev["not_modified"] == len(answered_304) and ev["pages_kept"] == len(marked_kept)
    reused = sum(1 for t, r in second.links.items() if r.checked_at == first.links[t].checked_at)
    assert ev["verdicts_reused"] + ev["pages_kept"] <= reused  # verdicts kept as they were
    assert ev["verdicts_reused"] > 0 and ev["verdict_reuse_s"] == ev["page_reuse_s"] == DAY
    assert ev["reused_since"] is not None and "304 未修改" in ev["note"]
    # A link broken on both nights with the same HTTP answer was confirmed by tonight's check
    # (never asked a third time); one without an answer (a timeout) waited for its re-check.
    as_before = {
        t
        for t in second.broken()
        if first.links[t].status_code is not None
        and (first.links[t].kind, first.links[t].status_code)
        == (second.links[t].kind, second.links[t].status_code)
    }
    assert as_before and ev["confirmed_earlier"] == second.stats["confirmed_earlier"]
    assert second.stats["confirmed_earlier"] == len(as_before)
    assert f"失效链接 {len(as_before)} 个与前次扫描已复查确认的结果相同" in ev["note"]
    for t in second.broken():
        row = second.links[t]
        assert row.confirmed_at is not None, t
        assert (row.confirmed_at == row.checked_at) == (t in as_before), t

    # Overnight: a homepage link breaks, a second-level page gains a link to a missing file.
    home_target = next(
        t
        for t, r in sorted(second.links.items())
        if r.on_homepage
        and urlsplit(t).hostname == HOST
        and _path(t) not in ("/", "")
        and r.verdict is LinkVerdict.OK
        and t not in second.pages
    )
    second_level = next(
        u
        for u in sorted(second.pages)
        if second.links.get(u) is not None
        and second.links[u].on_homepage
        and u != f"http://{HOST}/"
        and second.pages[u].status == 200
    )
    farm.gone.add((HOST, _path(home_target)))
    farm.edits[(HOST, _path(second_level))] = '<a href="/xinzeng/missing.pdf">新增附件</a>'
    third = _night(farm, db)
    gone = third.links[home_target]
    assert gone.verdict is LinkVerdict.BROKEN and gone.confirmed_at is not None
    added = third.links[f"http://{HOST}/xinzeng/missing.pdf"]
    assert added.on_second_level
    assert added.verdict is LinkVerdict.BROKEN and added.confirmed_at is not None
    assert third.pages[second_level].reuse == ""  # changed: read again
    assert third.broken() == second.broken() | {home_target, added.target}


def test_stored_links_read_back_as_written() -> None:
    from probes.page import Link, PageLinks
    from scanner.crawl.store import pack_links, unpack_links

    found = PageLinks(
        "标题",
        [
            Link("http://a.example.gov.cn/x?q=教育", "链接", "a"),
            Link("ht!tp://bad", "坏", "a", False),
        ],
        3,
        "",
    )
    params = frozenset({"sid"})
    blob = pack_links(found, "gb18030", ["http://a.example.gov.cn/x?q=%BD%CC%D3%FD", None], params)
    back, encoding, targets = unpack_links(blob, params)
    assert (back.title, back.links, back.skipped, encoding) == ("标题", found.links, 3, "gb18030")
    assert targets == ["http://a.example.gov.cn/x?q=%BD%CC%D3%FD", None]
    # Other session parameters tonight: the stored normal forms are not trusted.
    assert unpack_links(blob, frozenset({"jsessionid"}))[2] is None
    assert unpack_links(pack_links(found, "utf-8"), params)[2] is None


def test_normal_forms_equal_to_their_href_read_back_as_written() -> None:
    """`pack_links` stores a normal form that is the href itself as ``true``: read back, each
    link gets its own normal form, and a memo written before (every form a string) reads as
    it did."""
    import json
    import zlib

    from probes.page import Link, PageLinks
    from scanner.crawl.store import pack_links, unpack_links

    links = [
        Link("http://a.gov.cn/x.html", "一", "a"),
        Link("http://A.gov.cn/y.html#top", "二", "a"),
        Link("http://a.gov.cn/z.png", "", "img"),
        Link("mailto:x", "", "a"),
    ]
    normal = ["http://a.gov.cn/x.html", "http://a.gov.cn/y.html", "http://a.gov.cn/z.png", None]
    blob = pack_links(PageLinks("t", links, 0, ""), "utf-8", list(normal))
    stored = json.loads(zlib.decompress(blob))["n"]
    assert stored == [True, "http://a.gov.cn/y.html", True, None]
    assert unpack_links(blob)[2] == normal
    older = {"t": "t", "s": 0, "e": "utf-8", "p": [], "n": normal,
             "l": [(k.url, k.tag, k.text, k.valid) for k in links]}  # fmt: skip
    old_blob = zlib.compress(json.dumps(older, ensure_ascii=False).encode(), 1)
    assert unpack_links(old_blob)[2] == normal

"""Nights that cost what changed: with `link_verdict_reuse`, a second night takes the 'ok'
verdicts of deep links from the night before instead of requesting them again, while every link
on the homepage and the second-level pages is still checked — as the server sees it."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime

import pytest
from aiohttp import web
from sqlalchemy import func, select

from scanner.crawl import Scanner, SiteRef
from scanner.db import Database
from scanner.db.models import LinkCheck, LinkOccurrence, LinkVerdict, PageMemo, Scan
from scanner.settings import load_settings
from tests.crawl.test_politeness import _register

HOST = "www.polite.example.gov.cn"  # the name `_register` gives the site
SECOND = [f"/s{i}.html" for i in range(3)]
DEEP = [f"/s{i}/d{k}.html" for i in range(3) for k in range(3)]
HOME_DOCS = [f"/h{j}.pdf" for j in range(4)]
DEEP_DOCS = [f"{page[:-5]}/f{m}.pdf" for page in DEEP for m in range(5)]


@dataclass
class Site:
    """Homepage → 3 second-level pages → 3 deep pages each; documents on every level."""

    broken: set[str] = field(default_factory=set)
    failing: dict[str, int] = field(default_factory=dict)  # path → another error status
    requests: list[str] = field(default_factory=list)

    async def handle(self, request: web.BaseRequest) -> web.StreamResponse:
        path = request.path
        self.requests.append(path)
        if path in self.broken:
            return web.Response(status=404, text="not here")
        if path in self.failing:
            return web.Response(status=self.failing[path], text="error")
        if path.endswith(".pdf"):
            return web.Response(body=b"%PDF-1.4 " + path.encode(), content_type="application/pdf")
        if path == "/":
            links = SECOND + HOME_DOCS
        elif path in SECOND:
            links = [f"/{path[1:3]}.pdf", *(p for p in DEEP if p.startswith(path[:3] + "/"))]
        elif path in DEEP:
            links = [d for d in DEEP_DOCS if d.startswith(path[:-5] + "/")]
        else:
            return web.Response(status=404, text="not here")
        body = "".join(f'<a href="{link}">链接{n}</a>' for n, link in enumerate(links))
        html = f"<html><head><title>{path}</title></head><body>{body}</body></html>"
        return web.Response(text=html, content_type="text/html")


@pytest.fixture
async def site() -> AsyncIterator[tuple[Site, int]]:
    state = Site()
    runner = web.ServerRunner(web.Server(state.handle), access_log=None)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    port = tcp._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield state, port
    finally:
        await runner.cleanup()


def _memos(db: Database) -> dict[str, tuple[int, datetime, bytes]]:
    """The site's page memos: url → (the scan that last saw it, when, its stored links)."""
    with db.session() as s:
        return {m.url: (m.scan_id, m.fetched_at, m.links) for m in s.scalars(select(PageMemo))}


def _path(target: str) -> str:
    return "/" + target.split("/", 3)[3]


async def _night(
    db: Database, ref: SiteRef, port: int, reuse: float, stats: dict[str, object] | None = None
) -> dict[str, LinkCheck]:
    settings = load_settings(
        database_url=db.url,
        host_map=f"{HOST}=127.0.0.1:{port}",
        per_host_rate=500.0,
        link_recheck_delay=0.05,
        link_verdict_reuse=reuse,
    )
    async with Scanner(db, settings) as scanner:
        scan_id = (await scanner.scan([ref]))[ref.code]
    with db.session() as s:
        scan = s.get(Scan, scan_id)
        assert scan is not None and scan.status == "done"
        if stats is not None:
            stats.update(scan.stats)
        rows = s.scalars(select(LinkCheck).where(LinkCheck.scan_id == scan_id)).all()
        return {_path(r.target): r for r in rows}


async def test_second_night_reuses_deep_verdicts_and_still_checks_one_point_links(
    any_db: Database, site: tuple[Site, int]
) -> None:
    """The reuse is one UPDATE … FROM inside the database: on SQLite and PostgreSQL."""
    db = any_db
    server, port = site
    ref = _register(db)
    day = 86400.0
    first = await _night(db, ref, port, reuse=day)
    first_requests = list(server.requests)
    assert set(first) >= set(SECOND + DEEP + HOME_DOCS + DEEP_DOCS)
    assert all(r.verdict is LinkVerdict.OK for r in first.values())

    # Overnight a homepage document and a deep document break.
    server.broken |= {"/h0.pdf", "/s0/d0/f0.pdf"}
    server.requests.clear()
    memos = _memos(db)
    second = await _night(db, ref, port, reuse=day)
    asked = set(server.requests)
    # Every page came back the same: its memo renewed (tonight's time and scan), its links kept.
    renewed = _memos(db)
    with db.session() as s:
        tonight = s.scalar(select(func.max(Scan.id)))
    assert set(renewed) == set(memos) >= {"http://" + HOST + p for p in ["/", *SECOND, *DEEP]}
    for url, (scan_id, at, links) in renewed.items():
        assert scan_id == tonight and at > memos[url][1] and links == memos[url][2], url

    # The 1-point links (homepage and second-level pages) were all requested again, and the
    # newly broken homepage document is found and confirmed that night.
    one_point = {p for p, r in second.items() if r.on_homepage or r.on_second_level}
    assert one_point >= set(SECOND + HOME_DOCS)
    assert one_point <= asked
    assert second["/h0.pdf"].verdict is LinkVerdict.BROKEN
    assert second["/h0.pdf"].confirmed_at is not None
    # No deep document was requested: its verdict of the night before stands (and says so by
    # its check time), which is why the deep document broken overnight is not seen yet.
    assert not asked & set(DEEP_DOCS)
    assert all(second[d].checked_at == first[d].checked_at for d in DEEP_DOCS)
    assert second["/s0/d0/f0.pdf"].verdict is LinkVerdict.OK
    assert len(server.requests) < len(first_requests) / 2

    # Reuse off: every link is checked, the deep breakage is found.
    server.requests.clear()
    third = await _night(db, ref, port, reuse=0)
    assert set(DEEP_DOCS) <= set(server.requests)
    assert third["/s0/d0/f0.pdf"].verdict is LinkVerdict.BROKEN
    assert third["/s0/d0/f0.pdf"].confirmed_at is not None


async def test_a_link_broken_as_last_night_confirmed_is_not_rechecked(
    any_db: Database, site: tuple[Site, int]
) -> None:
    """The confirmation is one UPDATE … FROM inside the database: on SQLite and PostgreSQL."""
    db = any_db
    server, port = site
    ref = _register(db)
    day = 86400.0
    # Night 1: two homepage documents, a second-level document and a deep page are broken;
    # each is checked, then confirmed by its re-check.
    server.broken |= {"/h1.pdf", "/h2.pdf", "/s1/d1.html"}
    server.failing["/s2.pdf"] = 500
    first = await _night(db, ref, port, reuse=day)
    asked_first = Counter(server.requests)
    for path in ("/h1.pdf", "/h2.pdf", "/s1/d1.html", "/s2.pdf"):
        assert first[path].verdict is LinkVerdict.BROKEN and first[path].confirmed_at, path

    # Night 2: /h1.pdf, /s1/d1.html and /s2.pdf broken as before; /h2.pdf now answers 500
    # (broken otherwise than last night); /h3.pdf breaks tonight.
    server.broken -= {"/h2.pdf"}
    server.failing["/h2.pdf"] = 500
    server.broken |= {"/h3.pdf"}
    server.requests.clear()
    stats: dict[str, object] = {}
    second = await _night(db, ref, port, reuse=day, stats=stats)
    asked = Counter(server.requests)
    for path in ("/h1.pdf", "/h2.pdf", "/h3.pdf", "/s1/d1.html", "/s2.pdf"):
        row = second[path]
        assert row.verdict is LinkVerdict.BROKEN and row.confirmed_at is not None, path
    # Broken as before: tonight's check confirms it, at its own time; the site is asked once
    # where a link broken tonight is asked again for the re-check (as on night 1).
    as_before = ("/h1.pdf", "/s1/d1.html", "/s2.pdf")
    for path in as_before:
        assert second[path].confirmed_at == second[path].checked_at, path
        assert 0 < asked[path] < asked_first[path], path
    assert asked["/h3.pdf"] == asked_first["/h1.pdf"]  # new tonight: check and re-check
    assert asked["/h2.pdf"] == asked_first["/h1.pdf"]  # 404 → 500: re-checked too
    for path in ("/h2.pdf", "/h3.pdf"):
        assert second[path].confirmed_at > second[path].checked_at, path  # type: ignore[operator]
    assert stats["confirmed_earlier"] == len(as_before)
    # Every page came back the same, so the evidence was held back and stored for the links
    # not 'ok' alone: each broken one names the page that links it, as the site serves it.
    with db.session() as s:
        rows = s.execute(
            select(LinkCheck.target, LinkOccurrence.page_url)
            .join(LinkCheck, LinkCheck.id == LinkOccurrence.link_id)
            .where(LinkCheck.id.in_([r.id for r in second.values()]))
        ).all()
    found_on = {(_path(target), _path(page)) for target, page in rows}
    linked_from = {"/h1.pdf": "/", "/h2.pdf": "/", "/h3.pdf": "/", "/s2.pdf": "/s2.html",
                   "/s1/d1.html": "/s1.html"}  # fmt: skip
    assert found_on == set(linked_from.items())

    # Reuse off: every broken link waits for its re-check again.
    server.requests.clear()
    stats.clear()
    third = await _night(db, ref, port, reuse=0, stats=stats)
    asked = Counter(server.requests)
    assert asked["/h1.pdf"] == asked_first["/h1.pdf"]
    assert asked["/s1/d1.html"] == asked_first["/s1/d1.html"]
    assert third["/h1.pdf"].confirmed_at > third["/h1.pdf"].checked_at  # type: ignore[operator]
    assert stats["confirmed_earlier"] == 0


async def test_a_crawl_without_link_checks_stores_all_the_evidence_of_unchanged_pages(
    db: Database, site: tuple[Site, int]
) -> None:
    """With no link checks there is no verdict to choose the evidence by: the evidence held
    back from unchanged pages is all stored, the pages night 1 found each target on."""
    _, port = site
    ref = _register(db)
    await _night(db, ref, port, reuse=86400.0)
    settings = load_settings(
        database_url=db.url, host_map=f"{HOST}=127.0.0.1:{port}", per_host_rate=500.0
    )
    async with Scanner(db, settings) as scanner:
        scan_id = await scanner.crawl_for(ref).run(links=False)
    with db.session() as s:
        scans = s.scalars(select(Scan).order_by(Scan.id)).all()
        assert [x.status for x in scans] == ["done", "done"] and scans[1].id == scan_id
        night2 = s.get(Scan, scan_id)
        assert night2 is not None
        same = night2.stats["same_body"]
        assert isinstance(same, int) and same > 10
        found = {
            scan: set(
                s.execute(
                    select(LinkCheck.target, LinkOccurrence.page_url, LinkOccurrence.tag)
                    .join(LinkCheck, LinkCheck.id == LinkOccurrence.link_id)
                    .where(LinkCheck.scan_id == scan)
                ).all()
            )
            for scan in (scans[0].id, scan_id)
        }
    assert len(found[scan_id]) > 30 and found[scan_id] == found[scans[0].id]


async def test_held_back_evidence_past_its_bound_is_stored_with_the_batch(
    db: Database, site: tuple[Site, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Memory stays bounded on a large quiet site: past `_DEFERRED_MAX` held rows the evidence
    is written like a read page's, 'ok' links' included, and a broken link's is whole."""
    from scanner.crawl import site as site_module

    server, port = site
    ref = _register(db)
    await _night(db, ref, port, reuse=86400.0)
    server.broken |= {"/h1.pdf"}  # broken on night 2: the links not 'ok' are known late
    monkeypatch.setattr(site_module, "_DEFERRED_MAX", 5)
    await _night(db, ref, port, reuse=86400.0)
    with db.session() as s:
        night1, night2 = s.scalars(select(Scan.id).order_by(Scan.id)).all()
        found = {
            scan: set(
                s.execute(
                    select(LinkCheck.target, LinkOccurrence.page_url, LinkOccurrence.tag)
                    .join(LinkCheck, LinkCheck.id == LinkOccurrence.link_id)
                    .where(LinkCheck.scan_id == scan)
                ).all()
            )
            for scan in (night1, night2)
        }
    broken = {row for row in found[night1] if row[0].endswith("/h1.pdf")}
    assert broken and broken <= found[night2]
    # Spilled: more than the broken link's rows, all of them night 1's too (the same pages).
    assert len(found[night2]) > len(broken) + 5 and found[night2] <= found[night1]

"""One scan of every demo site, judged against the farm's ground truth (never the scanner's code).

The demo farm has broken links (404 pages and images, a closed port, a wrong certificate, 503,
a redirect loop, an empty page, a stalled page), soft 404s (a 200 page saying 页面不存在 and an
error page where a download should be), undetermined ones (429 and 403), attachments, a
navigation-only homepage, a calendar trap, session ids, GBK queries and ``<base href>``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import pytest
from sqlalchemy import select

from farm import FarmThread
from farm.builtin import FGW, JSDEMO, JYJ, LINJIANG, QINGSHAN, ZWFW, ZWGK
from farm.render import SEARCH_WORD
from farm.truth import LinkTruth
from scanner.crawl import Scanner
from scanner.crawl.store import aware
from scanner.db import Database
from scanner.db.models import (
    LinkCache,
    LinkCheck,
    LinkOccurrence,
    LinkVerdict,
    Page,
    Scan,
    Site,
)
from tests.crawl.conftest import fast_settings, registered_db, scan

EXPECTED = {"ok": "ok", "broken": "broken", "soft404": "broken", "undetermined": "undetermined"}


@dataclass
class Scanned:
    db: Database
    farm: FarmThread
    scans: dict[str, int]  # host -> scan id
    scanner: Scanner


@pytest.fixture(scope="module")
def scanned(farm: FarmThread, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scanned]:
    db = registered_db(farm, tmp_path_factory.mktemp("scan"))
    settings = fast_settings(farm, db.url)
    by_code, scanner = scan(db, settings)
    with db.session() as s:
        rows = s.execute(select(Site.code, Site.url)).all()
    hosts = {code: urlsplit(url).hostname or "" for code, url in rows}
    yield Scanned(db, farm, {hosts[c]: i for c, i in by_code.items()}, scanner)
    db.dispose()


def _checks(db: Database, scan_id: int) -> dict[str, LinkCheck]:
    with db.session() as s:
        return {
            c.target: c for c in s.scalars(select(LinkCheck).where(LinkCheck.scan_id == scan_id))
        }


def canonical(url: str) -> str:
    """The truth's URL as the crawl should store it, written here rather than borrowed from the
    scanner's normaliser: the farm's URLs are already canonical except for the session-id trap
    (``?sid=…`` on 临江's links), whose parameter the crawl must drop."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "sid"]
    if len(query) == len(parse_qsl(parts.query, keep_blank_values=True)):
        return url  # no session id: the farm's URL as it is
    return urlunsplit(parts._replace(query=urlencode(query)))


def _norm(truth: LinkTruth) -> dict[str, str]:
    return {canonical(url): EXPECTED[verdict] for url, verdict in truth.verdicts.items()}


@pytest.mark.parametrize("host", [FGW, QINGSHAN, LINJIANG, ZWFW, JYJ, ZWGK, JSDEMO])
def test_every_link_verdict_matches_the_truth(scanned: Scanned, host: str) -> None:
    truth = scanned.farm.truth.links(host)
    checks = _checks(scanned.db, scanned.scans[host])
    expected = _norm(truth)
    missing = set(expected) - set(checks)
    assert not missing, f"targets the crawl never found: {sorted(missing)[:5]}"
    wrong = {
        t: (v, checks[t].verdict, checks[t].kind)
        for t, v in expected.items()
        if checks[t].verdict != LinkVerdict(v)
    }
    assert not wrong, wrong
    extra = {t: c.verdict for t, c in checks.items() if t not in expected}
    # Only the calendar trap's further months, which the truth does not list, may be extra.
    assert all("/calendar/" in t and v == LinkVerdict.OK for t, v in extra.items()), extra


# What the farm does at a target (farm/truth.py's kinds) → the failure kind the crawl must
# record there, written by hand from docs/crawl.md's kinds.
FAILURE_OF = {
    "not_found": "not_found",
    "missing": "not_found",  # an attachment link whose file is gone
    "soft404": "soft404",
    "html_error": "soft404",  # an error page where a download should be
    "closed": "connect",
    "status 500": "http_500",
    "status 503": "http_503",
    "redirect_loop": "redirect_loop",
    "empty": "empty",
    "stall": "timeout",  # the stalled page never finishes
    "tls": "tls",
}


def test_the_troubled_site_has_every_kind_of_failure(scanned: Scanned) -> None:
    truth = scanned.farm.truth.links(FGW)
    checks = _checks(scanned.db, scanned.scans[FGW])
    assert set(truth.kinds[u] for u in truth.broken) == set(FAILURE_OF) - {"tls"}
    got = {canonical(u): checks[canonical(u)].kind for u in truth.broken}
    assert got == {canonical(u): FAILURE_OF[truth.kinds[u]] for u in truth.broken}
    for url in truth.undetermined:
        check = checks[canonical(url)]
        assert check.verdict == LinkVerdict.UNDETERMINED and check.confirmed_at is None


def test_broken_links_count_only_after_a_confirming_recheck(scanned: Scanned) -> None:
    for host, scan_id in scanned.scans.items():
        for check in _checks(scanned.db, scan_id).values():
            if check.verdict != LinkVerdict.BROKEN:
                assert check.confirmed_at is None, (host, check.target)
                continue
            checked, confirmed = aware(check.checked_at), aware(check.confirmed_at)
            assert checked is not None and confirmed is not None, (host, check.target)
            assert confirmed - checked >= timedelta(seconds=0.2)  # the re-check delay


@pytest.mark.parametrize("host", [FGW, QINGSHAN, ZWFW])
def test_homepage_and_second_level_links_are_marked(scanned: Scanned, host: str) -> None:
    truth = scanned.farm.truth.links(host)
    checks = _checks(scanned.db, scanned.scans[host])
    home = {canonical(u) for u in truth.homepage}
    site_pages = {canonical(p) for pages in truth.pages.values() for p in pages}
    second_pages = (home & site_pages) - {f"http://{host}/"}  # the homepage is not its own child
    for url, pages in truth.pages.items():
        target = canonical(url)
        check = checks[target]
        assert check.on_homepage == (target in home), target
        on_second = any(canonical(p) in second_pages for p in pages)
        assert check.on_second_level == on_second, target


def test_navigation_only_homepage_has_second_level_pages(scanned: Scanned) -> None:
    checks = _checks(scanned.db, scanned.scans[ZWFW])
    assert any(c.on_second_level and not c.on_homepage for c in checks.values())


def test_evidence_names_the_page_the_tag_and_the_text(scanned: Scanned) -> None:
    scan_id = scanned.scans[FGW]
    target = f"http://{FGW}/images/ad_banner.jpg"
    with scanned.db.session() as s:
        check = s.scalar(
            select(LinkCheck).where(LinkCheck.scan_id == scan_id, LinkCheck.target == target)
        )
        assert check is not None
        found = s.execute(
            select(LinkOccurrence.page_url, LinkOccurrence.tag, LinkOccurrence.text).where(
                LinkOccurrence.link_id == check.id
            )
        ).all()
    assert check.verdict == LinkVerdict.BROKEN and check.status_code == 404
    assert check.on_homepage and check.occurrences >= 1
    assert (f"http://{FGW}/", "img", "宣传图片") in found


def test_attachments_are_judged_by_what_they_deliver(scanned: Scanned) -> None:
    checks = _checks(scanned.db, scanned.scans[FGW])
    atts = [a for a in scanned.farm.truth.attachments(FGW) if a.url is not None]
    assert {a.state for a in atts} >= {"missing", "html_error"}
    for att in atts:
        check = checks[canonical(att.url or "")]
        expected = LinkVerdict.OK if att.state == "ok" else LinkVerdict.BROKEN
        assert check.verdict == expected, (att, check.kind)
        if att.state == "html_error":
            assert check.kind in ("soft404", "html_instead_of_file")


def test_crawler_traps_stay_bounded(scanned: Scanned) -> None:
    with scanned.db.session() as s:
        calendar = s.scalars(
            select(Page.url).where(
                Page.scan_id == scanned.scans[QINGSHAN], Page.url.contains("/calendar/")
            )
        ).all()
        session_ids = s.scalars(
            select(Page.url).where(
                Page.scan_id == scanned.scans[LINJIANG], Page.url.contains("sid=")
            )
        ).all()
    assert 0 < len(calendar) <= 5  # the query cap of the test settings
    assert session_ids == []


def test_gbk_query_is_sent_as_the_gbk_page_would_send_it(scanned: Scanned) -> None:
    checks = _checks(scanned.db, scanned.scans[JYJ])
    target = f"http://{JYJ}/search/?q={quote(SEARCH_WORD.encode('gbk'))}"
    assert checks[target].verdict == LinkVerdict.OK


def test_base_href_pages_resolve_their_links(scanned: Scanned) -> None:
    checks = _checks(scanned.db, scanned.scans[ZWGK])
    assert checks and all(c.verdict == LinkVerdict.OK for c in checks.values())


def test_pages_keep_status_depth_title_and_hash(scanned: Scanned) -> None:
    with scanned.db.session() as s:
        pages = s.scalars(select(Page).where(Page.scan_id == scanned.scans[QINGSHAN])).all()
        scan_row = s.get(Scan, scanned.scans[QINGSHAN])
    home = next(p for p in pages if p.depth == 0)
    assert home.status == 200 and "青山县" in home.title and len(home.content_hash or "") == 64
    assert max(p.depth for p in pages) >= 2
    assert scan_row is not None and scan_row.status == "done"


def test_shared_external_target_is_checked_once_for_all_sites(scanned: Scanned) -> None:
    gov = "http://www.gov.cn/"
    linking = {h for h, i in scanned.scans.items() if gov in _checks(scanned.db, i)}
    truth = scanned.farm.truth
    assert linking == {h for h in scanned.scans if gov in truth.links(h).verdicts}
    assert len(linking) >= 4  # the farm's premise: enough sites share the target to cache it
    assert scanned.scanner.checker is not None and scanned.scanner.checker.cache_hits >= 3
    with scanned.db.session() as s:
        cached = s.scalar(select(LinkCache).where(LinkCache.target == gov))
    assert cached is not None and cached.verdict == LinkVerdict.OK


def test_a_site_whose_homepage_fails_has_no_clean_bill(scanned: Scanned) -> None:
    with scanned.db.session() as s:
        scan_row = s.get(Scan, scanned.scans["old.donghu.example.gov.cn"])  # wrong certificate
    assert scan_row is not None and scan_row.status == "homepage_failed"


@pytest.mark.postgres
def test_the_scan_stores_the_same_on_postgres(
    farm: FarmThread, postgres_url: str, tmp_path: Path
) -> None:
    from datetime import UTC, datetime

    from scanner.registry.importer import import_file

    db = Database(postgres_url)
    db.upgrade()
    registry = tmp_path / "registry.yaml"
    registry.write_text(farm.truth.registry_yaml(), encoding="utf-8")
    import_file(db, registry, datetime.now(UTC))
    by_code, _ = scan(db, fast_settings(farm, postgres_url), ["9101000002"])
    checks = _checks(db, by_code["9101000002"])
    expected = _norm(farm.truth.links(FGW))
    assert {t: c.verdict for t, c in checks.items()} == {
        t: LinkVerdict(v) for t, v in expected.items()
    }
    db.dispose()

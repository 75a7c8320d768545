"""Classes 1 and 7: no link a page can contain, and no way of reaching a page twice, stops a
site's link check. A malformed href is the site's own 错误 link, confirmed like any other."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp import web
from sqlalchemy import func, select

from scanner.db.models import LinkCheck, LinkOccurrence, LinkVerdict, Page, Scan
from scanner.http.urls import MAX_URL_LENGTH
from tests.hostile.conftest import (
    CODE,
    HOST,
    Census,
    HostileSite,
    assert_clean,
    env_for,
    fresh_db,
    html_page,
    import_registry,
    registry_yaml,
)

LONG = "/search?q=" + "政" * 10 + "x" * 70_000

# (href as written on the page, whether no request can ever open it)
MALFORMED = [
    pytest.param("http://[::1/zwgk/", True, id="unclosed-bracket"),
    pytest.param(f"http://{HOST}:99999/", True, id="port-out-of-range"),
    pytest.param(f"http://{HOST}:8o/", True, id="port-not-a-number"),
    pytest.param(LONG, True, id="70000-char-url"),
    pytest.param("http://[::1]:99999/", True, id="ipv6-bad-port"),
    pytest.param("http://[fe80::1%25eth0]:80/", False, id="ipv6-zone-id"),
    pytest.param("http://[::1]:8080/zwgk/", False, id="ipv6-literal-with-port"),
    pytest.param("https://xn--/", False, id="bad-punycode"),
    pytest.param("http://[1:2:3]/", True, id="bad-ipv6"),
    pytest.param("http://]::1[/", True, id="reversed-brackets"),
    pytest.param(f"//{HOST}:-1/x", True, id="negative-port"),
    pytest.param("http://%zz%00/", False, id="percent-garbage-host"),
]


RERUN = {"http://[::1/zwgk/", LONG}


def _home(href: str) -> str:
    return html_page(
        "恶意测试县人民政府", f'<a href="{href}">坏链接</a> <a href="/zwgk/">政务公开</a>'
    )


@pytest.mark.parametrize(("href", "unopenable"), MALFORMED)
def test_a_malformed_href_is_an_error_link_not_a_stopped_scan(
    site: HostileSite, census: Census, tmp_path: Path, href: str, unopenable: bool
) -> None:
    url = f"sqlite:///{tmp_path / 'census.db'}"
    db = fresh_db(url)
    import_registry(db, tmp_path, registry_yaml(site.url()))
    site.page("/", _home(href))
    site.page("/zwgk/", html_page("政务公开", "<p>内容</p>"))
    census.env = env_for(site, url)

    # Twice for two of them: a re-run (the next night) finds nothing left to stop it either.
    for attempt in range(2 if href in RERUN else 1):
        ran = census("scan", CODE, *(["--restart"] if attempt else []))
        assert_clean(ran)
        assert ran.code == 0, ran.text
        with db.session() as s:
            scan = s.scalars(select(Scan).order_by(Scan.id.desc())).first()
            assert scan is not None and scan.status == "done", (scan and scan.error, ran.text)
            targets = {
                c.target: c
                for c in s.scalars(select(LinkCheck).where(LinkCheck.scan_id == scan.id))
            }
    assert any(t.endswith("/zwgk/") and t.startswith(f"http://{HOST}") for t in targets)
    assert all(len(t) <= MAX_URL_LENGTH for t in targets)
    bad = [c for t, c in targets.items() if not t.startswith(f"http://{HOST}/")]
    assert len(bad) == 1, sorted(targets)
    assert bad[0].verdict is LinkVerdict.BROKEN  # an 错误 link, charged like any other
    assert bad[0].confirmed_at is not None  # … once the re-check confirmed it
    if unopenable:
        assert bad[0].kind == "invalid_url"
    db.dispose()


@pytest.mark.parametrize(("href", "unopenable"), MALFORMED[:6])
def test_inspect_lists_a_malformed_href_without_a_traceback(
    census: Census, tmp_path: Path, href: str, unopenable: bool
) -> None:
    page = tmp_path / "page.html"
    page.write_text(_home(href), encoding="utf-8")
    ran = census("inspect", str(page), "--base-url", f"http://{HOST}/", "--json")
    assert_clean(ran)
    assert ran.code == 0, ran.text
    assert "坏链接" in ran.out


def test_columns_read_survives_malformed_entries(
    site: HostileSite, census: Census, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'census.db'}"
    db = fresh_db(url)
    column = f"      - {{name: 工作动态, url: http://{HOST}/gzdt/, category: news}}\n"
    import_registry(db, tmp_path, registry_yaml(site.url(), extra="    columns:\n" + column))
    entries = "".join(
        f'<li><a href="{href}">第{i}条通知</a><span>2026-11-{i + 1:02d}</span></li>'
        for i, href in enumerate([m.values[0] for m in MALFORMED] + ["/gzdt/t1.html"])
    )
    site.page("/", html_page("首页", '<a href="/gzdt/">工作动态</a>'))
    site.page("/gzdt/", html_page("工作动态", f"<ul class='list'>{entries}</ul>"))
    census.env = env_for(site, url)
    ran = census("columns", "read", CODE)
    assert_clean(ran)
    assert ran.code == 0, ran.text
    assert "工作动态" in ran.out
    ran = census("columns", "list", CODE)
    assert_clean(ran)
    assert ran.code == 0 and "2026-11-" in ran.out, ran.text
    db.dispose()


def _redirect(to: str, status: int) -> object:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(status=status, headers={"Location": to})

    return handler


TWICE = [
    pytest.param({"/zwgk/zcjd": (301, "/zwgk/zcjd/")}, ["/zwgk/zcjd", "/zwgk/zcjd/"], id="301"),
    pytest.param({"/zwgk/zcjd": (302, "/zwgk/zcjd/")}, ["/zwgk/zcjd", "/zwgk/zcjd/"], id="302"),
    pytest.param(
        {"/zwgk/zcjd": (307, "/zwgk/zcjd/")}, ["/zwgk/zcjd/", "/zwgk/zcjd"], id="307-direct-first"
    ),
    pytest.param(
        {"/old": (301, "/zwgk/zcjd"), "/zwgk/zcjd": (301, "/zwgk/zcjd/")},
        ["/old", "/zwgk/zcjd/", "/zwgk/zcjd"],
        id="two-hop-chain",
    ),
    pytest.param(
        {"/zwgk/zcjd": (301, f"http://{HOST}/zwgk/zcjd/")},
        ["/zwgk/zcjd", "/zwgk/zcjd/"],
        id="absolute-location",
    ),
    pytest.param(
        {"/zwgk/zcjd/index.html": (301, "/zwgk/zcjd/")},
        ["/zwgk/zcjd/index.html", "/zwgk/zcjd/"],
        id="index-alias",
    ),
    pytest.param(
        {"/zwgk/zcjd": (301, "/zwgk/zcjd/?sid=abc")},
        ["/zwgk/zcjd", "/zwgk/zcjd/"],
        id="session-id-in-location",
    ),
]


@pytest.mark.parametrize(("redirects", "links"), TWICE)
def test_a_page_reached_twice_is_read_once(
    site: HostileSite,
    census: Census,
    tmp_path: Path,
    redirects: dict[str, tuple[int, str]],
    links: list[str],
) -> None:
    _reached_twice(site, census, tmp_path, f"sqlite:///{tmp_path / 'census.db'}", redirects, links)


def test_a_page_reached_twice_is_read_once_on_both_databases(
    site: HostileSite, census: Census, any_db_url: str, tmp_path: Path
) -> None:
    redirects, links = TWICE[3].values
    _reached_twice(site, census, tmp_path, any_db_url, redirects, links)  # type: ignore[arg-type]


def _reached_twice(
    site: HostileSite,
    census: Census,
    tmp_path: Path,
    any_db_url: str,
    redirects: dict[str, tuple[int, str]],
    links: list[str],
) -> None:
    db = fresh_db(any_db_url)
    import_registry(db, tmp_path, registry_yaml(site.url()))
    anchors = "".join(f'<a href="{h}">政策解读</a>' for h in links)
    site.page("/", html_page("首页", anchors))
    for path, (status, to) in redirects.items():
        site.routes[path] = _redirect(to, status)  # type: ignore[assignment]
    site.page(
        "/zwgk/zcjd/",
        html_page(
            "政策解读", '<a href="/zwgk/zcjd/t1.html">解读一</a><a href="/missing.html">失效</a>'
        ),
    )
    site.page("/zwgk/zcjd/t1.html", html_page("解读一", "<p>正文</p>"))
    census.env = env_for(site, any_db_url)
    for _ in range(2):  # the nightly crawl runs every night
        ran = census("scan", CODE, "--restart")
        assert_clean(ran)
        assert ran.code == 0, ran.text
    with db.session() as s:
        scan = s.scalars(select(Scan).order_by(Scan.id.desc())).first()
        assert scan is not None and scan.status == "done", scan and scan.error
        dupes = s.execute(
            select(
                LinkOccurrence.link_id, LinkOccurrence.page_url, LinkOccurrence.tag, func.count()
            )
            .join(LinkCheck)
            .where(LinkCheck.scan_id == scan.id)
            .group_by(LinkOccurrence.link_id, LinkOccurrence.page_url, LinkOccurrence.tag)
            .having(func.count() > 1)
        ).all()
        assert dupes == []
        article = s.scalar(
            select(LinkCheck).where(
                LinkCheck.scan_id == scan.id, LinkCheck.target == f"http://{HOST}/zwgk/zcjd/t1.html"
            )
        )
        assert article is not None and article.occurrences == 1
        missing = s.scalar(
            select(LinkCheck).where(
                LinkCheck.scan_id == scan.id, LinkCheck.target == f"http://{HOST}/missing.html"
            )
        )
        assert missing is not None and missing.verdict is LinkVerdict.BROKEN
        assert missing.confirmed_at is not None  # the site was link-checked to the end
        pages = s.scalar(select(func.count()).where(Page.scan_id == scan.id))
        assert pages is not None and pages >= 3
    db.dispose()

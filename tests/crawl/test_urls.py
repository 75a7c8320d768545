"""URL normalisation, trap guards and the frontier: one canonical URL per resource, bounded."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from probes.page import page_links
from scanner.crawl import Frontier, Scope, TrapGuard, join_url, normalize_url, url_key


@pytest.mark.parametrize(
    ("base", "href", "encoding", "expected"),
    [
        ("http://www.a.gov.cn/a/b/c.html", "../x/./y.html#top", "utf-8",
         "http://www.a.gov.cn/a/x/y.html"),
        ("HTTP://WWW.A.GOV.CN:80/", "/Index.html", "utf-8", "http://www.a.gov.cn/Index.html"),
        ("https://a.gov.cn:443/a/", "b.html", "utf-8", "https://a.gov.cn/a/b.html"),
        ("http://a.gov.cn:8080/a/", "/b.html", "utf-8", "http://a.gov.cn:8080/b.html"),
        ("http://a.gov.cn/", "/search/?q=教育", "gbk", "http://a.gov.cn/search/?q=%BD%CC%D3%FD"),
        ("http://a.gov.cn/", "/search/?q=教育", "gb2312", "http://a.gov.cn/search/?q=%BD%CC%D3%FD"),
        ("http://a.gov.cn/", "/search/?q=教育", "utf-8",
         "http://a.gov.cn/search/?q=%E6%95%99%E8%82%B2"),
        ("http://a.gov.cn/", "/search/?q=%BD%CC%D3%FD", "utf-8",
         "http://a.gov.cn/search/?q=%BD%CC%D3%FD"),  # already escaped: kept byte for byte
        ("http://a.gov.cn/", "/文件/通知.pdf", "gbk",
         "http://a.gov.cn/%E6%96%87%E4%BB%B6/%E9%80%9A%E7%9F%A5.pdf"),  # paths are UTF-8
        ("http://a.gov.cn/", "/?sid=0A1B2C", "utf-8", "http://a.gov.cn/"),
        ("http://a.gov.cn/", "list.jsp;jsessionid=ABC?id=5&PHPSESSID=x", "utf-8",
         "http://a.gov.cn/list.jsp?id=5"),
        ("http://a.gov.cn/", "list.jsp?b=2&a=1", "utf-8", "http://a.gov.cn/list.jsp?a=1&b=2"),
        ("http://a.gov.cn/x/", "http://A.gov.cn./../../y.html", "utf-8", "http://a.gov.cn/y.html"),
    ],
)  # fmt: skip
def test_normalisation_cases(base: str, href: str, encoding: str, expected: str) -> None:
    assert join_url(base, href, encoding) == expected


@pytest.mark.parametrize(
    "href", ["javascript:void(0)", "mailto:a@b.cn", "tel:12345", "ftp://a.gov.cn/f", "data:,x"]
)
def test_unfetchable_urls_are_refused(href: str) -> None:
    assert join_url("http://a.gov.cn/", href) is None


def test_base_href_and_skipped_hrefs_of_a_page() -> None:
    html = (
        '<html><head><title>t</title><base href="http://a.gov.cn/col/"></head><body>'
        '<a href="../other/">o</a><a href="./t1.html">t1</a><a href="javascript:;">j</a>'
        '<a href="#">h</a><a href="mailto:x@y.cn">m</a><img src="i.png" alt="图">'
        '<embed src="v.swf"><object data="f.pdf"></object><area href="/map.html">'
        "</body></html>"
    )
    found = page_links(html, "http://a.gov.cn/col/202401/t1.html")
    urls = {link.url for link in found.links}
    assert urls == {
        "http://a.gov.cn/other/",
        "http://a.gov.cn/col/t1.html",
        "http://a.gov.cn/col/i.png",
        "http://a.gov.cn/col/v.swf",
        "http://a.gov.cn/col/f.pdf",
        "http://a.gov.cn/map.html",
    }
    assert found.skipped == 3


_segment = st.text(alphabet="abc教育./%-_", min_size=0, max_size=6)


@given(st.lists(_segment, max_size=5), st.text(alphabet="ab=&教%", max_size=8))
def test_normalising_twice_changes_nothing(segments: list[str], query: str) -> None:
    url = "http://a.gov.cn/" + "/".join(quote(s, safe="./%") for s in segments)
    if query:
        url += "?" + query
    once = normalize_url(url, "gbk")
    if once is not None:
        assert normalize_url(once, "gbk") == once


def test_query_cap_bounds_a_calendar() -> None:
    guard = TrapGuard(query_cap=12)
    months = [f"http://a.gov.cn/calendar/?month={y}-{m:02d}" for y in range(2000, 2030)
              for m in range(1, 13)]  # fmt: skip
    allowed = [u for u in months if guard.allow(u)]
    assert len(allowed) == 12 and guard.refused == len(months) - 12
    assert guard.allow("http://a.gov.cn/xwdt/index_7.html")  # pagination has no query: not capped


def test_self_repeating_and_very_deep_paths_are_refused() -> None:
    guard = TrapGuard()
    assert not guard.allow("http://a.gov.cn/a/b/a/b/a/b/a/b/x.html")
    assert not guard.allow("http://a.gov.cn/" + "/".join(f"d{i}" for i in range(30)) + "/")
    assert guard.allow("http://a.gov.cn/xwdt/202401/t20240105_3.html")
    # At the edge: a segment repeated more than `max_repeats` times in the shortest such path.
    small = TrapGuard(max_repeats=2)
    assert small.allow("http://a.gov.cn/a/a/")
    assert small.allow("http://a.gov.cn/a/b/a/")
    assert not small.allow("http://a.gov.cn/a/a/a")
    assert not small.allow("http://a.gov.cn/a/a/a/?x=1")
    assert small.refused == 2


def _allowed_by_urlsplit(guards: dict[str, int], url: str, caps: tuple[int, int, int]) -> bool:
    """The guard's rules as written, every URL through `urlsplit` (what `TrapGuard.allow`
    did before its plain-URL shortcut)."""
    from collections import Counter
    from urllib.parse import urlsplit

    from scanner.crawl.urls import path_pattern

    query_cap, max_segments, max_repeats = caps
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) > max_segments or (
        segments and Counter(segments).most_common(1)[0][1] > max_repeats
    ):
        return False
    if parts.query:
        pattern = path_pattern(url)
        if guards.get(pattern, 0) >= query_cap:
            return False
        guards[pattern] = guards.get(pattern, 0) + 1
    return True


@pytest.mark.parametrize("caps", [(3, 16, 3), (2, 4, 1), (5, 2, 0), (1, 0, 2)])
def test_trap_guard_says_what_urlsplit_says(caps: tuple[int, int, int]) -> None:
    """Plain URLs take a shortcut past `urlsplit` and the segment `Counter`: on generated URLs
    (short and long paths, repeated segments, queries, fragments, odd ones that are not plain)
    the guard allows and refuses exactly as the rules read through `urlsplit` do."""
    import random

    rng = random.Random(sum(caps))
    words = ["a", "b", "xwdt", "2024", "", "t1.html", "c%20d", "index_2.html"]
    guard = TrapGuard(*caps)
    seen: dict[str, int] = {}
    refused = 0
    for _ in range(4000):
        path = "/".join(rng.choice(words) for _ in range(rng.randint(0, 9)))
        heads = ["http://a.gov.cn/", "https://a.gov.cn:8080/", "HTTP://A.gov.cn/",
                 "http://a.gov.cn", "http://[::1]/", "http://a.gov.cn/\t"]  # fmt: skip
        url = rng.choice(heads) + path
        url += rng.choice(["", "", "?q=1", "?q=2&p=3", "#frag", "#f?x=1", "?"])
        expected = _allowed_by_urlsplit(seen, url, caps)
        refused += not expected
        assert guard.allow(url) is expected, url
    assert guard.refused == refused > 0


def test_frontier_is_breadth_first_unique_and_capped() -> None:
    frontier = Frontier(max_pages=3, max_depth=2)
    assert frontier.add("http://a.gov.cn/", 0)
    assert not frontier.add("http://a.gov.cn/", 1)  # seen
    assert frontier.add("http://a.gov.cn/b/", 1)
    assert not frontier.add("http://a.gov.cn/deep/", 3)  # too deep
    assert frontier.add("http://a.gov.cn/c/", 2)
    assert not frontier.add("http://a.gov.cn/d/", 1)  # page cap
    assert [frontier.pop(), frontier.pop(), frontier.pop(), frontier.pop()] == [
        ("http://a.gov.cn/", 0), ("http://a.gov.cn/b/", 1), ("http://a.gov.cn/c/", 2), None,
    ]  # fmt: skip
    assert frontier.refused_depth == 1 and frontier.refused_cap == 1


def test_seen_set_keeps_8_byte_keys() -> None:
    key = url_key("http://a.gov.cn/")
    assert 0 <= key < 2**64 and key == url_key("http://a.gov.cn/")


def test_scope_is_the_site_and_its_own_hosts() -> None:
    scope = Scope(["www.a.gov.cn", "zwgk.a.gov.cn"])
    assert scope.inside("https://zwgk.a.gov.cn/x")
    assert not scope.inside("http://www.gov.cn/")


_label = st.text(alphabet="abcz09-", min_size=1, max_size=70) | st.just("")


def _both_ways(url: str) -> tuple[str | None, str | None]:
    """The normal form with the plain-URL shortcut, and through w3lib always."""
    from scanner.crawl import urls

    params = urls.DEFAULT_SESSION_PARAMS
    ours = urls._normalize.__wrapped__(url, "utf-8", params)
    plain, urls._PLAIN_URL_RE = urls._PLAIN_URL_RE, re.compile(r"(?!)")  # never plain: w3lib
    try:
        theirs = urls._normalize.__wrapped__(url, "utf-8", params)
    finally:
        urls._PLAIN_URL_RE = plain
    return ours, theirs


@settings(max_examples=400)
@given(
    st.sampled_from(["http", "https"]),
    st.lists(_label, min_size=1, max_size=4),
    st.sampled_from(["", ":80", ":443", ":8081", ":080", ":0", ":99999"]),
    st.text(alphabet="aZ09_.~/-%?#;:&=教 ", max_size=30),
)
def test_plain_urls_skip_w3lib_and_normalise_the_same(
    scheme: str, labels: list[str], port: str, path: str
) -> None:
    """A URL that `canonicalize_url` would give back unchanged skips it: the normal form is
    the same as through w3lib, for URLs inside the pattern and just outside it."""
    ours, theirs = _both_ways(f"{scheme}://{'.'.join(labels)}{port}/{path}")
    assert ours == theirs


@pytest.mark.parametrize(
    "url",
    [
        "http://a.gov.cn/x/y.html",
        "http://a.gov.cn:080/x/y.html",
        "http://A.gov.cn/x/",
        "http://a.gov.cn/x/y.html?b=2&a=1",
        "http://a.gov.cn/x/y.html?a",
        "http://a.gov.cn/x/y.html#top",
        "http://a.gov.cn/x/%7ey.html",
        "http://a.gov.cn/x/%e6%95%99.html",
        "http://a.gov.cn/x/100%.html",
        "http://a.gov.cn/x/./y.html",
        "http://a.gov.cn/x/../y.html",
        "http://a.gov.cn/x/..",
        "http://a.gov.cn/x/y;jsessionid=1",
        "http://a.gov.cn/x/a b.html",
        "http://a.gov.cn/教育/",
        "http://a..gov.cn/x",
        "http://" + "a" * 64 + ".gov.cn/x",
    ],
)
def test_urls_at_the_edge_of_the_plain_pattern(url: str) -> None:
    ours, theirs = _both_ways(url)
    assert ours == theirs


@pytest.mark.parametrize("code", [*range(0x20), 0x7F, 0x20, 0x80, 0x9F, ord("教")])
def test_control_characters_make_a_url_unfetchable(code: int) -> None:
    """C0 controls and DEL anywhere make an href an 错误 link; space, C1 and text do not
    (a space is escaped when sent)."""
    from scanner.http.urls import url_problem

    url = f"http://a.gov.cn/x{chr(code)}y.html"
    control = code < 0x20 or code == 0x7F
    problem = url_problem(url)
    if control:
        assert problem is not None and "控制字符" in problem
    else:
        assert problem is None


@settings(max_examples=600)
@given(
    st.sampled_from(
        ["http://a.gov.cn", "https://A.gov.cn:443", " http://a.gov.cn", "http://a#b@c"]
    ),
    st.text(alphabet="aZ09_./%?#;:&= \t\x01\x7f\u3000教", max_size=24),
    st.text(alphabet="a#/? \t", max_size=6),
)
def test_a_fragment_is_cut_as_w3lib_drops_it(origin: str, path: str, fragment: str) -> None:
    """`normalize_url` and the crawl's memo cut the fragment before normalising: the normal
    form is still w3lib's, which drops it (a space before the ``#`` included)."""
    from types import SimpleNamespace

    from scanner.crawl import urls
    from scanner.crawl.site import SiteCrawl

    url = f"{origin}/{path}#{fragment}"
    plain, urls._PLAIN_URL_RE = urls._PLAIN_URL_RE, re.compile(r"(?!)")  # w3lib every time
    try:
        theirs = urls._normalize.__wrapped__(url.strip(), "utf-8", urls.DEFAULT_SESSION_PARAMS)
    finally:
        urls._PLAIN_URL_RE = plain
    assert urls.normalize_url(url) == theirs
    crawl = SimpleNamespace(_normal={}, params=urls.DEFAULT_SESSION_PARAMS)
    assert SiteCrawl._normalize(crawl, url, "utf-8") == theirs  # type: ignore[arg-type]

"""`page_links` remembers a site's joins by the part of the page's URL each depends on
(`probes.page._join_key`): two pages whose keys agree must get what the standard library's
`urljoin` gives each of them, and a page's links must not depend on the pages read before.

The reference is `urljoin` itself (with the port and length checks `join_href` promises), on
bases that share an origin or a directory and differ in the rest, and on hrefs built from the
pieces that change a join.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from hypothesis import example, given, settings
from hypothesis import strategies as st

import probes.page as page
from probes.page import _base_prefixes, _join_key, page_links
from scanner.http.urls import MAX_URL_LENGTH


def reference(base: str, href: str) -> str | None:
    if len(href) > MAX_URL_LENGTH:
        return None
    try:
        url = urljoin(base, href)
        urlsplit(url).port  # noqa: B018 - raises on a port that is not a number in range
    except ValueError:
        return None
    return url if len(url) <= MAX_URL_LENGTH else None


_PIECES = [
    "/", "//", ".", "..", "./", "../", "a", "B", "中", "%2e", "?", "#", ";", ":", "@", "=",
    "&", "[", "]", " ", "\t", "\n", "\x00", "\x7f", "\u3000", "http:", "https:", "HTTP:",
    "ftp:", "http://", "https://", "www.example.gov.cn", ":80", ":99999", "u:p@", "index.html",
    "t20261201_1.html", "col/", "?id=1", "#f", ";p=1", "\\",
]  # fmt: skip
_hrefs = st.one_of(
    st.lists(st.sampled_from(_PIECES), min_size=1, max_size=10).map("".join),
    st.text(alphabet="/.?#;:@[]a1 \t%\\", min_size=1, max_size=20),
)
_origins = st.sampled_from(
    ["http://www.example.gov.cn", "https://www.example.gov.cn", "http://127.0.0.1:8091",
     "http://h:99999", "http://u:p@h", "HTTP://H", "http://[::1]:8080", "http://[::1",
     "http://中文.cn", "ftp://h", "http://h:x"]
)  # fmt: skip
_dirs = st.lists(st.sampled_from(["a", "b", ".", "..", "c;p", "", " ", "%2e"]), max_size=3).map(
    lambda parts: "/" + "".join(p + "/" for p in parts)
)
_tails = st.sampled_from(
    ["", "index.html", "b.html?q=1", "x;p", "?", "#f", "c.html?q#f", "..", ".", "d\te", ";"]
)


@settings(max_examples=3000, deadline=None)
@given(origin=_origins, directory=_dirs, tail1=_tails, tail2=_tails, other=_dirs, href=_hrefs)
@example(
    origin="http://h", directory="/a/", tail1="b.html?x", tail2="c", other="/z/", href="http:?y"
)
@example(origin="http://h", directory="/a/", tail1="b", tail2="c", other="/z/", href="http://?y")
@example(origin="http://h", directory="/a/", tail1="b?q", tail2="c", other="/z/", href="?x")
def test_pages_with_one_key_join_alike(
    origin: str, directory: str, tail1: str, tail2: str, other: str, href: str
) -> None:
    """Three pages: two in one directory, one elsewhere on the host. Wherever two of them give
    the href one key, `urljoin` joins it alike for both."""
    bases = [origin + directory + tail1, origin + directory + tail2, origin + other + tail1]
    href = href.strip()  # page_links strips what it reads
    if not href:
        return
    keyed: dict[tuple[str, str], str | None] = {}
    for base in bases:
        key = _join_key(_base_prefixes(base), href)
        if key is None:
            continue
        joined = reference(base, href)
        assert keyed.setdefault(key, joined) == joined, (base, href, key)


def _page(hrefs: list[str]) -> str:
    anchors = "".join(f'<a href="{h}">l{i}</a>' for i, h in enumerate(hrefs))
    return f"<html><head><title>t</title></head><body>{anchors}</body></html>"


_PAGE_HREFS = ["/a", "b.html", "../c", "http://h/x", "//o/y", "d?x=1"]
_PAGE_URLS = [
    "http://h/a/b.html",
    "http://h/a/c.html?x",
    "http://h/z/",
    "https://h/a/b.html",
    "http://o/a/b.html",
    "http://h",
]


@settings(max_examples=300, deadline=None)
@given(
    hrefs=st.lists(st.sampled_from(_PAGE_HREFS), min_size=1, max_size=8),
    urls=st.lists(st.sampled_from(_PAGE_URLS), min_size=2, max_size=5),
)
def test_a_pages_links_do_not_depend_on_the_pages_before(hrefs: list[str], urls: list[str]) -> None:
    html = _page(hrefs)
    for url in urls:
        remembered = page_links(html, url)
        page._JOINS.clear()
        fresh = page_links(html, url)
        assert remembered == fresh
        expected = dict.fromkeys(reference(url, h) for h in hrefs)
        assert [link.url for link in fresh.links] == list(expected)


def test_the_memo_is_bounded() -> None:
    page._JOINS.clear()
    for i in range(page._JOINS_MAX + 10):
        page_links(_page([f"/p{i}.html"]), "http://h/a/b.html")
    assert 0 < len(page._JOINS) <= page._JOINS_MAX

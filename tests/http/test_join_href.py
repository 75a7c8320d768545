"""`join_href` must give exactly what `urljoin` gives, then the port and length checks.

It reproduces `urljoin` without calling it for the hrefs pages are made of; the reference here
is the standard library itself, on listed cases and on hrefs and bases generated from the
pieces that change a join (dot segments, empty queries and parameters, schemes, hosts with
ports, brackets, userinfo, control characters, non-ASCII text).
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from scanner.http.urls import MAX_URL_LENGTH, join_href


@pytest.fixture(autouse=True)
def engine() -> str:
    """No client is built here: one run, not one per transport (the package's fixture)."""
    return "none"


BASES = [
    "http://127.0.0.1:8091/col/a/b.html",
    "https://www.Example.gov.cn/x/",
    "http://www.example.gov.cn:80/",
    "http://[::1]:8080/a",
    "http://u:p@www.example.gov.cn/a?q=1#f",
    "http://www.example.gov.cn",
    "http://www.example.gov.cn/a//b/./c/../d;p?q",
    "HTTP://WWW.example.gov.cn/a/b/",
    "https://www.example.gov.cn:0443/",
    "http://www.example.gov.cn:/a/",
    "ftp://ftp.example.gov.cn/pub/",
    "",
]
HREFS = [
    "/",
    "/col/zwyw/index.html",
    "/中文/页面.html",
    "/a%20b/c",
    "/a b",
    "/a//b",
    "/a/../b",
    "/a/./b",
    "/a/..",
    "/.hidden",
    "/a?",
    "/a?x=1",
    "/a#",
    "/a#top",
    "/a;jsessionid=1",
    "/a;",
    "/a\tb",
    "/a\nb",
    "//other.example.gov.cn/y",
    "//other.example.gov.cn",
    "///y",
    "a.html",
    "./a.html",
    "../a.html",
    "../../../../a.html",
    "b/../c/./d.html",
    "b//c.html",
    "..",
    ".",
    "?page=2",
    "?",
    "#",
    "#top",
    ";x",
    "t20261201_1.html?a=b#c",
    "http://www.example.gov.cn/a",
    "HTTP://Other.gov.cn/A",
    "https://other.gov.cn:8443/a",
    "https:other",
    "http:a/b",
    "http:/a/b",
    "http:",
    "http://[::1",
    "http://a.gov.cn:99999/",
    "http://a.gov.cn:port/",
    "//℀.gov.cn/a",
    "//中文.政务/a",
    "ftp://x/y",
    "mailto:a@b.c",
    "index.html:80",
    " /a",
    "\x00/a",
    "/a ",
    "\u3000/a",
    "",
]


def reference(base: str, href: str) -> str | None:
    """What join_href promises: urljoin, a URL whose port parses, at most MAX_URL_LENGTH."""
    if len(href) > MAX_URL_LENGTH:
        return None
    try:
        url = urljoin(base, href)
        urlsplit(url).port  # noqa: B018 - raises on a port that is not a number in range
    except ValueError:
        return None
    return url if len(url) <= MAX_URL_LENGTH else None


@pytest.mark.parametrize("base", BASES)
def test_same_as_urljoin(base: str) -> None:
    assert [join_href(base, h) for h in HREFS] == [reference(base, h) for h in HREFS]


def test_a_base_with_a_bad_port_gives_no_url() -> None:
    assert join_href("http://www.example.gov.cn:99999/a", "/b") is None
    assert join_href("http://www.example.gov.cn:" + "9" * 5000 + "/a", "b") is None
    assert join_href("http://www.example.gov.cn:" + "0" * 5000 + "80/a", "b") is None


def test_the_length_limit() -> None:
    base = "http://www.example.gov.cn/a/"
    assert join_href(base, "b" * (MAX_URL_LENGTH + 1)) is None
    assert join_href(base, "b" * (MAX_URL_LENGTH - len(base))) == base + "b" * (
        MAX_URL_LENGTH - len(base)
    )
    assert join_href(base, "b" * (MAX_URL_LENGTH - len(base) + 1)) is None


# Pieces that change what urljoin does, glued in any order: generated hrefs are mostly
# nonsense, which is what hostile pages hold.
_PIECES = [
    "/", "//", ".", "..", "./", "../", "a", "B", "中", "%2e", "?", "#", ";", ":", "@", "=",
    "&", "[", "]", "::1", " ", "\t", "\n", "\r", "\x00", "\x0b", "\x1f", "\x7f", "\u3000",
    "℀", "http:", "https:", "HTTP:", "ftp:", "javascript:", "x-y.z+1:", "http://",
    "https://", "www.example.gov.cn", "other.gov.cn", ":80", ":0080", ":99999", ":8x",
    "u:p@", "index.html", "t20261201_1.html", "col/", "?id=1", "#f", ";p=1",
]  # fmt: skip
_hrefs = st.one_of(
    st.lists(st.sampled_from(_PIECES), max_size=12).map("".join),
    st.text(max_size=30),
    st.text(alphabet="/.?#;:@[]a1 \t%", max_size=20),
)
_hosts = st.sampled_from(
    ["www.example.gov.cn", "127.0.0.1:8091", "h:80", "h:", "h:0080", "h:99999", "h:x",
     "u:p@h", "u@h:81", "[::1]:8080", "[::1", "中文.cn", "℀.cn", "H.Gov.CN", ""]
)  # fmt: skip
_paths = st.lists(st.sampled_from(["", "a", "b.html", ".", "..", "c;p", " "]), max_size=5).map(
    lambda parts: "/" + "/".join(parts)
)
_bases = st.one_of(
    st.builds(
        lambda scheme, host, path, query: f"{scheme}://{host}{path}{query}",
        st.sampled_from(["http", "https", "HTTP", "ftp"]),
        _hosts,
        st.one_of(st.just(""), _paths),
        st.sampled_from(["", "?", "?q=1", "#f", "?q#f", ";x"]),
    ),
    st.lists(st.sampled_from(_PIECES), max_size=8).map("".join),
)


@settings(max_examples=3000, deadline=None)
@given(base=_bases, href=_hrefs)
@example(base="http://www.example.gov.cn/a/b.html", href="../../c/./d/")
@example(base="http://h/a/b/", href=";x")
@example(base="https://h/", href="http://h/a")
def test_generated_hrefs_join_as_urljoin(base: str, href: str) -> None:
    assert join_href(base, href) == reference(base, href)


@settings(max_examples=1500, deadline=None)
@given(
    base=st.sampled_from(["http://www.example.gov.cn/col/a/index.html", "https://h:8443/"]),
    href=st.lists(st.sampled_from(_PIECES), min_size=1, max_size=6).map(
        lambda parts: "/" + "".join(parts)
    ),
)
def test_generated_page_hrefs_join_as_urljoin(base: str, href: str) -> None:
    """Hrefs shaped like a page's (rooted or relative paths) against an ordinary base."""
    assert join_href(base, href) == reference(base, href)
    assert join_href(base, href.lstrip("/")) == reference(base, href.lstrip("/"))

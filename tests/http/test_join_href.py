"""`join_href`'s shortcut for root-relative hrefs must give exactly what `urljoin` gives."""

from __future__ import annotations

from urllib.parse import urljoin

import pytest

from scanner.http.urls import join_href

BASES = [
    "http://127.0.0.1:8091/col/a/b.html",
    "https://www.Example.gov.cn/x/",
    "http://www.example.gov.cn:80/",
    "http://[::1]:8080/a",
    "http://u:p@www.example.gov.cn/a?q=1#f",
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
    "/a\tb",
    "/a\nb",
    "//other.example.gov.cn/y",
]


@pytest.mark.parametrize("base", BASES)
def test_same_as_urljoin(base: str) -> None:
    assert [join_href(base, h) for h in HREFS] == [urljoin(base, h) for h in HREFS]


def test_a_base_with_a_bad_port_gives_no_url() -> None:
    assert join_href("http://www.example.gov.cn:99999/a", "/b") is None

"""A link's kind from its path's extension: the fast reading of plain http(s) URLs gives what
the standard library's `urlsplit` gives, for every URL, however odd."""

from __future__ import annotations

import random
from urllib.parse import urlsplit

import pytest

from probes.links import _extension, is_attachment, looks_like_page


def _by_urlsplit(url: str) -> str:
    last = urlsplit(url).path.rsplit("/", 1)[-1]
    return last.rsplit(".", 1)[-1].lower() if "." in last else ""


ODD = [
    "http://example.gov.cn",
    "http://example.gov.cn/",
    "http://example.gov.cn/a/b.PDF",
    "https://example.gov.cn/a/b.pdf?x=1.html#y.doc",
    "http://example.gov.cn/a.b/c",
    "http://example.gov.cn/a/b.",
    "http://example.gov.cn?x=/a.pdf",
    "http://example.gov.cn#/a.pdf",
    "http://example.gov.cn/#a.pdf",
    "http://example.gov.cn/a.pdf#",
    "http://user:pw@example.gov.cn:8080/x.xls",
    "http://[::1]:80/x.doc",
    "HTTP://example.gov.cn/x.pdf",
    "Http://example.gov.cn/x.pdf",
    "http:/example.gov.cn/x.pdf",
    "http:example.gov.cn/x.pdf",
    "http:///x.pdf",
    "http://",
    "https://",
    "http://example.gov.cn/x.p\tdf",
    "http://example.gov.cn/x\n.pdf",
    "http://exa\rmple.gov.cn/x.pdf",
    " http://example.gov.cn/x.pdf",
    "http://example.gov.cn/x.pdf ",
    "\x00http://example.gov.cn/x.pdf",
    "ftp://example.gov.cn/x.pdf",
    "/relative/x.pdf",
    "x.pdf",
    "",
    "http://example.gov.cn/%2E%2E/x.PdF;jsessionid=1",
    "http://example.gov.cn/文件/附件.DOCX",
    "http://example.gov.cn/a/b.tar.gz",
]


@pytest.mark.parametrize("url", ODD)
def test_extension_is_urlsplits(url: str) -> None:
    assert _extension(url) == _by_urlsplit(url)


def test_extension_is_urlsplits_on_random_urls() -> None:
    rng = random.Random(20261203)
    parts = ["http://", "https://", "HTTP://", "http:", "//", "/", "?", "#", ".", "..", ":",
             "@", "a", "b.pdf", "c.HTML", "x", "%2F", "\t", "\n", " ", ";", "=", "&", "[", "]",
             "中", "8080"]  # fmt: skip
    for _ in range(20_000):
        url = "".join(rng.choice(parts) for _ in range(rng.randint(0, 9)))
        if rng.random() < 0.7:
            url = rng.choice(["http://", "https://"]) + url
        try:
            expected = _by_urlsplit(url)
        except ValueError:  # urlsplit refuses it (an unbalanced bracket): so must the fast way
            with pytest.raises(ValueError):
                _extension(url)
            continue
        assert _extension(url) == expected, url


def test_kinds_follow_the_extension() -> None:
    assert is_attachment("http://example.gov.cn/files/2015.PDF?v=2")
    assert not looks_like_page("http://example.gov.cn/files/2015.pdf")
    assert not looks_like_page("http://example.gov.cn/img/logo.png#top")
    assert looks_like_page("http://example.gov.cn/news/index.html")
    assert looks_like_page("http://example.gov.cn/news/?file=a.pdf")
    assert looks_like_page("http://example.gov.cn")

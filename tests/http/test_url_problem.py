"""`url_problem` and `plain_path` read plain URLs without `urlsplit`, with urlsplit's answers.

The reference below is the standard library's reading of a URL, as `url_problem` did it for
every URL before the shortcut (its first message is compared, not just None or not)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from scanner.http.urls import MAX_URL_LENGTH, plain_path, url_problem


def reference(url: str) -> str | None:
    if len(url) > MAX_URL_LENGTH:
        return "long"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        return "malformed"
    if parts.scheme.lower() not in ("http", "https"):
        return "scheme"
    if not parts.hostname:
        return "host"
    if re.search(r"[\x00-\x1f\x7f]", url):
        return "control"
    return None


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8081/a/b.png",
        "https://www.gov.cn/zhengce/2024-01/01/content_1.htm?x=1#top",
        "http://a.gov.cn:65535/",
        "http://a.gov.cn:65536/",  # out of range
        "http://a.gov.cn:99999/x",
        "http://a.gov.cn:0/",
        "http://a.gov.cn:/x",  # an empty port
        "http://a.gov.cn/路径/文件.pdf",
        "http://a.gov.cn/a b.pdf",
        "http://a.gov.cn/a\tb.pdf",
        "http://a.gov.cn/a\x7f.pdf",
        "http://a.gov.cn/a\x00",
        "http://./x",
        "http://-/",
        "http:///x",
        "http://a.gov.cn#frag",
        "http://a.gov.cn?q",
        "http://user@a.gov.cn/",
        "http://[::1/",
        "HTTP://A.GOV.CN/",
        "ftp://a.gov.cn/f",
        "http://a.gov.cn" + "/x" * 1000,
    ],
)
def test_edge_cases(url: str) -> None:
    assert (url_problem(url) is None) == (reference(url) is None), url


_URL_CHARS = st.sampled_from([*"aZ09.-:/?#@[]% \t\x00\x7f政", "8081", "65536", "http"])


@settings(max_examples=400, deadline=None)
@given(
    scheme=st.sampled_from(["http://", "https://", "HTTP://", "ftp://", "http:/", ""]),
    rest=st.lists(_URL_CHARS, max_size=30).map("".join),
)
@example(scheme="http://", rest="a.cn:65536")
@example(scheme="http://", rest="a.cn:8081/x")
def test_generated_urls(scheme: str, rest: str) -> None:
    url = scheme + rest
    assert (url_problem(url) is None) == (reference(url) is None), url


@settings(max_examples=400, deadline=None)
@given(
    scheme=st.sampled_from(["http://", "https://", "HTTP://", "ftp://", "http:/", ""]),
    rest=st.lists(_URL_CHARS, max_size=30).map("".join),
)
@example(scheme="http://", rest="a.cn:8081/x.pdf?y#z")
@example(scheme="https://", rest="a.cn#/x")
def test_plain_path_is_urlsplits_path(scheme: str, rest: str) -> None:
    url = scheme + rest
    path = plain_path(url)
    if path is not None:  # None: the caller reads it through urlsplit itself
        assert path == urlsplit(url).path, url


def test_targets_take_the_plain_way() -> None:
    """The URLs a crawl meets by the thousand are read without urlsplit; odd ones are not."""
    assert plain_path("http://127.0.0.1:8081/a/b.PDF?x=1") == "/a/b.PDF"
    assert plain_path("https://www.gov.cn") == ""
    assert plain_path("https://www.gov.cn?q=/a.pdf") == ""
    for odd in ("HTTP://a.cn/x", "http://u@a.cn/x", "http://[::1]/x", "http://政.cn/x",
                "http://a.cn/x\ty"):  # fmt: skip
        assert plain_path(odd) is None, odd

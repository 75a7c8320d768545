"""Redirect stubs: where they send a browser, and ordinary pages that are no stubs."""

from __future__ import annotations

import pytest

from probes.listpage import parse_html
from probes.redirects import redirect_target

URL = "http://www.example.gov.cn/index.html"


@pytest.mark.parametrize(
    ("html", "target"),
    [
        (
            '<meta http-equiv="refresh" content="0;url=/col/col1/index.html">',
            "http://www.example.gov.cn/col/col1/index.html",
        ),
        (
            "<META HTTP-EQUIV='Refresh' CONTENT='3; URL=http://www.example.gov.cn/new/'>",
            "http://www.example.gov.cn/new/",
        ),
        (
            '<body><script>window.location.href = "./zwgk/index.shtml";</script></body>',
            "http://www.example.gov.cn/zwgk/index.shtml",
        ),
        (
            "<body>正在跳转……<script>location.replace('/portal/index.jsp')</script></body>",
            "http://www.example.gov.cn/portal/index.jsp",
        ),
        (
            "<body><script>top.location='http://new.example.gov.cn/'</script></body>",
            "http://new.example.gov.cn/",
        ),
        (  # the URL split into literals joined with '+' (a real stub, 2018)
            "<html><script>window.location.href='http:/'+'/'+'www.sat.gov.cn/sat/';</script></html>",
            "http://www.sat.gov.cn/sat/",
        ),
        (
            '<body><script>location.href = "/new" + "/index.html" ;</script></body>',
            "http://www.example.gov.cn/new/index.html",
        ),
        (  # IIS's redirect body, saved as a site's root page
            "<head><title>Document Moved</title></head><body><h1>Object Moved</h1>This document"
            ' may be found <a HREF="http://www.example.gov.cn/new/">here</a></body>',
            "http://www.example.gov.cn/new/",
        ),
        (  # a proxy's 302 body: the target written as the link text too
            "<html><head><title>302 Moved Temporarily</title></head><body><p>This document you"
            ' requested has moved temporarily.</p><p>It\'s now at <a href="/portal/index.html">'
            "http://www.example.gov.cn/portal/index.html</a>.</p></body></html>",
            "http://www.example.gov.cn/portal/index.html",
        ),
    ],
)
def test_stubs_point_somewhere(html: str, target: str) -> None:
    assert redirect_target(parse_html(html), URL) == target


LINKS = "".join(
    f'<li><a href="/a/{n}.html">关于开展第{n}项重点工作的通知</a></li>' for n in range(8)
)


@pytest.mark.parametrize(
    "html",
    [
        # a full page whose search box sets location on submit
        f"<body><ul>{LINKS}</ul><script>function go() {{ location.href = '/search?q=' + q; }}"
        "</script></body>",
        # a refresh that only reloads the same page, and a slow notice page
        '<meta http-equiv="refresh" content="300">',
        '<meta http-equiv="refresh" content="60;url=/other.html">',
        f'<meta http-equiv="refresh" content="0;url={URL}">',
        "<body><script>location.href = 'javascript:void(0)'</script></body>",
        # nginx's 301 body names no target; a page that only mentions "Found" in a long text
        "<html><head><title>301 Moved Permanently</title></head><body><center><h1>301 Moved"
        " Permanently</h1></center><hr><center>nginx</center></body></html>",
        "<head><title>Found</title></head><body><p>"
        + "本站已迁移，相关栏目见下。" * 20
        + '<a href="/x.html">x</a></p></body>',
        # a notice title over two different links is no redirect
        '<head><title>Moved</title></head><body><a href="/a.html">a</a> <a href="/b.html">b</a>'
        "</body>",
    ],
)
def test_ordinary_pages_are_no_stubs(html: str) -> None:
    assert redirect_target(parse_html(html), URL) is None

"""`probes.links.check_link` on a MockTransport: one route per way a link can be broken."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import httpx
import pytest

from probes.links import LinkResult, Verdict, check_link, is_soft404
from scanner.clock import SimulatedClock
from scanner.http import HostLimiter, build_client
from scanner.settings import load_settings

Handler = Callable[[httpx.Request], httpx.Response]
HTML = {"content-type": "text/html; charset=utf-8"}


def _page(title: str, body: str = "") -> bytes:
    return f"<html><head><title>{title}</title></head><body>{body}</body></html>".encode()


class _Endless(httpx.AsyncByteStream):
    """A 10 MB download that counts how much of it was read."""

    def __init__(self) -> None:
        self.chunks = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(160):
            self.chunks += 1
            yield b"%PDF" + b"\0" * 65532


async def _check(handler: Handler, url: str, **kw: object) -> tuple[LinkResult, list[str]]:
    seen: list[str] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.path}")
        return handler(request)

    client = build_client(load_settings(), transport=httpx.MockTransport(record))
    async with client:
        result = await check_link(client, url, deadline=5, max_bytes=16_384, **kw)  # type: ignore[arg-type]
    return result, seen


async def test_a_document_needs_only_a_head() -> None:
    def handler(r: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "application/pdf"})

    result, seen = await _check(handler, "http://a.gov.cn/files/report.pdf")
    assert result.verdict is Verdict.OK and seen == ["HEAD /files/report.pdf"]


async def test_head_refused_falls_back_to_a_short_get() -> None:
    stream = _Endless()

    def handler(r: httpx.Request) -> httpx.Response:
        if r.method == "HEAD":
            return httpx.Response(405)
        return httpx.Response(200, headers={"content-type": "application/pdf"}, stream=stream)

    result, seen = await _check(handler, "http://a.gov.cn/files/big.pdf")
    assert result.verdict is Verdict.OK and result.method == "GET"
    assert seen == ["HEAD /files/big.pdf", "GET /files/big.pdf"]
    assert stream.chunks <= 2  # never the whole 10 MB


async def test_html_where_a_file_should_be_is_broken() -> None:
    def handler(r: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, headers=HTML, content=_page("错误提示", "您要下载的文件不存在或已被删除！")
        )

    result, _ = await _check(handler, "http://a.gov.cn/files/form.doc")
    assert result.verdict is Verdict.BROKEN and result.kind == "soft404"


@pytest.mark.parametrize(
    ("status", "title", "body", "verdict", "kind"),
    [
        (200, "页面不存在", "", Verdict.BROKEN, "soft404"),
        (200, "提示", "对不起，您访问的页面不存在。", Verdict.BROKEN, "soft404"),
        (200, "404 Not Found", "", Verdict.BROKEN, "soft404"),
        (200, "县财政局民生实事推进会召开（4044）", "正文", Verdict.OK, "ok"),
        (200, "访问被拦截", "网站防火墙 安全狗", Verdict.UNDETERMINED, "waf"),
        (404, "", "", Verdict.BROKEN, "not_found"),
        (410, "", "", Verdict.BROKEN, "not_found"),
        (500, "", "", Verdict.BROKEN, "http_500"),
        (503, "", "", Verdict.BROKEN, "http_503"),
        (403, "", "", Verdict.UNDETERMINED, "http_403"),
        (429, "", "", Verdict.UNDETERMINED, "http_429"),
    ],
)
async def test_page_verdicts(
    status: int, title: str, body: str, verdict: Verdict, kind: str
) -> None:
    def handler(r: httpx.Request) -> httpx.Response:
        return httpx.Response(status, headers=HTML, content=_page(title, body))

    result, seen = await _check(handler, "http://a.gov.cn/zt/page.html")
    assert (result.verdict, result.kind) == (verdict, kind)
    assert seen == ["GET /zt/page.html"]  # a page gets its GET straight away


async def test_empty_page_is_broken() -> None:
    result, _ = await _check(lambda r: httpx.Response(200, headers=HTML), "http://a.gov.cn/x/")
    assert result.verdict is Verdict.BROKEN and result.kind == "empty"


async def test_redirect_to_a_not_found_page_is_broken() -> None:
    def handler(r: httpx.Request) -> httpx.Response:
        if r.url.path == "/old.html":
            return httpx.Response(302, headers={"location": "/error/404.html"})
        return httpx.Response(200, headers=HTML, content=_page("提示", "找不到该页面"))

    result, _ = await _check(handler, "http://a.gov.cn/old.html")
    assert result.verdict is Verdict.BROKEN and result.kind == "redirect_soft404"
    assert result.final_url == "http://a.gov.cn/error/404.html"


async def test_429_slows_the_host_down_for_its_retry_after() -> None:
    clock = SimulatedClock(datetime(2024, 3, 1, tzinfo=UTC))
    limiter = HostLimiter(2, 100, clock=clock)

    def handler(r: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers={"retry-after": "30"})

    result, _ = await _check(handler, "http://a.gov.cn/x.html", limiter=limiter, retry_after_cap=5)
    assert result.verdict is Verdict.UNDETERMINED
    before = clock.monotonic()
    async with limiter.slot("a.gov.cn"):  # the next request to the host waits out the hold
        assert clock.monotonic() - before == 5  # Retry-After 30, capped at 5


def test_soft404_words_do_not_fire_on_ordinary_pages() -> None:
    assert not is_soft404("关于开展2024年安全生产检查的通知_县政府", "")
    assert not is_soft404("通知公告", "")
    assert is_soft404("找不到网页", "")

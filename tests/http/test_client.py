"""The HTTP layer against real sockets on loopback: host map, TLS, charsets, caps, deadlines."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
import pytest

from scanner.clock import SimulatedClock
from scanner.http import (
    FailureKind,
    Fetched,
    FetchFailed,
    HostLimiter,
    build_client,
    decode_html,
    fetch,
)
from scanner.http.limits import retry_after_seconds
from scanner.settings import load_settings, parse_host_map
from tests.http.conftest import GBK_PAGE, TRICKLE_CHUNKS, LoopbackServer


def _client(server: LoopbackServer, **overrides: object) -> httpx.AsyncClient:
    host_map = (
        f"www.example-county.gov.cn=127.0.0.1:{server.port},"
        f"*.example-city.gov.cn=127.0.0.1:{server.port},"
        f"www.tls-ok.gov.cn=127.0.0.1:{server.tls_port},"
        f"www.tls-wrong.gov.cn=127.0.0.1:{server.tls_port},"
        f"www.closed.gov.cn=127.0.0.1:{server.closed_port}"
    )
    settings = load_settings(host_map=host_map, extra_ca_file=server.ca_pem, **overrides)
    return build_client(settings)


async def test_mapped_host_keeps_its_name_in_url_and_host_header(server: LoopbackServer) -> None:
    async with _client(server) as client:
        response = await client.get("http://www.example-county.gov.cn/")
    assert response.status_code == 200
    assert str(response.url) == "http://www.example-county.gov.cn/"
    assert server.recorder.hosts == ["www.example-county.gov.cn"]
    assert "GovCensusBot" in response.request.headers["user-agent"]


async def test_suffix_entries_map_every_name_below(server: LoopbackServer) -> None:
    async with _client(server) as client:
        response = await client.get("http://jyj.example-city.gov.cn/")
    assert response.status_code == 200
    assert server.recorder.hosts == ["jyj.example-city.gov.cn"]


async def test_hosts_outside_an_exclusive_map_fail_as_dns(server: LoopbackServer) -> None:
    async with _client(server) as client:
        with pytest.raises(FetchFailed) as info:
            await fetch(client, "http://www.gov.cn/", deadline=5, max_bytes=1000)
    assert info.value.failure is FailureKind.DNS


async def test_closed_port_is_a_connect_failure(server: LoopbackServer) -> None:
    async with _client(server) as client:
        with pytest.raises(FetchFailed) as info:
            await fetch(client, "http://www.closed.gov.cn/", deadline=5, max_bytes=1000)
    assert info.value.failure is FailureKind.CONNECT


async def test_tls_verifies_against_the_real_name_via_sni(server: LoopbackServer) -> None:
    async with _client(server) as client:
        good = await fetch(client, "https://www.tls-ok.gov.cn/", deadline=5, max_bytes=10_000)
        assert good.status == 200
        with pytest.raises(FetchFailed) as info:
            await fetch(client, "https://www.tls-wrong.gov.cn/", deadline=5, max_bytes=10_000)
    assert info.value.failure is FailureKind.TLS


async def test_a_trickling_body_times_out_at_the_deadline(server: LoopbackServer) -> None:
    """The client gives up at its deadline and hangs up: the server never sends it all."""
    async with _client(server) as client:
        with pytest.raises(FetchFailed) as info:
            await fetch(
                client,
                "http://www.example-county.gov.cn/trickle",
                deadline=0.5,
                max_bytes=1_000_000,
            )
    assert info.value.failure is FailureKind.TIMEOUT
    await asyncio.wait_for(server.recorder.trickle_ended.wait(), timeout=60)  # a hang guard only
    assert server.recorder.trickle_outcome == "client hung up"
    assert server.recorder.trickle_chunks < TRICKLE_CHUNKS


async def test_body_cap_stops_reading(server: LoopbackServer) -> None:
    async with _client(server) as client:
        got = await fetch(
            client, "http://www.example-county.gov.cn/big", deadline=5, max_bytes=100_000
        )
    assert got.truncated
    assert len(got.content) == 100_000


async def test_redirect_loop_is_classified(server: LoopbackServer) -> None:
    async with _client(server) as client:
        with pytest.raises(FetchFailed) as info:
            await fetch(client, "http://www.example-county.gov.cn/loop", deadline=5, max_bytes=1000)
    assert info.value.failure is FailureKind.REDIRECT_LOOP


async def test_gbk_page_decodes_even_when_the_header_lies(server: LoopbackServer) -> None:
    async with _client(server) as client:
        for path in ("/gbk", "/lying"):
            got = await fetch(
                client, f"http://www.example-county.gov.cn{path}", deadline=5, max_bytes=100_000
            )
            text, encoding = got.text()
            assert "县人民政府" in text and "镕" in text
            assert encoding == "gb18030"


def test_charset_order() -> None:
    utf8 = "<meta charset='utf-8'>政府".encode()
    assert decode_html(utf8, None) == ("<meta charset='utf-8'>政府", "utf-8")
    assert decode_html(GBK_PAGE, "GB2312")[1] == "gb18030"
    assert decode_html("政府".encode("gb18030"), None) == ("政府", "gb18030")  # sniffed
    # A server's Western default over a GBK page that declares nothing: GBK, not Latin-1…
    assert decode_html("<p>政府信息公开</p>".encode("gbk"), "ISO-8859-1") == (
        "<p>政府信息公开</p>",
        "gb18030",
    )
    # …while a real Latin-1 page (not GB18030) still reads as Latin-1.
    assert (
        decode_html("<p>café, déjà</p>".encode("latin-1"), "ISO-8859-1")[0] == "<p>café, déjà</p>"
    )
    assert decode_html(b"\xef\xbb\xbf\xe6\x94\xbf", None)[0] == "政"


async def _fetch_slow(client: httpx.AsyncClient, limiter: HostLimiter, times: int) -> list[Fetched]:
    url = "http://www.example-county.gov.cn/slow"  # 50 ms; the server counts requests in flight
    return await asyncio.gather(
        *(fetch(client, url, deadline=5, max_bytes=100, limiter=limiter) for _ in range(times))
    )


async def test_per_host_connection_cap(server: LoopbackServer) -> None:
    limiter = HostLimiter(connections_per_host=2, requests_per_second=1000)
    async with _client(server) as client:
        await _fetch_slow(client, limiter, 8)
    assert server.recorder.max_in_flight == 2


async def test_sharded_pools_keep_each_slot_on_one_connection(server: LoopbackServer) -> None:
    # Three slots, three small pools: never more than three requests in flight, and the same
    # three keep-alive connections carry all thirty requests (no extra connection per pool).
    limiter = HostLimiter(connections_per_host=3, requests_per_second=1000)
    host_map = f"www.example-county.gov.cn=127.0.0.1:{server.port}"
    client = build_client(load_settings(host_map=host_map), max_connections=2, shards=3)
    async with client:
        results = await _fetch_slow(client, limiter, 30)
    assert [r.content for r in results] == [b"ok"] * 30
    assert server.recorder.max_in_flight == 3
    assert len(server.recorder.peers) == 3


async def test_limiter_slots_are_numbered_and_reused() -> None:
    limiter = HostLimiter(connections_per_host=3, requests_per_second=1000)
    held: list[int] = []

    async def hold() -> None:
        async with limiter.slot("a.gov.cn") as number:
            held.append(number)
            await asyncio.sleep(0.02)

    await asyncio.gather(*(hold() for _ in range(9)))
    assert sorted(held[:3]) == [0, 1, 2]  # three at once, each its own number
    assert sorted(held) == [0, 0, 0, 1, 1, 1, 2, 2, 2]


async def test_back_off_holds_a_host_and_never_shortens() -> None:
    clock = SimulatedClock(datetime(2024, 3, 1, tzinfo=UTC))
    limiter = HostLimiter(connections_per_host=2, requests_per_second=1000, clock=clock)
    limiter.back_off("a.gov.cn", 30)
    limiter.back_off("a.gov.cn", 1)  # a shorter hold must not shorten the longer one
    started = clock.monotonic()
    async with limiter.slot("a.gov.cn"):
        assert clock.monotonic() - started == 30
    started = clock.monotonic()
    async with limiter.slot("b.gov.cn"):  # other hosts are not held
        assert clock.monotonic() == started


def test_retry_after_forms() -> None:
    now = datetime(2015, 10, 21, 7, 27, tzinfo=UTC)
    assert retry_after_seconds("120", default=5, now=now) == 120
    assert retry_after_seconds(None, default=5, now=now) == 5
    assert retry_after_seconds("garbage", default=5, now=now) == 5
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", default=5, now=now) == 60
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 -0000", default=5, now=now) == 60
    assert retry_after_seconds("Tue, 20 Oct 2015 07:28:00 GMT", default=5, now=now) == 0


def test_host_map_parsing_errors_name_the_entry() -> None:
    assert parse_host_map("a.gov.cn=127.0.0.1:80, b.gov.cn=127.0.0.1:81") == {
        "a.gov.cn": ("127.0.0.1", 80),
        "b.gov.cn": ("127.0.0.1", 81),
    }
    with pytest.raises(ValueError, match=r"b\.gov\.cn"):
        parse_host_map("a.gov.cn=127.0.0.1:80,b.gov.cn")


async def test_mock_transport_can_replace_the_network() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text=f"seen {request.url.host}")

    client = build_client(load_settings(), transport=httpx.MockTransport(handler))
    async with client:
        got = await fetch(client, "http://www.example.gov.cn/", deadline=5, max_bytes=100)
    assert got.content == b"seen www.example.gov.cn"


async def test_cookies_set_by_a_response_go_back_and_survive_responses_without_any() -> None:
    """The jar skips responses without Set-Cookie (for speed); a session cookie must still be
    kept and sent on every later request."""
    sent: list[str | None] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request.headers.get("cookie"))
        if request.url.path == "/login":
            return httpx.Response(200, headers={"Set-Cookie": "JSESSIONID=abc; Path=/"})
        return httpx.Response(200, text="ok")

    client = build_client(load_settings(), transport=httpx.MockTransport(answer))
    async with client:
        await client.get("http://www.example.gov.cn/before")
        await client.get("http://www.example.gov.cn/login")
        await client.get("http://www.example.gov.cn/a")
        await client.get("http://www.example.gov.cn/b")
    assert sent == [None, None, "JSESSIONID=abc", "JSESSIONID=abc"]


@pytest.mark.parametrize(
    ("method", "url", "headers"),
    [
        ("GET", "http://www.example.gov.cn/", None),
        ("head", "http://www.example.gov.cn:8080/a/b.pdf?x=1&y=%E4%B8%AD", None),
        ("GET", "https://user:pw@www.example.gov.cn/path with space/", None),
        ("GET", "http://[::1]:8081/", {"If-None-Match": '"abc"', "If-Modified-Since": "x"}),
        ("GET", "http://例子.政府.cn/中文?q=教育", {"Accept": "text/html", "X-A": "1"}),
        ("GET", "http://127.0.0.1:8081/", {"user-agent": "other"}),
        ("POST", "http://www.example.gov.cn/", {"Content-Type": "text/plain"}),  # usual path
        ("GET", "http://www.example.gov.cn/", {"Host": "elsewhere.gov.cn"}),  # usual path
    ],
)
def test_plain_requests_are_built_as_httpx_builds_them(
    method: str, url: str, headers: dict[str, str] | None
) -> None:
    """The client's cheaper build_request gives the very request httpx's own would: method,
    URL, headers in order, extensions, an empty body already read."""
    client = build_client(load_settings(), transport=httpx.MockTransport(lambda r: None))  # type: ignore[arg-type,return-value]
    ext = {"census_slot": 3}
    ours = client.build_request(method, url, headers=headers, extensions=ext)
    theirs = httpx.AsyncClient.build_request(client, method, url, headers=headers, extensions=ext)
    assert type(client) is not httpx.AsyncClient  # the fast path is in place
    assert ours.method == theirs.method
    assert ours.url == theirs.url and str(ours.url) == str(theirs.url)
    assert ours.headers.raw == theirs.headers.raw
    assert ours.extensions == theirs.extensions
    assert ours.content == theirs.content == b""
    assert type(ours.stream) is type(theirs.stream)


def test_a_client_host_header_is_kept_as_httpx_keeps_it() -> None:
    client = build_client(load_settings(), transport=httpx.MockTransport(lambda r: None))  # type: ignore[arg-type,return-value]
    client.headers["Host"] = "virtual.gov.cn"
    ours = client.build_request("GET", "http://127.0.0.1:8081/")
    theirs = httpx.AsyncClient.build_request(client, "GET", "http://127.0.0.1:8081/")
    assert ours.headers.raw == theirs.headers.raw
    assert ours.headers.get_list("host") == ["virtual.gov.cn"]


def test_requests_with_a_body_or_cookies_go_httpx_s_own_way() -> None:
    client = build_client(load_settings(), transport=httpx.MockTransport(lambda r: None))  # type: ignore[arg-type,return-value]
    client.cookies.set("sid", "1", domain="www.example.gov.cn")
    for kwargs in ({}, {"data": {"a": "1"}}, {"params": {"q": "x"}}, {"content": b"body"}):
        ours = client.build_request("POST", "http://www.example.gov.cn/x", **kwargs)  # type: ignore[arg-type]
        theirs = httpx.AsyncClient.build_request(
            client,
            "POST",
            "http://www.example.gov.cn/x",
            **kwargs,  # type: ignore[arg-type]
        )
        assert ours.url == theirs.url
        assert ours.headers.raw == theirs.headers.raw
        assert ours.content == theirs.content

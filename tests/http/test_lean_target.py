"""The lean path of `fetch` (`_Client.lean_target` / `send_target`, taken for a GET or HEAD
of a plain URL without headers of its own: the link checks and the crawl's pages): the
request written out without httpx's models, the answer read from its head and its raw body.
Against a raw loopback server that sends exactly the bytes each test writes, and against
httpx's own way on the same client (``extensions={}`` makes `fetch` take it): the same bytes on
the wire, the same answers, bodies, redirects and cookies, the same failures. Each test also
proves the path was taken (`Spy`), so none passes on httpx's way alone."""

from __future__ import annotations

import asyncio
import gzip
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from probes.links import Verdict, check_link
from scanner.http import FailureKind, Fetched, FetchFailed, HostLimiter, build_client, fetch
from scanner.http.lean import LeanTransport, _head_end
from scanner.http.streams import AsyncioStream
from scanner.settings import load_settings

HOST = "www.head.gov.cn"


@pytest.fixture(autouse=True)
def engine() -> str:
    """The lean transport only: the lean path exists on it alone."""
    return "lean"


class RawServer:
    """Answers each request with the canned bytes of its method and path, or of its path
    (a path missing from ``answers`` is never answered); records every request head."""

    def __init__(self) -> None:
        self.answers: dict[bytes | tuple[bytes, bytes], bytes] = {}
        self.dropping: set[bytes] = set()  # closed unanswered when asked on a used connection
        self.dropped = 0
        self.closing: set[bytes] = set()  # closed once answered
        self.connections = 0
        self.heads: list[bytes] = []
        self.port = 0

    @property
    def requests(self) -> list[bytes]:
        """Each request's line, e.g. b"HEAD /a.pdf"."""
        return [b" ".join(head.split(b" ", 2)[:2]) for head in self.heads]

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        served = 0
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                method, path, _ = head.split(b" ", 2)
                self.heads.append(head)
                for line in head.split(b"\r\n"):  # a form's body: read past it
                    if line.lower().startswith(b"content-length:"):
                        await reader.readexactly(int(line.split(b":")[1]))
                if path in self.dropping and served:
                    self.dropped += 1  # the keep-alive race: closed as the request came in
                    break
                served += 1
                answer = self.answers.get((method, path), self.answers.get(path))
                if answer is None:
                    await reader.read(1)  # silent until the client's timers end it and it hangs up
                    break
                writer.write(answer)
                await writer.drain()
                if answer.startswith(b"HTTP/1.0") or path in self.closing:
                    break  # an HTTP/1.0 answer ends with the connection
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest.fixture
async def raw() -> AsyncIterator[RawServer]:
    state = RawServer()
    server = await asyncio.start_server(state.serve, "127.0.0.1", 0)
    state.port = server.sockets[0].getsockname()[1]
    async with server:
        yield state


class Spy:
    """Counts the requests `LeanTransport.exchange` was handed as bytes (the lean path) and
    as httpx requests (httpx's way)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.lean = 0
        self.httpx = 0
        original = LeanTransport.exchange

        async def exchange(transport: LeanTransport, *args: Any) -> Any:
            if isinstance(args[2], bytes):
                self.lean += 1
            else:
                self.httpx += 1
            return await original(transport, *args)

        monkeypatch.setattr(LeanTransport, "exchange", exchange)


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> Spy:
    return Spy(monkeypatch)


def _client(raw: RawServer, **settings: Any) -> httpx.AsyncClient:
    return build_client(
        load_settings(host_map=f"{HOST}=127.0.0.1:{raw.port}", **settings), engine="lean"
    )


async def _head(client: httpx.AsyncClient, url: str, *, httpx_way: bool = False) -> Fetched:
    return await fetch(
        client,
        url,
        deadline=5,
        max_bytes=1000,
        method="HEAD",
        extensions={} if httpx_way else None,  # request extensions of its own: httpx's way
    )


def _seen(got: Fetched) -> tuple[Any, ...]:
    return (
        got.status,
        got.headers.multi_items(),
        got.final_url,
        got.content,
        got.truncated,
        got.redirects,
    )


async def test_a_head_goes_out_byte_for_byte_as_httpx_writes_it(raw: RawServer, spy: Spy) -> None:
    for path in (b"/doc.pdf", b"/", b"/x.png", b"/y.gif", b"/%E9%99%84%E4%BB%B6.pdf"):
        raw.answers[path] = b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n"
    urls = [  # the Host line and the target as a browser writes them: default ports dropped
        (f"http://{HOST}/doc.pdf", b"HEAD /doc.pdf HTTP/1.1\r\nHost: www.head.gov.cn\r\n"),
        (f"http://{HOST}", b"HEAD / HTTP/1.1\r\nHost: www.head.gov.cn\r\n"),
        (f"http://{HOST}:80/x.png", b"HEAD /x.png HTTP/1.1\r\nHost: www.head.gov.cn\r\n"),
        (f"http://{HOST}:8080/y.gif", b"HEAD /y.gif HTTP/1.1\r\nHost: www.head.gov.cn:8080\r\n"),
        (  # 附件.pdf as pages link it: percent escapes kept as they are
            f"http://{HOST}/%E9%99%84%E4%BB%B6.pdf",
            b"HEAD /%E9%99%84%E4%BB%B6.pdf HTTP/1.1\r\nHost: www.head.gov.cn\r\n",
        ),
    ]
    async with _client(raw) as client:
        for url, start in urls:
            ours = await _head(client, url)
            theirs = await _head(client, url, httpx_way=True)
            assert raw.heads[-2] == raw.heads[-1]  # the same bytes on the wire
            assert raw.heads[-1].startswith(start)
            assert _seen(ours) == _seen(theirs)
    assert (spy.lean, spy.httpx) == (5, 5)
    assert ours.final_url == f"http://{HOST}/%E9%99%84%E4%BB%B6.pdf"
    assert raw.connections == 2  # one per origin (port 80, port 8080): each went back to its pool


_ANSWERS = [  # (the answer's head as the server writes it, its status, its Content-Type)
    (
        b"HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: application/pdf\r\n"
        b"Content-Length: 123456\r\nConnection: keep-alive\r\n\r\n",
        200,
        "application/pdf",
    ),
    (
        b"HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: 146\r\n\r\n",
        404,
        "text/html",
    ),
    (b"HTTP/1.1 429 Too Many\r\nRetry-After: 7\r\nContent-Length: 0\r\n\r\n", 429, ""),
    (
        b"HTTP/1.1 200 OK\nContent-Type: image/png;\n charset=x\nX-A: 1\nX-A: 2\n\n",
        200,
        "image/png; charset=x",
    ),
    (
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 200 OK\r\nContent-Type: image/gif\r\n\r\n",
        200,
        "image/gif",
    ),
    (b"HTTP/1.1 204 No Content\r\n\r\n", 204, ""),
    (
        b"HTTP/1.1 503 Busy\r\nContent-Type: text/html; charset=\xd6\xd0\r\n\r\n",
        503,
        "text/html; charset=\xd6\xd0",  # not ASCII: read as Latin-1, as httpx reads it
    ),
]


@pytest.mark.parametrize(("answer", "status", "ctype"), _ANSWERS)
async def test_the_answer_is_read_from_its_head_as_httpx_reads_it(
    raw: RawServer, spy: Spy, answer: bytes, status: int, ctype: str
) -> None:
    raw.answers[b"/f.pdf"] = answer
    async with _client(raw) as client:
        ours = await _head(client, f"http://{HOST}/f.pdf")
        theirs = await _head(client, f"http://{HOST}/f.pdf", httpx_way=True)
    assert (ours.status, ours.content_type, ours.content) == (status, ctype, b"")
    assert _seen(ours) == _seen(theirs)
    assert spy.lean == 1


async def test_a_redirect_is_followed_from_the_first_answer_without_sending_it_again(
    raw: RawServer, spy: Spy
) -> None:
    raw.answers[b"/old.pdf"] = (
        b"HTTP/1.1 301 Moved\r\nLocation: /new.pdf\r\nContent-Length: 0\r\n\r\n"
    )
    raw.answers[b"/new.pdf"] = b"HTTP/1.1 200 OK\r\nContent-Type: application/pdf\r\n\r\n"
    async with _client(raw) as client:
        ours = await _head(client, f"http://{HOST}/old.pdf")
        assert raw.requests == [b"HEAD /old.pdf", b"HEAD /new.pdf"]  # nothing sent twice
        theirs = await _head(client, f"http://{HOST}/old.pdf", httpx_way=True)
    assert (ours.status, ours.final_url, ours.redirects) == (
        200,
        f"http://{HOST}/new.pdf",
        [f"http://{HOST}/old.pdf"],
    )
    assert _seen(ours) == _seen(theirs)
    assert (spy.lean, spy.httpx) == (1, 3)  # the first hop by the HEAD path, the second httpx's


async def test_a_redirect_is_not_followed_by_a_client_that_does_not_follow(
    raw: RawServer, spy: Spy
) -> None:
    raw.answers[b"/old.pdf"] = b"HTTP/1.1 302 Found\r\nLocation: http://elsewhere.gov.cn/\r\n\r\n"
    settings = load_settings(host_map=f"{HOST}=127.0.0.1:{raw.port}")
    async with build_client(settings, engine="lean", follow_redirects=False) as client:
        got = await _head(client, f"http://{HOST}/old.pdf")
    assert (got.status, got.headers["location"], got.redirects) == (
        302,
        "http://elsewhere.gov.cn/",
        [],
    )
    assert raw.requests == [b"HEAD /old.pdf"] and spy.lean == 1


async def test_a_redirect_loop_is_the_same_failure_after_the_same_requests(
    raw: RawServer, spy: Spy
) -> None:
    raw.answers[b"/loop.pdf"] = b"HTTP/1.1 302 Found\r\nLocation: /loop.pdf\r\n\r\n"
    async with _client(raw) as client:
        with pytest.raises(FetchFailed) as ours:
            await _head(client, f"http://{HOST}/loop.pdf")
        sent = len(raw.heads)
        with pytest.raises(FetchFailed) as theirs:
            await _head(client, f"http://{HOST}/loop.pdf", httpx_way=True)
    assert ours.value.failure == theirs.value.failure == FailureKind.REDIRECT_LOOP
    assert sent == len(raw.heads) - sent == 11  # max_redirects (10) + 1, on either way
    assert spy.lean == 1


async def test_a_cookie_set_on_a_head_answer_is_kept_and_sent_back(
    raw: RawServer, spy: Spy
) -> None:
    raw.answers[b"/a.pdf"] = b"HTTP/1.1 200 OK\r\nSet-Cookie: sid=abc; Path=/\r\n\r\n"
    raw.answers[b"/b.pdf"] = b"HTTP/1.1 200 OK\r\n\r\n"
    async with _client(raw) as client:
        got = await _head(client, f"http://{HOST}/a.pdf")
        assert client.cookies.get("sid") == "abc"
        await _head(client, f"http://{HOST}/b.pdf")  # a client with cookies: httpx's way
    assert got.headers["set-cookie"] == "sid=abc; Path=/"
    assert b"\r\nCookie: sid=abc\r\n" in raw.heads[1]
    assert (spy.lean, spy.httpx) == (1, 1)


async def test_the_keepalive_race_on_a_head_is_retried_never_charged(
    raw: RawServer, spy: Spy
) -> None:
    raw.answers[b"/a.pdf"] = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"
    raw.answers[b"/b.pdf"] = b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n"
    raw.dropping.add(b"/b.pdf")
    async with _client(raw) as client:
        first = await _head(client, f"http://{HOST}/a.pdf")
        second = await _head(client, f"http://{HOST}/b.pdf")
    assert (first.status, second.status, second.headers["content-length"]) == (200, 200, "7")
    assert raw.dropped == 1 and raw.connections == 2 and spy.lean == 2


async def test_bytes_after_a_head_answer_close_its_connection(raw: RawServer, spy: Spy) -> None:
    """A server that sends a body after a HEAD's answer is out of step: its connection must
    not carry the next request (whose answer would be read from that body)."""
    raw.answers[b"/a.pdf"] = (
        b"HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\n"
        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
    )
    raw.answers[b"/b.pdf"] = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n"
    async with _client(raw) as client:
        first = await _head(client, f"http://{HOST}/a.pdf")
        await asyncio.sleep(0.05)
        second = await _head(client, f"http://{HOST}/b.pdf")
    assert (first.status, second.status) == (200, 200)
    assert raw.connections == 2 and spy.lean == 2


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 2OO OK\r\n\r\n",
        b"ICY 200 OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
        b"HTTP/1.1 101 Switching Protocols\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nX: " + b"y" * 200_000 + b"\r\n\r\n",
    ],
)
async def test_answers_no_parser_may_accept_fail_as_on_httpx_s_way(
    raw: RawServer, spy: Spy, answer: bytes
) -> None:
    raw.answers[b"/bad.pdf"] = answer
    async with _client(raw) as client:
        with pytest.raises(FetchFailed) as ours:
            await _head(client, f"http://{HOST}/bad.pdf")
        with pytest.raises(FetchFailed) as theirs:
            await _head(client, f"http://{HOST}/bad.pdf", httpx_way=True)
    assert ours.value.failure == theirs.value.failure == FailureKind.PROTOCOL
    assert type(ours.value.__cause__) is type(theirs.value.__cause__)
    assert str(ours.value.__cause__.request.url) == f"http://{HOST}/bad.pdf"  # type: ignore[union-attr]
    assert spy.lean == 1


async def test_a_silent_server_times_out_at_the_deadline_with_one_timer(
    raw: RawServer, spy: Spy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read timeout no shorter than the check's deadline could never fire first: the read
    waits under the deadline alone. A shorter one (connect and read timeouts are settings)
    still ends the read on its own."""
    timeouts: list[float | None] = []
    original = AsyncioStream.read

    async def read(stream: AsyncioStream, max_bytes: int, timeout: float | None = None) -> bytes:
        timeouts.append(timeout)
        return await original(stream, max_bytes, timeout)

    monkeypatch.setattr(AsyncioStream, "read", read)
    async with _client(raw, page_timeout=30) as client:
        started = time.monotonic()
        with pytest.raises(FetchFailed) as caught:
            await fetch(
                client, f"http://{HOST}/silent.pdf", deadline=0.3, max_bytes=0, method="HEAD"
            )
    assert caught.value.failure == FailureKind.TIMEOUT
    assert time.monotonic() - started < 5
    assert timeouts == [None]
    timeouts.clear()
    async with _client(raw, page_timeout=0.3) as client:
        started = time.monotonic()
        with pytest.raises(FetchFailed) as caught:
            await fetch(
                client, f"http://{HOST}/silent.pdf", deadline=20, max_bytes=0, method="HEAD"
            )
    assert caught.value.failure == FailureKind.TIMEOUT
    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)
    assert time.monotonic() - started < 5
    assert timeouts == [0.3]
    assert spy.lean == 2


async def test_a_refused_address_is_refused_on_the_head_path_too(raw: RawServer, spy: Spy) -> None:
    """No host map and no trusted host: the address policy declines the loopback address it
    would connect to, and the check says so (undetermined, never charged)."""
    url = f"http://127.0.0.1:{raw.port}/doc.pdf"
    async with build_client(load_settings(), engine="lean") as client:
        with pytest.raises(FetchFailed) as caught:
            await fetch(client, url, deadline=5, max_bytes=0, method="HEAD")
        result = await check_link(client, url, deadline=5)
    assert caught.value.refused and caught.value.failure == FailureKind.CONNECT
    assert str(caught.value.__cause__.request.url) == url  # type: ignore[union-attr]
    assert (result.verdict, result.kind) == (Verdict.UNDETERMINED, "address_refused")
    assert raw.connections == 0 and spy.lean == 2


async def test_an_unopened_client_s_first_request_may_take_the_head_path(
    raw: RawServer, spy: Spy
) -> None:
    raw.answers[b"/a.pdf"] = b"HTTP/1.1 200 OK\r\n\r\n"
    client = _client(raw)  # not entered: unopened until its first request
    got = await _head(client, f"http://{HOST}/a.pdf")
    assert got.status == 200 and spy.lean == 1
    await client.aclose()
    with pytest.raises(RuntimeError, match="closed"):  # httpx's own error, on httpx's way
        await _head(client, f"http://{HOST}/a.pdf")
    assert spy.lean == 1


async def test_check_link_keeps_its_head_then_get_rules(raw: RawServer, spy: Spy) -> None:
    """The verdicts of HEAD answers on the HEAD path: a file HEAD answers is judged from its
    head alone; a refused HEAD, an empty or an HTML answer where a file should be gets a GET;
    429 gets no GET and holds the host back for its Retry-After."""
    raw.answers[b"/ok.pdf"] = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/pdf\r\nContent-Length: 9\r\n\r\n"
    )
    raw.answers[b"/no-head.pdf"] = b"HTTP/1.1 405 Not Allowed\r\nContent-Length: 0\r\n\r\n"
    raw.answers[b"/html.pdf"] = (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 2\r\n\r\n"
    )
    raw.answers[b"GET", b"/html.pdf"] = raw.answers[b"/html.pdf"] + b"<p"
    raw.answers[b"/empty.doc"] = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
    raw.answers[b"/busy.png"] = (
        b"HTTP/1.1 429 Slow Down\r\nRetry-After: 120\r\nContent-Length: 0\r\n\r\n"
    )
    raw.answers[b"/gone.png"] = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
    limiter = HostLimiter(2, 100)
    async with _client(raw) as client:
        results = {
            name: await check_link(client, f"http://{HOST}/{name}", deadline=5, limiter=limiter)
            for name in ("ok.pdf", "no-head.pdf", "html.pdf", "empty.doc", "gone.png")
        }
        assert raw.requests == [
            b"HEAD /ok.pdf",
            b"HEAD /no-head.pdf",
            b"GET /no-head.pdf",
            b"HEAD /html.pdf",
            b"GET /html.pdf",
            b"HEAD /empty.doc",
            b"GET /empty.doc",
            b"HEAD /gone.png",
            b"GET /gone.png",
        ]
        busy = await check_link(client, f"http://{HOST}/busy.png", deadline=5, limiter=limiter)
    assert {name: (r.verdict, r.kind, r.method) for name, r in results.items()} == {
        "ok.pdf": (Verdict.OK, "ok", "HEAD"),
        "no-head.pdf": (Verdict.BROKEN, "http_405", "GET"),
        "html.pdf": (Verdict.BROKEN, "html_instead_of_file", "GET"),
        "empty.doc": (Verdict.BROKEN, "empty", "GET"),
        "gone.png": (Verdict.BROKEN, "not_found", "GET"),
    }
    assert (busy.verdict, busy.kind, busy.method) == (Verdict.UNDETERMINED, "http_429", "HEAD")
    assert raw.requests[-1] == b"HEAD /busy.png"  # no GET after a 429
    assert limiter._state(HOST).not_before - time.monotonic() > 100
    assert spy.lean == 10  # the GETs too


async def _get(
    client: httpx.AsyncClient, url: str, cap: Any = 1000, *, httpx_way: bool = False
) -> Fetched:
    return await fetch(client, url, deadline=5, max_bytes=cap, extensions={} if httpx_way else None)


_GZIPPED = gzip.compress(b"hello gzip", mtime=0)
_BODIES = [  # (the answer as the server writes it, the body a reader gets)
    (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhello", b"hello"),
    (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5;x=y\r\nhello\r\n1\r\n \r\n6\r\nworld!\r\n0\r\nX-T: 1\r\n\r\n",
        b"hello world!",
    ),
    (
        b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<p>until close</p>",
        b"<p>until close</p>",
    ),
    (
        b"HTTP/1.1 404 Not Found\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n%s"
        % (len(_GZIPPED), _GZIPPED),
        b"hello gzip",
    ),
    (b'HTTP/1.1 304 Not Modified\r\nETag: "x"\r\n\r\n', b""),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", b""),
]


@pytest.mark.parametrize(("answer", "body"), _BODIES)
async def test_a_get_s_body_is_read_as_httpx_reads_it(
    raw: RawServer, spy: Spy, answer: bytes, body: bytes
) -> None:
    raw.answers[b"/p.html"] = answer
    async with _client(raw) as client:
        ours = await _get(client, f"http://{HOST}/p.html")
        theirs = await _get(client, f"http://{HOST}/p.html", httpx_way=True)
    assert raw.heads[0] == raw.heads[1]  # the same bytes on the wire
    assert raw.heads[0].startswith(b"GET /p.html HTTP/1.1\r\nHost: www.head.gov.cn\r\n")
    assert (ours.content, ours.truncated) == (body, False)
    assert _seen(ours) == _seen(theirs)
    assert raw.connections == (1 if b"HTTP/1.1" in answer[:8] else 2)  # kept alive when it may
    assert spy.lean == 1


async def test_a_body_cut_at_the_cap_closes_its_connection(raw: RawServer, spy: Spy) -> None:
    raw.answers[b"/big.html"] = b"HTTP/1.1 200 OK\r\nContent-Length: 3000\r\n\r\n" + b"x" * 3000
    raw.answers[b"/next.html"] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    async with _client(raw) as client:
        cut = await _get(client, f"http://{HOST}/big.html", cap=100)
        after = await _get(client, f"http://{HOST}/next.html")
    assert (cut.content, cut.truncated, after.content) == (b"x" * 100, True, b"ok")
    assert raw.connections == 2  # the unread rest never answers the next request
    assert spy.lean == 2


async def test_a_cap_that_reads_the_headers_sees_the_answer_s(raw: RawServer, spy: Spy) -> None:
    """`fetch_page`'s cap: a page's HTML read far, anything else only its first bytes."""
    raw.answers[b"/page"] = (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 50\r\n\r\n" + b"p" * 50
    )
    raw.answers[b"/video"] = (
        b"HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nContent-Length: 50\r\n\r\n" + b"v" * 50
    )

    def cap(headers: httpx.Headers) -> int:
        return 40 if headers["content-type"] == "text/html" else 10

    async with _client(raw) as client:
        page = await _get(client, f"http://{HOST}/page", cap=cap)
        video = await _get(client, f"http://{HOST}/video", cap=cap)
    assert (page.content, page.truncated, video.content, video.truncated) == (
        b"p" * 40,
        True,
        b"v" * 10,
        True,
    )
    assert spy.lean == 2


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf",  # closed before the end
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\nhello",
        b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 5\r\n\r\nnotgz",
    ],
)
async def test_a_broken_body_fails_as_on_httpx_s_way(
    raw: RawServer, spy: Spy, answer: bytes
) -> None:
    raw.answers[b"/bad.html"] = answer
    raw.closing.add(b"/bad.html")  # then closed: no timer ends it, the framing does
    async with _client(raw) as client:
        with pytest.raises(FetchFailed) as ours:
            await _get(client, f"http://{HOST}/bad.html")
        with pytest.raises(FetchFailed) as theirs:
            await _get(client, f"http://{HOST}/bad.html", httpx_way=True)
    assert ours.value.failure == theirs.value.failure == FailureKind.PROTOCOL
    assert ours.value.detail == theirs.value.detail
    cause = ours.value.__cause__
    assert type(cause) is type(theirs.value.__cause__)
    if isinstance(cause, httpx.RequestError):
        assert str(cause.request.url) == f"http://{HOST}/bad.html"
    assert spy.lean == 1


async def test_a_body_slower_than_the_deadline_times_out(raw: RawServer, spy: Spy) -> None:
    raw.answers[b"/slow.html"] = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this"
    async with _client(raw) as client:
        started = time.monotonic()
        with pytest.raises(FetchFailed) as caught:
            await fetch(client, f"http://{HOST}/slow.html", deadline=0.3, max_bytes=1000)
        raw.answers[b"/next.html"] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
        after = await _get(client, f"http://{HOST}/next.html")
    assert caught.value.failure == FailureKind.TIMEOUT
    assert time.monotonic() - started < 5
    assert after.content == b"ok" and raw.connections == 2  # the timed-out one was not reused
    assert spy.lean == 2


async def test_a_get_redirect_is_followed_from_the_first_answer(raw: RawServer, spy: Spy) -> None:
    raw.answers[b"/old.html"] = (
        b"HTTP/1.1 302 Found\r\nLocation: /new.html\r\nContent-Length: 9\r\n\r\nmoved, go"
    )
    raw.answers[b"/new.html"] = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nnew"
    async with _client(raw) as client:
        ours = await _get(client, f"http://{HOST}/old.html")
        assert raw.requests == [b"GET /old.html", b"GET /new.html"]
        theirs = await _get(client, f"http://{HOST}/old.html", httpx_way=True)
    assert (ours.content, ours.final_url, ours.redirects) == (
        b"new",
        f"http://{HOST}/new.html",
        [f"http://{HOST}/old.html"],
    )
    assert _seen(ours) == _seen(theirs)
    assert raw.connections == 1  # the redirect's body was read, its connection reused
    assert (spy.lean, spy.httpx) == (1, 3)


async def test_other_methods_and_other_urls_go_httpx_s_way(raw: RawServer, spy: Spy) -> None:
    raw.answers[b"/form"] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    raw.answers[b"/form?q=1"] = raw.answers[b"/form"]
    async with _client(raw) as client:
        await fetch(client, f"http://{HOST}/form", deadline=5, max_bytes=10, method="POST")
        await fetch(
            client, f"http://{HOST}/form", deadline=5, max_bytes=10, data={"a": "1"}, method="POST"
        )
        await _get(client, f"http://{HOST}/form?q=1")  # not a plain URL: a query
        await fetch(  # a header httpx writes apart
            client, f"http://{HOST}/form", deadline=5, max_bytes=10, headers={"Host": "x.gov.cn"}
        )
    assert raw.heads[3].count(b"Host:") == 1 and b"\r\nHost: x.gov.cn\r\n" in raw.heads[3]
    assert (spy.lean, spy.httpx) == (0, 4)


async def test_a_conditional_get_goes_out_as_httpx_writes_it(raw: RawServer, spy: Spy) -> None:
    """A night's conditional request (the page's validators) on the lean path: the client's
    headers merged with the validators as httpx merges them (a name the client has too
    replaced in place), the 304 read with no body."""
    raw.answers[b"/p.html"] = b'HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\n\r\n'
    validators = {"If-None-Match": '"v1"', "If-Modified-Since": "Tue, 01 Dec 2026 00:00:00 GMT"}
    async with _client(raw) as client:
        for extra in (validators, {**validators, "accept": "text/html"}):
            ours = await fetch(
                client, f"http://{HOST}/p.html", deadline=5, max_bytes=10, headers=extra
            )
            theirs = await fetch(
                client,
                f"http://{HOST}/p.html",
                deadline=5,
                max_bytes=10,
                headers=extra,
                extensions={},
            )
            assert raw.heads[-2] == raw.heads[-1]
            assert _seen(ours) == _seen(theirs)
    assert b'\r\nIf-None-Match: "v1"\r\nIf-Modified-Since: Tue, 01 Dec 2026' in raw.heads[0]
    assert b"\r\naccept: text/html\r\n" in raw.heads[2]
    assert (ours.status, ours.content, ours.headers["etag"]) == (304, b"", '"v1"')
    assert raw.connections == 1 and (spy.lean, spy.httpx) == (2, 2)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.sampled_from([b"a", b"\r", b"\n", b"\r\n", b": ", b"\n\n", b"\r\n\r\n"]), max_size=24
    )
)
def test_a_head_ends_at_its_first_blank_line_of_either_kind(parts: list[bytes]) -> None:
    """`_head_end` (its bare-LF search bounded by the CRLF end) against the plain reading:
    whichever blank line, CRLF CRLF or LF LF, starts first."""
    data = b"".join(parts)
    crlf, lf = data.find(b"\r\n\r\n"), data.find(b"\n\n")
    ends = [(at, size) for at, size in ((lf, 2), (crlf, 4)) if at >= 0]
    assert _head_end(data) == (min(ends) if ends else (-1, 0))

"""`LeanTransport`'s HTTP/1.1 framing against a raw loopback server that sends exactly the
bytes each test writes: chunked bodies, bodies read until close, interim responses, old-style
header lines, and answers no parser may accept."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from scanner.http import FailureKind, FetchFailed, build_client, fetch
from scanner.settings import load_settings

HOST = "www.lean.gov.cn"


@pytest.fixture(autouse=True)
def engine() -> str:
    """The lean transport only (the package's fixture runs the other tests on both)."""
    return "lean"


class RawServer:
    """Answers each request with the canned bytes of its path; closes after ``close`` ones."""

    def __init__(self) -> None:
        self.answers: dict[bytes, bytes] = {}
        self.closing: set[bytes] = set()
        self.dropping: set[bytes] = set()  # closed unanswered when asked on a used connection
        self.dropped = 0
        self.connections = 0
        self.methods: list[bytes] = []
        self.port = 0

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        served = 0
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                method, path, _ = head.split(b" ", 2)
                self.methods.append(method)
                if path in self.dropping and served:
                    self.dropped += 1  # the keep-alive race: closed as the request came in
                    break
                served += 1
                writer.write(self.answers[path])
                await writer.drain()
                if path in self.closing:
                    break
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


def _client(raw: RawServer) -> httpx.AsyncClient:
    settings = load_settings(host_map=f"{HOST}=127.0.0.1:{raw.port}")
    return build_client(settings, engine="lean")


async def test_a_chunked_body_with_extensions_and_trailers_reads_whole(raw: RawServer) -> None:
    raw.answers[b"/c"] = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5;name=value\r\nhello\r\n1\r\n \r\n6\r\nworld!\r\n0\r\nX-Trailer: 1\r\n\r\n"
    )
    raw.answers[b"/next"] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    async with _client(raw) as client:
        first = await fetch(client, f"http://{HOST}/c", deadline=5, max_bytes=1000)
        second = await fetch(client, f"http://{HOST}/next", deadline=5, max_bytes=1000)
    assert (first.content, second.content) == (b"hello world!", b"ok")
    assert raw.connections == 1  # the chunked body ended cleanly: its connection was reused


async def test_a_body_without_length_is_read_until_close(raw: RawServer) -> None:
    raw.answers[b"/old"] = b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<p>old server</p>"
    raw.closing.add(b"/old")
    raw.answers[b"/next"] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    async with _client(raw) as client:
        first = await fetch(client, f"http://{HOST}/old", deadline=5, max_bytes=1000)
        second = await fetch(client, f"http://{HOST}/next", deadline=5, max_bytes=1000)
    assert (first.content, second.content) == (b"<p>old server</p>", b"ok")
    assert raw.connections == 2


async def test_interim_responses_are_skipped(raw: RawServer) -> None:
    raw.answers[b"/hints"] = (
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal"
    )
    async with _client(raw) as client:
        got = await fetch(client, f"http://{HOST}/hints", deadline=5, max_bytes=1000)
    assert (got.status, got.content) == (200, b"final")
    assert "link" not in got.headers


async def test_bare_line_feeds_and_folded_headers_are_read(raw: RawServer) -> None:
    raw.answers[b"/lf"] = (
        b"HTTP/1.1 200 OK\nContent-Type: text/html;\n charset=gbk\nContent-Length: 3\n\nabc"
    )
    async with _client(raw) as client:
        got = await fetch(client, f"http://{HOST}/lf", deadline=5, max_bytes=1000)
    assert got.content == b"abc"
    assert got.headers["content-type"] == "text/html; charset=gbk"


async def test_a_head_answer_has_no_body_and_keeps_the_connection(raw: RawServer) -> None:
    raw.answers[b"/doc.pdf"] = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/pdf\r\nContent-Length: 90000\r\n\r\n"
    )
    async with _client(raw) as client:
        for _ in range(3):
            got = await fetch(
                client, f"http://{HOST}/doc.pdf", deadline=5, max_bytes=1000, method="HEAD"
            )
            assert (got.status, got.content) == (200, b"")
    assert raw.methods == [b"HEAD"] * 3 and raw.connections == 1


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(b"HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\nhello", id="two-lengths"),
        pytest.param(b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", id="negative-length"),
        pytest.param(b"ICY 200 OK\r\n\r\nmusic", id="not-http"),
        pytest.param(b"HTTP/1.1 2000 OK\r\n\r\n", id="bad-status"),
        pytest.param(b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", id="bad-header"),
        pytest.param(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort", id="cut-body"),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
            id="bad-chunk-size",
        ),
        pytest.param(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxx", id="bad-coding"),
        pytest.param(b"HTTP/1.1 200 OK\r\nX: " + b"a" * 200_000, id="endless-head"),
        pytest.param(b"", id="nothing"),
    ],
)
async def test_answers_no_parser_may_accept_are_protocol_failures(
    raw: RawServer, answer: bytes
) -> None:
    raw.answers[b"/bad"] = answer
    raw.closing.add(b"/bad")
    async with _client(raw) as client:
        with pytest.raises(FetchFailed) as info:
            await fetch(client, f"http://{HOST}/bad", deadline=5, max_bytes=1_000_000)
    assert info.value.failure is FailureKind.PROTOCOL


async def test_a_request_on_a_connection_closed_as_it_went_out_goes_again(
    raw: RawServer,
) -> None:
    """The server closes a kept-alive connection just as the next GET arrives: no answer on
    it, so the GET goes once more on a new connection and the page is read, not failed."""
    raw.answers[b"/a"] = b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na"
    raw.answers[b"/b"] = b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb"
    raw.dropping.add(b"/b")
    async with _client(raw) as client:
        first = await fetch(client, f"http://{HOST}/a", deadline=5, max_bytes=100)
        second = await fetch(client, f"http://{HOST}/b", deadline=5, max_bytes=100)
    assert (first.content, second.content) == (b"a", b"b")
    assert raw.dropped == 1 and raw.connections == 2


async def test_a_request_waiting_for_a_connection_gets_the_pool_timeout(raw: RawServer) -> None:
    """A free connection slot is taken at once; one that has to wait does so under the
    request's pool timeout, then fails as httpx's PoolTimeout."""
    raw.answers[b"/a"] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    settings = load_settings(host_map=f"{HOST}=127.0.0.1:{raw.port}")
    async with build_client(settings, engine="lean", max_connections=1) as client:
        timeout = httpx.Timeout(5, pool=0.2)
        async with client.stream("GET", f"http://{HOST}/a", timeout=timeout) as held:
            assert held.status_code == 200  # its body unread: the only slot stays taken
            with pytest.raises(httpx.PoolTimeout):
                await client.get(f"http://{HOST}/a", timeout=timeout)
        got = await client.get(f"http://{HOST}/a", timeout=timeout)  # free again
        assert got.text == "ok"

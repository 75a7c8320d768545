"""The asyncio network streams under httpx against real loopback sockets: keep-alive reuse,
a server that closes an idle connection, a large body read in flow-controlled pieces."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from scanner.http import build_client
from scanner.settings import load_settings

BIG = 3 * 1024 * 1024  # above the stream's read-pause mark, several times over


class Server:
    def __init__(self) -> None:
        self.connections = 0
        self.port = 0


async def _serve(
    server: Server, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    server.connections += 1
    try:
        while True:
            request = await reader.readuntil(b"\r\n\r\n")
            path = request.split(b" ", 2)[1]
            body = b"x" * BIG if path == b"/big" else b"hello " + path
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
            await writer.drain()
            if path.startswith(b"/close"):  # keep-alive promised, then closed while idle
                break
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    state = Server()
    srv = await asyncio.start_server(lambda r, w: _serve(state, r, w), "127.0.0.1", 0)
    state.port = srv.sockets[0].getsockname()[1]
    async with srv:
        yield state


def _client(server: Server) -> httpx.AsyncClient:
    settings = load_settings(host_map=f"www.example.gov.cn=127.0.0.1:{server.port}")
    return build_client(settings)


async def test_keep_alive_reuses_one_connection(server: Server) -> None:
    async with _client(server) as client:
        texts = [(await client.get(f"http://www.example.gov.cn/p{i}")).text for i in range(5)]
    assert texts == [f"hello /p{i}" for i in range(5)]
    assert server.connections == 1


async def test_an_idle_connection_closed_by_the_server_is_not_reused(server: Server) -> None:
    async with _client(server) as client:
        first = await client.get("http://www.example.gov.cn/close")
        await asyncio.sleep(0.2)  # let the close arrive (not a timing assertion)
        second = await client.get("http://www.example.gov.cn/after")
    assert (first.text, second.text) == ("hello /close", "hello /after")
    assert server.connections == 2


async def test_a_large_body_arrives_whole(server: Server) -> None:
    async with _client(server) as client:
        response = await client.get("http://www.example.gov.cn/big")
    assert len(response.content) == BIG and set(response.content) == {ord("x")}

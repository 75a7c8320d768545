"""A loopback server with one route per behaviour the HTTP layer must handle."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
import trustme
from aiohttp import web

GBK_PAGE = (
    '<html><head><meta charset="gb2312"><title>县人民政府</title></head>'
    "<body>通知公告 2024年1月5日 镕</body></html>"
).encode("gbk")


TRICKLE_CHUNKS = 100  # 50 ms apart: the whole body takes at least 5 s


@dataclass
class Recorder:
    in_flight: int = 0
    max_in_flight: int = 0
    hosts: list[str] = field(default_factory=list)
    peers: set[object] = field(default_factory=set)  # the client ends of the TCP connections
    trickle_chunks: int = 0  # chunks of /trickle the server wrote
    trickle_outcome: str = ""  # "complete", or "client hung up" when the client left early
    trickle_ended: asyncio.Event = field(default_factory=asyncio.Event)


def make_app(recorder: Recorder) -> web.Application:
    async def ok(request: web.Request) -> web.Response:
        recorder.hosts.append(request.host)
        return web.Response(text="<html><title>首页</title>你好</html>", content_type="text/html")

    async def gbk(request: web.Request) -> web.Response:
        return web.Response(body=GBK_PAGE, headers={"Content-Type": "text/html"})

    async def lying(request: web.Request) -> web.Response:
        return web.Response(body=GBK_PAGE, headers={"Content-Type": "text/html; charset=utf-8"})

    async def big(request: web.Request) -> web.Response:
        return web.Response(body=b"x" * 3_000_000, content_type="text/html")

    async def trickle(request: web.Request) -> web.StreamResponse:
        """TRICKLE_CHUNKS chunks 50 ms apart; records whether the client hung up first."""
        response = web.StreamResponse()
        try:
            await response.prepare(request)
            for _ in range(TRICKLE_CHUNKS):
                await response.write(b"<p>still coming</p>")
                recorder.trickle_chunks += 1
                await asyncio.sleep(0.05)
            recorder.trickle_outcome = "complete"
        except ConnectionResetError:  # a write to a socket the client has closed
            recorder.trickle_outcome = "client hung up"
        except asyncio.CancelledError:  # aiohttp cancels the handler when the peer leaves
            recorder.trickle_outcome = "client hung up"
            raise
        finally:
            recorder.trickle_ended.set()
        return response

    async def loop(request: web.Request) -> web.Response:
        raise web.HTTPFound("/loop")

    async def slow(request: web.Request) -> web.Response:
        assert request.transport is not None
        recorder.peers.add(request.transport.get_extra_info("peername"))
        recorder.in_flight += 1
        recorder.max_in_flight = max(recorder.max_in_flight, recorder.in_flight)
        await asyncio.sleep(0.05)
        recorder.in_flight -= 1
        return web.Response(text="ok")

    app = web.Application()
    app.add_routes(
        [
            web.get("/", ok),
            web.get("/gbk", gbk),
            web.get("/lying", lying),
            web.get("/big", big),
            web.get("/trickle", trickle),
            web.get("/loop", loop),
            web.get("/slow", slow),
        ]
    )
    return app


@dataclass
class LoopbackServer:
    port: int
    tls_port: int
    closed_port: int
    ca_pem: str
    recorder: Recorder


@pytest.fixture
async def server(tmp_path) -> AsyncIterator[LoopbackServer]:  # type: ignore[no-untyped-def]
    recorder = Recorder()
    ca = trustme.CA()
    cert = ca.issue_cert("www.tls-ok.gov.cn")
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_ctx)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))

    runner = web.AppRunner(make_app(recorder))
    await runner.setup()
    plain = web.TCPSite(runner, "127.0.0.1", 0)
    secure = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_ctx)
    await plain.start()
    await secure.start()
    ports = [s._server.sockets[0].getsockname()[1] for s in (plain, secure)]  # type: ignore[union-attr]
    import socket

    with socket.socket() as sock:  # a port nobody listens on: bound, then released
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    yield LoopbackServer(ports[0], ports[1], closed, str(ca_file), recorder)
    await runner.cleanup()


@pytest.fixture(autouse=True, params=["httpcore", "lean"])
def engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test here runs on both transports `build_client` can put under httpx: httpcore
    (the probes) and `scanner.http.lean.LeanTransport` (the crawl)."""
    from scanner.http import client

    defaults = client.build_client.__kwdefaults__
    assert defaults is not None
    monkeypatch.setitem(defaults, "engine", request.param)
    return str(request.param)

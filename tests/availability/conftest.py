"""A small loopback site farm routed by Host: one host name per real fault.

Every failure kind the probe reports is produced here by a real socket doing the real thing
(a closed port, a reset, a stalled body, a wrong certificate, a redirect loop, a 503 …), and
down periods follow an injected ``now`` so a simulated week gives known failures.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import struct
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import trustme
from aiohttp import web

from scanner.http import build_client
from scanner.settings import Settings, load_settings

SUFFIX = "fixture.gov.cn"
PAGE = "<html><head><title>县人民政府门户网站</title></head><body>通知公告</body></html>"


@dataclass
class FixtureFarm:
    """Behaviour per host; ``down`` windows are read through ``now`` at request time."""

    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    down: dict[str, list[tuple[datetime, datetime]]] = field(default_factory=dict)
    delays: dict[str, float] = field(default_factory=dict)
    hits: dict[str, int] = field(default_factory=dict)
    # Delayed requests in flight now and at most; with ``together`` set, each delayed request
    # waits until that many are in flight at once: only truly concurrent clients get through.
    in_flight: int = 0
    max_in_flight: int = 0
    together: int = 0
    all_in: asyncio.Event = field(default_factory=asyncio.Event)

    async def hold(self, host: str) -> None:
        """The injected delay of ``host``, counted in flight (and gated by ``together``)."""
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.together and self.in_flight >= self.together:
                self.all_in.set()
            if self.together:
                await self.all_in.wait()
            await asyncio.sleep(self.delays[host])
        finally:
            self.in_flight -= 1

    def is_down(self, host: str) -> bool:
        now = self.now()
        return any(start <= now < end for start, end in self.down.get(host, []))


def _reset(request: web.Request) -> None:
    sock = request.transport.get_extra_info("socket") if request.transport else None
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    if request.transport is not None:
        request.transport.abort()


def make_app(farm: FixtureFarm) -> web.Application:
    async def handle(request: web.Request) -> web.StreamResponse:
        host = request.host.split(":")[0].lower()
        label = host.removesuffix("." + SUFFIX)
        farm.hits[host] = farm.hits.get(host, 0) + 1
        if farm.is_down(host):
            return web.Response(status=503, text="维护中", headers={"Retry-After": "60"})
        if host in farm.delays:
            await farm.hold(host)
        if label == "reset":
            _reset(request)
            raise web.HTTPServiceUnavailable()  # never reaches the client: the socket is gone
        if label == "stall":
            response = web.StreamResponse(headers={"Content-Type": "text/html"})
            response.content_length = 10_000
            await response.prepare(request)
            await response.write(b"<html><body>" + b"x" * 100)
            await asyncio.sleep(3600)
            return response
        if label == "unavailable":
            return web.Response(status=503, text="Service Unavailable")
        if label == "loop":
            raise web.HTTPFound(f"/?n={int(request.query.get('n', '0')) + 1}")
        if label == "moved":
            raise web.HTTPFound(f"http://ok.{SUFFIX}/index.html")
        if label == "empty":
            return web.Response(status=200, text="  \r\n ", content_type="text/html")
        if label == "huge":
            return web.Response(body=b"<p>" + b"x" * 200_000, content_type="text/html")
        if label == "block":
            time.sleep(0.3)  # a blocking call in the scanner's own process: the loop stalls
            return web.Response(text=PAGE, content_type="text/html")
        if label == "garbage":
            assert request.transport is not None
            request.transport.write(b"NOT-HTTP garbage\r\n\r\n")
            request.transport.close()
            raise web.HTTPServiceUnavailable()
        return web.Response(text=PAGE, content_type="text/html", charset="utf-8")

    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", handle)
    return app


@dataclass
class Loopback:
    farm: FixtureFarm
    port: int
    tls_port: int
    closed_port: int
    ca_file: str

    def host_map(self) -> str:
        return (
            f"*.{SUFFIX}=127.0.0.1:{self.port},"
            f"*.tls.gov.cn=127.0.0.1:{self.tls_port},"
            f"closed.other.gov.cn=127.0.0.1:{self.closed_port}"
        )

    def settings(self, **overrides: object) -> Settings:
        return load_settings(host_map=self.host_map(), extra_ca_file=self.ca_file, **overrides)

    def client(self, **overrides: object) -> httpx.AsyncClient:
        return build_client(self.settings(**overrides), max_redirects=5)


def free_port() -> int:
    with socket.socket() as sock:  # bound, then released: nobody listens there
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def start_loopback(farm: FixtureFarm, tmp_path: Path) -> tuple[Loopback, web.AppRunner]:
    ca = trustme.CA()
    cert = ca.issue_cert("good.tls.gov.cn")  # served for every name: others mismatch
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_ctx)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    runner = web.AppRunner(make_app(farm), handler_cancellation=True)
    await runner.setup()
    plain = web.TCPSite(runner, "127.0.0.1", 0)
    secure = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_ctx)
    await plain.start()
    await secure.start()
    ports = [s._server.sockets[0].getsockname()[1] for s in (plain, secure)]  # type: ignore[union-attr]
    return Loopback(farm, ports[0], ports[1], free_port(), str(ca_file)), runner


@pytest.fixture
async def loopback(tmp_path: Path) -> AsyncIterator[Loopback]:
    loop_back, runner = await start_loopback(FixtureFarm(), tmp_path)
    yield loop_back
    await runner.shutdown()
    await runner.cleanup()

"""The farm's HTTP(S) server: one loopback port for every site, routed by the Host header.

Each failure kind is produced by a real fault on the socket (RST, a stalled body, a refused
port, a wrong certificate), so the scanner's error mapping is tested against the real thing.
``Farm`` runs inside the caller's event loop; ``FarmThread`` runs it in a thread of its own for
synchronous code (the CLI demo, benchmarks, sync tests).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import socket
import ssl
import struct
import tempfile
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from time import monotonic
from types import TracebackType
from typing import Any, Self
from urllib.parse import unquote_to_bytes

import trustme
from aiohttp import web

from farm.catalog import Catalog
from farm.render import PageBuilder, attachment_bytes, html_error_page
from farm.scenario import CST, FarmSpec, Fault
from farm.site import ASSETS, Site
from farm.truth import Truth

RESET_MESSAGE = "farm fault: reset"


class _QuietResets(logging.Filter):
    """aiohttp logs every handler exception; a reset we inject on purpose is not an error."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not (isinstance(exc, ConnectionResetError) and str(exc) == RESET_MESSAGE)


logging.getLogger("aiohttp.server").addFilter(_QuietResets())

Now = Callable[[], datetime]
MISMATCH_NAME = "wrong-name.example.net"
STALL_SECONDS = 3600.0


def _real_now() -> datetime:
    return datetime.now(UTC)


def midday_clock(day: date | None = None) -> Now:
    """A farm clock at real speed that starts at 12:00 China time of ``day`` (today there).

    The demo's sites have daily outages (东湖区 resets 01:00–02:30 China time): a farm on the
    real clock puts a test that reads it at real speed inside or outside one by the hour the
    suite happens to run. This clock keeps such a test's day and outages the same at any hour.
    """
    day = day or datetime.now(CST).date()
    start = datetime.combine(day, time(12), CST).astimezone(UTC)
    began = monotonic()
    return lambda: start + timedelta(seconds=monotonic() - began)


class Farm:
    """The farm in the running event loop: ``async with Farm(spec, now=clock.now) as farm``."""

    def __init__(
        self,
        spec: FarmSpec,
        now: Now | None = None,
        *,
        port: int = 0,
        tls_port: int = 0,
        single: str | None = None,
        bind: str = "127.0.0.1",
    ) -> None:
        self.spec = spec
        self.now: Now = now or _real_now
        self.today: date = spec.today or self.now().astimezone(CST).date()
        self.catalog = Catalog(spec, self.today)
        self.truth = Truth(self.catalog)
        self.single = single.lower() if single else None
        self.bind = bind
        self._want_port, self._want_tls_port = port, tls_port
        self.port = self.tls_port = self.closed_port = 0
        self._runner: web.ServerRunner | None = None
        self._closed_sock: socket.socket | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.ca_pem = ""
        self._stalled: set[asyncio.Task[Any]] = set()
        # Every request as the server saw it, (host, method, path, status): what a test counts.
        self.requests: list[tuple[str, str, str, int]] = []
        # Overnight changes a test makes: paths that now answer 404, and HTML added to a page.
        self.gone: set[tuple[str, str]] = set()
        self.edits: dict[tuple[str, str], str] = {}

    # -- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> Self:
        server = web.Server(self._handle, access_log=None, handler_cancellation=True)
        self._runner = web.ServerRunner(server, shutdown_timeout=0.5)
        await self._runner.setup()
        plain = web.SockSite(self._runner, self._listen(self._want_port))
        await plain.start()
        self.port = plain._sock.getsockname()[1]  # type: ignore[union-attr]
        tls = web.SockSite(
            self._runner, self._listen(self._want_tls_port), ssl_context=self._ssl_context()
        )
        await tls.start()
        self.tls_port = tls._sock.getsockname()[1]  # type: ignore[union-attr]
        # bound but never listening: connections to it are refused, and nobody else can take it
        self._closed_sock = socket.socket()
        self._closed_sock.bind((self.bind, 0))
        self.closed_port = self._closed_sock.getsockname()[1]
        return self

    def _listen(self, port: int) -> socket.socket:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.bind, port))
        sock.listen(1024)
        sock.setblocking(False)
        return sock

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._closed_sock is not None:
            self._closed_sock.close()
            self._closed_sock = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- addresses ---------------------------------------------------------------------------
    def _ssl_context(self) -> ssl.SSLContext:
        ca = trustme.CA()
        self._tmp = tempfile.TemporaryDirectory(prefix="farm-ca-")
        ca_path = Path(self._tmp.name) / "farm-ca.pem"
        ca.cert_pem.write_to_path(str(ca_path))
        self.ca_pem = str(ca_path)
        names = [s.host for s in self.catalog.static_specs() if not s.cert_mismatch]
        if self.spec.generated is not None:
            names.append(f"*.{self.spec.generated.suffix}")
        good = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert(*names, "localhost", "127.0.0.1").configure_cert(good)
        wrong = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert(MISMATCH_NAME).configure_cert(wrong)
        mismatched = {s.host for s in self.catalog.static_specs() if s.cert_mismatch}

        def pick(sock: ssl.SSLObject, name: str | None, _ctx: ssl.SSLContext) -> None:
            if name and name.lower() in mismatched:
                sock.context = wrong

        good.sni_callback = pick  # type: ignore[assignment]
        return good

    def address(self, host: str) -> tuple[str, int]:
        """Where the scanner should connect for ``host`` (closed hosts: a refusing port)."""
        if self.catalog.is_closed(host):
            return (self.bind, self.closed_port)
        site = self.catalog.get(host)
        return (self.bind, self.tls_port if site is not None and site.spec.tls else self.port)

    @property
    def host_map(self) -> str:
        """``host=127.0.0.1:port,…`` for CENSUS_HOST_MAP; generated hosts by a ``*.`` suffix."""
        entries = [
            f"{h}={':'.join(map(str, self.address(h)))}"
            for h in [*(s.host for s in self.catalog.static_specs()), *self.spec.closed_hosts]
        ]
        if self.spec.generated is not None:
            entries.append(f"*.{self.spec.generated.suffix}={self.bind}:{self.port}")
        return ",".join(entries)

    def url(self, host: str, path: str = "/") -> str:
        """The site's own URL (as the registry and truth write it); connect via ``address``."""
        site = self.catalog.get(host)
        scheme = "https" if site is not None and site.spec.tls else "http"
        return f"{scheme}://{host}{path}"

    # -- request handling ----------------------------------------------------------------------
    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        host = self.single or (request.host or "").rsplit(":", 1)[0].lower()
        status = 0  # 0: answered by a fault (a reset, a redirect raised, a stall)
        try:
            response = await self._respond(request, host)
            response = _conditional(request, response, self.edits.get((host, request.path)))
            status = response.status
            return response
        finally:
            self.requests.append((host, request.method, request.path_qs, status))

    async def _respond(self, request: web.BaseRequest, host: str) -> web.StreamResponse:
        if (host, request.path) in self.gone:
            return web.Response(status=404, text="页面不存在", charset="utf-8")
        site = self.catalog.get(host)
        if site is None:
            return web.Response(status=421, text=f"no site {host} in this farm")
        now = self.now()
        down = site.down_at(now)
        if down is not None:
            fault = Fault("*", "status" if down.kind == "status" else down.kind, status=down.status)
            return await self._fault(request, site, fault, now)
        target = site.locate(request.path)
        if target.kind == "fault":
            assert target.fault is not None
            return await self._fault(request, site, target.fault, now)
        return self._page(request, site, now, faults=True)

    def _page(
        self, request: web.BaseRequest, site: Site, now: datetime, faults: bool
    ) -> web.StreamResponse:
        path = request.path
        target = site.locate(path, faults=faults)
        kind = target.kind
        if kind == "asset":
            ctype, body = ASSETS[path]
            return web.Response(body=body, content_type=ctype)
        if kind == "robots":
            return web.Response(text="User-agent: *\nAllow: /\n")
        if kind == "attachment":
            assert target.attachment is not None
            att = target.attachment
            if att.state == "missing":
                return self._html(site, PageBuilder(site, now).not_found().html, 404)
            if att.state == "html_error":
                return self._html(site, html_error_page(), 200)
            ctype, body = attachment_bytes(att)
            return web.Response(
                body=body,
                headers={
                    "Content-Type": ctype,
                    "Content-Disposition": f"attachment; filename={att.filename}",
                },
            )
        if kind == "data":
            assert target.column is not None
            text = PageBuilder(site, now).data_json(target.column)
            return web.Response(text=text, content_type="application/json")
        query = ""
        if kind == "search":
            query = self._query(request, site, "q")
        elif kind == "calendar":
            query = request.query.get("month", "")
        elif kind == "list":
            query = request.query_string
        rendered = PageBuilder(site, now).render(target, path, query)
        status = 404 if kind == "not_found" else 200
        return self._html(site, rendered.html, status)

    @staticmethod
    def _query(request: web.BaseRequest, site: Site, name: str) -> str:
        """Decode a query value in the site's own encoding (GBK sites get GBK-escaped queries)."""
        raw = request.raw_path.partition("?")[2]
        for part in raw.split("&"):
            key, _, value = part.partition("=")
            if key == name:
                data = unquote_to_bytes(value.replace("+", " "))
                enc = "gb18030" if site.spec.encoding != "utf-8" else "utf-8"
                return data.decode(enc, "replace")
        return ""

    @staticmethod
    def _html(site: Site, html: str, status: int = 200) -> web.Response:
        enc = site.spec.encoding
        if not site.spec.declare_charset:  # no charset anywhere: the reader must guess
            body = html.encode("utf-8" if enc == "utf-8" else "gbk", "xmlcharrefreplace")
            return web.Response(body=body, status=status, headers={"Content-Type": "text/html"})
        if enc == "utf-8":
            return web.Response(
                body=html.encode(),
                status=status,
                headers={"Content-Type": "text/html; charset=utf-8"},
            )
        body = html.encode("gbk", "xmlcharrefreplace")
        label = "GB2312" if enc == "gb2312" else "GBK"
        return web.Response(
            body=body, status=status, headers={"Content-Type": f"text/html; charset={label}"}
        )

    async def _fault(
        self, request: web.BaseRequest, site: Site, fault: Fault, now: datetime
    ) -> web.StreamResponse:
        kind = fault.kind
        if kind == "reset":
            _reset(request)
            raise ConnectionResetError(RESET_MESSAGE)
        if kind == "slow":
            await asyncio.sleep(fault.delay)
            if site.locate(request.path, faults=False).kind == "not_found":
                return self._html(site, PageBuilder(site, now).homepage().html)
            return self._page(request, site, now, faults=False)
        if kind == "status":
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}
            return web.Response(
                status=fault.status,
                headers=headers,
                text=f"{fault.status} 服务暂时不可用",
                charset="utf-8",
            )
        if kind == "redirect_loop":
            hop = "2" if request.query.get("r") == "1" else "1"
            raise web.HTTPFound(f"{request.path}?r={hop}")
        if kind == "empty":
            return web.Response(status=200, body=b"", content_type="text/html")
        if kind == "soft404":
            return self._html(site, PageBuilder(site, now).not_found().html, 200)
        if kind == "not_found":
            return self._html(site, PageBuilder(site, now).not_found().html, 404)
        if kind == "html_error":
            return self._html(site, html_error_page(), 200)
        if kind == "huge":
            return await self._huge(request, fault.size)
        if kind == "stall":
            return await self._stall(request, site, now)
        raise AssertionError(kind)

    async def _huge(self, request: web.BaseRequest, size: int) -> web.StreamResponse:
        resp = web.StreamResponse(
            headers={"Content-Type": "text/html; charset=utf-8", "Content-Length": str(size)}
        )
        await resp.prepare(request)
        chunk = ("<p>" + "政府网站" * 5000 + "</p>\n").encode()
        sent = 0
        try:
            while sent < size:
                part = chunk[: size - sent]
                await resp.write(part)
                sent += len(part)
            await resp.write_eof()
        except ConnectionResetError:
            pass  # the client stopped at its size cap and hung up, as it should
        return resp

    async def _stall(
        self, request: web.BaseRequest, site: Site, now: datetime
    ) -> web.StreamResponse:
        """Slowloris: the headers promise a whole page, half of it arrives, then nothing."""
        html = PageBuilder(site, now).homepage().html.encode()
        resp = web.StreamResponse(
            headers={"Content-Type": "text/html; charset=utf-8", "Content-Length": str(len(html))}
        )
        await resp.prepare(request)
        await resp.write(html[: len(html) // 2])
        await asyncio.sleep(STALL_SECONDS)
        _reset(request)
        raise ConnectionResetError("farm fault: stall ended")


def _conditional(
    request: web.BaseRequest, response: web.StreamResponse, edit: str | None
) -> web.StreamResponse:
    """A whole 200 body gets an ETag (its hash) and a Last-Modified; a request whose
    If-None-Match names that ETag gets 304 Not Modified, as nginx answers a static file.
    ``edit`` (a test's overnight change) is HTML added before the page's ``</body>``."""
    if not isinstance(response, web.Response) or response.status != 200:
        return response
    body = response.body
    if not isinstance(body, bytes):
        return response
    if edit:
        body = body.replace(b"</body>", edit.encode() + b"</body>", 1)
        response.body = body
    etag = '"' + hashlib.blake2b(body, digest_size=8).hexdigest() + '"'
    response.headers["ETag"] = etag
    response.headers["Last-Modified"] = "Mon, 30 Nov 2026 08:00:00 GMT"
    wanted = request.headers.get("If-None-Match", "")
    if request.method in ("GET", "HEAD") and etag in [t.strip() for t in wanted.split(",")]:
        return web.Response(status=304, headers={"ETag": etag})
    return response


def _reset(request: web.BaseRequest) -> None:
    """Abort with SO_LINGER 0 so the peer sees a TCP RST, not an orderly close."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


class FarmThread:
    """The farm on its own event loop in a daemon thread, for synchronous callers."""

    def __init__(self, spec: FarmSpec, now: Now | None = None, **kwargs: Any) -> None:
        self.farm = Farm(spec, now, **kwargs)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="farm", daemon=True)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.farm, name)

    def start(self) -> Self:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.farm.start(), self._loop).result(timeout=30)
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(self.farm.stop(), self._loop).result(timeout=30)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            self._loop.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

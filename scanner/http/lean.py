"""A lean HTTP/1.1 transport for httpx: the crawl's requests without httpcore and h11.

Why: on the peers bench (docs/crawl.md, "The floor: httpx") httpx + httpcore + h11 were 46 % of
a scan's CPU. httpcore re-examines its pool and builds h11 event objects, and h11 parses every
response head through a general state machine in pure Python; ``bench/bench_http_clients.py``
measures the difference per GET. This transport keeps httpx's client — the API every caller
uses, its redirects, cookies, URL handling and models — and underneath does only what a
crawler's GET and HEAD need: one request at a time per connection, a response head split at
its blank line, Content-Length, chunked and read-until-close bodies, keep-alive.

What it keeps from the httpcore path (the same seams, so the same guarantees):

- the connection is opened by `HostMapBackend` (host map, DNS failures told apart, the address
  policy on the address actually connected to) over our asyncio streams, TLS by ``start_tls``
  with the real host name (SNI, certificate check);
- timeouts from the request (connect, read per wait, write, pool) and the same httpx
  exceptions, each raised *from* the httpcore one underneath, so `classify_exception` sees the
  same chain (``AddressRefused``, ``DNSLookupFailed``, ssl errors);
- bodies are handed on raw (Content-Encoding undone by the caller, `BoundedDecoder`), read only
  as far as the caller reads: a body left unread closes its connection, never pools it;
- at most ``max_per_origin`` connections to one scheme, host and port at once.

Beyond httpcore: a GET or HEAD sent on a pooled connection that the server closed or reset
as the request went out (nothing of an answer received) is sent once more on a new
connection, as browsers do: a keep-alive running out is the scanner's trouble, never the
site's failure.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Callable

import httpcore
import httpx

from scanner.clock import stopwatch
from scanner.http.hostmap import HostMapBackend
from scanner.http.streams import AsyncioStream

__all__ = ["EMPTY_BODY", "LeanAnswer", "LeanTransport"]

# Response extension set (True) when the framing says the body is empty (a HEAD's answer, 204,
# 304, ``Content-Length: 0``): the body is complete as it stands, and a caller may close the
# response without iterating it — the connection still goes back to the pool.
EMPTY_BODY = "census_empty_body"

MAX_HEAD = 100 * 1024  # httpcore's limit on an incomplete h11 event (a response head)
_READ = 64 * 1024
_DEFAULT_PORTS = {b"http": 80, b"https": 443}
_RETRYABLE = frozenset((b"GET", b"HEAD"))

_MAPPED: list[tuple[type[Exception], type[httpx.HTTPError]]] = [
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
]
_LOW_ERRORS = (httpcore.NetworkError, httpcore.ProtocolError, httpcore.TimeoutException)


def _mapped(exc: Exception) -> httpx.TransportError:
    """The httpx exception httpx's own transport raises for an httpcore one (httpx's client
    attaches the request, as for its own transport's)."""
    for low, high in _MAPPED:
        if isinstance(exc, low):
            return high(str(exc))  # type: ignore[return-value]
    return httpx.TransportError(str(exc))


class _Disconnected(httpcore.RemoteProtocolError):
    """The server closed the connection before any byte of the response."""


class _Connection:
    __slots__ = ("reused", "stream", "used_at")

    def __init__(self, stream: AsyncioStream):
        self.stream = stream
        self.used_at = stopwatch()
        self.reused = False


class LeanTransport(httpx.AsyncBaseTransport):
    """httpx transport: HTTP/1.1 on `HostMapBackend` connections (see the module docstring).

    ``ssl_context`` is called on the first https connection: loading the trust store costs
    2.5 MB and 20 ms, which a crawl of an http-only site never needs.
    """

    def __init__(
        self,
        *,
        ssl_context: Callable[[], ssl.SSLContext],
        backend: HostMapBackend,
        max_per_origin: int,
        keepalive_expiry: float = 5.0,
    ):
        self.ssl_context = ssl_context
        self.backend = backend
        self.max_per_origin = max(1, max_per_origin)
        self.keepalive_expiry = keepalive_expiry
        self._idle: dict[tuple[bytes, bytes, int], list[_Connection]] = {}
        self._slots: dict[tuple[bytes, bytes, int], asyncio.Semaphore] = {}
        self._busy: set[_Connection] = set()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        scheme = url.raw_scheme
        if scheme not in _DEFAULT_PORTS:
            raise httpx.UnsupportedProtocol(f"unsupported scheme {url.scheme!r}", request=request)
        origin = (scheme, url.raw_host, url.port or _DEFAULT_PORTS[scheme])
        timeouts: dict[str, float | None] = request.extensions.get("timeout", {})
        body = await self.exchange(origin, request.method.encode("ascii"), request, timeouts)
        return body.response()

    async def exchange(
        self,
        origin: tuple[bytes, bytes, int],
        method: bytes,
        request: httpx.Request | bytes,
        timeouts: dict[str, float | None],
    ) -> _Body:
        """Send one request to ``origin`` and read its answer's head: the answer as its `_Body`
        (status and headers on it), which holds the connection and the origin's slot until it
        is closed. ``request`` is httpx's request, or the request's bytes already written out
        (the client's lean path, `_Client.send_target`); httpx's exceptions are raised, each
        from the httpcore one underneath."""
        slots = self._slots.get(origin)
        if slots is None:
            slots = self._slots[origin] = asyncio.Semaphore(self.max_per_origin)
        if slots.locked():  # a wait: under the pool timeout (a free slot is taken at once)
            try:
                async with asyncio.timeout(timeouts.get("pool")):
                    await slots.acquire()
            except TimeoutError as exc:
                raise httpx.PoolTimeout(
                    "no connection free in time",
                    request=request if isinstance(request, httpx.Request) else None,
                ) from exc
        else:
            await slots.acquire()
        conn: _Connection | None = None
        try:
            data = request if isinstance(request, bytes) else await _serialize(request)
            for attempt in (0, 1):
                conn = self._take_idle(origin)
                if conn is None:
                    conn = await self._connect(origin, timeouts)
                self._busy.add(conn)
                try:
                    await conn.stream.write(data, timeouts.get("write"))
                    head = await _read_head(conn.stream, timeouts.get("read"))
                except (_Disconnected, httpcore.WriteError):
                    # Nothing of an answer arrived: on a pooled connection, the server closed
                    # it as the request went out (its keep-alive ran out) — the scanner's
                    # trouble, not the site's, so a GET or HEAD goes once more on a new one.
                    self._discard(conn)
                    retry = attempt == 0 and conn.reused and method in _RETRYABLE
                    conn = None  # discarded: not again below
                    if retry:
                        continue
                    raise
                break
            assert conn is not None
            version, status, reason, headers, leftover = head
            return _Body(
                self, conn, origin, method, status, version, reason, headers, leftover, timeouts
            )
        except Exception as exc:
            if conn is not None:
                self._discard(conn)
            slots.release()
            if isinstance(exc, _LOW_ERRORS):
                raise _mapped(exc) from exc
            raise
        except BaseException:  # cancelled (the fetch's deadline): the connection is unusable
            if conn is not None:
                self._discard(conn)
            slots.release()
            raise

    def _take_idle(self, origin: tuple[bytes, bytes, int]) -> _Connection | None:
        idle = self._idle.get(origin)
        now = stopwatch()
        while idle:
            conn = idle.pop()
            if now - conn.used_at > self.keepalive_expiry or conn.stream.get_extra_info(
                "is_readable"
            ):  # expired, or the server closed it (or sent what nobody asked for)
                conn.stream.close_now()
                continue
            conn.reused = True
            return conn
        return None

    async def _connect(
        self, origin: tuple[bytes, bytes, int], timeouts: dict[str, float | None]
    ) -> _Connection:
        scheme, raw_host, port = origin
        host = raw_host.decode("ascii")
        timeout = timeouts.get("connect")
        stream = await self.backend.connect_tcp(host, port, timeout=timeout)
        if scheme == b"https":
            stream = await stream.start_tls(
                self.ssl_context(), server_hostname=host, timeout=timeout
            )
        assert isinstance(stream, AsyncioStream)
        return _Connection(stream)

    def _discard(self, conn: _Connection) -> None:
        self._busy.discard(conn)
        conn.stream.close_now()

    def _release(self, conn: _Connection, origin: tuple[bytes, bytes, int], reusable: bool) -> None:
        self._busy.discard(conn)
        if reusable and not conn.stream.get_extra_info("is_readable"):
            conn.used_at = stopwatch()
            self._idle.setdefault(origin, []).append(conn)
        else:
            conn.stream.close_now()
        self._slots[origin].release()

    async def aclose(self) -> None:
        for idle in self._idle.values():
            for conn in idle:
                conn.stream.close_now()
        self._idle.clear()
        for conn in list(self._busy):
            conn.stream.close_now()
        self._busy.clear()
        await asyncio.sleep(0)  # let the transports release their sockets


async def _serialize(request: httpx.Request) -> bytes:
    target = request.url.raw_path
    if any(c in target for c in (b" ", b"\r", b"\n")):
        raise httpcore.LocalProtocolError("illegal request target")
    lines = [b"%s %s HTTP/1.1" % (request.method.encode("ascii"), target)]
    chunked = sized = False
    for name, value in request.headers.raw:
        if b"\r" in value or b"\n" in value or b"\r" in name or b"\n" in name:
            raise httpcore.LocalProtocolError("illegal header value")
        lines.append(name + b": " + value)
        low = name.lower()
        if low == b"content-length":
            sized = True
        elif low == b"transfer-encoding" and value.lower() == b"chunked":
            chunked = True
    data = b"\r\n".join(lines) + b"\r\n\r\n"
    if sized or chunked:
        body = b"".join([part async for part in request.stream])  # type: ignore[union-attr]
        if chunked:
            body = (b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)) if body else b"0\r\n\r\n"
        data += body
    return data


_Head = tuple[bytes, int, bytes, list[tuple[bytes, bytes]], bytes]


async def _read_head(stream: AsyncioStream, timeout: float | None) -> _Head:
    """The next final response head (1xx interim responses skipped) and what followed it."""
    data = b""
    while True:
        end, gap = _head_end(data)
        while end < 0:
            if len(data) > MAX_HEAD:
                raise httpcore.RemoteProtocolError("the response head is too long")
            try:
                chunk = await stream.read(_READ, timeout)
            except httpcore.ReadError as exc:  # reset
                if data:
                    raise
                raise _Disconnected(str(exc) or "the connection was reset") from exc
            if not chunk:
                if data:
                    raise httpcore.RemoteProtocolError(
                        "the server closed the connection in the middle of the response head"
                    )
                raise _Disconnected("Server disconnected without sending a response.")
            data += chunk
            end, gap = _head_end(data)
        head, data = data[:end], data[end + gap :]
        version, status, reason, headers = _parse_head(head)
        if 100 <= status < 200:
            if status == 101:
                raise httpcore.RemoteProtocolError("unexpected protocol switch (101)")
            continue  # 100 Continue, 103 Early Hints: the final answer follows
        return version, status, reason, headers, data


def _head_end(data: bytes) -> tuple[int, int]:
    """Where the head's blank line starts and its length (-1: not yet); bare LF tolerated."""
    crlf = data.find(b"\r\n\r\n")
    # only a bare-LF end before the CRLF one counts: the search stops there (not through a
    # page's body that came in with its head)
    lf = data.find(b"\n\n", 0, len(data) if crlf < 0 else crlf + 1)
    if lf >= 0 and (crlf < 0 or lf < crlf):
        return lf, 2
    if crlf >= 0:
        return crlf, 4
    return -1, 0


def _parse_head(head: bytes) -> tuple[bytes, int, bytes, list[tuple[bytes, bytes]]]:
    lines = head.split(b"\n")
    parts = lines[0].rstrip(b"\r").split(b" ", 2)
    version = parts[0]
    if len(parts) < 2 or not version.startswith(b"HTTP/1.") or len(version) != 8:
        raise httpcore.RemoteProtocolError(f"not an HTTP/1 status line: {lines[0][:80]!r}")
    code = parts[1]
    if len(code) != 3 or not code.isdigit():
        raise httpcore.RemoteProtocolError(f"bad status code {code[:20]!r}")
    reason = parts[2] if len(parts) > 2 else b""
    headers: list[tuple[bytes, bytes]] = []
    for line in lines[1:]:
        line = line.rstrip(b"\r")
        if not line:
            continue
        if line[0] in (0x20, 0x09):  # obs-fold: a continuation of the previous value
            if not headers:
                raise httpcore.RemoteProtocolError("a continuation line before any header")
            name, value = headers[-1]
            headers[-1] = (name, value + b" " + line.strip(b" \t"))
            continue
        name, colon, value = line.partition(b":")
        if not colon or not name or name[-1] in (0x20, 0x09):
            raise httpcore.RemoteProtocolError(f"malformed header line {line[:80]!r}")
        headers.append((name, value.strip(b" \t")))
    return version, int(code), reason, headers


class _Body(httpx.AsyncByteStream):
    """The response body, raw, read from the connection only as the caller iterates."""

    def __init__(
        self,
        transport: LeanTransport,
        conn: _Connection,
        origin: tuple[bytes, bytes, int],
        method: bytes,
        status: int,
        version: bytes,
        reason: bytes,
        headers: list[tuple[bytes, bytes]],
        leftover: bytes,
        timeouts: dict[str, float | None],
    ):
        self.transport, self.conn, self.origin = transport, conn, origin
        self.status, self.version, self.reason, self.headers = status, version, reason, headers
        self.leftover = leftover
        self.timeout = timeouts.get("read")
        self.done = False
        self.closed = False
        length: bytes | None = None
        encoding = b""
        keep = version == b"HTTP/1.1"
        for name, value in headers:
            low = name.lower()
            if low == b"content-length":
                length = value if length is None else length + b"," + value
            elif low == b"transfer-encoding":
                encoding = value.lower()
            elif low == b"connection" and b"close" in value.lower():
                keep = False
        self.keep_alive = keep
        self.length = -1  # -1: until the server closes
        self.chunked = False
        if method == b"HEAD" or status in (204, 304):
            self.length = 0
        elif encoding:
            if encoding.rsplit(b",", 1)[-1].strip() != b"chunked":
                raise httpcore.RemoteProtocolError("unsupported Transfer-Encoding")
            self.chunked = True
        elif length is not None:
            values = {v.strip() for v in length.split(b",")}
            if len(values) != 1 or not next(iter(values)).isdigit():
                raise httpcore.RemoteProtocolError(f"bad Content-Length {length[:40]!r}")
            self.length = int(next(iter(values)))
        if self.length < 0 and not self.chunked:
            self.keep_alive = False
        elif self.length == 0 and not self.chunked:
            # Nothing to read: complete now (bytes after the head put the connection out of step).
            self.done = True
            if leftover:
                self.keep_alive = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            if self.chunked:
                async for piece in self._chunked():
                    yield piece
            else:
                async for piece in self._plain():
                    yield piece
        except _LOW_ERRORS as exc:
            raise _mapped(exc) from exc
        self.done = True

    async def _read(self) -> bytes:
        return await self.conn.stream.read(_READ, self.timeout)

    async def _plain(self) -> AsyncIterator[bytes]:
        remaining = self.length
        data, self.leftover = self.leftover, b""
        if remaining < 0:  # until the server closes
            if data:
                yield data
            while chunk := await self._read():
                yield chunk
            return
        if len(data) > remaining:  # more than the body: the connection is out of step
            self.keep_alive = False
            data = data[:remaining]
        while True:
            if data:
                remaining -= len(data)
                yield data
            if remaining <= 0:
                return
            data = await self.conn.stream.read(min(_READ, remaining), self.timeout)
            if not data:
                raise httpcore.RemoteProtocolError(
                    "peer closed connection without sending complete message body: "
                    f"{self.length - remaining} of {self.length} bytes"
                )

    async def _chunk_data(self) -> bytes:
        """More of a chunked body; a connection closed before its last chunk is the server's
        protocol error (httpcore's words, so failures read the same on both transports)."""
        chunk = await self._read()
        if not chunk:
            raise httpcore.RemoteProtocolError(
                "peer closed connection without sending complete message body: "
                "incomplete chunked read"
            )
        return chunk

    async def _line(self, buffer: bytearray) -> bytes:
        while (end := buffer.find(b"\n")) < 0:
            if len(buffer) > MAX_HEAD:
                raise httpcore.RemoteProtocolError("a chunk header is too long")
            buffer += await self._chunk_data()
        line = bytes(buffer[:end]).rstrip(b"\r")
        del buffer[: end + 1]
        return line

    async def _chunked(self) -> AsyncIterator[bytes]:
        buffer = bytearray(self.leftover)
        self.leftover = b""
        while True:
            size_text = (await self._line(buffer)).split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise httpcore.RemoteProtocolError(f"bad chunk size {size_text[:20]!r}") from None
            if size < 0:
                raise httpcore.RemoteProtocolError("bad chunk size")
            if size == 0:
                while await self._line(buffer):  # trailers, up to the blank line
                    pass
                if buffer:
                    self.keep_alive = False
                return
            while size > 0:
                if not buffer:
                    buffer += await self._chunk_data()
                piece = bytes(buffer[:size])
                del buffer[: len(piece)]
                size -= len(piece)
                yield piece
            await self._line(buffer)  # the CRLF after the chunk's data

    def response(self) -> httpx.Response:
        """The answer as httpx's response, this body its stream (what httpx's transports give)."""
        try:
            return httpx.Response(
                self.status,
                headers=self.headers,
                stream=self,
                extensions={
                    "http_version": self.version,
                    "reason_phrase": self.reason,
                    "network_stream": self.conn.stream,
                    EMPTY_BODY: self.done,
                },
            )
        except BaseException:
            self.closed = True
            self.transport._release(self.conn, self.origin, False)
            raise

    async def aclose(self) -> None:
        self.close()

    def close(self) -> None:
        """Give the connection back (to the pool when the body was read whole and the
        connection may be kept alive, else closed) and the origin's slot."""
        if self.closed:
            return
        self.closed = True
        self.transport._release(self.conn, self.origin, self.done and self.keep_alive)


# An answer as `LeanTransport.exchange` gives it: ``status`` and ``headers`` (the raw lines),
# the raw body as an async iterator, ``done`` once it is read whole, ``close()`` to hand the
# connection back (pooled only when the body was read whole).
LeanAnswer = _Body

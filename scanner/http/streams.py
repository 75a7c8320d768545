"""httpcore's network streams on plain asyncio (a protocol with its own buffer).

httpcore's default backend goes through anyio: every read and write opens a cancel scope, and
every pooled connection is examined through anyio's typed-attribute lookups each time a request
starts or ends. On the crawl that machinery cost ≈ 15 % of the CPU (py-spy on the peers bench,
docs/crawl.md). This backend keeps the same contract — the same httpcore exceptions, the same
``get_extra_info`` keys, TLS started on the open connection — with one asyncio protocol per
connection and a timeout only around reads that actually wait.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from collections.abc import Iterable
from typing import Any

import httpcore
from httpcore import AsyncNetworkBackend, AsyncNetworkStream

__all__ = ["AsyncioBackend", "AsyncioStream", "use_asyncio_primitives"]

_HIGH_WATER = 256 * 1024  # stop reading from the socket above this much unread data


class _Buffer(asyncio.Protocol):
    """Collects what arrives on one connection until the stream reads it."""

    def __init__(self) -> None:
        self.chunks: deque[bytes] = deque()
        self.size = 0
        self.eof = False
        self.error: BaseException | None = None
        self.transport: asyncio.Transport | None = None
        self.read_paused = False
        self._data_waiter: asyncio.Future[None] | None = None
        self._drain_waiter: asyncio.Future[None] | None = None
        self.write_paused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.chunks.append(data)
        self.size += len(data)
        if self.size > _HIGH_WATER and not self.read_paused and self.transport is not None:
            self.transport.pause_reading()
            self.read_paused = True
        self._wake()

    def eof_received(self) -> bool:
        self.eof = True
        self._wake()
        return False  # close the transport: HTTP/1.1 never half-closes usefully

    def connection_lost(self, exc: Exception | None) -> None:
        self.eof = True
        self.error = exc
        self._wake()
        self._release_drain()

    def pause_writing(self) -> None:
        self.write_paused = True

    def resume_writing(self) -> None:
        self.write_paused = False
        self._release_drain()

    def _wake(self) -> None:
        waiter, self._data_waiter = self._data_waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _release_drain(self) -> None:
        waiter, self._drain_waiter = self._drain_waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def data_waiter(self) -> asyncio.Future[None]:
        self._data_waiter = asyncio.get_running_loop().create_future()
        return self._data_waiter

    def drain_waiter(self) -> asyncio.Future[None]:
        self._drain_waiter = asyncio.get_running_loop().create_future()
        return self._drain_waiter

    def take(self, max_bytes: int) -> bytes:
        data = self.chunks.popleft()
        if len(data) > max_bytes:
            self.chunks.appendleft(data[max_bytes:])
            data = data[:max_bytes]
        self.size -= len(data)
        if self.read_paused and self.size <= _HIGH_WATER // 2 and self.transport is not None:
            self.transport.resume_reading()
            self.read_paused = False
        return data


class AsyncioStream(AsyncNetworkStream):
    def __init__(self, transport: asyncio.Transport, buffer: _Buffer):
        self._transport = transport
        self._buffer = buffer

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        buffer = self._buffer
        if not buffer.chunks and not buffer.eof:
            if timeout is None:  # no timer of its own (the lean path's reads: the deadline's)
                await buffer.data_waiter()
            else:
                try:
                    async with asyncio.timeout(timeout):
                        await buffer.data_waiter()
                except TimeoutError as exc:
                    raise httpcore.ReadTimeout(str(exc) or "read timed out") from exc
        if buffer.chunks:
            return buffer.take(max_bytes)
        if buffer.error is not None:
            raise httpcore.ReadError(str(buffer.error)) from buffer.error
        return b""

    async def write(self, data: bytes, timeout: float | None = None) -> None:
        if not data:
            return
        if self._transport.is_closing():
            raise httpcore.WriteError("the connection is closed")
        self._transport.write(data)
        if self._buffer.write_paused:
            try:
                async with asyncio.timeout(timeout):
                    await self._buffer.drain_waiter()
            except TimeoutError as exc:
                raise httpcore.WriteTimeout(str(exc) or "write timed out") from exc
            if self._buffer.error is not None:
                raise httpcore.WriteError(str(self._buffer.error)) from self._buffer.error

    async def aclose(self) -> None:
        # One turn of the loop lets the transport release its socket: a client closed just
        # before its loop ends leaves no socket behind.
        self.close_now()
        await asyncio.sleep(0)

    def close_now(self) -> None:
        """Close at once, like httpcore's anyio streams (no TLS close_notify exchange); also
        what a pool discarding a connection calls, without waiting."""
        if self._transport.get_extra_info("ssl_object") is not None:
            self._transport.abort()
        else:
            self._transport.close()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                transport = await loop.start_tls(
                    self._transport, self._buffer, ssl_context, server_hostname=server_hostname
                )
        except TimeoutError as exc:
            self._transport.close()
            raise httpcore.ConnectTimeout(str(exc) or "TLS handshake timed out") from exc
        except (OSError, ssl.SSLError) as exc:  # ssl.CertificateError is an SSLError
            self._transport.close()
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        if transport is None:
            raise httpcore.ConnectError("TLS handshake failed: the connection closed")
        assert isinstance(transport, asyncio.Transport)
        self._buffer.transport = transport
        return AsyncioStream(transport, self._buffer)

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":  # idle connection with data or EOF: the server closed it
            return bool(self._buffer.chunks) or self._buffer.eof
        key = {
            "ssl_object": "ssl_object",
            "client_addr": "sockname",
            "server_addr": "peername",
            "socket": "socket",
        }.get(info)
        return None if key is None else self._transport.get_extra_info(key)


class AsyncioBackend(AsyncNetworkBackend):
    """Opens `AsyncioStream` connections (TCP; TLS via ``start_tls``)."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                transport, buffer = await loop.create_connection(
                    _Buffer,
                    host,
                    port,
                    local_addr=(local_address, 0) if local_address else None,
                )
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(str(exc) or "connect timed out") from exc
        except OSError as exc:
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        sock = transport.get_extra_info("socket")
        for option in socket_options or ():
            sock.setsockopt(*option)
        return AsyncioStream(transport, buffer)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not used by the census")

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


# -- httpcore's locks, events and cancellation shields on plain asyncio ----------------------
#
# httpcore 1.0 makes every lock, event and shield through anyio after asking sniffio which
# library runs (``httpcore._synchronization``): a connection's lock per request, the pool's
# events, a shield on every close. On the peers bench that was 8.7 % of the scan's CPU (py-spy,
# docs/crawl.md). The census runs on asyncio only, so the asyncio versions below stand in. An
# anyio shield never held back asyncio's own cancellation (``asyncio.timeout``, the only kind
# our code uses), so the shield doing nothing changes no behaviour of ours.


async def _lock_enter(self: Any) -> Any:
    await self._census_lock.acquire()
    return self


async def _lock_exit(self: Any, *exc: object) -> None:
    self._census_lock.release()


def _lock_init(self: Any) -> None:
    self._census_lock = asyncio.Lock()


def _event_init(self: Any) -> None:
    self._census_event = asyncio.Event()


def _event_set(self: Any) -> None:
    self._census_event.set()


async def _event_wait(self: Any, timeout: float | None = None) -> None:
    if timeout is None:
        await self._census_event.wait()
        return
    try:
        async with asyncio.timeout(timeout):
            await self._census_event.wait()
    except TimeoutError as exc:
        raise httpcore.PoolTimeout(str(exc)) from exc


def _shield_init(self: Any) -> None:
    pass


def _shield_enter(self: Any) -> Any:
    return self


def _shield_exit(self: Any, *exc: object) -> None:
    return None


_ORIGINALS: list[tuple[type, str, Any]] = []  # httpcore's own methods, to put them back


def use_asyncio_primitives(on: bool = True) -> bool:
    """Put the asyncio versions in place (``on=False`` puts httpcore's own back: the bench's
    comparison). A no-op when httpcore's classes are not the ones this was written for, so a
    newer httpcore falls back to its own. Whether the asyncio versions are in place."""
    from httpcore import _synchronization as sync

    lock, event, shield = sync.AsyncLock, sync.AsyncEvent, sync.AsyncShieldCancellation
    if not on:
        for cls, name, fn in _ORIGINALS:
            setattr(cls, name, fn)
        _ORIGINALS.clear()
        return False
    if _ORIGINALS:
        return True
    expected = (
        all(hasattr(lock, n) for n in ("setup", "__aenter__", "__aexit__"))
        and all(hasattr(event, n) for n in ("setup", "set", "wait"))
        and all(hasattr(shield, n) for n in ("__enter__", "__exit__"))
    )
    if not expected:
        return False
    patches: list[tuple[type, dict[str, Any]]] = [
        (lock, {"__init__": _lock_init, "__aenter__": _lock_enter, "__aexit__": _lock_exit}),
        (event, {"__init__": _event_init, "set": _event_set, "wait": _event_wait}),
        (shield, {"__init__": _shield_init, "__enter__": _shield_enter, "__exit__": _shield_exit}),
    ]
    for cls, methods in patches:
        for name, fn in methods.items():
            _ORIGINALS.append((cls, name, cls.__dict__[name]))
            setattr(cls, name, fn)
    return True

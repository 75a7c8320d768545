"""Name resolution under our control: the host map (like ``curl --resolve``) and timed DNS.

The map sits *below* httpx, in httpcore's network backend, so URLs, Host headers, TLS SNI,
certificate checks and connection pools all keep the real-looking host name
(``www.example-county.gov.cn``) while the socket goes to 127.0.0.1:port.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from contextvars import ContextVar

import anyio
import httpcore
from httpcore import AsyncNetworkBackend, AsyncNetworkStream

from scanner.clock import stopwatch
from scanner.http.addresses import AddressPolicy
from scanner.http.streams import AsyncioBackend

# The probe reads how long the last name lookup took in its own task (None: no lookup done).
last_dns_ms: ContextVar[float | None] = ContextVar("last_dns_ms", default=None)


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class DNSLookupFailed(httpcore.ConnectError):
    """The host name does not resolve (or is outside the map when the map is exclusive)."""


class HostMap:
    """Host → (address, port) overrides; ``*.suffix`` entries match every name under it."""

    def __init__(self, mapping: dict[str, tuple[str, int]], *, exclusive: bool = False):
        self.exact = {h: t for h, t in mapping.items() if not h.startswith("*.")}
        self.suffixes = [(h[1:], t) for h, t in mapping.items() if h.startswith("*.")]
        self.exclusive = exclusive

    def lookup(self, host: str) -> tuple[str, int] | None:
        host = host.lower().rstrip(".")
        if host in self.exact:
            return self.exact[host]
        for suffix, target in self.suffixes:
            if host.endswith(suffix):
                return target
        return None


class HostMapBackend(AsyncNetworkBackend):
    """Connects mapped hosts to their address; resolves others itself so DNS failures are told
    apart from connection failures, refuses unmapped hosts when the map is exclusive, and
    applies the address policy to every address the map does not name."""

    def __init__(
        self,
        host_map: HostMap,
        inner: AsyncNetworkBackend | None = None,
        policy: AddressPolicy | None = None,
    ):
        self.host_map = host_map
        self.inner = inner or AsyncioBackend()
        self.policy = policy or AddressPolicy()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> AsyncNetworkStream:
        mapped = self.host_map.lookup(host)
        if mapped is not None:
            address, port = mapped
            last_dns_ms.set(0.0)
        elif self.host_map.exclusive:
            raise DNSLookupFailed(f"{host} is not in the host map (the map is exclusive)")
        else:
            address = await self._resolve(host, port, timeout)
            self.policy.check(host, address)  # the address connected to, not a second lookup
        return await self.inner.connect_tcp(
            address,
            port,
            timeout=timeout,
            local_address=local_address,
            socket_options=socket_options,
        )

    async def _resolve(self, host: str, port: int, timeout: float | None) -> str:
        if _is_address(host):  # nothing to look up (and no resolver thread to start)
            last_dns_ms.set(0.0)
            return host
        started = stopwatch()
        try:
            with anyio.fail_after(timeout):
                infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except TimeoutError as exc:
            raise DNSLookupFailed(f"looking up {host} timed out") from exc
        except OSError as exc:
            raise DNSLookupFailed(f"{host} does not resolve: {exc}") from exc
        finally:
            last_dns_ms.set((stopwatch() - started) * 1000)
        if not infos:
            raise DNSLookupFailed(f"{host} has no address")
        return str(infos[0][4][0])

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> AsyncNetworkStream:
        return await self.inner.connect_unix_socket(path, timeout, socket_options)

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)

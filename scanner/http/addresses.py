"""Which addresses the scanner may connect to: the public internet only, unless told otherwise.

A hostile (or careless) site can link or redirect to ``http://127.0.0.1:8080/``,
``http://10.1.2.3/`` or the cloud metadata service ``http://169.254.169.254/``; followed
blindly, the census would probe the office's own intranet from inside it. The policy is applied
in the network backend to the address actually connected to (after DNS, so a public name that
resolves to a private address is caught, and no second lookup can change the answer):

- a host named in the host map connects where the map says (the farm, tests, the demo);
- a host the operator registered (a site's own host, given to its crawl as ``trusted``)
  connects wherever it resolves: the registry is the operator's input, not a page's;
- any other address must be global unicast (not loopback, private, link-local, shared,
  multicast, reserved or unspecified) or inside a range of ``CENSUS_ALLOWED_NETWORKS``
  (for intranet deployments).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

import httpcore

from scanner.settings import parse_networks

__all__ = ["AddressPolicy", "AddressRefused", "parse_networks"]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class AddressRefused(httpcore.ConnectError):
    """The address is outside the public internet and not allowed by the settings."""


class AddressPolicy:
    """Says whether a connection to an address may be made (see the module docstring)."""

    def __init__(self, allowed: Iterable[Network] = (), trusted: Iterable[str] = ()):
        self.allowed = list(allowed)
        self.trusted = frozenset(h.lower().rstrip(".") for h in trusted)

    def refusal(self, address: str) -> str | None:
        """Why ``address`` may not be connected to (None: it may)."""
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return f"{address} is not an IP address"
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if any(ip in net for net in self.allowed):
            return None
        if ip.is_global and not ip.is_multicast:
            return None
        return (
            f"拒绝连接非公网地址 {ip} (refused: not a public address; "
            "allow a range with CENSUS_ALLOWED_NETWORKS)"
        )

    def check(self, host: str, address: str) -> None:
        if host.lower().rstrip(".") in self.trusted:
            return
        reason = self.refusal(address)
        if reason is not None:
            raise AddressRefused(f"{host}: {reason}")

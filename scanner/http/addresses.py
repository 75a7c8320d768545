"""Which addresses the scanner may connect to: the public internet only, unless told otherwise.

A hostile (or careless) site can link or redirect to ``http://127.0.0.1:8080/``,
``http://10.1.2.3/`` or the cloud metadata service ``http://169.254.169.254/``; followed
blindly, the census would probe the office's own intranet from inside it. The policy is applied
in the network backend to the address actually connected to (after DNS, so a public name that
resolves to a private address is caught, and no second lookup can change the answer):

- a host named in the host map connects where the map says (the farm, tests, the demo);
- a site the operator registered at an IP address (``http://127.0.0.1:8081/``, an intranet
  portal at ``http://10.2.3.4/``: given to its crawl as ``trusted``) is connected to there —
  the registry is the operator's input, not a page's; a registered name still passes the
  policy, as its DNS answer is not the operator's;
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


def literal_addresses(hosts: Iterable[str]) -> list[str]:
    """The hosts that are IP addresses as written (``127.0.0.1``, ``[::1]`` → ``::1``): what
    the operator can vouch for. A registered *name* is not among them — its DNS answer is not
    the operator's input, so it still passes the policy like any other name."""
    out: list[str] = []
    for host in hosts:
        bare = host.strip().lower().rstrip(".").strip("[]")
        try:
            ipaddress.ip_address(bare)
        except ValueError:
            continue
        out.append(bare)
    return out


class AddressPolicy:
    """Says whether a connection to an address may be made (see the module docstring)."""

    def __init__(self, allowed: Iterable[Network] = (), trusted: Iterable[str] = ()):
        self.allowed = list(allowed)
        self.trusted = frozenset(literal_addresses(trusted))

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
        if host.lower().rstrip(".").strip("[]") in self.trusted:
            return
        reason = self.refusal(address)
        if reason is not None:
            raise AddressRefused(f"{host}: {reason}")

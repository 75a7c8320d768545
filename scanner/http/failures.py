"""The one place that maps library errors to the failure taxonomy (``scoring.facts.FailureKind``,
which every layer shares)."""

from __future__ import annotations

import ssl

import httpx

from scanner.http.addresses import AddressRefused
from scanner.http.hostmap import DNSLookupFailed
from scoring.kinds import FailureKind

__all__ = ["FailureKind", "address_refused", "classify_exception"]


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def address_refused(exc: BaseException) -> bool:
    """Whether the scanner itself declined the connection (the address policy): nothing was
    tried, so nothing may be concluded about the site."""
    return any(isinstance(e, AddressRefused) for e in _chain(exc))


def classify_exception(exc: BaseException) -> FailureKind:
    """Which failure kind an exception raised while fetching stands for."""
    chain = _chain(exc)
    if any(isinstance(e, DNSLookupFailed) for e in chain):
        return FailureKind.DNS
    if any(isinstance(e, ssl.SSLError | ssl.CertificateError) for e in chain):
        return FailureKind.TLS
    if isinstance(exc, httpx.TooManyRedirects):
        return FailureKind.REDIRECT_LOOP
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return FailureKind.TIMEOUT
    if isinstance(exc, httpx.ConnectError):
        text = str(exc).lower()
        if "ssl" in text or "certificate" in text or "tls" in text:
            return FailureKind.TLS
        return FailureKind.CONNECT
    return FailureKind.PROTOCOL

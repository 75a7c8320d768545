"""The fixed taxonomy of why a visit failed, and the one place that maps library errors to it."""

from __future__ import annotations

import enum
import ssl

import httpx

from scanner.http.hostmap import DNSLookupFailed


class FailureKind(enum.StrEnum):
    DNS = "dns"
    CONNECT = "connect"
    TLS = "tls"
    TIMEOUT = "timeout"  # not fully loaded within the page timeout (15 s by default)
    HTTP_STATUS = "http_status"  # final status ≥ 400 after redirects
    EMPTY = "empty"  # blank body
    TOO_LARGE = "too_large"
    REDIRECT_LOOP = "redirect_loop"
    PROTOCOL = "protocol"


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


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

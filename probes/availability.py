"""The homepage availability probe: one complete visit, timed by phase, judged by the 15 s rule.

The census counts a homepage as not opened when it has not *fully loaded* — status line,
headers and the whole body, final status < 400 after redirects — within 15 seconds. The probe
records what happened as a fact (a :class:`ProbeRecord`); whether a week of such facts fails
a rule is scoring's business. It receives a client and a clock and never touches storage.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from scanner.clock import Clock, stopwatch
from scanner.http import FailureKind, FetchFailed, HostLimiter, fetch
from scanner.http.hostmap import last_dns_ms

__all__ = ["PhaseTimer", "ProbeRecord", "probe_homepage"]


@dataclass(frozen=True)
class ProbeRecord:
    """One visit of one homepage, as observed (times in milliseconds)."""

    url: str
    started_at: datetime
    ok: bool
    failure: FailureKind | None
    status_code: int | None
    final_url: str | None
    bytes: int | None
    total_ms: float
    dns_ms: float | None = None
    connect_ms: float | None = None
    tls_ms: float | None = None
    first_byte_ms: float | None = None
    body_ms: float | None = None
    detail: str = ""


class PhaseTimer:
    """Collects httpcore ``trace`` events into phase durations.

    Across redirects the connect and TLS phases are summed (each hop may open a connection);
    first byte and body are those of the last response, the one the verdict is about.
    """

    def __init__(self) -> None:
        self.origin = stopwatch()
        self._open: dict[str, float] = {}
        self.connect_ms: float | None = None
        self.tls_ms: float | None = None
        self.first_byte_ms: float | None = None
        self.body_ms: float | None = None
        self._request_sent_at: float | None = None

    async def __call__(self, event: str, info: dict[str, Any]) -> None:
        now = stopwatch()
        name, _, stage = event.rpartition(".")
        if stage == "started":
            self._open[name] = now
            if name == "http11.send_request_headers":
                self._request_sent_at = now
            return
        began = self._open.pop(name, None)
        if began is None or stage != "complete":
            return
        took = (now - began) * 1000
        if name == "connection.connect_tcp":
            self.connect_ms = (self.connect_ms or 0.0) + took
        elif name == "connection.start_tls":
            self.tls_ms = (self.tls_ms or 0.0) + took
        elif name == "http11.receive_response_headers" and self._request_sent_at is not None:
            # Time to first byte: request sent → response headers in.
            self.first_byte_ms = (now - self._request_sent_at) * 1000
        elif name == "http11.receive_response_body":
            self.body_ms = took


def _is_blank(content: bytes) -> bool:
    # A page of only whitespace (or a BOM) shows nothing to a citizen: count it as blank.
    return not content.replace(b"\xef\xbb\xbf", b"").strip()


async def probe_homepage(
    client: httpx.AsyncClient,
    url: str,
    *,
    clock: Clock,
    timeout: float = 15.0,
    max_bytes: int = 8 * 1024 * 1024,
    limiter: HostLimiter | None = None,
) -> ProbeRecord:
    """Visit ``url`` once and say whether it fully loaded within ``timeout`` seconds.

    Never raises for anything the site (or the network) does: every outcome is a record, so
    a round of thousands of probes cannot be derailed by one odd server.
    """
    started_at = clock.now()
    timer = PhaseTimer()
    last_dns_ms.set(None)
    try:
        fetched = await fetch(
            client,
            url,
            deadline=timeout,
            max_bytes=max_bytes,
            limiter=limiter,
            # Every probe measures a whole visit, connect and TLS included, and leaves no idle
            # connection on a small government server: one connection per visit, then closed.
            headers={"Connection": "close"},
            extensions={"trace": timer},
        )
    except FetchFailed as exc:
        return ProbeRecord(
            url=url,
            started_at=started_at,
            ok=False,
            failure=exc.failure,
            status_code=None,
            final_url=None,
            bytes=None,
            total_ms=exc.elapsed_ms,
            **_phases(timer),
            detail=exc.detail[:500],
        )
    failure: FailureKind | None = None
    detail = ""
    if fetched.truncated:
        failure, detail = FailureKind.TOO_LARGE, f"body larger than {max_bytes} bytes"
    elif fetched.status >= 400:
        failure, detail = FailureKind.HTTP_STATUS, f"HTTP {fetched.status}"
    elif _is_blank(fetched.content):
        failure, detail = FailureKind.EMPTY, "blank body"
    return ProbeRecord(
        url=url,
        started_at=started_at,
        ok=failure is None,
        failure=failure,
        status_code=fetched.status,
        final_url=fetched.final_url,
        bytes=len(fetched.content),
        total_ms=fetched.elapsed_ms,
        **_phases(timer),
        detail=detail,
    )


def _phases(timer: PhaseTimer) -> dict[str, float | None]:
    dns = last_dns_ms.get()
    connect = timer.connect_ms
    if connect is not None and dns is not None:
        # The host-map backend resolves inside connect_tcp: report the two apart.
        connect = max(0.0, connect - dns)
    return {
        "dns_ms": dns,
        "connect_ms": connect,
        "tls_ms": timer.tls_ms,
        "first_byte_ms": timer.first_byte_ms,
        "body_ms": timer.body_ms,
    }
